"""The promotion rule on its own: figures, noise, collapse, and the rule's settings."""

from __future__ import annotations

import numpy as np
import pytest
from oleg.config.sections import PromotionSection
from oleg.metrics import auc, auc_delong, roc_points
from oleg.promotion import Evidence, evidence, judge
from oleg.versions import DecisionOutcome

RULE = PromotionSection()


def ratings(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(float)
    return rng, y


def test_delong_matches_the_auc_and_a_bootstrap_of_the_difference():
    rng, y = ratings(600)
    a, b = y + rng.normal(0, 1, len(y)), y + rng.normal(0, 1.6, len(y))
    aucs, cov = auc_delong(y, a, b)
    assert aucs == pytest.approx([auc(y, a), auc(y, b)])
    diffs = []
    for _ in range(300):
        i = rng.integers(0, len(y), len(y))
        diffs.append(auc(y[i], a[i]) - auc(y[i], b[i]))
    assert np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]) == pytest.approx(np.std(diffs), rel=0.2)


def test_random_scores_are_never_promoted_over_a_real_model():
    outcomes = set()
    for seed in range(40):
        rng, y = ratings(150, seed)
        good = y + rng.normal(0, 1.2, len(y))
        e = evidence("auc", y, rng.random(len(y)), good)
        outcomes.add(judge(RULE, e, same_line=False).outcome)
    assert DecisionOutcome.PROMOTED not in outcomes and DecisionOutcome.COLLAPSED in outcomes


def test_another_line_must_beat_the_champion_beyond_noise_the_same_line_need_not():
    rng, y = ratings(200, 3)
    champion = y + rng.normal(0, 1.0, len(y))
    close = champion + rng.normal(0, 0.05, len(y)) + 0.02 * y  # a hair better
    e = evidence("auc", y, close, champion)
    assert 0 < e.challenger - e.champion < 0.02 and e.z_above_champion < 1.64
    assert judge(RULE, e, same_line=True).outcome is DecisionOutcome.PROMOTED
    other = judge(RULE, e, same_line=False)
    assert other.outcome is DecisionOutcome.REJECTED and "beyond noise" in other.reason
    much_better = evidence("auc", y, y + rng.normal(0, 0.3, len(y)), champion)
    assert judge(RULE, much_better, same_line=False).outcome is DecisionOutcome.PROMOTED


def test_the_thresholds_and_the_collapse_bound():
    e = Evidence(challenger=0.70, champion=0.69, chance=0.5, z_above_chance=5, z_above_champion=3)
    assert judge(RULE, e, same_line=False).outcome is DecisionOutcome.PROMOTED
    strict = PromotionSection(min_absolute_change=0.02)
    assert "needed +0.0200" in judge(strict, e, same_line=True).reason
    relative = PromotionSection(min_relative_change=0.05)  # 5% of 0.69
    assert judge(relative, e, same_line=True).outcome is DecisionOutcome.REJECTED
    tolerant = PromotionSection(min_absolute_change=-0.02)
    worse = Evidence(0.68, 0.69, 0.5, 5, -1)
    assert judge(tolerant, worse, same_line=True).outcome is DecisionOutcome.PROMOTED
    dropped = Evidence(0.55, 0.70, 0.5, 2, -4)
    verdict = judge(RULE, dropped, same_line=True)
    assert verdict.outcome is DecisionOutcome.COLLAPSED and "max_drop 0.1" in verdict.reason
    below = judge(RULE, Evidence(0.48, 0.7, 0.5, -0.5, -5), same_line=False)
    assert below.outcome is DecisionOutcome.COLLAPSED and "worse than chance" in below.reason
    assert judge(RULE, Evidence(float("nan"), 0.7, 0.5, 0, 0), same_line=False) is None


def test_logloss_is_lower_is_better_and_chance_is_the_base_rate():
    rng, y = ratings(500, 1)
    calibrated = np.clip(0.4 + 0.4 * (y - 0.4) + rng.normal(0, 0.05, len(y)), 0.01, 0.99)
    constant = np.full(len(y), 0.9)  # worse than predicting the base rate
    rule = PromotionSection(metric="logloss")
    good = evidence("logloss", y, calibrated, constant)
    assert good.challenger < good.chance < good.champion and good.z_above_champion > 3
    assert judge(rule, good, same_line=False).outcome is DecisionOutcome.PROMOTED
    bad = evidence("logloss", y, constant, calibrated)
    assert judge(rule, bad, same_line=False).outcome is DecisionOutcome.COLLAPSED


def test_roc_points_are_a_fixed_grid_and_monotone():
    rng, y = ratings(300, 2)
    points = roc_points(y, y + rng.normal(0, 1, len(y)))
    assert len(points["fpr"]) == len(points["tpr"]) == 41
    assert points["fpr"][0] == 0 and points["tpr"][-1] == 1
    assert all(a <= b for a, b in zip(points["tpr"], points["tpr"][1:], strict=False))
    assert roc_points(np.ones(5), np.arange(5)) == {"fpr": [], "tpr": []}


def test_chance_is_no_yardstick_where_the_champion_itself_is_not_above_it():
    """A popularity model judged on the posts it chose often scores below 0.5 held out: its
    newer versions are compared with it, not called collapsed against chance."""
    both_below = Evidence(0.46, 0.45, 0.5, -1.0, 0.5, champion_z_above_chance=-1.2)
    assert judge(RULE, both_below, same_line=True).outcome is DecisionOutcome.PROMOTED
    assert judge(RULE, both_below, same_line=False).outcome is DecisionOutcome.REJECTED  # noise
    weak_champion = Evidence(0.53, 0.52, 0.5, 0.8, 0.4, champion_z_above_chance=0.7)
    assert judge(RULE, weak_champion, same_line=True).outcome is DecisionOutcome.PROMOTED
    strong_champion = Evidence(0.53, 0.52, 0.5, 0.8, 0.4, champion_z_above_chance=6.0)
    assert "not above chance" in judge(RULE, strong_champion, same_line=True).reason
    below_a_good_one = Evidence(0.48, 0.7, 0.5, -0.4, -5, champion_z_above_chance=6.0)
    assert judge(RULE, below_a_good_one, same_line=False).outcome is DecisionOutcome.COLLAPSED
