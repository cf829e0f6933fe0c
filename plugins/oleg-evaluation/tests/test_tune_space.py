"""The search space `oleg tune` reads from a plugin's settings, its narrowing by the plugin
and by --param, and the refusals of bad ranges."""

from __future__ import annotations

import enum
import math
from typing import Literal

import pytest
from oleg import PluginSettings
from oleg.errors import ConfigError
from oleg_evaluation.tuning.space import (
    Choice,
    FloatRange,
    IntRange,
    defaults_in,
    parse_params,
    search_space,
)
from pydantic import Field


class Mode(enum.StrEnum):
    FAST = "fast"
    EXACT = "exact"


class ModelSettings(PluginSettings):
    lr: float = Field(0.01, gt=0)
    reg: float = Field(0.0, ge=0)
    dim: int = Field(16, ge=1)
    layers: int = Field(2, ge=1, le=4)
    dropout: float = Field(0.2, ge=0, lt=1)
    prior: float = Field(0.5, ge=0.1, le=1000)
    loss: Literal["mse", "bce"] = "mse"
    mode: Mode = Mode.FAST
    biases: bool = True
    threads: int | None = Field(None, ge=1)
    device: str = "cpu"
    model_path: str = "m.bin"
    seed_offset: int = Field(3, ge=0)
    partial_lr: float = Field(0.001, gt=0)
    cap: int | None = Field(128, ge=1)
    window: float | None = None


def test_the_space_comes_from_types_bounds_and_defaults():
    space = search_space(ModelSettings)
    d = space.domains
    assert d["lr"] == FloatRange(0.001, 0.1, log=True)  # a tenth to ten times, log
    assert d["dim"] == IntRange(4, 64, log=True)
    assert d["layers"] == IntRange(1, 4, log=False)  # both bounds: the bounds
    assert (
        d["dropout"].low == 0 and d["dropout"].high < 1 and not d["dropout"].log
    )  # lt=1: 1 excluded
    assert d["prior"] == FloatRange(0.1, 1000, log=True)  # spans decades: log
    assert d["loss"] == Choice(("mse", "bce"))
    assert d["mode"] == Choice(("fast", "exact"))  # an enum: its values
    assert d["cap"] == IntRange(32, 512, log=True)  # optional with a value: its range, never None
    for name in (
        "threads",
        "device",
        "model_path",
        "seed_offset",
        "partial_lr",
        "biases",
        "reg",
        "window",
    ):
        assert name in space.skipped and name not in d, name
    assert "no scale" in space.skipped["reg"] and "None" in space.skipped["window"]
    assert defaults_in(space, ModelSettings().model_dump())


class Declared(PluginSettings):
    lr: float = Field(
        0.01, gt=0, json_schema_extra={"tune": {"low": 1e-4, "high": 0.5, "log": True}}
    )
    dim: int = Field(16, ge=1, json_schema_extra={"tune": {"low": 2, "high": 32}})
    act: Literal["relu", "tanh", "gelu"] = Field(
        "relu", json_schema_extra={"tune": {"choices": ["relu", "tanh"]}}
    )
    hidden: int = Field(64, ge=1)
    epochs: int = Field(10, ge=1, json_schema_extra={"tune": False})


class MarkedOff(PluginSettings):
    lr: float = Field(0.01, gt=0)
    epochs: int = Field(10, ge=1, json_schema_extra={"tune": False})


def test_a_plugin_narrows_the_space_on_its_fields():
    space = search_space(Declared)
    assert space.domains == {
        "lr": FloatRange(1e-4, 0.5, log=True),
        "dim": IntRange(2, 32),
        "act": Choice(("relu", "tanh")),
    }
    assert "declares its space without it" in space.skipped["hidden"]
    assert "not to be tuned" in space.skipped["epochs"]
    # marking a field off alone does not narrow the rest
    off = search_space(MarkedOff)
    assert set(off.domains) == {"lr"} and "epochs" in off.skipped


def test_param_overrides_ranges_choices_and_fixed_values():
    params = parse_params(
        ["lr=1e-5:1e-2", "dim=8:12:log", "loss=bce|mse", "threads=2", "dropout=0:0.5"]
    )
    space = search_space(ModelSettings, params)
    assert space.domains["lr"] == FloatRange(1e-5, 1e-2, log=True)
    assert space.domains["dim"] == IntRange(8, 12, log=True)
    assert space.domains["loss"] == Choice(("bce", "mse"))
    assert space.domains["dropout"] == FloatRange(0.0, 0.5, log=False)
    assert space.fixed == {"threads": 2} and "threads" not in space.domains
    only = search_space(ModelSettings, parse_params(["lr=1e-3:1e-1:linear"]), only_overrides=True)
    assert only.domains == {"lr": FloatRange(1e-3, 1e-1, log=False)}
    assert only.skipped["dim"] == "not named by --param"
    fixed = search_space(ModelSettings, fixed={"lr": 0.05})  # a spec's settings are never tuned
    assert "lr" not in fixed.domains and fixed.fixed == {"lr": 0.05}


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("lrr=1e-3:1e-1", "(?s)ModelSettings has no setting 'lrr'.*Did you mean 'lr'"),
        ("lr=0.1:0.01", "LOW must be below HIGH"),
        ("lr=0:0.1", r"0 is outside lr's bounds \(> 0\)"),
        ("layers=1:9", r"9 is outside layers's bounds \(>= 1 and <= 4\)"),
        ("dim=1.5:8", "is an integer: give whole numbers"),
        ("lr=a:b", "expected two numbers"),
        ("lr=1:2:3", "expected LOW:HIGH"),
        ("loss=1:2", "not a number: give its choices"),
        ("dropout=0:0.5:log", "a log scale needs LOW above 0"),
    ],
)
def test_bad_ranges_are_refused_with_the_reason(param, message):
    with pytest.raises(ConfigError, match=message):
        search_space(ModelSettings, parse_params([param]))


def test_malformed_and_repeated_params_are_refused():
    with pytest.raises(ConfigError, match="expected NAME=LOW:HIGH"):
        parse_params(["lr"])
    with pytest.raises(ConfigError, match="given twice"):
        parse_params(["lr=1:2", "lr=2:3"])


def test_open_bounds_stay_open():
    class Open(PluginSettings):
        share: float = Field(0.5, gt=0, lt=1)

    domain = search_space(Open).domains["share"]
    assert 0 < domain.low < 1e-300 and domain.high < 1 and math.isclose(domain.high, 1)
    Open(share=domain.low)  # both ends are valid settings
    Open(share=domain.high)
