"""Scoring a pool in one numpy pass instead of one ``predict`` per candidate.

Every feature of a candidate is a (row, index, value) triple in a :class:`Block`, one block
per namespace. The margin is the constant's weight plus, per row, Σ weight[index] · value
over the blocks and over the quadratic features of each interaction (indices crossed as
VW crosses them). The post's own namespaces (channel, post, category, media, words) and
their interactions are hashed once per pool and summed once per model update; only the
subscriber's and the moment's namespaces (``u``, ``h``, ``t``) are computed per call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from oleg.types import NO_CATEGORY, Candidates, FloatArray, IntArray

from oleg_recommender_vw.content import ContentCache
from oleg_recommender_vw.examples import MAX_AGE_BUCKET, PAST_CATEGORY, PAST_CHANNEL, Context
from oleg_recommender_vw.hashing import Hasher, UIntArray, WeightTable
from oleg_recommender_vw.portrait import Distinct, Portrait
from oleg_recommender_vw.settings import USER_SIDE, Namespace, VwSettings


@dataclass(frozen=True)
class Block:
    """The features of one namespace over the candidates, grouped by row in row order."""

    row: IntArray
    index: UIntArray
    value: FloatArray
    each_row: bool = False
    """Exactly one feature on every row, in row order (``row`` is 0..n-1)."""
    broadcast: bool = False
    """The same single feature, value 1, on every row (the subscriber's id)."""

    @classmethod
    def empty(cls) -> Block:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0))

    @classmethod
    def ones(cls, row: IntArray, index: UIntArray, *, each_row: bool = False) -> Block:
        return cls(row, index, np.ones(len(row)), each_row=each_row)


def crossed(first: Block, second: Block, n: int, hasher: Hasher) -> Block:
    """The quadratic features of two blocks: every pair of features on the same row."""
    if len(first.row) == 0 or len(second.row) == 0:
        return Block.empty()
    if first.broadcast:  # one index against each of the other's: no pairing needed
        return Block(
            second.row,
            hasher.cross(first.index[:1], second.index),
            second.value,
            each_row=second.each_row,
        )
    if second.broadcast:
        return Block(
            first.row,
            hasher.cross(first.index, second.index[:1]),
            first.value,
            each_row=first.each_row,
        )
    per_row = np.bincount(second.row, minlength=n)
    second_start = np.cumsum(per_row) - per_row
    repeats = per_row[first.row]
    total = int(repeats.sum())
    a = np.repeat(np.arange(len(first.row)), repeats)
    within = np.arange(total) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    b = second_start[first.row[a]] + within
    return Block(
        first.row[a],
        hasher.cross(first.index[a], second.index[b]),
        first.value[a] * second.value[b],
    )


def summed(block: Block, weights: WeightTable, n: int) -> FloatArray:
    if len(block.row) == 0:
        return np.zeros(n)
    if block.each_row:
        return weights[block.index] * block.value
    return np.bincount(block.row, weights=weights[block.index] * block.value, minlength=n)


@dataclass
class _PoolCache:
    post: IntArray
    channel: IntArray
    category: IntArray
    blocks: dict[Namespace, Block]
    channels: Distinct
    categories: Distinct
    generation: int = -1
    static: FloatArray | None = None
    context: tuple[int, Block] | None = None

    def matches(self, candidates: Candidates) -> bool:
        return (
            len(self.post) == len(candidates)
            and np.array_equal(self.post, candidates.post)
            and np.array_equal(self.channel, candidates.channel)
            and np.array_equal(self.category, candidates.category)
        )


class PoolScorer:
    """P(👍) of candidates for one subscriber, equal to VW's ``predict`` on their examples."""

    def __init__(self, settings: VwSettings, hasher: Hasher, content: ContentCache) -> None:
        self.settings = settings
        self.hasher = hasher
        self.content = content
        self.chosen = frozenset(settings.namespaces)
        pairs = [(Namespace(p[0]), Namespace(p[1])) for p in settings.active_interactions()]
        self.static_pairs = [p for p in pairs if not (set(p) & USER_SIDE)]
        self.dynamic_pairs = [p for p in pairs if set(p) & USER_SIDE]
        self._words: dict[int, UIntArray] = {}
        self._cache: _PoolCache | None = None

    # -- the post's own namespaces, once per pool ---------------------------------------

    def _post_blocks(self, candidates: Candidates) -> dict[Namespace, Block]:
        h, s, n = self.hasher, self.chosen, len(candidates)
        rows = np.arange(n, dtype=np.int64)
        blocks: dict[Namespace, Block] = {}
        if Namespace.CHANNEL in s:
            blocks[Namespace.CHANNEL] = Block.ones(
                rows, h.ids("c", candidates.channel), each_row=True
            )
        if Namespace.POST in s:
            blocks[Namespace.POST] = Block.ones(rows, h.ids("p", candidates.post), each_row=True)
        if Namespace.CATEGORY in s:
            has = candidates.category != NO_CATEGORY
            blocks[Namespace.CATEGORY] = Block.ones(rows[has], h.ids("k", candidates.category[has]))
        if Namespace.MEDIA in s or Namespace.WORDS in s:
            contents = self.content.get(candidates.post)
            if Namespace.MEDIA in s:
                media = [c.media for c in contents]
                has = np.fromiter((m is not None for m in media), dtype=bool, count=n)
                index = h.names("m", [m for m in media if m is not None])
                blocks[Namespace.MEDIA] = Block.ones(rows[has], index)
            if Namespace.WORDS in s:
                arrays = []
                for post, c in zip(candidates.post.tolist(), contents, strict=True):
                    words = self._words.get(post)
                    if words is None:
                        words = self._words[post] = h.names("w", list(c.words))
                    arrays.append(words)
                counts = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=n)
                index = np.concatenate(arrays) if arrays else np.zeros(0, np.uint64)
                blocks[Namespace.WORDS] = Block.ones(np.repeat(rows, counts), index)
        return blocks

    def _pool(self, candidates: Candidates, weights: WeightTable, generation: int) -> _PoolCache:
        cache = self._cache
        if cache is None or not cache.matches(candidates):
            cache = self._cache = _PoolCache(
                candidates.post.copy(),
                candidates.channel.copy(),
                candidates.category.copy(),
                self._post_blocks(candidates),
                Distinct.of(candidates.channel),
                Distinct.of(candidates.category),
            )
        if cache.generation != generation or cache.static is None:
            n = len(candidates)
            static = np.full(n, float(weights[np.array([self.hasher.constant], np.uint64)][0]))
            for block in cache.blocks.values():
                static += summed(block, weights, n)
            for a, b in self.static_pairs:
                if a in cache.blocks and b in cache.blocks:
                    static += summed(
                        crossed(cache.blocks[a], cache.blocks[b], n, self.hasher), weights, n
                    )
            cache.static, cache.generation = static, generation
        return cache

    # -- the subscriber's and the moment's namespaces, per call ---------------------------

    def _user_blocks(
        self,
        user: int | None,
        candidates: Candidates,
        now: int,
        portrait: Portrait,
        pool: _PoolCache,
    ) -> dict[Namespace, Block]:
        h, s, n = self.hasher, self.chosen, len(candidates)
        rows = np.arange(n, dtype=np.int64)
        blocks: dict[Namespace, Block] = {}
        if user is not None and Namespace.USER in s:
            index = h.ids("u", np.array([user], dtype=np.int64))
            blocks[Namespace.USER] = Block(
                rows, np.repeat(index, n), np.ones(n), each_row=True, broadcast=True
            )
        if Namespace.CONTEXT in s and pool.context is not None and pool.context[0] == now:
            blocks[Namespace.CONTEXT] = pool.context[1]
        elif Namespace.CONTEXT in s:
            context = Context.at(np.full(n, now, dtype=np.int64), candidates.time)
            hour = h.name("t", f"h{context.hour[0]}") if n else 0
            day = h.name("t", f"d{context.day[0]}") if n else 0
            ages = h.names("t", [f"a{b}" for b in range(MAX_AGE_BUCKET + 1)])
            known = context.age >= 0
            per_row = 2 + known.astype(np.int64)
            index = np.empty(int(per_row.sum()), dtype=np.uint64)
            first = np.cumsum(per_row) - per_row
            index[first], index[first + 1] = hour, day
            index[first[known] + 2] = ages[context.age[known]]
            blocks[Namespace.CONTEXT] = Block.ones(np.repeat(rows, per_row), index)
            pool.context = (now, blocks[Namespace.CONTEXT])  # one moment serves a whole round
        if user is not None and Namespace.PAST in s:
            ch, cat = portrait.rates_now(user, pool.channels, pool.categories)
            values = np.stack([ch, cat], axis=1)
            index = np.array([h.name("h", PAST_CHANNEL), h.name("h", PAST_CATEGORY)], np.uint64)
            nonzero = values != 0
            blocks[Namespace.PAST] = Block(
                np.repeat(rows, nonzero.sum(axis=1)),
                np.broadcast_to(index, values.shape)[nonzero],
                values[nonzero],
            )
        return blocks

    def margins(
        self,
        user: int | None,
        candidates: Candidates,
        *,
        now: int,
        portrait: Portrait,
        weights: WeightTable,
        generation: int,
    ) -> FloatArray:
        """VW's raw prediction (before the logistic link) for each candidate."""
        n = len(candidates)
        if n == 0:
            return np.zeros(0)
        pool = self._pool(candidates, weights, generation)
        assert pool.static is not None
        margin = pool.static.copy()
        dynamic = self._user_blocks(user, candidates, now, portrait, pool)
        for block in dynamic.values():
            margin += summed(block, weights, n)
        for a, b in self.dynamic_pairs:
            first = dynamic.get(a, pool.blocks.get(a))
            second = dynamic.get(b, pool.blocks.get(b))
            if first is not None and second is not None:
                margin += summed(crossed(first, second, n, self.hasher), weights, n)
        return margin


def probabilities(margin: FloatArray) -> FloatArray:
    """VW's ``--link logistic``."""
    return 1.0 / (1.0 + np.exp(-margin))
