"""The rule that decides whether a challenger replaces the champion: pure functions over
the figures both scored on the same held-out ratings, so the rule can be tested (and read)
apart from the training loop that applies it (:mod:`oleg.engine.registry`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from oleg import metrics
from oleg.config.sections import PromotionSection
from oleg.types import FloatArray
from oleg.versions import DecisionOutcome

HIGHER_IS_BETTER = {"auc": True, "logloss": False, "rmse": False}


@dataclass(frozen=True, slots=True)
class Figures:
    """A model's figures on held-out ratings."""

    auc: float
    logloss: float
    rmse: float

    def get(self, metric: str) -> float:
        return float(getattr(self, metric))

    def as_dict(self) -> dict[str, float | None]:
        return {
            k: (None if math.isnan(v) else round(v, 6))
            for k, v in (("auc", self.auc), ("logloss", self.logloss), ("rmse", self.rmse))
        }


def figures(labels: FloatArray, scores: FloatArray) -> Figures:
    """AUC, log loss and RMSE of ``scores`` (clipped to 0..1 for the last two)."""
    return Figures(
        auc=metrics.auc(labels, scores),
        logloss=metrics.logloss(labels, scores),
        rmse=metrics.rmse(labels, np.clip(scores, 0, 1)),
    )


def chance(metric: str, labels: FloatArray) -> float:
    """The figure of a model that knows only the share of 👍: AUC 0.5, the base rate's log
    loss (its entropy), the labels' standard deviation as RMSE."""
    if metric == "auc":
        return 0.5
    rate = float(np.mean(labels)) if len(labels) else 0.5
    if metric == "logloss":
        return metrics.logloss(labels, np.full(len(labels), rate))
    return float(np.std(labels))


@dataclass(frozen=True, slots=True)
class Evidence:
    """One challenger against the champion on the same held-out ratings, for one metric:
    both figures, chance's, and how many standard errors the challenger stands above chance
    and above the champion (DeLong's for AUC; a paired test of the per-rating losses for
    log loss and RMSE)."""

    challenger: float
    champion: float
    chance: float
    z_above_chance: float
    z_above_champion: float
    champion_z_above_chance: float = math.inf
    """How far the champion itself stands above chance: where it does not, the held-out
    ratings cannot show any model above chance (a popularity model's held-out AUC often sits
    below 0.5, since it is judged on the posts it chose), and chance is no yardstick."""


def evidence(
    metric: str, labels: FloatArray, challenger: FloatArray, champion: FloatArray
) -> Evidence:
    if metric == "auc":
        aucs, cov = metrics.auc_delong(labels, challenger, champion)
        se_alone = math.sqrt(max(cov[0, 0], 0.0)) if not np.isnan(cov[0, 0]) else float("nan")
        se_diff = (
            math.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0))
            if not np.isnan(cov[0, 0])
            else float("nan")
        )
        return Evidence(
            float(aucs[0]),
            float(aucs[1]),
            0.5,
            _z(aucs[0] - 0.5, se_alone),
            _z(aucs[0] - aucs[1], se_diff),
            _z(
                aucs[1] - 0.5,
                math.sqrt(max(cov[1, 1], 0.0)) if not np.isnan(cov[1, 1]) else float("nan"),
            ),
        )
    level = chance(metric, labels)
    mine, theirs = _losses(metric, labels, challenger), _losses(metric, labels, champion)
    base = _losses(
        metric, labels, np.full(len(labels), float(np.mean(labels)) if len(labels) else 0.5)
    )
    figure = (
        (lambda x: float(np.sqrt(np.mean(x))))
        if metric == "rmse"
        else (lambda x: float(np.mean(x)))
    )
    return Evidence(
        figure(mine),
        figure(theirs),
        level,
        _paired_z(base, mine),
        _paired_z(theirs, mine),
        _paired_z(base, theirs),
    )


def _losses(metric: str, labels: FloatArray, scores: FloatArray) -> np.ndarray:
    p = np.clip(np.asarray(scores, dtype=np.float64), 1e-6, 1 - 1e-6)
    y = np.asarray(labels, dtype=np.float64)
    if metric == "logloss":
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return (y - np.clip(p, 0, 1)) ** 2


def _paired_z(worse: np.ndarray, better: np.ndarray) -> float:
    """How many standard errors ``better``'s mean loss lies below ``worse``'s."""
    diff = worse - better
    if len(diff) < 2:
        return float("nan")
    return _z(float(diff.mean()), float(diff.std(ddof=1)) / math.sqrt(len(diff)))


def _z(gain: float, se: float) -> float:
    if math.isnan(gain) or math.isnan(se):
        return float("nan")
    if se == 0:
        return math.inf if gain > 0 else (-math.inf if gain < 0 else 0.0)
    return gain / se


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: DecisionOutcome
    reason: str


def judge(rule: PromotionSection, e: Evidence, *, same_line: bool) -> Verdict | None:
    """Promote, reject or call collapsed; ``None`` when a figure is undefined (the held-out
    ratings hold one class: AUC has no value yet).

    In order: worse than chance (while the champion is not), or worse than the champion by
    more than ``max_drop``: collapsed. Not above chance beyond noise (``confidence``, where
    the champion is): rejected. A gain below
    ``min_absolute_change`` or ``min_relative_change``: rejected. A challenger from another
    line than the champion's must also beat it beyond noise; a newer version of the
    champion's own line needs only the gain (it is the same model, fresher).
    """
    if math.isnan(e.challenger) or math.isnan(e.champion):
        return None
    higher = HIGHER_IS_BETTER[rule.metric]
    name = rule.metric.upper() if rule.metric == "auc" else rule.metric
    gain = e.challenger - e.champion if higher else e.champion - e.challenger
    z_needed = NormalDist().inv_cdf(rule.confidence)
    below_chance = (lambda x: x < e.chance) if higher else (lambda x: x > e.chance)
    if below_chance(e.challenger) and not below_chance(e.champion):
        return Verdict(
            DecisionOutcome.COLLAPSED,
            f"collapsed: {name} {e.challenger:.4f} is worse than chance ({e.chance:.4f})",
        )
    if -gain > rule.max_drop:
        return Verdict(
            DecisionOutcome.COLLAPSED,
            f"collapsed: {name} {e.challenger:.4f} against the champion's {e.champion:.4f}, a "
            f"drop beyond max_drop {rule.max_drop:g}",
        )
    if not e.z_above_chance >= z_needed and e.champion_z_above_chance >= z_needed:
        return Verdict(
            DecisionOutcome.REJECTED,
            f"not above chance beyond noise: {name} {e.challenger:.4f}, {e.z_above_chance:.1f} "
            f"standard errors from chance's {e.chance:.4f} (needed {z_needed:.1f})",
        )
    thresholds = [
        t
        for t in (
            rule.min_absolute_change,
            None
            if rule.min_relative_change is None
            else rule.min_relative_change * abs(e.champion),
        )
        if t is not None
    ]
    needed = max(thresholds) if thresholds else 0.0
    comparison = f"{name} {e.challenger:.4f} against the champion's {e.champion:.4f} ({gain:+.4f}"
    if gain < needed:
        return Verdict(DecisionOutcome.REJECTED, f"not better: {comparison}, needed {needed:+.4f})")
    if not same_line and not e.z_above_champion >= z_needed:
        return Verdict(
            DecisionOutcome.REJECTED,
            f"not better beyond noise: {comparison}, {e.z_above_champion:.1f} standard errors; "
            f"another line needs {z_needed:.1f})",
        )
    return Verdict(DecisionOutcome.PROMOTED, f"better: {comparison}, needed {needed:+.4f})")
