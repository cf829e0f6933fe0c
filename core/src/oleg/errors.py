"""Errors a user can act on. The CLI prints them as one paragraph and exits with code 2,
without a traceback; anything else that escapes is a bug and keeps its traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class OlegError(Exception):
    """A problem the deployer or plugin author can fix: wrong config, missing plugin...

    ``exit_code`` is what the CLI exits with (2, as for any usage error).
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class ConfigError(OlegError):
    """The deployment file is wrong: names the file, the key and what was expected."""


class PluginError(OlegError):
    """A plugin is unknown, broken, or its dependencies are missing."""


class DataError(OlegError):
    """A data file (posts, ratings) is malformed: names the file and the line."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"Did you mean 'x'? "`` for the choice closest to ``name``, or ``""``: every message
    that rejects a name (a plugin, a section, a key) suggests the same way."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"Did you mean {matches[0]!r}? " if matches else ""
