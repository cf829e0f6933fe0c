"""A ratings CSV (user, item, rating, timestamp), with or without a header, as a
:class:`Dataset`; or two of them, a train file and a test file, with the split between.

Ratings that are all 0 or 1 are taken as 👍/👎 (``binary``); anything else as explicit
stars, rescaled to 0..1 with (r - min) / (max - min) over ``scale`` (by default the lowest
and highest rating in the file), so oleg's recommenders, which predict P(👍), train on it
as they would on likes. With ``counts`` the rating column holds counts (plays), kept as
values of a positives-only set. Ids must be integers and are kept as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from oleg.errors import DataError
from oleg.types import Interactions

from oleg_evaluation.channels import ItemChannels, load_item_channels
from oleg_evaluation.columns import Layout
from oleg_evaluation.dataset import Dataset, rescale
from oleg_evaluation.rows import ITEM_ALIASES, BadRows, csv_table, parse_int, parse_time
from oleg_evaluation.splits import Split

USER_ALIASES = ("user", "user_id", "userId", "subscriber", "subscriber_id")
RATING_ALIASES = ("rating", "value", "score", "feedback")
TIME_ALIASES = ("timestamp", "time", "ts", "date", "at")

DEFAULT_POSITIVE_AT = 4.0
"""Ratings from 4 (of 5) stars count as positives in top-K metrics, as usual for MovieLens."""


@dataclass(frozen=True)
class RatingsFormat:
    """How a ratings file is laid out: which column is what, the separator, the header.

    A column is a name (from the header, or from ``columns`` for a headerless file) or a
    0-based index; ``None`` takes the first of the usual names. ``header=None`` decides
    from the first line (all numbers and dates: data). ``counts``: the rating column holds
    counts (plays, clicks), kept as they are, every row a positive.
    """

    user_col: str | None = None
    item_col: str | None = None
    rating_col: str | None = None
    time_col: str | None = None
    delimiter: str = ","
    header: bool | None = None
    columns: tuple[str, ...] | None = None
    counts: bool = False


@dataclass
class _Read:
    """The rows read from one or more files, before they become a :class:`Dataset`."""

    users: list[int] = field(default_factory=list)
    posts: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    skipped: int = 0
    examples: list[str] = field(default_factory=list)
    timed: bool = False
    """Whether the file had a time column (else a row's time is its position)."""


def load_ratings(
    path: Path | str,
    *,
    user_col: str | None = None,
    item_col: str | None = None,
    rating_col: str | None = None,
    time_col: str | None = None,
    delimiter: str = ",",
    header: bool | None = None,
    columns: Sequence[str] | None = None,
    counts: bool = False,
    scale: tuple[float, float] | None = None,
    positive_at: float = DEFAULT_POSITIVE_AT,
    items: Path | str | None = None,
    item_channel: str = "auto",
    skip_bad: bool = False,
    name: str | None = None,
) -> Dataset:
    """Read a ratings CSV (see :class:`RatingsFormat` for the layout options).

    Columns default to the first of the usual names (``userId``, ``movieId``, ``rating``,
    ``timestamp`` and their snake-case variants); without a time column the row order is
    the time. ``items`` is an item -> channel file (see :mod:`oleg_evaluation.channels`),
    read with ``item_channel``. Bad rows raise :class:`~oleg.errors.DataError` naming the
    file and line, unless ``skip_bad``, which skips and counts them.
    """
    fmt = RatingsFormat(user_col, item_col, rating_col, time_col, delimiter, header,
                        tuple(columns) if columns is not None else None, counts)
    path = Path(path)
    read = _read(path, fmt, scale, skip_bad)
    mapping = load_item_channels(items, item_channel, skip_bad=skip_bad) if items is not None else ItemChannels({})
    return _dataset(path, name, read, fmt, scale, positive_at, mapping)


def load_train_test(
    train: Path | str,
    test: Path | str,
    fmt: RatingsFormat | None = None,
    *,
    scale: tuple[float, float] | None = None,
    positive_at: float = DEFAULT_POSITIVE_AT,
    items: Path | str | None = None,
    item_channel: str = "auto",
    skip_bad: bool = False,
    name: str | None = None,
) -> tuple[Dataset, Split]:
    """Two ratings files of the same layout as one :class:`Dataset` and the split between
    them (data sets published with their own test part, e.g. a random-exposure sample).
    The scale and the kind are the two files' together, so both are on the same terms."""
    fmt = fmt or RatingsFormat()
    train, test = Path(train), Path(test)
    first = _read(train, fmt, scale, skip_bad)
    second = _read(test, fmt, scale, skip_bad)
    n_train = len(first.users)
    offset = 0 if first.timed else max(first.times) + 1  # row order as time: the test comes after
    both = _Read(
        first.users + second.users, first.posts + second.posts, first.values + second.values,
        first.times + [t + offset for t in second.times], first.skipped + second.skipped,
        first.examples + second.examples, first.timed,
    )
    mapping = load_item_channels(items, item_channel, skip_bad=skip_bad) if items is not None else ItemChannels({})
    data = _dataset(train, name or f"{train.stem} + {test.stem}", both, fmt, scale, positive_at, mapping)
    data = replace(data, source=f"{train} (train), {test} (test)")
    rows = np.arange(len(both.users))
    return data, Split(f"given files (train {train.name}, test {test.name})", rows[:n_train], rows[n_train:])


def _read(path: Path, fmt: RatingsFormat, scale: tuple[float, float] | None, skip_bad: bool) -> _Read:
    header = False if fmt.columns is not None and fmt.header is None else fmt.header
    table = csv_table(path, delimiter=fmt.delimiter, header=header)
    layout = Layout.of(table, fmt.columns)
    cols = layout.require({
        "user": layout.find(fmt.user_col, USER_ALIASES, "user"),
        "item": layout.find(fmt.item_col, ITEM_ALIASES, "item"),
        "rating": layout.find(fmt.rating_col, RATING_ALIASES, "rating"),
    })
    time_index = layout.find(fmt.time_col, TIME_ALIASES, "time")
    u_i, i_i, r_i = cols["user"], cols["item"], cols["rating"]
    width = max(c for c in (u_i, i_i, r_i, time_index) if c is not None) + 1
    bad = BadRows(path, skip=skip_bad)
    out = _Read(timed=time_index is not None)
    for line, row in table.rows:
        if len(row) < width:
            bad(line, f"expected {layout.width} columns ({layout.describe()}), got {len(row)}")
            continue
        try:
            user = parse_int(row[u_i])
        except (ValueError, OverflowError):
            bad(line, f"expected an integer user id, got {row[u_i]!r}")
            continue
        try:
            post = parse_int(row[i_i])
        except (ValueError, OverflowError):
            bad(line, f"expected an integer item id, got {row[i_i]!r}")
            continue
        try:
            value = float(row[r_i])
        except ValueError:
            value = float("nan")
        if fmt.counts and not (np.isfinite(value) and value > 0):
            bad(line, f"expected a count above 0, got {row[r_i]!r}")
            continue
        if not np.isfinite(value) or (scale is not None and not scale[0] <= value <= scale[1]):
            expected = f"between {scale[0]:g} and {scale[1]:g}" if scale else "a number"
            bad(line, f"expected a rating {expected}, got {row[r_i]!r}")
            continue
        if time_index is not None:
            try:
                at = parse_time(row[time_index])
            except (ValueError, OverflowError):
                bad(line, f"expected a Unix time or an ISO 8601 date-time, got {row[time_index]!r}")
                continue
        else:
            at = len(out.times)
        out.users.append(user)
        out.posts.append(post)
        out.values.append(value)
        out.times.append(at)
    if not out.users:
        raise DataError(f"{path}: no ratings read" + (f" ({bad.count} bad rows skipped)." if bad.count else "."))
    out.skipped, out.examples = bad.count, list(bad.examples)
    return out


def _dataset(
    path: Path,
    name: str | None,
    read: _Read,
    fmt: RatingsFormat,
    scale: tuple[float, float] | None,
    positive_at: float,
    mapping: ItemChannels,
) -> Dataset:
    raw = np.asarray(read.values, dtype=np.float64)
    post = np.asarray(read.posts, dtype=np.int64)
    channel = mapping.lookup(post)
    binary = scale is None and not fmt.counts and bool(np.isin(raw, (0.0, 1.0)).all())
    if fmt.counts:
        kind, value, used_scale, threshold = "implicit", raw, None, None
    elif binary:
        kind, value, used_scale, threshold = "binary", raw, None, None
    else:
        used_scale = scale or (float(raw.min()), float(raw.max()))
        if not used_scale[0] <= positive_at <= used_scale[1]:
            raise DataError(
                f"{path}: the positive threshold {positive_at:g} lies outside the ratings' scale "
                f"{used_scale[0]:g}..{used_scale[1]:g}.",
                hint="Set --positive-at to a rating within the scale.",
            )
        kind, value, threshold = "explicit", rescale(raw, used_scale), positive_at
    return Dataset(
        name=name or path.stem,
        interactions=Interactions.from_arrays(read.users, post, channel, value, read.times),
        kind=kind,  # type: ignore[arg-type]
        scale=used_scale,
        positive_at=threshold,
        channel_names=mapping.all_names(channel),
        source=str(path),
        skipped=read.skipped + mapping.skipped,
        skipped_examples=tuple(read.examples) + mapping.skipped_examples,
    )
