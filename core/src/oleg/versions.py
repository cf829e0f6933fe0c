"""Model versions: what the trainer records of each fit, as the store, hooks and commands
see it."""

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
    """Trained, not (yet) served."""
    CHAMPION = "champion"
    """Served: at most one version at a time."""
    RETIRED = "retired"
    """Served before, replaced by a newer champion."""
    REJECTED = "rejected"
    """Judged and not promoted."""


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One trained recommender: who made it, how, on how much feedback, and its figures.

    ``metrics`` holds ``train_seconds`` and ``n_batch``, the model's own ``fit`` report for
    full fits, and ``prequential`` (AUC, log loss, RMSE on the batch before learning it).
    """

    id: int
    plugin: str
    kind: ModelKind
    status: ModelStatus
    n_feedback: int
    created_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
