"""The subscriber's past (Lamoda's "portrait"): likes and ratings per channel and per
category so far, and the smoothed like rates the ``h`` namespace carries.

A training example sees the past *before* it (the counts of the subscriber's earlier
ratings only), exactly as a live score sees the past before the delivery: no label leaks
into its own features. Counts grow with every ``fit`` and ``partial_fit``.

The counts live in sorted numpy arrays keyed by (subscriber, key) codes rather than in a
dict of tuples: a full fit counts a million ratings in a few sorts instead of a million
dict updates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from oleg.types import NO_CATEGORY, FloatArray, IntArray

QUANTUM = 1024.0
"""Rates are rounded to multiples of 1/1024: exact in float32 and in VW's text format."""
CODE_BITS = 32
"""A (subscriber, key) pair is ``subscriber code << 32 | key code``."""


def smoothed_rate(likes: FloatArray, n: FloatArray, prior: float) -> FloatArray:
    """(likes + prior/2) / (n + prior) - 0.5, rounded to 1/1024: 0 for a subscriber with no
    ratings there, positive where they like more than half."""
    rate = (likes + prior / 2.0) / (n + prior) - 0.5
    return np.round(rate * QUANTUM) / QUANTUM


@dataclass(frozen=True)
class Distinct:
    """A column as its distinct values and, per row, the position of its value: a pool's
    channels and categories, found once per pool."""

    values: IntArray
    inverse: IntArray

    @classmethod
    def of(cls, column: IntArray) -> Distinct:
        values, inverse = np.unique(column, return_inverse=True)
        return cls(values, inverse.reshape(-1))

    @property
    def column(self) -> IntArray:
        return self.values[self.inverse]


def _found(sorted_keys: IntArray, wanted: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Where each wanted key sits in ``sorted_keys`` (clipped) and whether it is there."""
    at = np.searchsorted(sorted_keys, wanted)
    if len(sorted_keys) == 0:
        return np.zeros(len(wanted), np.int64), np.zeros(len(wanted), bool)
    at = np.minimum(at, len(sorted_keys) - 1)
    return at, sorted_keys[at] == wanted


def sorted_insert(old: np.ndarray, where: IntArray, new: np.ndarray) -> np.ndarray:
    """``np.insert(old, where, new, axis=0)`` for increasing ``where``, as two scatters
    (numpy's own goes through a boolean mask, several times slower on long arrays)."""
    shift = np.cumsum(np.bincount(where, minlength=len(old) + 1))[: len(old)]
    out = np.empty((len(old) + len(new), *old.shape[1:]), dtype=old.dtype)
    out[np.arange(len(old)) + shift] = old
    out[where + np.arange(len(new))] = new
    return out


class Codes:
    """An append-only numbering of int64 values (subscribers, channels, categories): code
    ``i`` is the ``i``-th distinct value seen, so codes never change as values arrive."""

    def __init__(self) -> None:
        self.values = np.zeros(0, np.int64)
        """The values in code order."""
        self._sorted = np.zeros(0, np.int64)
        self._code = np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.values)

    def _find_sorted(self, values: IntArray) -> IntArray:
        at, found = _found(self._sorted, values)
        return np.where(found, self._code[at] if len(self._code) else -1, -1)

    def find(self, values: IntArray) -> IntArray:
        """Each value's code, -1 where it was never added."""
        distinct, inverse = np.unique(values, return_inverse=True)  # sorted queries search fast
        return self._find_sorted(distinct)[inverse.reshape(-1)]

    def add(self, values: IntArray) -> IntArray:
        """Each value's code, numbering the new ones (in increasing value) first."""
        distinct, inverse = np.unique(values, return_inverse=True)
        codes = self._find_sorted(distinct)
        missing = codes < 0
        if missing.any():
            new = distinct[missing]
            first = len(self.values)
            codes[missing] = fresh = np.arange(first, first + len(new))
            self.values = np.concatenate([self.values, new])
            where = np.searchsorted(self._sorted, new)
            self._sorted = sorted_insert(self._sorted, where, new)
            self._code = sorted_insert(self._code, where, fresh)
        return codes[inverse.reshape(-1)]


def grouped_order(users: IntArray, keys: IntArray, key_codes: int) -> IntArray:
    """The rows ordered by (user code, key code), in row order within each pair: the order
    of a stable sort, found by one plain sort of ``(user, key, row)`` packed in 63 bits
    where they fit."""
    m = len(users)
    key_bits = max(key_codes - 1, 1).bit_length()
    row_bits = max(m - 1, 1).bit_length()
    user_bits = max(int(users.max()) if m else 0, 1).bit_length()
    if user_bits + key_bits + row_bits > 63:
        return np.argsort((users << CODE_BITS) | keys, kind="stable")
    packed = (((users << key_bits) | keys) << row_bits) | np.arange(m, dtype=np.int64)
    return np.sort(packed) & np.int64((1 << row_bits) - 1)


class Counts:
    """(subscriber, key) -> likes and ratings, for one kind of key (channel or category)."""

    def __init__(self) -> None:
        self.users = Codes()
        self.keys = Codes()
        self._pair = np.zeros(0, np.int64)
        """The pairs counted so far (``user code << 32 | key code``), sorted."""
        self._counts = np.zeros((0, 2))
        """Likes and ratings of each pair, aligned with ``_pair``."""

    def __len__(self) -> int:
        return len(self._pair)

    def _get(self, pairs: IntArray) -> FloatArray:
        """Likes and ratings (two columns) of each pair; 0 for pairs not counted."""
        return self._where(pairs)[2]

    def _where(self, pairs: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_], FloatArray]:
        """Each pair's place in ``_pair`` (where it is or would go), whether it is there,
        and its counts (0 where not)."""
        at = np.searchsorted(self._pair, pairs)
        if not len(self._pair):
            return at, np.zeros(len(pairs), bool), np.zeros((len(pairs), 2))
        clipped = np.minimum(at, len(self._pair) - 1)
        found = self._pair[clipped] == pairs
        return at, found, np.where(found[:, None], self._counts[clipped], 0.0)

    def _set(
        self, pairs: IntArray, counts: FloatArray, at: IntArray, found: npt.NDArray[np.bool_]
    ) -> None:
        """Store the counts of ``pairs`` (sorted, distinct; ``at`` and ``found`` from
        :meth:`_where`), replacing those there."""
        self._counts[at[found]] = counts[found]
        new = ~found
        if new.any():
            self._pair = sorted_insert(self._pair, at[new], pairs[new])
            self._counts = sorted_insert(self._counts, at[new], counts[new])

    def lookup(self, users: IntArray, keys: IntArray) -> tuple[FloatArray, FloatArray]:
        u, k = self.users.find(users), self.keys.find(keys)
        pairs = np.where((u >= 0) & (k >= 0), (u << CODE_BITS) | k, -1)
        counts = self._get(pairs)
        return counts[:, 0], counts[:, 1]

    def before(
        self, users: IntArray, keys: IntArray, liked: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Per row, the likes and ratings of (user, key) before that row (earlier rows of
        this batch and everything counted already), then counts the batch in."""
        m = len(users)
        if m == 0:
            return np.zeros(0), np.zeros(0)
        u, k = self.users.add(users), self.keys.add(keys)
        order = grouped_order(u, k, len(self.keys))
        p, v = (u[order] << CODE_BITS) | k[order], liked[order]
        starts_mask = np.r_[True, p[1:] != p[:-1]]
        group = np.cumsum(starts_mask) - 1
        starts = np.flatnonzero(starts_mask)
        n_sorted = (np.arange(m) - starts[group]).astype(np.float64)
        cum = np.cumsum(v) - v
        likes_sorted = cum - cum[starts][group]
        at, found, base = self._where(p[starts])
        likes_sorted += base[group, 0]
        n_sorted += base[group, 1]
        # count the batch in: the last row of each group plus its own rating
        ends = np.r_[starts[1:], m] - 1
        totals = np.stack([likes_sorted[ends] + v[ends], n_sorted[ends] + 1], axis=1)
        self._set(p[starts], totals, at, found)
        likes, n = np.empty(m), np.empty(m)
        likes[order], n[order] = likes_sorted, n_sorted
        return likes, n

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        """The counts as (subscriber, key) rows, likes and ratings: what a model file keeps."""
        mask = np.int64((1 << CODE_BITS) - 1)
        keys = np.stack(
            [self.users.values[self._pair >> CODE_BITS], self.keys.values[self._pair & mask]],
            axis=1,
        ).astype(np.int64)
        return {
            "keys": keys.reshape(-1, 2),
            "likes": self._counts[:, 0].copy(),
            "n": self._counts[:, 1].astype(np.int64),
        }

    @classmethod
    def from_arrays(cls, keys: IntArray, likes: FloatArray, n: IntArray) -> Counts:
        counts = cls()
        keys = np.asarray(keys, dtype=np.int64).reshape(-1, 2)
        pairs = (counts.users.add(keys[:, 0]) << CODE_BITS) | counts.keys.add(keys[:, 1])
        order = np.argsort(pairs)
        if np.any(pairs[order][1:] == pairs[order][:-1]):
            raise ValueError("the saved counts name a (subscriber, key) pair twice")
        values = np.stack([np.asarray(likes, np.float64), np.asarray(n, np.float64)], axis=1)
        at, found, _ = counts._where(pairs[order])
        counts._set(pairs[order], values[order], at, found)
        return counts


@dataclass
class Portrait:
    """The past of every subscriber, by channel and by category."""

    prior: float
    channel: Counts = field(default_factory=Counts)
    category: Counts = field(default_factory=Counts)

    def rates_before(
        self, users: IntArray, channels: IntArray, categories: IntArray, liked: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Each row's channel and category like rates from the ratings before it; counts the
        rows in. Posts without a category get rate 0 and count in no category."""
        lc, nc = self.channel.before(users, channels, liked)
        ch = smoothed_rate(lc, nc, self.prior)
        cat = np.zeros(len(users))
        has = categories != NO_CATEGORY
        lk, nk = self.category.before(users[has], categories[has], liked[has])
        cat[has] = smoothed_rate(lk, nk, self.prior)
        return ch, cat

    def rates_now(
        self, user: int, channels: IntArray | Distinct, categories: IntArray | Distinct
    ) -> tuple[FloatArray, FloatArray]:
        """One subscriber's rates on each candidate's channel and category, from everything
        counted; looked up once per distinct channel and category."""
        out = []
        for counts, keys in ((self.channel, channels), (self.category, categories)):
            distinct = keys if isinstance(keys, Distinct) else Distinct.of(keys)
            users = np.full(len(distinct.values), user, dtype=np.int64)
            rate = smoothed_rate(*counts.lookup(users, distinct.values), self.prior)
            if counts is self.category:
                rate[distinct.values == NO_CATEGORY] = 0.0
            out.append(rate[distinct.inverse])
        ch, cat = out
        return ch, cat
