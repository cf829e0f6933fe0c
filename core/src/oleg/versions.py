"""Model versions and the registry's decisions about them, as the store, hooks and commands
see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ModelKind(StrEnum):
    FULL = "full"
    """Fitted from scratch on all feedback."""
    INCREMENTAL = "incremental"
    """Updated with the feedback that arrived since the previous version."""


class ModelStatus(StrEnum):
    CANDIDATE = "candidate"
    """Trained, waiting to be judged against the champion (a challenger)."""
    CHAMPION = "champion"
    """Served: at most one version at a time."""
    RETIRED = "retired"
    """Served before, replaced by a newer champion (a rollback can bring it back)."""
    REJECTED = "rejected"
    """Judged and not promoted (or rolled back)."""


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One trained recommender: which line of models it belongs to, what it was trained on,
    where its file is, and its figures.

    ``metrics`` holds ``train_seconds`` and ``n_batch``, the model's own ``fit`` report for
    full fits, ``prequential`` (AUC, log loss, RMSE of the line's previous version on the
    batch this one learned, scored before learning it) and, once judged, ``holdout`` (its
    figures on the held-out ratings it was judged on).
    """

    id: int
    plugin: str
    kind: ModelKind
    status: ModelStatus
    n_feedback: int
    created_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    lineage: str = ""
    """The configured recommender it comes from: ``[recommender]``'s plugin name, or a
    ``[[challenger]]``'s ``name`` (its plugin name by default)."""
    cutoff_id: int = 0
    """The last feedback id it was trained on: ratings after it are held out from it."""
    weak_cutoff_id: int = 0
    """The last delivery id it learned as an unanswered post (``[engine.unanswered]``)."""
    trained_from: datetime | None = None
    trained_to: datetime | None = None
    """The time span of the ratings it was trained on."""
    file: str | None = None
    """Its saved model, relative to the deployment's data folder; ``None`` once pruned."""


class DecisionOutcome(StrEnum):
    PROMOTED = "promoted"
    """Better than the champion by the rule: it serves now."""
    REJECTED = "rejected"
    """Not better than the champion by the rule (or another challenger was better)."""
    COLLAPSED = "collapsed"
    """Its figure fell below chance or dropped beyond the allowed bound: never served."""
    FIRST = "first"
    """There was no champion yet."""
    MANUAL = "manual"
    """Promoted by hand (``oleg models promote``)."""
    ROLLBACK = "rollback"
    """The previous champion brought back by hand (``oleg models rollback``)."""
    RESTORED = "restored"
    """A restart could not load the recorded champion's file and served a refit instead."""


@dataclass(frozen=True, slots=True)
class ModelDecision:
    """One judgment of a challenger against the champion, with both figures and why."""

    id: int
    at: datetime
    version_id: int
    """The challenger judged (or the version promoted by hand)."""
    champion_id: int | None
    """The champion it was measured against (the one replaced, when promoted)."""
    outcome: DecisionOutcome
    reason: str
    metric: str = ""
    challenger_value: float | None = None
    champion_value: float | None = None
    n_ratings: int = 0
    """Held-out ratings both were scored on (ratings neither was trained on)."""
    first_feedback_id: int | None = None
    last_feedback_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """Every figure of both (``challenger``/``champion``: AUC, log loss, RMSE...), ``chance``,
    and ``roc`` (a few dozen points of each ROC curve) for reports to draw."""

    @property
    def served(self) -> bool:
        """Whether the decision made its version the champion."""
        return self.outcome in SERVING_OUTCOMES


SERVING_OUTCOMES = frozenset(
    {DecisionOutcome.PROMOTED, DecisionOutcome.FIRST, DecisionOutcome.MANUAL,
     DecisionOutcome.ROLLBACK, DecisionOutcome.RESTORED}
)
