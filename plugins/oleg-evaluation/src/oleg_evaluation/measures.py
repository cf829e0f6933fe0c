"""From a fitted recommender's scores to the reported numbers, for one split.

Two families, chosen by what the data can tell:

- rating metrics on the test rows themselves (RMSE, MAE, AUC, PairAccuracy): how well the
  score predicts the feedback given; RMSE/MAE also on the source's own scale (stars), so
  they compare with published figures. Meaningless for positives-only data.
- top-K metrics from full ranking (NDCG, Recall, HitRate, coverage, popularity bias): how
  good the list a user would be sent is. Relevant items are a user's positive test items
  they had not already in train; an item outside the train catalogue stays relevant (a
  miss no model can avoid, reported as ``unreachable``) so models are not flattered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from oleg import metrics
from oleg.components import Recommender
from oleg.scoring import score_pairs
from oleg.types import FloatArray, IntArray, Interactions

from oleg_evaluation.dataset import Dataset
from oleg_evaluation.ranking import Catalog, UserItems


def rating_metrics(data: Dataset, test: Interactions, scores: FloatArray) -> dict[str, float]:
    """RMSE/MAE of clipped scores (0..1 and, for stars, the original scale), AUC against
    the positives, PairAccuracy within users."""
    pred = np.clip(scores, 0.0, 1.0)
    out = {
        "rmse": metrics.rmse(test.value, pred),
        "mae": metrics.mae(test.value, pred),
    }
    if data.scale is not None:
        truth, guess = data.to_original(test.value), data.to_original(pred)
        out["rmse_orig"] = metrics.rmse(truth, guess)
        out["mae_orig"] = metrics.mae(truth, guess)
    out["auc"] = metrics.auc(data.positive(test.value), scores)
    out["pair_acc"] = metrics.pair_accuracy(test.user, test.value, scores)
    return out


def score_test(recommender: Recommender, test: Interactions) -> FloatArray:
    """The recommender's score of every test row (one call per user)."""
    return score_pairs(recommender, test)


@dataclass(frozen=True)
class RankingTask:
    """What full ranking on one split needs, computed once and shared by every model."""

    catalog: Catalog
    seen: UserItems
    """The users to rank (those with a relevant test item) and their train items."""
    rel_rows: IntArray
    rel_items: IntArray
    n_relevant: IntArray
    cold: np.ndarray
    """Per ranked user: absent from train (scored all the same, as in a deployment)."""
    percentile: FloatArray
    unreachable: float

    @classmethod
    def build(cls, data: Dataset, train: Interactions, test: Interactions, *, scope: str = "train") -> RankingTask:
        """``scope="all"`` ranks the test's new items too (see :class:`EvalConfig`)."""
        catalog = Catalog.from_train(train, test if scope == "all" else None)
        pos = data.positive(test.value)
        t_user, t_item = test.user[pos], test.post[pos]
        t_index = catalog.index(t_item)
        # drop test positives the user already had in train: the feed excludes those
        train_idx = catalog.index(train.post)
        width = len(catalog) + 1
        train_users = np.unique(train.user)
        u_pos = np.searchsorted(train_users, t_user)
        u_known = (u_pos < len(train_users)) & (train_users[np.minimum(u_pos, len(train_users) - 1)] == t_user)
        seen_codes = np.unique(np.searchsorted(train_users, train.user) * width + train_idx)
        t_codes = np.where(u_known & (t_index >= 0), u_pos * width + t_index, -1)
        already = np.isin(t_codes, seen_codes) & (t_codes >= 0)
        t_user, t_item, t_index = t_user[~already], t_item[~already], t_index[~already]
        # one relevant entry per (user, item)
        _, first = np.unique(np.stack([t_user, t_item]), axis=1, return_index=True)
        t_user, t_index = t_user[first], t_index[first]
        users = np.unique(t_user)
        rows = np.searchsorted(users, t_user)
        n_rel = np.bincount(rows, minlength=len(users)).astype(np.int64)
        return cls(
            catalog=catalog,
            seen=UserItems.build(users, train.user, train_idx),
            rel_rows=rows,
            rel_items=t_index,
            n_relevant=n_rel,
            cold=~np.isin(users, train_users),
            percentile=metrics.popularity_percentile(catalog.counts),
            unreachable=float((t_index < 0).mean()) if len(t_index) else 0.0,
        )

    @property
    def n_users(self) -> int:
        return len(self.seen.users)

    def measure(self, top: IntArray, k: int) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        """Top-K metrics of the lists ``top`` (one row per ranked user), overall and for
        warm and cold users apart."""
        hits = metrics.hits_at_k(top, self.rel_rows, self.rel_items)
        ndcg = metrics.ndcg_at_k(hits, self.n_relevant, per_user=True)
        recall = metrics.recall_at_k(hits, self.n_relevant, per_user=True)
        hit = metrics.hit_rate_at_k(hits, self.n_relevant, per_user=True)
        overall = {
            f"ndcg@{k}": _mean(ndcg),
            f"recall@{k}": _mean(recall),
            f"hit@{k}": _mean(hit),
            f"coverage@{k}": metrics.catalog_coverage(top, len(self.catalog)),
            f"pop_bias@{k}": metrics.popularity_bias(top, self.percentile),
        }
        segments = {}
        for name, mask in (("warm", ~self.cold), ("cold", self.cold)):
            if mask.any():
                segments[name] = {
                    "users": int(mask.sum()),
                    f"ndcg@{k}": _mean(ndcg[mask]),
                    f"recall@{k}": _mean(recall[mask]),
                    f"hit@{k}": _mean(hit[mask]),
                }
        return overall, segments

    def describe(self) -> dict[str, float | int]:
        return {
            "ranked_users": self.n_users,
            "cold_users": int(self.cold.sum()),
            "catalog_items": len(self.catalog),
            "relevant_items": int(self.n_relevant.sum()),
            "unreachable_share": self.unreachable,
        }


def _mean(values: np.ndarray) -> float:
    valid = values[~np.isnan(values)]
    return float(valid.mean()) if len(valid) else float("nan")
