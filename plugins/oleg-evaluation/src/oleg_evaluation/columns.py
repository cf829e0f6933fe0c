"""Which column of a ratings file holds what: a header's names, names given for a
headerless file (``--columns user,item,rating,time``), or 0-based indices (``--user-col 0``).

Every miss is a :class:`~oleg.errors.DataError` naming the file and what it has, so a
wrong guess about a file's layout costs one run, not a silent mix-up of columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from oleg.errors import DataError

from oleg_evaluation.rows import CsvTable

SKIP = ("-", "_", "")
"""Names that leave a column of ``--columns`` unnamed (read by nobody)."""

HINT = (
    "Name the columns of a headerless file with --columns user,item,rating,time (in file order, "
    "'-' for one to ignore) or give 0-based indices: --user-col 0 --item-col 1 --rating-col 2."
)


@dataclass(frozen=True)
class Layout:
    """The names of a file's columns (``None``: headerless and unnamed) and its width."""

    path: Path
    names: list[str] | None
    width: int
    first: list[str]
    given: bool
    """Whether ``names`` came from the caller (``--columns``), not from the file."""

    @classmethod
    def of(cls, table: CsvTable, columns: Sequence[str] | None = None) -> Layout:
        if columns is not None:
            names = [c.strip() for c in columns]
            if not any(n not in SKIP for n in names):
                raise DataError(f"{table.path}: --columns names no column.", hint=HINT)
            if len(names) > len(table.first):
                raise DataError(
                    f"{table.path}, line 1: --columns names {len(names)} columns "
                    f"({', '.join(names)}), the file's lines have {len(table.first)}.",
                    hint=HINT,
                )
            return cls(table.path, names, len(table.first), table.first, given=True)
        return cls(table.path, table.header, len(table.first), table.first, given=False)

    def describe(self) -> str:
        if self.names is None:
            return f"the file has no header (line 1 is {', '.join(self.first)})"
        named = ", ".join(n for n in self.names if n not in SKIP)
        return f"{'--columns gives' if self.given else 'the header has'} {named}"

    def find(self, wanted: str | None, aliases: Sequence[str], role: str) -> int | None:
        """Index of ``wanted`` (a name, else a 0-based index) or, when ``None``, of the
        first of ``aliases`` among the names."""
        lowered = [n.lower() for n in self.names] if self.names is not None else []
        if wanted is None:
            return next((lowered.index(a.lower()) for a in aliases if a.lower() in lowered), None)
        if wanted.lower() in lowered and wanted not in SKIP:
            return lowered.index(wanted.lower())
        if wanted.strip().isdigit():
            index = int(wanted)
            if index >= self.width:
                raise DataError(
                    f"{self.path}, line 1: no {role} column {index}: lines have "
                    f"{self.width} columns (indices 0 to {self.width - 1}).",
                    hint=HINT,
                )
            return index
        raise DataError(
            f"{self.path}, line 1: no {role} column {wanted!r}; {self.describe()}.", hint=HINT
        )

    def require(self, found: dict[str, int | None]) -> dict[str, int]:
        """``found`` with every role located, or an error naming the missing ones."""
        missing = [role for role, col in found.items() if col is None]
        if missing:
            raise DataError(
                f"{self.path}, line 1: no {' / '.join(missing)} column; {self.describe()}.",
                hint=HINT,
            )
        return {role: col for role, col in found.items() if col is not None}
