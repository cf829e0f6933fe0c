"""Scoring (subscriber, post) rows with a recommender, and the figures of those scores:
what the trainer, the model registry, the contract tests and the evaluation harness
measure a model with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oleg import metrics
from oleg.components import Recommender
from oleg.types import Candidates, FloatArray, IntArray, Interactions

SPREAD = 2.0
"""A batch of users is scored over the union of their posts only while that grid holds at
most this many cells per (user, post) pair it needs: predictions stay within twice the
rows, whatever the row order, and users who share posts still share one call."""

MAX_CELLS = 1 << 20
"""The most scores one ``score_many`` call returns (8 MiB of float64)."""


def score_pairs(
    recommender: Recommender,
    data: Interactions,
    *,
    spread: float = SPREAD,
    max_cells: int = MAX_CELLS,
) -> FloatArray:
    """The recommender's score for each (user, post) row of ``data``.

    Rows are grouped by user: users next to each other (ordered by their most popular
    post, so that those who share posts meet) share one ``score_many`` call
    over the union of their distinct posts while that grid stays within ``spread`` cells
    per distinct (user, post) pair and ``max_cells`` in all, so a recommender that predicts
    cell by cell makes about as many predictions as there are rows, sorted or shuffled,
    and one that batches still gets few calls. A post's candidate (channel, time,
    category) is its first row in ``data``, so a row's score does not depend on the order
    of the rows.
    """
    out = np.empty(len(data), dtype=np.float64)
    if len(data) == 0:
        return out
    grid = _PairGrid.of(data)
    pair_scores = np.empty(grid.n_pairs, dtype=np.float64)
    for call in grid.calls(spread, max_cells):
        cands = grid.candidates(data, call.cols)
        users = grid.users[call.lo : call.hi].tolist()
        scores = np.asarray(recommender.score_many(users, cands), dtype=np.float64)
        if scores.shape != (call.hi - call.lo, len(call.cols)):
            raise ValueError(
                f"{type(recommender).__name__}.score_many returned shape {scores.shape}, "
                f"expected {(call.hi - call.lo, len(call.cols))}"
            )
        p = call.pairs
        pair_scores[p] = scores[
            grid.pair_user[p] - call.lo, np.searchsorted(call.cols, grid.pair_post[p])
        ]
    out[:] = pair_scores[grid.pair_of_row]
    return out


@dataclass(frozen=True)
class _Call:
    """One ``score_many`` call: users ``lo:hi`` (indices into the sorted distinct users)
    over the posts ``cols``, filling the pairs ``pairs``."""

    lo: int
    hi: int
    cols: IntArray
    pairs: slice


@dataclass(frozen=True)
class _PairGrid:
    """The distinct (user, post) pairs of some rows, grouped by user, as indices into
    ``users`` (in the order they are batched) and the sorted distinct ``posts``."""

    users: IntArray
    posts: IntArray
    post_first_row: IntArray
    pair_user: IntArray
    pair_post: IntArray
    pair_of_row: IntArray
    user_start: IntArray
    """Pairs ``user_start[u]:user_start[u + 1]`` are user ``u``'s."""

    @classmethod
    def of(cls, data: Interactions) -> _PairGrid:
        """The pairs of ``data``, users in :func:`_sharing_order` (a user's pairs by post)."""
        ids, user_idx = np.unique(data.user, return_inverse=True)
        posts, first, post_idx = np.unique(data.post, return_index=True, return_inverse=True)
        codes, pair_of_row = np.unique(user_idx * len(posts) + post_idx, return_inverse=True)
        pair_user, pair_post = np.divmod(codes, len(posts))
        by_id_start = np.searchsorted(pair_user, np.arange(len(ids) + 1))
        order = _sharing_order(pair_post, by_id_start, len(posts))
        rank = np.empty(len(ids), dtype=np.int64)
        rank[order] = np.arange(len(ids))
        moved = np.argsort(rank[pair_user], kind="stable")  # pairs grouped in the new user order
        where = np.empty(len(moved), dtype=np.int64)
        where[moved] = np.arange(len(moved))
        pair_user = rank[pair_user[moved]]
        user_start = np.searchsorted(pair_user, np.arange(len(ids) + 1))
        return cls(
            ids[order],
            posts,
            first,
            pair_user,
            pair_post[moved],
            where[pair_of_row.reshape(-1)],
            user_start,
        )

    @property
    def n_pairs(self) -> int:
        return len(self.pair_user)

    def candidates(self, data: Interactions, cols: IntArray) -> Candidates:
        rows = self.post_first_row[cols]
        return Candidates(
            self.posts[cols], data.channel[rows], data.time[rows], data.category[rows]
        )

    def calls(self, spread: float, max_cells: int) -> list[_Call]:
        """The calls that score every pair, users taken greedily in their order; a user whose
        posts alone pass ``max_cells`` is scored in chunks of columns."""
        out: list[_Call] = []
        marked = np.zeros(len(self.posts), dtype=bool)
        batch: list[IntArray] = []
        lo = n_cols = n_pairs = 0
        for u in range(len(self.users)):
            own = self.pair_post[self.user_start[u] : self.user_start[u + 1]]
            new = own[~marked[own]]
            cells = (u - lo + 1) * (n_cols + len(new))
            if u > lo and (cells > spread * (n_pairs + len(own)) or cells > max_cells):
                out.extend(self._split(lo, u, _close(batch, marked), max_cells))
                batch, lo, n_cols, n_pairs = [], u, 0, 0
                new = own
            marked[new] = True
            batch.append(new)
            n_cols += len(new)
            n_pairs += len(own)
        out.extend(self._split(lo, len(self.users), _close(batch, marked), max_cells))
        return out

    def _split(self, lo: int, hi: int, cols: IntArray, max_cells: int) -> list[_Call]:
        start, end = int(self.user_start[lo]), int(self.user_start[hi])
        if hi - lo > 1 or len(cols) <= max_cells:
            return [_Call(lo, hi, cols, slice(start, end))]
        # one user: its pairs are its posts, in the same sorted order as ``cols``
        return [
            _Call(
                lo, hi, cols[i : i + max_cells], slice(start + i, min(start + i + max_cells, end))
            )
            for i in range(0, len(cols), max_cells)
        ]


def _sharing_order(pair_post: IntArray, user_start: IntArray, n_posts: int) -> IntArray:
    """Users ordered by the most popular of their posts (then by id), so that users who
    share a post sit side by side: a test set of one row per user (leave-last-out) is then
    scored in few calls, each over few posts."""
    popularity = np.bincount(pair_post, minlength=n_posts)
    key = (popularity.max() - popularity[pair_post]) * n_posts + pair_post
    best = np.minimum.reduceat(key, user_start[:-1]) if len(key) else key
    return np.lexsort((np.arange(len(best)), best))


def _close(batch: list[IntArray], marked: np.ndarray) -> IntArray:
    cols = np.sort(np.concatenate(batch))
    marked[cols] = False
    return cols


def evaluate(recommender: Recommender, data: Interactions) -> dict[str, float]:
    """AUC, log loss and RMSE of the recommender's scores on ``data``."""
    if len(data) == 0:
        return {"n": 0}
    scores = score_pairs(recommender, data)
    return {
        "n": len(data),
        "auc": metrics.auc(data.value, scores),
        "logloss": metrics.logloss(data.value, scores),
        "rmse": metrics.rmse(data.value, np.clip(scores, 0, 1)),
    }
