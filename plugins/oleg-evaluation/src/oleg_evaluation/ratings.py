"""A ratings CSV (user, item, rating, timestamp) as a :class:`Dataset`.

Ratings that are all 0 or 1 are taken as 👍/👎 (``binary``); anything else as explicit
stars, rescaled to 0..1 with (r - min) / (max - min) over ``scale`` (by default the lowest
and highest rating in the file), so oleg's recommenders, which predict P(👍), train on it
as they would on likes. Ids must be integers and are kept as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from oleg.errors import DataError
from oleg.types import Interactions

from oleg_evaluation.channels import ItemChannels, load_item_channels
from oleg_evaluation.dataset import Dataset, rescale
from oleg_evaluation.rows import ITEM_ALIASES, BadRows, csv_rows, find_column, parse_int, parse_time

USER_ALIASES = ("user", "user_id", "userId", "subscriber", "subscriber_id")
RATING_ALIASES = ("rating", "value", "score", "feedback")
TIME_ALIASES = ("timestamp", "time", "ts", "date", "at")

DEFAULT_POSITIVE_AT = 4.0
"""Ratings from 4 (of 5) stars count as positives in top-K metrics, as usual for MovieLens."""


def load_ratings(
    path: Path | str,
    *,
    user_col: str | None = None,
    item_col: str | None = None,
    rating_col: str | None = None,
    time_col: str | None = None,
    delimiter: str = ",",
    scale: tuple[float, float] | None = None,
    positive_at: float = DEFAULT_POSITIVE_AT,
    items: Path | str | None = None,
    item_channel: str = "auto",
    skip_bad: bool = False,
    name: str | None = None,
) -> Dataset:
    """Read a ratings CSV with a header line.

    Columns default to the first of the usual names (``userId``, ``movieId``, ``rating``,
    ``timestamp`` and their snake-case variants); without a time column the row order is
    the time. ``items`` is an item -> channel file (see :mod:`oleg_evaluation.channels`),
    read with ``item_channel``. Bad rows raise :class:`~oleg.errors.DataError` naming the
    file and line, unless ``skip_bad``, which skips and counts them.
    """
    path = Path(path)
    header, rows = csv_rows(path, delimiter=delimiter)
    cols = {
        "user": find_column(header, user_col, USER_ALIASES, path, "user"),
        "item": find_column(header, item_col, ITEM_ALIASES, path, "item"),
        "rating": find_column(header, rating_col, RATING_ALIASES, path, "rating"),
    }
    missing = [role for role, col in cols.items() if col is None]
    if missing:
        raise DataError(
            f"{path}, line 1: no {' / '.join(missing)} column; the header has {', '.join(header)}.",
            hint="Name the columns with --user-col, --item-col, --rating-col.",
        )
    time_index = find_column(header, time_col, TIME_ALIASES, path, "time")
    u_i, i_i, r_i = cols["user"], cols["item"], cols["rating"]
    assert u_i is not None and i_i is not None and r_i is not None
    width = max(c for c in (u_i, i_i, r_i, time_index) if c is not None) + 1
    bad = BadRows(path, skip=skip_bad)
    users: list[int] = []
    posts: list[int] = []
    values: list[float] = []
    times: list[int] = []
    for line, row in rows:
        if len(row) < width:
            bad(line, f"expected {len(header)} columns ({', '.join(header)}), got {len(row)}")
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
            at = len(times)
        users.append(user)
        posts.append(post)
        values.append(value)
        times.append(at)
    if not users:
        raise DataError(f"{path}: no ratings read" + (f" ({bad.count} bad rows skipped)." if bad.count else "."))
    mapping = load_item_channels(items, item_channel, skip_bad=skip_bad) if items is not None else ItemChannels({})
    return _dataset(path, name, users, posts, values, times, scale, positive_at, mapping, bad)


def _dataset(
    path: Path,
    name: str | None,
    users: list[int],
    posts: list[int],
    values: list[float],
    times: list[int],
    scale: tuple[float, float] | None,
    positive_at: float,
    mapping: ItemChannels,
    bad: BadRows,
) -> Dataset:
    raw = np.asarray(values, dtype=np.float64)
    post = np.asarray(posts, dtype=np.int64)
    channel = mapping.lookup(post)
    binary = scale is None and bool(np.isin(raw, (0.0, 1.0)).all())
    if binary:
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
        interactions=Interactions.from_arrays(users, post, channel, value, times),
        kind=kind,  # type: ignore[arg-type]
        scale=used_scale,
        positive_at=threshold,
        channel_names=mapping.all_names(channel),
        source=str(path),
        skipped=bad.count + mapping.skipped,
        skipped_examples=tuple(bad.examples) + mapping.skipped_examples,
    )
