"""Item -> channel: what channel-aware recommenders need and rating data sets lack.

oleg scores posts of channels; a MovieLens movie has no channel. Two ways to give items
one, both from a CSV with one row per item:

- a ``channel`` column (or any column named by ``how``): ids if every value is an integer,
  names otherwise (names get ids 1, 2, ... in sorted order);
- ``first-genre``: the first of the ``|``-separated ``genres`` of MovieLens' movies.csv,
  so ``Adventure|Animation|Children`` belongs to the channel "Adventure". A genre stands
  in for a channel because both are a coarse, stable grouping of items by kind, and each
  item needs exactly one.

Items missing from the mapping go to channel 0, named "(unmapped)".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from oleg.errors import DataError
from oleg.types import IntArray

from oleg_evaluation.rows import ITEM_ALIASES, BadRows, csv_rows, find_column, parse_int

UNMAPPED = 0
FIRST_GENRE = "first-genre"


@dataclass(frozen=True)
class ItemChannels:
    """A channel id for each item id, and names for the channel ids when known."""

    channel_of: dict[int, int]
    names: dict[int, str] = field(default_factory=dict)
    skipped: int = 0
    skipped_examples: tuple[str, ...] = ()

    def lookup(self, items: IntArray) -> IntArray:
        """Channel id of each item (``UNMAPPED`` when the mapping does not know it)."""
        if not self.channel_of:
            return np.full(len(items), UNMAPPED, dtype=np.int64)
        uniq, inverse = np.unique(items, return_inverse=True)
        mapped = np.fromiter((self.channel_of.get(i, UNMAPPED) for i in uniq.tolist()), np.int64, len(uniq))
        return mapped[inverse]

    def all_names(self, channels: IntArray) -> dict[int, str]:
        names = dict(self.names)
        if np.any(channels == UNMAPPED):
            names.setdefault(UNMAPPED, "(unmapped)")
        return names


def load_item_channels(path: Path | str, how: str = "auto", *, skip_bad: bool = False) -> ItemChannels:
    """Read an item -> channel mapping from a CSV (see the module docstring).

    ``how``: ``"auto"`` (a ``channel`` column if there is one, else ``first-genre`` if there
    is a ``genres`` column), ``"first-genre"``, or the name of the channel column.
    """
    path = Path(path)
    header, rows = csv_rows(path)
    item_col = find_column(header, None, ITEM_ALIASES, path, "item")
    item_col = 0 if item_col is None else item_col
    genre = how == FIRST_GENRE
    if how == "auto":
        col = find_column(header, None, ("channel", "channel_id"), path, "channel")
        if col is None:
            col = find_column(header, None, ("genres",), path, "genres")
            genre = col is not None
        if col is None:
            raise DataError(
                f"{path}, line 1: found neither a 'channel' nor a 'genres' column; the header has "
                f"{', '.join(header)}.",
                hint="Name the channel column (--item-channel COLUMN) or use --item-channel first-genre.",
            )
    else:
        col = find_column(header, "genres" if genre else how, (), path, "channel")
    assert col is not None
    bad = BadRows(path, skip=skip_bad)
    raw: dict[int, str] = {}
    width = max(item_col, col) + 1
    for line, row in rows:
        if len(row) < width:
            bad(line, f"expected at least {width} columns, got {len(row)}")
            continue
        try:
            item = parse_int(row[item_col].strip())
        except (ValueError, OverflowError):
            bad(line, f"expected an integer item id, got {row[item_col]!r}")
            continue
        value = row[col].strip()
        if genre:
            value = value.split("|")[0].strip()
        if not value:
            bad(line, f"expected a {'genre' if genre else 'channel'}, got an empty value")
            continue
        raw.setdefault(item, value)
    return _with_ids(raw, bad)


def _with_ids(raw: dict[int, str], bad: BadRows) -> ItemChannels:
    try:
        return ItemChannels({i: parse_int(c) for i, c in raw.items()}, {}, bad.count, tuple(bad.examples))
    except (ValueError, OverflowError):
        pass
    ids = {name: n + 1 for n, name in enumerate(sorted(set(raw.values())))}
    return ItemChannels(
        {i: ids[c] for i, c in raw.items()}, {v: k for k, v in ids.items()}, bad.count, tuple(bad.examples)
    )
