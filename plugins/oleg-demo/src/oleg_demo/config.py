"""The demo's TOML: which policies run, with which settings, on which shared deployment.

The policies and their settings are data, not code: the bundled ``demo.toml`` holds the
defaults, a user copies it, changes it and passes it back with ``--config``. Each policy
resolves to the dict a deployment file would parse to (:meth:`DemoConfig.deployment`),
which the core validates and runs like any other.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from oleg.config import EngineSection
from oleg.durations import parse_duration
from oleg.errors import ConfigError, did_you_mean
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

BUNDLED = "demo.toml"
CHALLENGERS = "challenger"
"""A policy's ``[[policies.NAME.challenger]]`` tables: the deployment's challengers."""
"""The default config, package data of ``oleg_demo``."""

FILLED_IN: dict[str, tuple[str, ...]] = {
    # table -> keys the demo sets for each run (see demo.toml's [base] comment)
    "deployment": ("name", "database", "seed", "data_dir"),
    "source": ("start",),
    "sink": ("subscribers",),
    "scheduler": ("start", "run_for"),
}


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoSection(_Table):
    """``[demo]``: what runs by default, and the calendar of the posts."""

    recommender: list[str] = Field(min_length=1)
    compare: list[str] = Field(default_factory=list)
    reference: str | None = None
    subscribers: int = Field(200, gt=0)
    days: int = Field(14, gt=0)
    seed: int = 0
    start: AwareDatetime
    data_end: AwareDatetime
    posts: str = "the replayed posts"


class PlotStyle(_Table):
    """A policy's line in ``like_rate.png``: a matplotlib colour and line style."""

    color: str = "tab:blue"
    line: str = "-"


@dataclass(frozen=True)
class Policy:
    """One policy: its name, the base's tables it overrides, its plot style."""

    name: str
    tables: dict[str, Any] = field(default_factory=dict)
    """The base's tables it overrides (``challenger``: a list of tables, the deployment's
    ``[[challenger]]`` sections)."""
    plot: PlotStyle = field(default_factory=PlotStyle)

    @property
    def recommender(self) -> str:
        """The recommender plugin it runs: its table's ``plugin``, else its own name."""
        return str(self.tables.get("recommender", {}).get("plugin", self.name))

    @property
    def plugins(self) -> list[str]:
        """Every recommender plugin it needs: its own, then its challengers'."""
        return [self.recommender, *(str(c.get("plugin")) for c in self.tables.get(CHALLENGERS, []))]

    def with_settings(self, label: str, settings: dict[str, Any]) -> Policy:
        """This policy under another name, its recommender's settings updated (benchmarks)."""
        tables = copy.deepcopy(self.tables)
        tables["recommender"] = {**tables.get("recommender", {}), **settings}
        tables["recommender"].setdefault("plugin", self.recommender)
        return Policy(label, tables, self.plot)


DYNAMICS: dict[str, Any] = {
    "drift_per_week": 1.0, "fatigue_after": 3, "fatigue_penalty": 1.5, "daytime_preference": 1.0,
    "more_share": 0.2, "more_every": "6h",
}
"""The simulated sink's ``dynamics`` under ``oleg demo --dynamics`` (see docs/simulation)."""


@dataclass(frozen=True)
class DemoConfig:
    path: Path
    demo: DemoSection
    base: dict[str, dict[str, Any]]
    policies: dict[str, Policy]

    def with_dynamics(self) -> DemoConfig:
        """The same demo with the simulated subscribers' dynamics on (``--dynamics``):
        drift, fatigue, time of day and /more, as :data:`DYNAMICS` sets them, unless the
        base's [sink] sets its own dynamics already."""
        base = copy.deepcopy(self.base)
        base.setdefault("sink", {}).setdefault("dynamics", dict(DYNAMICS))
        return replace(self, base=base)

    @classmethod
    def bundled_path(cls) -> Path:
        return Path(str(resources.files("oleg_demo").joinpath(BUNDLED)))

    @classmethod
    def load(cls, path: Path | str | None = None) -> DemoConfig:
        """Read ``path`` (default: the bundled ``demo.toml``); errors name the file and key."""
        path = Path(path) if path is not None else cls.bundled_path()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such file.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: malformed TOML: {exc}.") from None
        return cls.from_dict(raw, path)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], path: Path) -> DemoConfig:
        _known(raw, ("demo", "base", "policies"), path, "")
        try:
            demo = DemoSection.model_validate(_table(raw, "demo", path))
        except ValidationError as exc:
            raise ConfigError(_format(exc, path, "demo")) from None
        base = {
            name: _table(_table(raw, "base", path), name, path, "base.")
            for name in _table(raw, "base", path)
        }
        if "recommender" in base:
            raise ConfigError(
                f"{path}: [base.recommender]: each policy names its own recommender; "
                "put its settings in [policies.NAME.recommender]."
            )
        for name, keys in FILLED_IN.items():
            for key in keys:
                if key in base.get(name, {}):
                    raise ConfigError(
                        f"{path}: [base.{name}] {key}: the demo sets it for each run; remove it."
                    )
        policies = {
            name: _policy(name, value, base, path)
            for name, value in _table(raw, "policies", path).items()
        }
        return cls(path, demo, base, policies)

    # -- what runs ----------------------------------------------------------------------

    def policy(self, name: str) -> Policy:
        """The policy ``name``: its table, or a recommender of that name on the base."""
        return self.policies.get(name) or Policy(name)

    def start(self, days: int) -> datetime:
        """The first simulated day: ``[demo] start``, or earlier when ``days`` from there
        would run past the data."""
        return min(self.demo.start, self.demo.data_end - timedelta(days=days))

    def deployment(
        self, policy: Policy, *, subscribers: int, days: int, seed: int, database: str,
        data_dir: str,
    ) -> dict[str, Any]:
        """The deployment ``policy`` runs, as the dict a TOML file would parse to."""
        start = self.start(days)
        raw: dict[str, dict[str, Any]] = {"deployment": {}, **copy.deepcopy(self.base)}
        for name, table in policy.tables.items():
            if name == CHALLENGERS:
                raw[name] = copy.deepcopy(table)
            elif name != "recommender":
                raw[name] = _overlay(raw.get(name), table)
        settings = {k: v for k, v in policy.tables.get("recommender", {}).items() if k != "plugin"}
        raw["recommender"] = {"plugin": policy.recommender, **copy.deepcopy(settings)}
        raw["deployment"] = {
            "name": f"demo-{policy.name}",
            "database": database,
            "seed": seed,
            "data_dir": data_dir,
            **raw["deployment"],
        }
        window = parse_duration(
            raw.get("engine", {}).get(
                "pool_window", EngineSection.model_fields["pool_window"].default
            )
        )
        raw.setdefault("source", {})["start"] = (start - window).isoformat()
        raw.setdefault("sink", {})["subscribers"] = subscribers
        raw.setdefault("scheduler", {}).update(start=start.isoformat(), run_for=f"{days}d")
        return raw


def _overlay(base: dict[str, Any] | None, table: dict[str, Any]) -> dict[str, Any]:
    """A policy's table over the base's: key by key, or the whole table when it names
    another plugin (the base's settings belong to the base's plugin)."""
    if base is None or ("plugin" in table and table["plugin"] != base.get("plugin")):
        return copy.deepcopy(table)
    return {**base, **copy.deepcopy(table)}


def _policy(name: str, value: Any, base: dict[str, Any], path: Path) -> Policy:
    where = f"policies.{name}"
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{where}] must be a table, got {type(value).__name__}.")
    accepted = ("plot", "deployment", *base, "recommender", "promotion", CHALLENGERS)
    _known(value, accepted, path, where + ".")
    tables = {k: v for k, v in value.items() if k != "plot"}
    for key in tables:
        if key == CHALLENGERS:
            challengers = tables[key]
            well_formed = isinstance(challengers, list) and all(
                isinstance(c, dict) and "plugin" in c for c in challengers
            )
            if not well_formed:
                raise ConfigError(
                    f"{path}: [[{where}.{key}]]: expected an array of tables, each with "
                    "plugin = \"...\" (and its settings)."
                )
            continue
        _table(value, key, path, where + ".")
    try:
        plot = PlotStyle.model_validate(value.get("plot", {}))
    except ValidationError as exc:
        raise ConfigError(_format(exc, path, f"{where}.plot")) from None
    return Policy(name, tables, plot)


def _table(raw: dict[str, Any], key: str, path: Path, prefix: str = "") -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{prefix}{key}] must be a table, got {type(value).__name__}.")
    return value


def _known(raw: dict[str, Any], known: tuple[str, ...], path: Path, prefix: str) -> None:
    for key in raw:
        if key not in known:
            raise ConfigError(
                f"{path}: unknown key [{prefix}{key}]. {did_you_mean(key, known)}"
                f"Accepted: {', '.join(sorted(set(known)))}."
            )


def _format(exc: ValidationError, path: Path, section: str) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        key = ".".join(str(p) for p in err["loc"]) or "(table)"
        if err["type"] == "missing":
            lines.append(f"missing key [{section}] {key}.")
        elif err["type"] == "extra_forbidden":
            lines.append(f"unknown key [{section}] {key}.")
        else:
            lines.append(f"[{section}] {key}: {err['msg']}; got {err.get('input')!r}.")
    return f"{path}: " + ("\n".join(lines) if len(lines) == 1 else "\n  " + "\n  ".join(lines))
