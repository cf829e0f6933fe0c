"""Field types for plugin settings: durations, paths relative to the deployment file,
secrets that come from the environment.

In the TOML a secret is written ``{ env = "OLEG_BOT_TOKEN" }``; the config loader replaces
it with the variable's value (or fails naming the key and the variable) before the plugin's
settings model sees it, so a plugin only declares ``bot_token: Secret``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, SecretStr, ValidationInfo

from oleg.durations import Duration, format_duration, parse_duration

__all__ = ["Duration", "RelativePath", "Secret", "format_duration", "parse_duration"]

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
