"""Durations written as in a config file: ``"30m"``, ``"10s"``, ``"2h30m"``, ``"14d"``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(value: object) -> timedelta:
    """Parse ``"90s"``, ``"1h30m"``, a number of seconds, or a ``timedelta``."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as \"30m\"")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        pos, total = 0, 0.0
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            total += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if text and pos == len(text):
            return timedelta(seconds=total)
    raise ValueError(
        "expected a duration such as \"30s\", \"10m\", \"2h\", \"1d12h\" (units: ms s m h d w)"
    )


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
