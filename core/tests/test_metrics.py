import numpy as np
from oleg import metrics


def test_auc_perfect_reversed_and_ties():
    y = np.array([0, 0, 1, 1])
    assert metrics.auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert metrics.auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert metrics.auc(y, [0.5, 0.5, 0.5, 0.5]) == 0.5


def test_auc_matches_pair_counting():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    s = rng.normal(size=200) + y * 0.7
    pos, neg = s[y == 1], s[y == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert abs(metrics.auc(y, s) - pairs) < 1e-12


def test_auc_one_class_is_nan():
    assert np.isnan(metrics.auc([1, 1], [0.2, 0.3]))


def test_logloss_rmse_mae():
    assert abs(metrics.logloss([1, 0], [0.5, 0.5]) - np.log(2)) < 1e-12
    assert metrics.rmse([1, 0], [1, 1]) == np.sqrt(0.5)
    assert metrics.mae([1, 0], [0.5, 0.5]) == 0.5
