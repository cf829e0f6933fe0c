"""Full ranking: every user scored against every item of the catalogue, in user batches.

No sampled negatives: a sampled protocol flatters models and ranks them differently from
the full one (Krichene and Rendle, 2020). The catalogue is every item seen in train, with
its channel (optionally also the test's new items: a deployment's pool is mostly posts
nobody rated yet); the items a user already has in train are excluded from their list, as
a feed never sends a post twice. Batches of users bound the score matrix's memory
(``batch`` users x all items).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from oleg.components import Recommender
from oleg.types import Candidates, FloatArray, IntArray, Interactions

DEFAULT_BATCH = 256


@dataclass(frozen=True)
class Catalog:
    """The items a recommender ranks: sorted raw ids, their channels, train popularity.

    An item's candidate time is its first interaction in train, standing in for a post's
    date (a recommender that favours fresh posts sees the item's age).
    """

    items: IntArray
    candidates: Candidates
    counts: IntArray

    @classmethod
    def from_train(cls, train: Interactions, also: Interactions | None = None) -> Catalog:
        """The items of ``train`` (and of ``also``, e.g. the test's new posts, which a
        deployment's pool would hold); popularity counts only ``train``."""
        rows_of = train if also is None else train.concat(also)
        order = np.lexsort((rows_of.time, rows_of.post))
        items, first = np.unique(rows_of.post[order], return_index=True)
        rows = order[first]
        counts = np.bincount(np.searchsorted(items, train.post), minlength=len(items))
        return cls(items, Candidates(items, rows_of.channel[rows], rows_of.time[rows], rows_of.category[rows]), counts.astype(np.int64))

    def __len__(self) -> int:
        return len(self.items)

    def index(self, raw: IntArray) -> IntArray:
        """Catalogue index of each raw item id; -1 for items not in the catalogue."""
        if len(self.items) == 0:
            return np.full(len(raw), -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.items, raw), 0, len(self.items) - 1)
        return np.where(self.items[pos] == raw, pos, -1).astype(np.int64)


@dataclass(frozen=True)
class UserItems:
    """For each user of ``users`` (sorted), catalogue indices of items, in CSR form."""

    users: IntArray
    indptr: IntArray
    indices: IntArray

    @classmethod
    def build(cls, users: IntArray, user: IntArray, item_index: IntArray) -> UserItems:
        """Items per user for the ``users`` asked (others and items < 0 dropped; repeats kept
        once)."""
        keep = (item_index >= 0) & np.isin(user, users)
        width = int(item_index.max(initial=0)) + 1
        codes = np.unique(np.searchsorted(users, user[keep]) * width + item_index[keep])
        rows, items = np.divmod(codes, width)
        indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=len(users)))].astype(np.int64)
        return cls(users, indptr, items.astype(np.int64))

    def counts(self) -> IntArray:
        return np.diff(self.indptr)


def select_top_k(scores: FloatArray, k: int) -> IntArray:
    """Column indices of each row's ``k`` best scores, best first; ties go to the lower
    index, so a result never depends on the sorting algorithm. ``-inf`` scores (excluded
    items) come back as -1.

    Wide rows are first narrowed to the columns at or above the k-th largest maximum of
    blocks of 64 columns (the k-th best score is at least that), a few percent of the row
    unless scores tie massively, in which case the exact path over whole rows runs.
    """
    b, n = scores.shape
    k = min(k, n)
    if k == 0 or b == 0:
        return np.full((b, k), -1, dtype=np.int64)
    if n >= 4 * _BLOCK * k:
        narrowed = _narrowed_top_k(scores, k)
        if narrowed is not None:
            return narrowed
    return _exact_top_k(scores, k)


_BLOCK = 64


def _narrowed_top_k(scores: FloatArray, k: int) -> IntArray | None:
    b, n = scores.shape
    whole = n // _BLOCK * _BLOCK
    block_max = scores[:, :whole].reshape(b, -1, _BLOCK).max(axis=2)
    if whole < n:
        block_max = np.concatenate([block_max, scores[:, whole:].max(axis=1, keepdims=True)], axis=1)
    m = block_max.shape[1]
    floor = np.partition(block_max, m - k, axis=1)[:, m - k]
    mask = scores >= floor[:, None]
    counts = mask.sum(axis=1)
    width = int(counts.max())
    if width > n // 8:
        return None
    rows, cols = np.nonzero(mask)
    slot = np.arange(len(cols)) - np.repeat(np.cumsum(counts) - counts, counts)
    cand_cols = np.full((b, width), n, dtype=np.int64)
    cand_vals = np.full((b, width), -np.inf)
    cand_cols[rows, slot] = cols
    cand_vals[rows, slot] = scores[rows, cols]
    order = np.lexsort((cand_cols, -cand_vals), axis=-1)[:, :k]
    top = np.take_along_axis(cand_cols, order, axis=1)
    return np.where(np.take_along_axis(cand_vals, order, axis=1) == -np.inf, -1, top)


def _exact_top_k(scores: FloatArray, k: int) -> IntArray:
    b, n = scores.shape
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1]
    above = scores > kth[:, None]
    at = scores == kth[:, None]
    need = k - above.sum(axis=1)
    chosen = above | (at & (np.cumsum(at, axis=1) <= need[:, None]))
    cols = np.nonzero(chosen)[1].reshape(b, k)
    values = np.take_along_axis(scores, cols, axis=1)
    order = np.lexsort((cols, -values), axis=-1)
    cols = np.take_along_axis(cols, order, axis=1)
    return np.where(np.take_along_axis(values, order, axis=1) == -np.inf, -1, cols)


def rank_top_k(
    recommender: Recommender,
    seen: UserItems,
    catalog: Catalog,
    k: int,
    *,
    batch: int = DEFAULT_BATCH,
    advance: Callable[[int], None] | None = None,
) -> IntArray:
    """Each user's top ``k`` catalogue indices (-1 pads), items in ``seen`` excluded.

    ``advance(n)`` is called after each batch of ``n`` users (a progress bar's hook).
    """
    users = seen.users
    out = np.full((len(users), min(k, len(catalog))), -1, dtype=np.int64)
    for start in range(0, len(users), batch):
        stop = min(start + batch, len(users))
        scores = np.array(recommender.score_many(users[start:stop].tolist(), catalog.candidates), dtype=np.float64)
        if scores.shape != (stop - start, len(catalog)):
            raise ValueError(
                f"{type(recommender).__name__}.score_many returned shape {scores.shape}, "
                f"expected {(stop - start, len(catalog))}"
            )
        if np.isnan(scores).any():
            raise ValueError(f"{type(recommender).__name__}.score_many returned NaN scores")
        lo, hi = seen.indptr[start], seen.indptr[stop]
        rows = np.repeat(np.arange(stop - start), np.diff(seen.indptr[start : stop + 1]))
        scores[rows, seen.indices[lo:hi]] = -np.inf
        out[start:stop] = select_top_k(scores, k)
        if advance is not None:
            advance(stop - start)
    return out
