"""Field types for plugin settings: durations, paths relative to the deployment file,
secrets that come from the environment.

In the TOML a secret is written ``{ env = "OLEG_BOT_TOKEN" }``; the config loader replaces
it with the variable's value (or fails naming the key and the variable) before the plugin's
settings model sees it, so a plugin only declares ``bot_token: Secret``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, SecretStr, ValidationInfo

from oleg.durations import Duration, format_duration, parse_duration

__all__ = ["Duration", "RelativePath", "Secret", "Timestamp", "format_duration", "parse_duration"]

Secret = SecretStr
"""A value that is masked whenever settings are printed or logged."""


def _resolve(path: Path, info: ValidationInfo) -> Path:
    context: dict[str, Any] = info.context or {}
    base = context.get("base_dir")
    if base is not None and not path.is_absolute() and not str(path).startswith("builtin:"):
        return (Path(base) / path).resolve()
    return path


RelativePath = Annotated[Path, AfterValidator(_resolve)]
"""A path; relative values are taken relative to the deployment file's folder."""


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _in_calendar(value: datetime) -> datetime:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not EARLIEST <= value < LATEST:
        raise ValueError("expected a date from 1970-01-01 to 2199-12-31 (UTC)")
    return value


Timestamp = Annotated[datetime, AfterValidator(_in_calendar)]
"""A date and time, taken as UTC when no zone is given, from 1970 to 2199: dates a clock can
run from, and move by any :data:`Duration`, without leaving the calendar."""
