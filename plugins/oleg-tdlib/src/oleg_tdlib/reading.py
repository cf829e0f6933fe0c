"""Reading fields of TDLib's JSON that may be garbled: a clear :class:`Unreadable` or the value.

An update comes from outside (TDLib, and through it anyone who can write to the bot); a
field that is missing or of the wrong kind must not raise KeyError, TypeError or
OverflowError deep in a handler. Readers raise :class:`Unreadable` with a short description
(which field, what kind it was; never a value, which may be a user's text), and each handler
logs it with :func:`log_skipped` and goes on with the next update.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
DATE_MAX = (1 << 32) - 1
"""The latest Unix time a TDLib ``date`` (int32, read unsigned) can hold: year 2106."""


class Unreadable(Exception):
    """An update or reply whose fields are missing or of the wrong kind."""


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def obj(value: Any, what: str, *, optional: bool = False) -> dict[str, Any]:
    """A JSON object; ``{}`` for a missing optional one."""
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is not an object ({_kind(value)})")
    return value


def field(holder: Mapping[str, Any], key: str, what: str) -> Any:
    """``holder[key]``, which must be there."""
    if not isinstance(holder, dict):
        raise Unreadable(f"{what} is not an object ({_kind(holder)})")
    if key not in holder:
        raise Unreadable(f"{what}.{key} is missing")
    return holder[key]


def int64(value: Any, what: str = "value") -> int:
    """An int64 as TDLib writes it (a string of digits) or as a test writes it (an int)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Unreadable(f"{what} is not an int64 ({_kind(value)})")
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in ("-", "+") else text
        if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
            raise Unreadable(f"{what} is not an int64 (a string of {len(value)} characters)")
        value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise Unreadable(f"{what} is out of the int64 range")
    return value


def int64_at(holder: Mapping[str, Any], key: str, what: str) -> int:
    return int64(field(holder, key, what), f"{what}.{key}")


def unix_date(value: Any, what: str = "date") -> datetime:
    """A TDLib ``date``: seconds since 1970, UTC."""
    seconds = int64(value, what)
    if not 0 <= seconds <= DATE_MAX:
        raise Unreadable(f"{what} is not a date between 1970 and 2106")
    return datetime.fromtimestamp(seconds, UTC)


def int64_list(value: Any, what: str) -> list[int]:
    if not isinstance(value, list):
        raise Unreadable(f"{what} is not a list ({_kind(value)})")
    return [int64(v, f"{what}[{i}]") for i, v in enumerate(value)]


def type_of(update: Any) -> str:
    """An update's ``@type``, short and printable, for a log line."""
    kind = update.get("@type") if isinstance(update, dict) else None
    if not isinstance(kind, str) or not kind.isascii() or not kind.isalnum():
        return f"update of no readable @type ({_kind(kind)})"
    return kind[:64]


def log_skipped(
    log: logging.Logger, update: Any, problem: Unreadable, *, account: str = ""
) -> None:
    """One warning line: which kind of update was skipped and why (never its contents)."""
    where = f"{account}: " if account else ""
    log.warning("%sskipped an unreadable %s: %s", where, type_of(update), problem)
