"""The subscriber's past (Lamoda's "portrait"): likes and ratings per channel and per
category so far, and the smoothed like rates the ``h`` namespace carries.

A training example sees the past *before* it (the counts of the subscriber's earlier
ratings only), exactly as a live score sees the past before the delivery: no label leaks
into its own features. Counts grow with every ``fit`` and ``partial_fit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from oleg.types import NO_CATEGORY, FloatArray, IntArray

QUANTUM = 1024.0
"""Rates are rounded to multiples of 1/1024: exact in float32 and in VW's text format."""


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


@dataclass
class Counts:
    """(subscriber, key) -> likes and ratings, for one kind of key (channel or category)."""

    likes: dict[tuple[int, int], float] = field(default_factory=dict)
    n: dict[tuple[int, int], int] = field(default_factory=dict)

    def lookup(self, users: IntArray, keys: IntArray) -> tuple[FloatArray, FloatArray]:
        pairs = list(zip(users.tolist(), keys.tolist(), strict=True))
        likes = np.fromiter(
            (self.likes.get(p, 0.0) for p in pairs), dtype=np.float64, count=len(pairs)
        )
        n = np.fromiter((self.n.get(p, 0) for p in pairs), dtype=np.float64, count=len(pairs))
        return likes, n

    def before(
        self, users: IntArray, keys: IntArray, liked: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Per row, the likes and ratings of (user, key) before that row (earlier rows of
        this batch and everything counted already), then counts the batch in."""
        m = len(users)
        if m == 0:
            return np.zeros(0), np.zeros(0)
        order = np.lexsort((np.arange(m), keys, users))
        u, k, v = users[order], keys[order], liked[order]
        starts_mask = np.r_[True, (u[1:] != u[:-1]) | (k[1:] != k[:-1])]
        group = np.cumsum(starts_mask) - 1
        starts = np.flatnonzero(starts_mask)
        n_sorted = (np.arange(m) - starts[group]).astype(np.float64)
        cum = np.cumsum(v) - v
        likes_sorted = cum - cum[starts][group]
        base_likes, base_n = self.lookup(u[starts], k[starts])
        likes_sorted += base_likes[group]
        n_sorted += base_n[group]
        # count the batch in: the last row of each group plus its own rating
        ends = np.r_[starts[1:], m] - 1
        pairs = list(zip(u[ends].tolist(), k[ends].tolist(), strict=True))
        self.likes.update(zip(pairs, (likes_sorted[ends] + v[ends]).tolist(), strict=True))
        self.n.update(zip(pairs, (n_sorted[ends].astype(np.int64) + 1).tolist(), strict=True))
        likes, n = np.empty(m), np.empty(m)
        likes[order], n[order] = likes_sorted, n_sorted
        return likes, n

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        keys = np.array(list(self.n), dtype=np.int64).reshape(-1, 2)
        return {
            "keys": keys,
            "likes": np.array([self.likes[k] for k in self.n], dtype=np.float64),
            "n": np.array(list(self.n.values()), dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, keys: IntArray, likes: FloatArray, n: IntArray) -> Counts:
        pairs = [(int(a), int(b)) for a, b in keys.tolist()]
        return cls(
            dict(zip(pairs, likes.tolist(), strict=True)), dict(zip(pairs, n.tolist(), strict=True))
        )


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
