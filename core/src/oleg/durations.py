"""Durations written as in a config file: ``"30m"``, ``"10s"``, ``"2h30m"``, ``"14d"``."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION = timedelta(days=36525)
"""A hundred years: any longer, and a date plus or minus it leaves the calendar."""
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(value: object) -> timedelta:
    """Parse ``"90s"``, ``"1h30m"``, a number of seconds, or a ``timedelta``."""
    if isinstance(value, timedelta):
        return _bounded(value.total_seconds())
    if isinstance(value, bool):
        raise ValueError("expected a duration such as \"30m\"")
    if isinstance(value, int | float):
        return _bounded(float(value))
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        pos, total = 0, 0.0
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            total += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if text and pos == len(text):
            return _bounded(total)
    raise ValueError(
        "expected a duration such as \"30s\", \"10m\", \"2h\", \"1d12h\" (units: ms s m h d w)"
    )


def _bounded(seconds: float) -> timedelta:
    """The duration, if it is a finite number of seconds from 0 to :data:`MAX_DURATION`."""
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_DURATION.total_seconds():
        raise ValueError("expected a duration from 0 to 100 years (36525d)")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    if seconds == 0:
        return "0s"
    out = []
    for unit in ("d", "h", "m", "s"):
        size = _UNITS[unit]
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{int(count)}{unit}")
    if seconds:
        out.append(f"{round(seconds * 1000)}ms")
    return "".join(out)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]
"""A pydantic field type: accepts ``"30m"`` and friends, serialises back to that form."""
