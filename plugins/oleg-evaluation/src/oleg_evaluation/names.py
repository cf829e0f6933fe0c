"""How metrics are named in reports and which way is better: one place for the table,
the markdown page and the plots."""

from __future__ import annotations

import re

_FIXED = {
    "rmse": ("RMSE", "low"),
    "mae": ("MAE", "low"),
    "rmse_orig": ("RMSE (scale)", "low"),
    "mae_orig": ("MAE (scale)", "low"),
    "auc": ("AUC", "high"),
    "pair_acc": ("PairAcc", "high"),
    "fit_s": ("fit s", "low"),
    "eval_s": ("eval s", "low"),
}
_AT_K = {
    "ndcg": ("NDCG", "high"),
    "recall": ("Recall", "high"),
    "hit": ("HitRate", "high"),
    "coverage": ("Coverage", "high"),
    "pop_bias": ("PopBias", None),
}


OWN = "own_"
"""Prefix of the metrics of each user's own test items ranked (``own_ndcg@10``)."""


def title(metric: str, scale: tuple[float, float] | None = None) -> str:
    """Display name: ``ndcg@10`` -> ``NDCG@10``; ``rmse_orig`` shows the rating scale;
    ``own_ndcg@10`` -> ``NDCG@10 (own)``."""
    if metric.startswith(OWN):
        return f"{title(metric[len(OWN):], scale)} (own)"
    if metric in _FIXED:
        text = _FIXED[metric][0]
        if scale is not None and "(scale)" in text:
            text = text.replace("(scale)", f"({scale[0]:g}-{scale[1]:g})")
        return text
    base, _, k = metric.partition("@")
    return f"{_AT_K[base][0]}@{k}" if base in _AT_K else metric


def better(metric: str) -> str | None:
    """``"high"``, ``"low"`` or ``None`` (no better direction, e.g. popularity bias)."""
    metric = metric.removeprefix(OWN)
    if metric in _FIXED:
        return _FIXED[metric][1]
    base = metric.partition("@")[0]
    return _AT_K[base][1] if base in _AT_K else None


def slug(text: str) -> str:
    """A file-name-safe form of a metric or recommender label."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


DEFINITIONS = [
    "RMSE, MAE: of the score clipped to 0..1 against the rating on 0..1; (scale): the same on the data's own rating scale.",
    "AUC: positives (rating at or above the threshold, or 👍) against the rest, over all test rows.",
    "PairAcc: share of correctly ordered pairs of a user's test ratings with different values, all users pooled.",
    "NDCG, Recall, HitRate @K: full ranking over every train item, the user's train items excluded; "
    "relevant = the user's positive test items not already in train.",
    "(own): each user's own test items ranked among themselves (random-exposure test sets); "
    "relevant = positive; users with a single test item or no positive left out.",
    "Coverage@K: share of catalogue items in at least one top-K list. "
    "PopBias@K: mean train-popularity percentile of recommended items (0.5 = none, 1 = most popular only).",
]
