"""Scoring (subscriber, post) rows with a recommender, and the figures of those scores:
what the trainer, the model registry, the contract tests and the evaluation harness
measure a model with."""

from __future__ import annotations

import numpy as np

from oleg import metrics
from oleg.components import Recommender
from oleg.types import Candidates, FloatArray, Interactions


def score_pairs(recommender: Recommender, data: Interactions, *, block: int = 2048) -> FloatArray:
    """The recommender's score for each (user, post) row of ``data``.

    One ``score_many`` call per block of rows, over the block's distinct users and posts,
    then each row's cell is picked: far fewer calls than one per user.
    """
    out = np.empty(len(data), dtype=np.float64)
    for start in range(0, len(data), block):
        rows = slice(start, start + block)
        users, user_row = np.unique(data.user[rows], return_inverse=True)
        posts, first, post_col = np.unique(data.post[rows], return_index=True, return_inverse=True)
        cands = Candidates(
            posts, data.channel[rows][first], data.time[rows][first], data.category[rows][first]
        )
        scores = np.asarray(recommender.score_many(users.tolist(), cands), dtype=np.float64)
        out[rows] = scores[user_row, post_col]
    return out


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
