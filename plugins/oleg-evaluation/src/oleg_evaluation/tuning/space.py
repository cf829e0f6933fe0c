"""The search space of ``oleg tune``, read from a plugin's pydantic settings.

A numeric field becomes a range: its bounds (``ge``/``gt``/``le``/``lt``) where it has both,
otherwise a span around its default (a tenth to ten times a positive float, on a log scale;
a quarter to four times a positive int). A ``Literal`` or enum field becomes a choice.
Fields a tuner must not touch are skipped: threads, devices, paths, seeds, incremental
rounds (``partial_*``: an offline fit never runs one), switches (``bool``), text, and an
optional field whose default is ``None`` (``None`` means something of its own).

A plugin narrows the space on its fields, with ``json_schema_extra={"tune": ...}``:
``False`` (never tuned), ``{"low": 1e-4, "high": 0.1, "log": true}`` (a range; ``"int":
true`` for integers is read from the type) or ``{"choices": [...]}``. Once any field
declares a range or choices, only declared fields are tuned: the plugin has said what is
worth searching. ``--param`` overrides win over both (:func:`parse_override`).
"""

from __future__ import annotations

import enum
import json
import math
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types
from oleg.errors import ConfigError, did_you_mean
from pydantic import BaseModel
from pydantic.fields import FieldInfo

SKIPPED_NAMES = ("thread", "device", "gpu", "seed", "path", "dir", "file", "url", "worker")
"""Parts of a field name that mark it as the machine's business, not the model's."""
INCREMENTAL_PREFIX = "partial_"
LOG_RATIO = 10.0
"""A positive range whose high is at least this many times its low is searched on a log scale."""


@dataclass(frozen=True)
class FloatRange:
    low: float
    high: float
    log: bool = False

    def describe(self) -> str:
        return f"{self.low:g} .. {self.high:g}" + (" (log)" if self.log else "")


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int
    log: bool = False

    def describe(self) -> str:
        return f"{self.low} .. {self.high} (int" + (", log)" if self.log else ")")


@dataclass(frozen=True)
class Choice:
    choices: tuple[Any, ...]

    def describe(self) -> str:
        return " | ".join(json.dumps(c) for c in self.choices)


Domain = FloatRange | IntRange | Choice


@dataclass(frozen=True)
class SearchSpace:
    """The tuned fields and their domains, in the settings' field order; ``fixed``: settings
    given a value instead of a range; ``skipped``: fields left at their default, and why."""

    domains: dict[str, Domain]
    fixed: dict[str, Any]
    skipped: dict[str, str]

    def describe(self) -> dict[str, str]:
        return {name: domain.describe() for name, domain in self.domains.items()}


@dataclass(frozen=True)
class _Bounds:
    """A numeric field's bounds; ``*_open``: the bound itself is not allowed (gt, lt)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    @classmethod
    def of(cls, field: FieldInfo) -> _Bounds:
        low = high = None
        low_open = high_open = False
        for m in field.metadata:
            if isinstance(m, annotated_types.Ge):
                low, low_open = float(m.ge), False  # type: ignore[arg-type]
            elif isinstance(m, annotated_types.Gt):
                low, low_open = float(m.gt), True  # type: ignore[arg-type]
            elif isinstance(m, annotated_types.Le):
                high, high_open = float(m.le), False  # type: ignore[arg-type]
            elif isinstance(m, annotated_types.Lt):
                high, high_open = float(m.lt), True  # type: ignore[arg-type]
        return cls(low, high, low_open, high_open)

    def admits(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (
            self.high is not None and (value > self.high or (self.high_open and value == self.high))
        )

    def text(self) -> str:
        low = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        high = "" if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        return " and ".join(p for p in (low, high) if p) or "any number"


def search_space(
    settings: type[BaseModel],
    overrides: Mapping[str, str] | None = None,
    *,
    only_overrides: bool = False,
    fixed: Mapping[str, Any] | None = None,
    owner: str | None = None,
) -> SearchSpace:
    """The space of ``settings``: derived, narrowed by the plugin's ``tune`` declarations,
    then ``overrides`` (field -> ``low:high``, ``a|b|c`` or a value, see
    :func:`parse_override`) applied; ``only_overrides`` tunes the overridden fields alone.
    ``fixed`` settings (a recommender spec's) are never tuned; ``owner`` names the plugin
    in errors."""
    fields = settings.model_fields
    overrides = dict(overrides or {})
    fixed_values = dict(fixed or {})
    for name in overrides:
        if name not in fields:
            raise ConfigError(
                f"--param {name}: {owner or settings.__name__} has no setting {name!r}.",
                hint=did_you_mean(name, fields) + f"Its settings: {', '.join(fields)}.",
            )
    declared = {n: _declared(n, f) for n, f in fields.items()}
    narrowed = any(isinstance(d, (FloatRange, IntRange, Choice)) for d in declared.values())
    domains: dict[str, Domain] = {}
    skipped: dict[str, str] = {}
    for name, field in fields.items():
        if name in fixed_values:
            continue
        if name in overrides:
            parsed = parse_override(name, overrides[name], field)
            if isinstance(parsed, _Fixed):
                fixed_values[name] = parsed.value
            else:
                domains[name] = parsed
            continue
        if only_overrides:
            skipped[name] = "not named by --param"
            continue
        mark = declared[name]
        if mark is False:
            skipped[name] = "the plugin marks it not to be tuned"
        elif isinstance(mark, (FloatRange, IntRange, Choice)):
            domains[name] = mark
        elif narrowed:
            skipped[name] = "the plugin declares its space without it"
        else:
            found = derive(name, field)
            if isinstance(found, str):
                skipped[name] = found
            else:
                domains[name] = found
    return SearchSpace(domains, fixed_values, skipped)


def derive(name: str, field: FieldInfo) -> Domain | str:
    """The domain read from a field's type, bounds and default, or why it is skipped."""
    lowered = name.lower()
    if any(part in lowered for part in SKIPPED_NAMES):
        return "the machine's business (threads, devices, paths, seeds)"
    if lowered.startswith(INCREMENTAL_PREFIX):
        return "incremental rounds: an offline fit never runs one"
    base, optional = _base_type(field.annotation)
    default = field.default
    if optional and default is None:
        return "its default None means something of its own"
    if base is bool:
        return "a switch (mark it with choices to tune it)"
    choices = _choices(base)
    if choices is not None:
        return Choice(choices)
    if base not in (int, float):
        return f"not a number or a choice ({_type_name(field.annotation)})"
    bounds = _Bounds.of(field)
    if base is int:
        return _int_range(int(default), bounds)
    return _float_range(float(default), bounds)


def _float_range(default: float, bounds: _Bounds) -> FloatRange | str:
    if bounds.low is not None and bounds.high is not None:
        low = math.nextafter(bounds.low, math.inf) if bounds.low_open else bounds.low
        high = math.nextafter(bounds.high, -math.inf) if bounds.high_open else bounds.high
        return FloatRange(low, high, log=low > 0 and high / low >= 100)
    if default <= 0:
        return f"default {default:g} and no upper bound: no scale to search (give --param)"
    low, high = default / 10, default * 10
    if bounds.low is not None and low <= bounds.low:
        low = math.nextafter(bounds.low, math.inf) if bounds.low_open else bounds.low
    if bounds.high is not None and high >= bounds.high:
        high = math.nextafter(bounds.high, -math.inf) if bounds.high_open else bounds.high
    return FloatRange(low, high, log=low > 0)


def _int_range(default: int, bounds: _Bounds) -> IntRange | str:
    lo = None if bounds.low is None else math.floor(bounds.low) + (1 if bounds.low_open else 0)
    hi = None if bounds.high is None else math.ceil(bounds.high) - (1 if bounds.high_open else 0)
    if lo is not None and hi is not None:
        return IntRange(lo, hi, log=lo > 0 and hi / lo >= LOG_RATIO)
    if default <= 0:
        return f"default {default} and no upper bound: no scale to search (give --param)"
    low, high = max(1, math.ceil(default / 4)), default * 4
    low = max(low, lo) if lo is not None else low
    high = min(high, hi) if hi is not None else high
    if low >= high:
        return f"no room around its default {default} within its bounds"
    return IntRange(low, high, log=high / low >= LOG_RATIO)


@dataclass(frozen=True)
class _Fixed:
    value: Any


def parse_override(name: str, text: str, field: FieldInfo) -> Domain | _Fixed:
    """``low:high`` (``:log`` or ``:linear`` after it to choose the scale), ``a|b|c`` (a
    choice) or one value (fixed, not tuned); values read as JSON where they parse. A range
    must lie within the field's bounds and be of its type."""
    where = f"--param {name}={text}"
    if "|" in text:
        choices = tuple(_json(v) for v in text.split("|"))
        return Choice(choices)
    if ":" not in text:
        return _Fixed(_json(text))
    parts = text.split(":")
    scale = None
    if len(parts) == 3 and parts[2] in ("log", "linear"):
        scale = parts.pop()
    if len(parts) != 2:
        raise ConfigError(
            f"{where}: expected LOW:HIGH (optionally :log or :linear), A|B|C or a value."
        )
    base, _ = _base_type(field.annotation)
    if base not in (int, float):
        raise ConfigError(
            f"{where}: {name} is {_type_name(field.annotation)}, not a number: "
            "give its choices as A|B|C."
        )
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"{where}: expected two numbers LOW:HIGH, got {parts[0]!r} and {parts[1]!r}."
        ) from None
    if base is int and not (low.is_integer() and high.is_integer()):
        raise ConfigError(f"{where}: {name} is an integer: give whole numbers.")
    if not low < high:
        raise ConfigError(f"{where}: LOW must be below HIGH.")
    bounds = _Bounds.of(field)
    for value in (low, high):
        if not bounds.admits(value):
            raise ConfigError(f"{where}: {value:g} is outside {name}'s bounds ({bounds.text()}).")
    if scale == "log" and low <= 0:
        raise ConfigError(f"{where}: a log scale needs LOW above 0.")
    ratio = LOG_RATIO if base is int else 100.0
    log = scale == "log" or (scale is None and low > 0 and high / low >= ratio)
    if base is int:
        return IntRange(int(low), int(high), log)
    return FloatRange(low, high, log)


def _declared(name: str, field: FieldInfo) -> Domain | bool | None:
    """The field's own ``tune`` declaration: False, a domain, or None (none)."""
    extra = field.json_schema_extra
    if not isinstance(extra, dict) or "tune" not in extra:
        return None
    mark = extra["tune"]
    if mark is False:
        return False
    if mark is True:
        return None
    if not isinstance(mark, dict):
        raise ConfigError(
            f"setting {name}: json_schema_extra 'tune' must be false or a dict, got {mark!r}."
        )
    if "choices" in mark:
        return Choice(tuple(mark["choices"]))  # type: ignore[arg-type]
    try:
        low, high = mark["low"], mark["high"]
    except KeyError as missing:
        raise ConfigError(f"setting {name}: its 'tune' range lacks {missing}.") from None
    base, _ = _base_type(field.annotation)
    log = bool(mark.get("log", False))
    if base is int:
        return IntRange(int(low), int(high), log)  # type: ignore[arg-type]
    return FloatRange(float(low), float(high), log)  # type: ignore[arg-type]


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (it, False)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _choices(base: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(base) is Literal:
        return tuple(typing.get_args(base))
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return tuple(member.value for member in base)
    return None


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_params(texts: Iterable[str]) -> dict[str, str]:
    """``["lr=1e-4:1e-1", "loss=mse|bce"]`` -> ``{"lr": "1e-4:1e-1", "loss": "mse|bce"}``."""
    out: dict[str, str] = {}
    for text in texts:
        name, eq, value = text.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise ConfigError(
                f"--param {text!r}: expected NAME=LOW:HIGH, NAME=A|B|C or NAME=VALUE."
            )
        if name.strip() in out:
            raise ConfigError(f"--param {name.strip()} is given twice.")
        out[name.strip()] = value.strip()
    return out


def defaults_in(space: SearchSpace, defaults: Mapping[str, Any]) -> bool:
    """Whether every tuned field's default lies in its domain (so the defaults can be told
    to the sampler as a trial already run)."""
    for name, domain in space.domains.items():
        value = _plain(defaults[name])
        if isinstance(domain, Choice):
            if value not in domain.choices:
                return False
        elif not isinstance(value, (int, float)) or not domain.low <= value <= domain.high:
            return False
    return True


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def plain_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """Settings values as TOML/JSON can hold them (enum members as their values)."""
    return {name: _plain(v) for name, v in values.items()}


__all__: Sequence[str] = (
    "Choice",
    "Domain",
    "FloatRange",
    "IntRange",
    "SearchSpace",
    "defaults_in",
    "derive",
    "parse_params",
    "plain_settings",
    "search_space",
)
