"""Ranking each user's own test items only: the protocol of random-exposure test sets.

Data sets such as Yahoo! R3 or Coat ask each user to rate items drawn at random; how well
a model orders those items (liked ones first) measures it without the selection bias of
what users chose to rate. Full ranking would ask instead whether a model finds them among
every item, which the random draw says nothing about. The scores are those of the test
rows themselves, so this costs no scoring beyond the rating metrics'.
"""

from __future__ import annotations

import numpy as np
from oleg import metrics
from oleg.types import FloatArray, Interactions

from oleg_evaluation.dataset import Dataset


def own_ranking_metrics(
    data: Dataset, test: Interactions, scores: FloatArray, k: int
) -> dict[str, float]:
    """NDCG, Recall and HitRate @``k`` of each user's test items sorted by score (ties:
    the lower item id first), relevant = positive; users without a positive or with a
    single item are left out. A (user, item) rated twice counts once, positive if either
    rating is."""
    if len(test) == 0:
        return {f"own_{m}@{k}": float("nan") for m in ("ndcg", "recall", "hit")}
    relevant = data.positive(test.value)
    # one row per (user, item), a positive first (a pair's rows share one score)
    order = np.lexsort((~relevant, test.post, test.user))
    user, item, rel, score = test.user[order], test.post[order], relevant[order], scores[order]
    first = np.r_[True, (user[1:] != user[:-1]) | (item[1:] != item[:-1])]
    user, item, rel, score = user[first], item[first], rel[first], score[first]
    ranked = np.lexsort((item, -score, user))
    user, rel = user[ranked], rel[ranked]
    users, starts, sizes = np.unique(user, return_index=True, return_counts=True)
    rank = np.arange(len(user)) - np.repeat(starts, sizes)
    row = np.repeat(np.arange(len(users)), sizes)
    top = rank < k
    hits = np.zeros((len(users), k), dtype=bool)
    hits[row[top], rank[top]] = rel[top]
    n_rel = np.bincount(row, weights=rel, minlength=len(users)).astype(np.int64)
    n_rel[sizes < 2] = 0  # a single item has no order: left out, as users without a positive
    return {
        f"own_ndcg@{k}": _mean(metrics.ndcg_at_k(hits, n_rel, per_user=True)),
        f"own_recall@{k}": _mean(metrics.recall_at_k(hits, n_rel, per_user=True)),
        f"own_hit@{k}": _mean(metrics.hit_rate_at_k(hits, n_rel, per_user=True)),
    }


def _mean(values: np.ndarray) -> float:
    valid = values[~np.isnan(values)]
    return float(valid.mean()) if len(valid) else float("nan")
