"""Metrics of predicted scores against observed 👍/👎; numpy only."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Area under the ROC curve (ties count half); NaN when only one class is present."""
    y = np.asarray(labels, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    n_pos = float((y > 0.5).sum())
    n_neg = float(len(y) - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y > 0.5].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def auc_delong(labels: npt.ArrayLike, *scores: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The AUCs of several models on the same ratings and DeLong's covariance of them (DeLong,
    DeLong & Clarke-Pearson 1988, by placements as Sun & Xu 2014): ``var(a - b) = cov[a, a] +
    cov[b, b] - 2 cov[a, b]`` tells whether one model beats another beyond noise. NaNs when
    only one class is present."""
    y = np.asarray(labels, dtype=np.float64) > 0.5
    k = len(scores)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos < 2 or n_neg < 2:
        return np.full(k, np.nan), np.full((k, k), np.nan)
    v10 = np.empty((k, n_pos))
    v01 = np.empty((k, n_neg))
    for i, s in enumerate(scores):
        s = np.asarray(s, dtype=np.float64)
        pos, neg = s[y], s[~y]
        neg_sorted, pos_sorted = np.sort(neg), np.sort(pos)
        # each positive's share of negatives below it (ties half), and each negative's of
        # positives above it
        below = np.searchsorted(neg_sorted, pos, "left") + np.searchsorted(neg_sorted, pos, "right")
        above = np.searchsorted(pos_sorted, neg, "left") + np.searchsorted(pos_sorted, neg, "right")
        v10[i] = below / (2 * n_neg)
        v01[i] = 1 - above / (2 * n_pos)
    aucs = v10.mean(axis=1)
    cov = np.atleast_2d(np.cov(v10)) / n_pos + np.atleast_2d(np.cov(v01)) / n_neg
    return aucs, cov


def roc_curve(labels: npt.ArrayLike, scores: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive rates at every distinct threshold, from (0, 0) to (1, 1);
    tied scores move together. Raises ``ValueError`` when only one class is present."""
    y = np.asarray(labels, dtype=np.float64) > 0.5
    s = np.asarray(scores, dtype=np.float64)
    if len(y) != len(s):
        raise ValueError(f"{len(s)} scores for {len(y)} labels")
    if y.all() or not y.any():
        raise ValueError("the ratings hold only one class; no ROC curve")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tp = np.cumsum(y)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    return np.r_[0.0, fp / (~y).sum()], np.r_[0.0, tp / y.sum()]


def roc_points(labels: npt.ArrayLike, scores: npt.ArrayLike, n: int = 41) -> dict[str, list[float]]:
    """The ROC curve at ``n`` evenly spaced false positive rates (the highest true positive
    rate reached at each): small enough to keep with a decision, fine enough to draw.
    Empty lists when only one class is present."""
    try:
        fpr, tpr = roc_curve(labels, scores)
    except ValueError:
        return {"fpr": [], "tpr": []}
    grid = np.linspace(0.0, 1.0, n)
    at = np.searchsorted(fpr, grid, side="right") - 1
    return {"fpr": [round(float(x), 4) for x in grid], "tpr": [round(float(tpr[i]), 4) for i in at]}


def logloss(labels: npt.ArrayLike, probs: npt.ArrayLike, eps: float = 1e-6) -> float:
    y = np.asarray(labels, dtype=np.float64)
    p = np.clip(np.asarray(probs, dtype=np.float64), eps, 1 - eps)
    if len(y) == 0:
        return float("nan")
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def rmse(labels: npt.ArrayLike, preds: npt.ArrayLike) -> float:
    y = np.asarray(labels, dtype=np.float64)
    if len(y) == 0:
        return float("nan")
    return float(np.sqrt(np.mean((y - np.asarray(preds, dtype=np.float64)) ** 2)))


def mae(labels: npt.ArrayLike, preds: npt.ArrayLike) -> float:
    y = np.asarray(labels, dtype=np.float64)
    if len(y) == 0:
        return float("nan")
    return float(np.mean(np.abs(y - np.asarray(preds, dtype=np.float64))))


# -- pairs within groups ---------------------------------------------------------------


def _grouped_midranks(groups: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score within its group, ties sharing their average rank."""
    n = len(scores)
    order = np.lexsort((scores, groups))
    g, s = groups[order], scores[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = g[1:] != g[:-1]
    new_run = new_group.copy()
    new_run[1:] |= s[1:] != s[:-1]
    position = np.arange(n, dtype=np.float64)
    group_start = np.maximum.accumulate(np.where(new_group, position, 0.0))
    run_id = np.cumsum(new_run) - 1
    run_first = position[new_run]
    run_last = np.append(run_first[1:] - 1, n - 1)
    rank_sorted = (run_first + run_last)[run_id] / 2.0 - group_start + 1.0
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = rank_sorted
    return ranks


def pair_counts(
    groups: npt.ArrayLike, labels: npt.ArrayLike, scores: npt.ArrayLike
) -> tuple[float, float]:
    """(correctly ordered, total) pairs of rows in the same group with different labels.

    A pair is correctly ordered when the row with the higher label has the higher score;
    a tie in score counts half. Labels may have any number of levels (star ratings): for
    each level, its rows against the rows of lower levels are counted with the
    Mann-Whitney rank sum, per group at once, so no pair is ever materialised.
    """
    g = np.asarray(groups, dtype=np.int64)
    y = np.asarray(labels, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    correct = total = 0.0
    levels = np.unique(y)
    for level in levels[1:]:
        keep = y <= level
        gk, sk, pos = g[keep], s[keep], y[keep] == level
        ranks = _grouped_midranks(gk, sk)
        uniq, inverse = np.unique(gk, return_inverse=True)
        n_pos = np.bincount(inverse, weights=pos, minlength=len(uniq))
        n_all = np.bincount(inverse, minlength=len(uniq)).astype(np.float64)
        rank_sum = np.bincount(inverse, weights=np.where(pos, ranks, 0.0), minlength=len(uniq))
        correct += float((rank_sum - n_pos * (n_pos + 1) / 2.0).sum())
        total += float((n_pos * (n_all - n_pos)).sum())
    return correct, total


def pair_accuracy(groups: npt.ArrayLike, labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Share of correctly ordered pairs of a user's rated posts with different feedback.

    ``groups`` is the user of each row. All pairs of all users are pooled (a user with
    more pairs weighs more), as ARGUS reports it; NaN when no user has two different labels.
    """
    correct, total = pair_counts(groups, labels, scores)
    return correct / total if total else float("nan")


# -- top-K lists from full ranking ------------------------------------------------------


def hits_at_k(top_items: npt.ArrayLike, rel_rows: npt.ArrayLike, rel_items: npt.ArrayLike) -> np.ndarray:
    """Whether each recommended item is relevant: a boolean array shaped like ``top_items``.

    ``top_items[u]`` is user ``u``'s list, best first, as non-negative item indices (-1 pads
    a short list). The relevant items are the pairs ``(rel_rows[i], rel_items[i])``; an item
    index < 0 there (an item outside the catalogue) is never hit.
    """
    top = np.asarray(top_items, dtype=np.int64)
    rows = np.asarray(rel_rows, dtype=np.int64)
    items = np.asarray(rel_items, dtype=np.int64)
    if top.size == 0:
        return np.zeros(top.shape, dtype=bool)
    base = int(max(top.max(initial=0), items.max(initial=0))) + 2
    top_codes = np.arange(top.shape[0], dtype=np.int64)[:, None] * base + top
    rel_codes = rows[items >= 0] * base + items[items >= 0]
    return np.isin(top_codes, rel_codes) & (top >= 0)


def _per_user(values: np.ndarray, n_relevant: np.ndarray, per_user: bool) -> np.ndarray | float:
    values = np.where(n_relevant > 0, values, np.nan)
    if per_user:
        return values
    valid = values[~np.isnan(values)]
    return float(valid.mean()) if len(valid) else float("nan")


def ndcg_at_k(hits: npt.ArrayLike, n_relevant: npt.ArrayLike, *, per_user: bool = False) -> np.ndarray | float:
    """Normalised discounted cumulative gain of binary relevance, K = ``hits.shape[1]``.

    The ideal list puts ``min(n_relevant, K)`` relevant items first. Users without any
    relevant item get NaN and are left out of the mean.
    """
    h = np.asarray(hits, dtype=np.float64)
    n_rel = np.asarray(n_relevant, dtype=np.int64)
    k = h.shape[1]
    discounts = 1.0 / np.log2(np.arange(k) + 2.0)
    ideal = np.concatenate([[1.0], np.cumsum(discounts)])[1:]  # ideal DCG for 1..K relevant
    idcg = ideal[np.clip(n_rel, 1, k) - 1] if k else np.ones(len(n_rel))
    return _per_user((h @ discounts) / idcg, n_rel, per_user)


def recall_at_k(hits: npt.ArrayLike, n_relevant: npt.ArrayLike, *, per_user: bool = False) -> np.ndarray | float:
    """Share of a user's relevant items found in the top K (relevant items beyond K count)."""
    h = np.asarray(hits, dtype=bool)
    n_rel = np.asarray(n_relevant, dtype=np.int64)
    return _per_user(h.sum(axis=1) / np.maximum(n_rel, 1), n_rel, per_user)


def hit_rate_at_k(hits: npt.ArrayLike, n_relevant: npt.ArrayLike, *, per_user: bool = False) -> np.ndarray | float:
    """Share of users with at least one relevant item in their top K."""
    h = np.asarray(hits, dtype=bool)
    n_rel = np.asarray(n_relevant, dtype=np.int64)
    return _per_user(h.any(axis=1).astype(np.float64), n_rel, per_user)


def catalog_coverage(top_items: npt.ArrayLike, n_items: int) -> float:
    """Share of the catalogue's ``n_items`` items that appear in at least one top-K list."""
    top = np.asarray(top_items, dtype=np.int64)
    if n_items <= 0:
        return float("nan")
    return len(np.unique(top[top >= 0])) / n_items


def popularity_percentile(counts: npt.ArrayLike) -> np.ndarray:
    """Each item's popularity as a percentile of the catalogue: 0 the least, 1 the most
    popular, ties sharing their average; a uniform pick averages 0.5."""
    c = np.asarray(counts, dtype=np.float64)
    if len(c) <= 1:
        return np.full(len(c), 0.5)
    ranks = _grouped_midranks(np.zeros(len(c), dtype=np.int64), c)
    return (ranks - 1.0) / (len(c) - 1.0)


def popularity_bias(top_items: npt.ArrayLike, item_percentile: npt.ArrayLike) -> float:
    """Mean train-popularity percentile of the recommended items (0.5 = no bias)."""
    top = np.asarray(top_items, dtype=np.int64)
    chosen = top[top >= 0]
    if len(chosen) == 0:
        return float("nan")
    return float(np.asarray(item_percentile, dtype=np.float64)[chosen].mean())
