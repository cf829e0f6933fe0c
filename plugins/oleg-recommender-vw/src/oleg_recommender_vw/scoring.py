"""Scoring a pool in one numpy pass instead of one ``predict`` per candidate.

Every feature of a candidate is a (row, index, value) triple in a :class:`Block`, one block
per namespace. The margin is the constant's weight plus, per row, Σ weight[index] · value
over the blocks and over the quadratic features of each interaction (indices crossed as
VW crosses them). The post's own namespaces (channel, post, category, media, words) and
their interactions are hashed once per pool and summed once per model update; the
moment's (``t``) and its interactions once per moment and update; only the subscriber's
(``u``, ``h``) per call. The subscriber's id is one feature, so ``u`` crossed with a
post's namespace is looked up once per distinct index there (300 channels, not 50,000
posts).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from oleg.types import NO_CATEGORY, Candidates, FloatArray, IntArray, Interactions

from oleg_recommender_vw.content import ContentCache
from oleg_recommender_vw.examples import MAX_AGE_BUCKET, PAST_CATEGORY, PAST_CHANNEL, Context
from oleg_recommender_vw.hashing import Hasher, UIntArray, WeightTable
from oleg_recommender_vw.portrait import Distinct, Portrait
from oleg_recommender_vw.settings import USER_DEPENDENT, Namespace, VwSettings


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

    @cached_property
    def distinct(self) -> tuple[UIntArray, IntArray]:
        """The distinct indices, and each feature's position among them."""
        values, inverse = np.unique(self.index, return_inverse=True)
        return values, inverse.reshape(-1)

    @cached_property
    def unit(self) -> bool:
        """Every value is 1."""
        return bool((self.value == 1.0).all())

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


def summed_with_one(
    index: int, block: Block, weights: WeightTable, n: int, hasher: Hasher, *, first: bool
) -> FloatArray:
    """Per row, Σ over the block of the weight of its feature crossed with one feature of
    value 1 (``first``: that feature's namespace comes first in the interaction), looked up
    once per distinct index of the block."""
    if len(block.row) == 0:
        return np.zeros(n)
    one = np.array([index], dtype=np.uint64)
    values, inverse = block.distinct
    crossed_index = hasher.cross(one, values) if first else hasher.cross(values, one)
    per_feature = weights[crossed_index][inverse]
    if not block.unit:
        per_feature = per_feature * block.value
    if block.each_row:
        return per_feature
    return np.bincount(block.row, weights=per_feature, minlength=n)


@dataclass
class _Moment:
    """The context block of one moment over a pool, and (per model generation) the
    margins of it and of its interactions with the post's namespaces."""

    now: int
    block: Block
    generation: int = -1
    margin: FloatArray | None = None


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
    moment: _Moment | None = None

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
        self.pairs = [(Namespace(p[0]), Namespace(p[1])) for p in settings.active_interactions()]
        self.static_pairs = [
            p for p in self.pairs if not set(p) & (USER_DEPENDENT | {Namespace.CONTEXT})
        ]
        self.moment_pairs = [
            p for p in self.pairs if Namespace.CONTEXT in p and not set(p) & USER_DEPENDENT
        ]
        user_pairs = [p for p in self.pairs if set(p) & USER_DEPENDENT]
        self.id_pairs = [
            p for p in user_pairs if len(set(p) & USER_DEPENDENT) == 1 and Namespace.USER in p
        ]
        """``u`` with a namespace of the post or the moment: one lookup per distinct index."""
        self.other_user_pairs = [p for p in user_pairs if p not in self.id_pairs]
        self.user_blocks = frozenset(n for p in self.other_user_pairs for n in p) & USER_DEPENDENT
        """The subscriber's namespaces some interaction needs as blocks."""
        self._words: dict[int, UIntArray] = {}
        self._cache: _PoolCache | None = None

    def _constant(self, weights: WeightTable) -> float:
        return float(weights[np.array([self.hasher.constant], np.uint64)][0])

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
            static = np.full(n, self._constant(weights))
            for block in cache.blocks.values():
                static += summed(block, weights, n)
            for a, b in self.static_pairs:
                if a in cache.blocks and b in cache.blocks:
                    static += summed(
                        crossed(cache.blocks[a], cache.blocks[b], n, self.hasher), weights, n
                    )
            cache.static, cache.generation = static, generation
        return cache

    # -- the moment's namespace, once per moment ------------------------------------------

    def context_block(self, context: Context) -> Block:
        """The ``t`` features of each row: its hour, its day and (where known) the age."""
        h, n = self.hasher, len(context.hour)
        hours = h.names("t", [f"h{i}" for i in range(24)])
        days = h.names("t", [f"d{i}" for i in range(7)])
        ages = h.names("t", [f"a{b}" for b in range(MAX_AGE_BUCKET + 1)])
        known = context.age >= 0
        per_row = 2 + known.astype(np.int64)
        index = np.empty(int(per_row.sum()), dtype=np.uint64)
        first = np.cumsum(per_row) - per_row
        index[first], index[first + 1] = hours[context.hour], days[context.day]
        index[first[known] + 2] = ages[context.age[known]]
        return Block.ones(np.repeat(np.arange(n, dtype=np.int64), per_row), index)

    def _moment(
        self, pool: _PoolCache, candidates: Candidates, now: int, weights: WeightTable
    ) -> _Moment | None:
        if Namespace.CONTEXT not in self.chosen:
            return None
        moment = pool.moment
        if moment is None or moment.now != now:
            context = Context.at(np.full(len(candidates), now, dtype=np.int64), candidates.time)
            moment = pool.moment = _Moment(now, self.context_block(context))
        if moment.generation != pool.generation or moment.margin is None:
            n = len(candidates)
            blocks = {**pool.blocks, Namespace.CONTEXT: moment.block}
            margin = summed(moment.block, weights, n)
            for a, b in self.moment_pairs:
                if a in blocks and b in blocks:
                    margin += summed(crossed(blocks[a], blocks[b], n, self.hasher), weights, n)
            moment.margin, moment.generation = margin, pool.generation
        return moment

    # -- the subscriber's namespaces, per call ------------------------------------------

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
        moment = self._moment(pool, candidates, now, weights)
        if moment is None:
            margin = pool.static.copy()
        else:
            assert moment.margin is not None
            margin = pool.static + moment.margin
        if user is None:
            return margin  # no subscriber: no u or h features, nor their interactions
        h, s = self.hasher, self.chosen
        blocks = dict(pool.blocks)
        if moment is not None:
            blocks[Namespace.CONTEXT] = moment.block
        rows = np.arange(n, dtype=np.int64)
        if Namespace.USER in s:
            user_index = int(h.ids("u", np.array([user], dtype=np.int64))[0])
            margin += weights[np.array([user_index], np.uint64)][0]
            for a, b in self.id_pairs:
                other = b if a == Namespace.USER else a
                if other in blocks:
                    first = a == Namespace.USER
                    margin += summed_with_one(user_index, blocks[other], weights, n, h, first=first)
            if Namespace.USER in self.user_blocks:
                blocks[Namespace.USER] = Block(
                    rows,
                    np.full(n, user_index, np.uint64),
                    np.ones(n),
                    each_row=True,
                    broadcast=True,
                )
        if Namespace.PAST in s:
            ch, cat = portrait.rates_now(user, pool.channels, pool.categories)
            index = np.array([h.name("h", PAST_CHANNEL), h.name("h", PAST_CATEGORY)], np.uint64)
            w_ch, w_cat = weights[index]
            margin += w_ch * ch + w_cat * cat
            if Namespace.PAST in self.user_blocks:
                values = np.stack([ch, cat], axis=1)
                nonzero = values != 0
                blocks[Namespace.PAST] = Block(
                    np.repeat(rows, nonzero.sum(axis=1)),
                    np.broadcast_to(index, values.shape)[nonzero],
                    values[nonzero],
                )
        for a, b in self.other_user_pairs:
            if a in blocks and b in blocks:
                margin += summed(crossed(blocks[a], blocks[b], n, h), weights, n)
        return margin

    # -- what an update can change ------------------------------------------------------

    def touched(self, feedback: Interactions) -> UIntArray:
        """Every weight index that learning these ratings can change: the constant, each
        feature of their examples and each feature of their interactions (a superset: the
        past's two features are counted on every row)."""
        h, s, n = self.hasher, self.chosen, len(feedback)
        rows = np.arange(n, dtype=np.int64)
        blocks = self._post_blocks(
            Candidates.from_arrays(
                feedback.post, feedback.channel, feedback.time, feedback.category
            )
        )
        if Namespace.USER in s:
            blocks[Namespace.USER] = Block.ones(rows, h.ids("u", feedback.user), each_row=True)
        if Namespace.CONTEXT in s:
            context = Context.at(feedback.time, self.content.dates(feedback.post))
            blocks[Namespace.CONTEXT] = self.context_block(context)
        if Namespace.PAST in s:
            index = np.array([h.name("h", PAST_CHANNEL), h.name("h", PAST_CATEGORY)], np.uint64)
            blocks[Namespace.PAST] = Block.ones(np.repeat(rows, 2), np.tile(index, n))
        parts = [np.array([h.constant], np.uint64)] + [b.index for b in blocks.values()]
        for a, b in self.pairs:
            if a in blocks and b in blocks:
                parts.append(crossed(blocks[a], blocks[b], n, h).index)
        return np.unique(np.concatenate(parts))


def probabilities(margin: FloatArray) -> FloatArray:
    """VW's ``--link logistic``."""
    return 1.0 / (1.0 + np.exp(-margin))
