"""How the other subscribers answered a post so far: the served score's quality term.

The taste (:mod:`oleg_recommender_argus.taste`) says what *this* subscriber likes; a post
liked by most of those it was shown to is a better bet for anyone, a newcomer first of
all (most of MovieLens's temporal test users have no history). embedding-nn learns that as
a per-post and a per-channel bias; a dozen optimiser steps (a demo retrain) cannot learn a
bias per post, so it is counted: per post and per channel, how many steps were liked,
disliked and left unanswered, kept up to date by the histories as rows arrive and are
relabelled (O(new events)). Its feature, in [-1, 1], is the post's answer balance
``(likes - dislikes + POST_PRIOR * channel's) / (shown + POST_PRIOR)``, smoothed towards
its channel's ``(likes - dislikes) / (shown + CHANNEL_PRIOR)``: a post nobody answered yet
starts at its channel's figure. (The channel's balance as a feature of its own lowered
MovieLens's PairAccuracy: it only repeats, coarser, what the post's holds.)

It is the last row of the item tower, against a learned weight in the user tower, so
scoring stays one matrix product. Training reads it leave-one-out (without the step's own
answer).
"""

from __future__ import annotations

import numpy as np

from oleg_recommender_argus.features import Feedback

KINDS = len(Feedback)
N_QUALITY = 1
"""Features: the post's smoothed answer balance."""
POST_PRIOR = 3.0
CHANNEL_PRIOR = 10.0


class _Table:
    """Id -> counts per kind of feedback, rows of a growing array."""

    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.counts = np.zeros((0, KINDS), dtype=np.float64)

    def row(self, key: int) -> int:
        at = self.index.get(key)
        if at is None:
            at = self.index[key] = len(self.index)
            if at >= len(self.counts):
                grown = np.zeros((max(64, 2 * len(self.counts)), KINDS))
                grown[: len(self.counts)] = self.counts
                self.counts = grown
        return at

    def rows_of(self, keys: np.ndarray) -> np.ndarray:
        """Rows of ``keys``, -1 where an id has no row."""
        get = self.index.get
        return np.fromiter((get(k, -1) for k in keys.tolist()), np.int64, len(keys))

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """(len(keys), KINDS) counts, zero where an id has none."""
        rows = self.rows_of(keys)
        out = np.zeros((len(keys), KINDS))
        found = rows >= 0
        out[found] = self.counts[rows[found]]
        return out


def balance(counts: np.ndarray, prior: float, towards: np.ndarray | float = 0.0) -> np.ndarray:
    """``(likes - dislikes + prior * towards) / (shown + prior)`` of (.., KINDS) counts."""
    net = counts[..., Feedback.LIKE] - counts[..., Feedback.DISLIKE]
    return (net + prior * towards) / (counts.sum(-1) + prior)


class PostStats:
    """Counts of each post's and each channel's steps per kind of feedback; ``version``
    moves whenever one changes (what the served pool's quality rows are compared with)."""

    def __init__(self) -> None:
        self.posts = _Table()
        self.channels = _Table()
        self.version = 0

    def count(self, post: int, channel: int, feedback: int, by: float) -> None:
        at, ch = self.posts.row(post), self.channels.row(channel)  # may grow the arrays
        self.posts.counts[at, feedback] += by
        self.channels.counts[ch, feedback] += by
        self.version += 1

    def features(
        self, post: np.ndarray, channel: np.ndarray, own: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, N_QUALITY) float32: the quality features of these posts. ``own``: each
        one's own feedback, left out of the counts (training), or None (serving)."""
        pc, cc = self.posts.lookup(post), self.channels.lookup(channel)
        if own is not None:
            mine = np.eye(KINDS)[own]
            pc, cc = pc - mine, cc - mine
        ch = balance(cc, CHANNEL_PRIOR)
        return balance(pc, POST_PRIOR, ch)[:, None].astype(np.float32)
