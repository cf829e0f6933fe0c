"""Reading data files line by line with one policy for bad rows.

A benchmark that silently drops a tenth of a file measures something else than it says,
so a malformed row stops the load with the file, the line and what was expected; a user
who knows the file is dirty asks for ``skip_bad`` and gets the rows counted instead.
"""

from __future__ import annotations

import csv
import gzip
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from oleg.errors import DataError
from oleg.types import to_epoch

MAX_EXAMPLES = 5
ITEM_ALIASES = ("item", "item_id", "itemId", "movieId", "movie_id", "post", "post_id")
"""The usual names of the item column, in ratings files and item -> channel files alike."""


class BadRows:
    """Raises :class:`DataError` on the first bad row, or counts them when ``skip`` is set."""

    def __init__(self, path: Path | str, *, skip: bool = False) -> None:
        self.path = str(path)
        self.skip = skip
        self.count = 0
        self.examples: list[str] = []

    def __call__(self, line: int, problem: str) -> None:
        message = f"{self.path}, line {line}: {problem}"
        if not self.skip:
            raise DataError(message, hint="Fix the row, or pass --skip-bad-rows (skip_bad=True) to skip and count such rows.")
        self.count += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(message)


class TextLines:
    """The lines of a text file (``.gz`` decompressed), decoded one by one, so that bytes
    that are not UTF-8, or a corrupt ``.gz``, are a :class:`DataError` naming the very line.
    ``line_no`` is the number of the last line read."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise DataError(f"{path}: no such file.")
        self.path = path
        self.line_no = 0
        self._fh: IO[bytes] = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            raw = self._fh.readline()
        except UNREADABLE as exc:
            raise DataError(f"{self.path}, line {self.line_no + 1}: {_unreadable(exc)}") from None
        if not raw:
            raise StopIteration
        self.line_no += 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{self.path}, line {self.line_no}: {_unreadable(exc)}") from None

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> TextLines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's first line, whether it is a header, and the data rows after it.

    ``first`` is the first line's cells (the header's names, or the first data row);
    ``rows`` yields every data row with its 1-based line number, the first line included
    when it is not a header.
    """

    path: Path
    first: list[str]
    has_header: bool
    rows: Iterator[tuple[int, list[str]]]

    @property
    def header(self) -> list[str] | None:
        return self.first if self.has_header else None


def csv_table(path: Path, *, delimiter: str = ",", header: bool | None = True) -> CsvTable:
    """Open a CSV file; ``header=None`` decides from the first line: a line whose every cell
    is a number or a date-time is data (a header always has a name that is neither).

    Blank lines are skipped. Line numbers are the physical line where a row starts.
    """
    fh = TextLines(path)
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        first = [h.strip() for h in next(reader)]
    except StopIteration:
        fh.close()
        raise DataError(f"{path}: the file is empty; expected " + ("a header line." if header else "rows.")) from None
    except csv.Error as exc:
        fh.close()
        raise DataError(f"{path}, line 1: {exc}") from None
    has_header = header if header is not None else not looks_like_data(first)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with fh:
            if not has_header:
                yield 1, first
            line = reader.line_num + 1
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise DataError(f"{path}, line {reader.line_num}: {exc}") from None
                if row and any(cell.strip() for cell in row):
                    yield line, row
                line = reader.line_num + 1

    return CsvTable(path, first, has_header, rows())


def csv_rows(path: Path, *, delimiter: str = ",") -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header of a CSV file and its data rows with their 1-based line numbers."""
    table = csv_table(path, delimiter=delimiter)
    return table.first, table.rows


def looks_like_data(cells: list[str]) -> bool:
    """Whether every cell is a number or a date-time (no header name is)."""
    for cell in cells:
        try:
            parse_time(cell)
        except (ValueError, OverflowError):
            return False
    return bool(cells)


def find_column(header: list[str], wanted: str | None, aliases: tuple[str, ...], path: Path, role: str) -> int | None:
    """Index of the column named ``wanted`` (or, when ``None``, of the first alias found)."""
    lowered = [h.lower() for h in header]
    if wanted is not None:
        if wanted in header:
            return header.index(wanted)
        if wanted.lower() in lowered:
            return lowered.index(wanted.lower())
        raise DataError(f"{path}, line 1: no {role} column {wanted!r}; the header has {', '.join(header)}.")
    for alias in aliases:
        if alias.lower() in lowered:
            return lowered.index(alias.lower())
    return None


UNREADABLE = (UnicodeDecodeError, OSError, EOFError, zlib.error)
"""What reading a file that is not UTF-8 text (or a corrupt ``.gz``) raises."""


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r} at column {exc.start + 1})"
    return f"cannot be read ({type(exc).__name__}: {exc})"


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _int64(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"{value} does not fit in 64 bits")
    return value


def parse_int(text: str) -> int:
    """An integer id that fits in 64 bits; ``'12.0'`` is accepted, ``'12.5'``, ``'abc'`` and
    ``'1e30'`` are not (a ``ValueError``, which the readers report with the line)."""
    try:
        return _int64(int(text))
    except ValueError:
        value = float(text)
        if not value.is_integer() or not math.isfinite(value):
            raise ValueError(f"{text!r} is not an integer") from None
        return _int64(int(value))


def parse_time(text: str) -> int:
    """Unix seconds (64-bit) from a number or an ISO 8601 date-time."""
    try:
        seconds = float(text)
    except ValueError:
        try:
            return to_epoch(datetime.fromisoformat(text.strip()))
        except (OverflowError, OSError) as exc:
            raise ValueError(f"{text!r} is out of range") from exc
    if not math.isfinite(seconds):
        raise ValueError(f"{text!r} is not a time")
    return _int64(int(seconds))
