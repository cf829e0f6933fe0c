"""Every metric against a brute-force value computed by an explicit loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from oleg import metrics


def _lists(seed: int, n_users: int = 40, n_items: int = 30, k: int = 7):
    rng = np.random.default_rng(seed)
    top = np.array([rng.permutation(n_items)[:k] for _ in range(n_users)])
    top[rng.random(top.shape) < 0.05] = -1  # some padding
    relevant = [set(rng.choice(n_items, size=rng.integers(0, 6), replace=False).tolist()) for _ in range(n_users)]
    rows = np.array([u for u, rel in enumerate(relevant) for _ in rel], dtype=np.int64)
    items = np.array([i for rel in relevant for i in rel], dtype=np.int64)
    return top, relevant, rows, items


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ranking_metrics_match_loops(seed):
    top, relevant, rows, items = _lists(seed)
    hits = metrics.hits_at_k(top, rows, items)
    n_rel = np.array([len(r) for r in relevant])
    ndcg, recall, hit = [], [], []
    for u, rel in enumerate(relevant):
        assert hits[u].tolist() == [int(i) in rel for i in top[u]]
        if not rel:
            continue
        dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(top[u]) if i in rel)
        idcg = sum(1 / math.log2(r + 2) for r in range(min(len(rel), top.shape[1])))
        ndcg.append(dcg / idcg)
        found = sum(1 for i in top[u] if i in rel)
        recall.append(found / len(rel))
        hit.append(float(found > 0))
    assert metrics.ndcg_at_k(hits, n_rel) == pytest.approx(np.mean(ndcg), abs=1e-12)
    assert metrics.recall_at_k(hits, n_rel) == pytest.approx(np.mean(recall), abs=1e-12)
    assert metrics.hit_rate_at_k(hits, n_rel) == pytest.approx(np.mean(hit), abs=1e-12)
    per_user = metrics.ndcg_at_k(hits, n_rel, per_user=True)
    assert np.isnan(per_user[n_rel == 0]).all()


def test_ndcg_by_hand():
    hits = np.array([[True, False, True]])
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert metrics.ndcg_at_k(hits, [2]) == pytest.approx(expected)
    assert metrics.ndcg_at_k([[False, True, False]], [5]) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3) + 0.5))
    assert metrics.recall_at_k(hits, [4]) == 0.5
    assert math.isnan(metrics.ndcg_at_k(np.zeros((1, 3), bool), [0]))


def _pairs_brute(groups, labels, scores):
    correct = total = 0.0
    n = len(groups)
    for i in range(n):
        for j in range(n):
            if groups[i] == groups[j] and labels[i] > labels[j]:
                total += 1
                correct += 1.0 if scores[i] > scores[j] else 0.5 if scores[i] == scores[j] else 0.0
    return correct / total


@pytest.mark.parametrize("levels", [2, 5])
def test_pair_accuracy_matches_pair_loop(levels):
    rng = np.random.default_rng(levels)
    groups = rng.integers(0, 8, 150)
    labels = rng.integers(0, levels, 150).astype(float)
    scores = np.round(rng.normal(size=150) + 0.3 * labels, 1)  # rounded: ties happen
    assert metrics.pair_accuracy(groups, labels, scores) == pytest.approx(_pairs_brute(groups, labels, scores), abs=1e-12)


def test_pair_accuracy_by_hand_and_degenerate():
    # user 1: three pairs, all right; user 2: four pairs, two right, two tied
    g = [1, 1, 1, 2, 2, 2, 2]
    y = [1, 0, 2, 0, 0, 1, 1]
    s = [0.5, 0.1, 0.9, 0.3, 0.3, 0.3, 0.8]
    assert metrics.pair_accuracy(g, y, s) == pytest.approx(6 / 7)
    assert math.isnan(metrics.pair_accuracy([1, 2], [1, 0], [0.1, 0.2]))  # no pair within a user


def test_coverage_and_popularity():
    top = np.array([[0, 1, -1], [1, 2, 3]])
    assert metrics.catalog_coverage(top, 8) == 0.5
    pct = metrics.popularity_percentile([10, 0, 5, 5])
    np.testing.assert_allclose(pct, [1.0, 0.0, 0.5, 0.5])
    assert metrics.popularity_bias(top, np.array([1.0, 0.0, 0.5, 0.5])) == pytest.approx((1 + 0 + 0 + 0.5 + 0.5) / 5)


def test_popularity_percentile_brute_force():
    rng = np.random.default_rng(4)
    counts = rng.integers(0, 6, 50)
    pct = metrics.popularity_percentile(counts)
    for i, c in enumerate(counts):
        less = (counts < c).sum()
        equal = (counts == c).sum() - 1
        assert pct[i] == pytest.approx((less + equal / 2) / (len(counts) - 1))
