"""The subscriber's own answers per category and per channel: the served score's personal
balance term.

A subscriber's like of a post is mostly their taste for its topic and for its channel plus
the post's own quality (the demo's simulated subscribers are exactly that). The quality is
counted over everyone (:mod:`oleg_recommender_argus.post_stats`); the taste heads
(:mod:`oleg_recommender_argus.taste`) compare content vectors, which says which topics a
subscriber's likes lean to, not how often they like what they are shown of one. This term
counts it: for the candidate's category and for its channel, the subscriber's
``(likes - dislikes) / (shown + PRIOR)`` over their earlier steps, each against a learned
weight. Training reads each step's figures from the steps before it; serving maps the
subscriber's figures onto the pool through the pool's own small vocabularies of categories
and channels, a gather rather than a product (the vocabularies are kept with the pool).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from oleg.types import Candidates

from oleg_recommender_argus.features import Col, Feedback
from oleg_recommender_argus.histories import Histories

KINDS = len(Feedback)
KEYS = (Col.CATEGORY, Col.CHANNEL)
N_PERSONAL = len(KEYS)
PRIOR = 2.0


def balance(counts: np.ndarray) -> np.ndarray:
    """``(likes - dislikes) / (shown + PRIOR)`` of (.., KINDS) counts."""
    net = counts[..., Feedback.LIKE] - counts[..., Feedback.DISLIKE]
    return net / (counts.sum(-1) + PRIOR)


def earlier_balances(rows: np.ndarray) -> np.ndarray:
    """(len(rows), N_PERSONAL) float32: for each step, the balance of the strictly earlier
    steps of the same category and of the same channel."""
    n = len(rows)
    out = np.zeros((n, N_PERSONAL), dtype=np.float32)
    if n == 0:
        return out
    kinds = np.eye(KINDS)[rows[:, Col.FEEDBACK]]
    for j, col in enumerate(KEYS):
        keys = rows[:, col]
        order = np.lexsort((np.arange(n), keys))
        ks, onehot = keys[order], kinds[order]
        running = np.cumsum(onehot, 0) - onehot  # each step's counts of the steps before it
        starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        group = np.repeat(starts, np.diff(np.r_[starts, n]))
        before = running - running[group]  # less what came before its own key's first step
        out[order, j] = balance(before)
    return out


@dataclass
class PoolKeys:
    """A pool's categories and channels as indices into its own sorted vocabularies."""

    posts: np.ndarray
    vocab: list[np.ndarray]
    index: list[np.ndarray]

    @classmethod
    def of(cls, cands: Candidates) -> PoolKeys:
        vocab, index = [], []
        for column in (cands.category, cands.channel):
            v, i = np.unique(np.asarray(column, dtype=np.int64), return_inverse=True)
            vocab.append(v)
            index.append(i)
        return cls(cands.post, vocab, index)


def pool_term(
    weights: np.ndarray, histories: Histories, users: list[int | None], pool: PoolKeys
) -> np.ndarray:
    """(len(users), len(pool)) float32: each subscriber's weighted balances for the pool's
    posts (zero for one with no history), counted in one pass over all their rows."""
    out = np.zeros((len(users), len(pool.posts)), dtype=np.float32)
    parts = [histories.of(u) for u in users]
    lengths = [len(p) for p in parts]
    if not sum(lengths):
        return out
    rows = np.concatenate(parts)
    owner = np.repeat(np.arange(len(users)), lengths)
    kinds = np.eye(KINDS)[rows[:, Col.FEEDBACK]]
    for j, col in enumerate(KEYS):
        vocab = pool.vocab[j]
        if not len(vocab) or not weights[j]:
            continue
        keys = rows[:, col]
        order = np.lexsort((keys, owner))
        o, k = owner[order], keys[order]
        starts = np.flatnonzero(np.r_[True, (o[1:] != o[:-1]) | (k[1:] != k[:-1])])
        values = balance(np.add.reduceat(kinds[order], starts, axis=0))
        at = np.clip(np.searchsorted(vocab, k[starts]), 0, len(vocab) - 1)
        hit = vocab[at] == k[starts]
        per = np.zeros((len(users), len(vocab)), dtype=np.float32)
        per[o[starts][hit], at[hit]] = weights[j] * values[hit]
        out += np.take(per, pool.index[j], axis=1)  # the pool's posts read their key's figure
    return out
