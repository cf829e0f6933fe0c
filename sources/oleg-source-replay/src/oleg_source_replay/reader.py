"""Reading a posts file into :class:`oleg.types.Post` values.

A replay is only as good as its file, and a bad row found halfway through a simulated week
is expensive to track down; so every row is checked while loading, and the first bad one
stops the load with a :class:`DataError` naming the file, the line and what was expected.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any

from oleg.errors import DataError
from oleg.fields import EARLIEST, LATEST
from oleg.types import MediaKind, Post

BUILTIN_PREFIX = "builtin:"
BUILTIN = {"telegram-news-ru": "telegram-news-ru.jsonl.gz"}
"""Bundled files, by the name written after ``builtin:`` in a deployment file."""

_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".csv": "csv",
    ".csv.gz": "csv",
}
_MEDIA_KINDS = {m.value for m in MediaKind}


def resolve(path: Path | str) -> Path:
    """The real path of ``path``; ``builtin:NAME`` is a file bundled with this package."""
    text = str(path)
    if not text.startswith(BUILTIN_PREFIX):
        return Path(path)
    name = text[len(BUILTIN_PREFIX) :]
    if name not in BUILTIN:
        known = ", ".join(f"{BUILTIN_PREFIX}{k}" for k in BUILTIN)
        raise DataError(f"unknown bundled posts file {text!r}; bundled: {known}")
    return Path(str(resources.files("oleg_source_replay") / "data" / BUILTIN[name]))


def read_posts(path: Path | str, *, snippet_chars: int = 0) -> list[Post]:
    """All posts of ``path`` (JSONL, JSONL.gz, CSV or CSV.gz with a header), in file order.

    ``snippet_chars`` keeps that many characters of each text; 0 keeps none, so that oleg
    stores metadata only.
    """
    real = resolve(path)
    shown = str(path)
    if not real.is_file():
        raise DataError(f"posts file not found: {shown}")
    fmt = _format_of(real, shown)
    rows = _csv_rows(real, shown) if fmt == "csv" else _jsonl_rows(real, shown)
    try:
        return [_post(row, shown, line, snippet_chars) for line, row in rows]
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:  # truncated or corrupt gzip, not UTF-8
        raise DataError(f"{shown}: cannot be read ({type(exc).__name__}: {exc})") from None


def _format_of(path: Path, shown: str) -> str:
    name = path.name.lower()
    for suffix, fmt in _FORMATS.items():
        if name.endswith(suffix):
            return fmt
    raise DataError(
        f"{shown}: unknown posts file format; expected a name ending in " + ", ".join(_FORMATS)
    )


def _open_text(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _jsonl_rows(path: Path, shown: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{shown} line {line_no}: expected a JSON object, got invalid JSON "
                    f"({exc.msg} at column {exc.colno})"
                ) from None
            if not isinstance(row, dict):
                raise DataError(
                    f"{shown} line {line_no}: expected a JSON object, got {type(row).__name__}"
                )
            yield line_no, row


def _csv_rows(path: Path, shown: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            raise DataError(f"{shown} line 1: expected a CSV header, the file is empty")
        try:
            for row in reader:
                if None in row:
                    raise DataError(
                        f"{shown} line {reader.line_num}: expected {len(reader.fieldnames)} "
                        f"columns as in the header, got more"
                    )
                # CSV has no null: an empty cell is a missing value.
                yield reader.line_num, {k: v for k, v in row.items() if v not in ("", None)}
        except csv.Error as exc:
            raise DataError(f"{shown} line {reader.line_num}: malformed CSV ({exc})") from None


def _post(row: dict[str, Any], shown: str, line: int, snippet_chars: int) -> Post:
    where = f"{shown} line {line}"
    text = _optional_str(row, "text", where)
    return Post(
        channel_id=_int(row, "channel_id", where),
        message_id=_int(row, "message_id", where),
        date=_date(row, where),
        media_kind=_media_kind(row, where),
        album_id=_optional_str(row, "album_id", where, allow_int=True),
        text=text[:snippet_chars] if text and snippet_chars > 0 else None,
        category=_optional_str(row, "category", where),
        channel_title=_optional_str(row, "channel", where),
    )


def _int(row: dict[str, Any], key: str, where: str) -> int:
    if key not in row or row[key] is None:
        raise DataError(f"{where}: expected {key!r} (an integer), it is missing")
    value = row[key]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            pass
    if number is None:
        raise DataError(f"{where}: {key!r} must be an integer, got {_show(value)}")
    if not INT64_MIN <= number <= INT64_MAX:
        raise DataError(f"{where}: {key!r} must fit in 64 bits (as Telegram's ids do), got {_show(value)}")
    return number


def _date(row: dict[str, Any], where: str) -> datetime:
    value = row.get("date")
    if value is None:
        raise DataError(f"{where}: expected 'date' (an ISO 8601 date), it is missing")
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            try:
                return _in_calendar(parsed)
            except (ValueError, OverflowError):
                raise DataError(
                    f"{where}: 'date' must lie between 1970 and 2199, got {_show(value)}"
                ) from None
    raise DataError(f"{where}: 'date' must be an ISO 8601 date, got {_show(value)}")


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _in_calendar(parsed: datetime) -> datetime:
    value = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if not EARLIEST <= value < LATEST:
        raise ValueError("out of range")
    return value


def _media_kind(row: dict[str, Any], where: str) -> str:
    value = row.get("media_kind")
    if value is None:
        return MediaKind.TEXT.value
    if isinstance(value, str) and value in _MEDIA_KINDS:
        return value
    raise DataError(
        f"{where}: 'media_kind' must be one of {', '.join(sorted(_MEDIA_KINDS))}, "
        f"got {_show(value)}"
    )


def _optional_str(
    row: dict[str, Any], key: str, where: str, *, allow_int: bool = False
) -> str | None:
    value = row.get(key)
    if value is None or isinstance(value, str):
        return value
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise DataError(f"{where}: {key!r} must be a string, got {_show(value)}")


def _show(value: object) -> str:
    """A value as the user wrote it, short: strings in double quotes as in the file."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."
