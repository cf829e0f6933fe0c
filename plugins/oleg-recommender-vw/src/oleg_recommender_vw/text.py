"""Text lines built column-wise in numpy: VW's text format for a million ratings in a
fraction of the time one f-string per line takes.

A line is a sequence of :class:`Column` parts. Each column is a byte table padded with NUL
bytes (one row per distinct text, picked per line, or one row per line for rendered
numbers); the parts of a chunk of lines are laid side by side in one ``uint8`` matrix, a
newline closes each row, and dropping every NUL byte leaves the lines, joined. VW's text
never holds a NUL byte (words are ``\\w+`` tokens, the rest is ASCII), so the padding is
unambiguous.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from oleg.types import IntArray

ByteTable = npt.NDArray[np.uint8]
NUL = 0
NEWLINE = ord("\n")
CHUNK_BYTES = 1 << 23
"""About this many bytes of padded matrix per rendered chunk (8 MiB): cache-sized work."""


@dataclass(frozen=True)
class Column:
    """One part of every line: ``table[pick[i]]`` for line ``i`` (``table[i]`` when
    ``pick`` is ``None``), NUL bytes dropped."""

    table: ByteTable
    pick: IntArray | None = None

    @property
    def width(self) -> int:
        return int(self.table.shape[1])

    def without(self, rows: npt.NDArray[np.bool_]) -> Column:
        """The column with nothing on ``rows``."""
        if self.pick is None:
            table = self.table.copy()
            table[rows] = NUL
            return Column(table)
        blank = np.zeros((1, self.width), dtype=np.uint8)
        pick = np.where(rows, len(self.table), self.pick)
        return Column(np.vstack([self.table, blank]), pick)

    def rows(self, start: int, stop: int) -> ByteTable:
        if self.pick is None:
            return self.table[start:stop]
        return np.take(self.table, self.pick[start:stop], axis=0)  # 4x fancy indexing's speed


def table_of(texts: Sequence[str | bytes]) -> ByteTable:
    """The texts as rows of a NUL-padded byte table (UTF-8)."""
    encoded = [t.encode() if isinstance(t, str) else t for t in texts]
    array = np.array(encoded or [b""], dtype=bytes)
    width = max(array.dtype.itemsize, 1)
    return array.view(np.uint8).reshape(len(array), width)


def picked(texts: Sequence[str | bytes], pick: IntArray) -> Column:
    return Column(table_of(texts), np.asarray(pick, dtype=np.intp))


def constant(text: str, n: int) -> Column:
    return Column(table_of([text]), np.zeros(n, dtype=np.intp))


def numbers(prefix: str, values: IntArray, *, where: npt.NDArray[np.bool_] | None = None) -> Column:
    """``prefix`` and each value in decimal, as ``f"{prefix}{value}"`` writes it; nothing
    on the rows where ``where`` is false. Few distinct values are written once each."""
    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    if n >= 64:
        distinct, inverse = np.unique(values, return_inverse=True)
        if len(distinct) * 8 <= n:
            column = picked([f"{prefix}{v}" for v in distinct.tolist()], inverse.reshape(-1))
            return column if where is None else column.without(~where)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    magnitude = np.abs(values)
    digits = len(str(int(magnitude.max()))) if n else 1
    out = np.zeros((n, len(head) + 1 + digits), dtype=np.uint8)
    out[:, : len(head)] = head
    out[:, len(head)] = np.where(values < 0, ord("-"), NUL)
    rest = magnitude
    for k in range(digits):  # the last digit first; leading zeros stay NUL
        rest, digit = np.divmod(rest, 10)
        keep = (magnitude >= 10**k) if k else True
        out[:, -1 - k] = np.where(keep, digit + ord("0"), NUL)
    column = Column(out)
    return column if where is None else column.without(~where)


def render(columns: Sequence[Column], n: int) -> Iterator[bytes]:
    """The ``n`` lines (each ending in a newline), in chunks of whole lines."""
    width = sum(c.width for c in columns) + 1
    step = max(1, CHUNK_BYTES // width)
    for start in range(0, n, step):
        stop = min(start + step, n)
        block = np.empty((stop - start, width), dtype=np.uint8)
        at = 0
        for column in columns:
            block[:, at : at + column.width] = column.rows(start, stop)
            at += column.width
        block[:, at] = NEWLINE
        flat = block.reshape(-1)
        yield flat[flat != NUL].tobytes()
