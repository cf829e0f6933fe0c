"""A sequences file (``user item`` per line, each user's lines in time order) as a
:class:`Dataset` of positives only, as in the SASRec literature (Amazon, MovieLens-1M).

There are no time stamps: an interaction's time is its position in its user's history
(0, 1, 2, ...), which is all a leave-last-out split needs. A global temporal split on such
a file compares positions, not dates: use leave-last-out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from oleg.errors import DataError
from oleg.types import Interactions

from oleg_evaluation.channels import ItemChannels, load_item_channels
from oleg_evaluation.dataset import Dataset
from oleg_evaluation.rows import BadRows, TextLines, parse_int


def load_sequences(
    path: Path | str,
    *,
    items: Path | str | None = None,
    item_channel: str = "auto",
    skip_bad: bool = False,
    name: str | None = None,
) -> Dataset:
    """Read ``user item`` lines (whitespace or comma separated, ``#`` comments allowed)."""
    path = Path(path)
    bad = BadRows(path, skip=skip_bad)
    users: list[int] = []
    posts: list[int] = []
    with TextLines(path) as lines:
        for line in lines:
            line_no = lines.line_no
            text = line.split("#", 1)[0].replace(",", " ").split()
            if not text:
                continue
            if len(text) != 2:
                bad(line_no, f"expected 2 fields 'user item', got {len(text)}")
                continue
            try:
                user, post = parse_int(text[0]), parse_int(text[1])
            except (ValueError, OverflowError):
                bad(line_no, f"expected integer ids 'user item', got {line.strip()!r}")
                continue
            users.append(user)
            posts.append(post)
    if not users:
        raise DataError(f"{path}: no interactions read" + (f" ({bad.count} bad lines skipped)." if bad.count else "."))
    user = np.asarray(users, dtype=np.int64)
    post = np.asarray(posts, dtype=np.int64)
    mapping = load_item_channels(items, item_channel, skip_bad=skip_bad) if items is not None else ItemChannels({})
    channel = mapping.lookup(post)
    return Dataset(
        name=name or path.stem,
        interactions=Interactions.from_arrays(user, post, channel, np.ones(len(user)), positions(user)),
        kind="implicit",
        channel_names=mapping.all_names(channel),
        source=str(path),
        skipped=bad.count + mapping.skipped,
        skipped_examples=tuple(bad.examples) + mapping.skipped_examples,
    )


def positions(user: np.ndarray) -> np.ndarray:
    """Each row's 0-based position among its user's rows, in file order."""
    order = np.argsort(user, kind="stable")
    sorted_users = user[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(user)])
    within = np.arange(len(user)) - np.repeat(starts, counts)
    out = np.empty(len(user), dtype=np.int64)
    out[order] = within
    return out
