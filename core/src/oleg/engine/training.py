"""Training rounds: incremental on the feedback that arrived since the last round, from
scratch every N rounds; each round recorded as a model version.

Every version carries a *prequential* measurement: before the model learns from a batch,
it is scored on that batch, so the figure is honest (the model has never seen those
ratings) and costs no held-out data.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from oleg.components import Recommender
from oleg.scoring import evaluate
from oleg.types import Interactions
from oleg.versions import ModelKind, ModelStatus, ModelVersion

if TYPE_CHECKING:
    from oleg.hooks import Hooks
    from oleg.store import Store

log = logging.getLogger(__name__)

STATE_KEY = "train.state"


class Trainer:
    """Keeps the served model current and records each version in the store."""

    def __init__(
        self,
        recommender: Recommender,
        plugin: str,
        store: Store,
        hooks: Hooks,
        full_retrain_every: int,
    ) -> None:
        self.recommender = recommender
        self.plugin = plugin
        self.store = store
        self.hooks = hooks
        self.full_every = max(1, full_retrain_every)
        state = store.get_state(STATE_KEY, {})
        self.cursor: int = state.get("cursor", 0)
        self.rounds: int = state.get("rounds", 0)
        self.history = Interactions.empty()
        """Every rating trained on, in memory: a full retrain does not re-read the store."""
        self.version_id: int | None = None
        self.fitted = False
        self.n_total = 0

    def retrain(self, now: datetime) -> ModelVersion | None:
        """Fit from scratch on everything the store holds (after a restart, or on demand)."""
        data, last = self.store.feedback(after_id=0)
        if len(data) == 0:
            return None
        self.history = data
        return self._train(data, kind=ModelKind.FULL, now=now, last_id=last, prequential=None)

    def step(self, now: datetime) -> ModelVersion | None:
        """One training round, if there is new feedback; returns the version recorded."""
        new, last = self.store.feedback(after_id=self.cursor)
        if len(new) == 0:
            return None
        prequential = evaluate(self.recommender, new) if self.fitted else None
        self.rounds += 1
        self.history = self.history.concat(new)
        if not self.fitted or self.rounds % self.full_every == 0:
            return self._train(self.history, kind=ModelKind.FULL, now=now, last_id=last, prequential=prequential)
        return self._train(new, kind=ModelKind.INCREMENTAL, now=now, last_id=last, prequential=prequential)

    def _train(
        self,
        data: Interactions,
        *,
        kind: ModelKind,
        now: datetime,
        last_id: int,
        prequential: dict[str, float] | None,
    ) -> ModelVersion:
        started = time.perf_counter()
        if kind is ModelKind.FULL:
            self.recommender.fit(data)
        else:
            self.recommender.partial_fit(data)
        seconds = time.perf_counter() - started
        self.fitted = True
        self.n_total = len(data) if kind is ModelKind.FULL else self.n_total + len(data)
        self.cursor = last_id
        self.store.set_state(STATE_KEY, {"cursor": self.cursor, "rounds": self.rounds})
        metrics_: dict[str, Any] = {"train_seconds": round(seconds, 6), "n_batch": len(data)}
        if kind is ModelKind.FULL and self.recommender.fit_info:
            metrics_["fit"] = dict(self.recommender.fit_info)  # epochs, early stop...
        if prequential is not None:
            metrics_["prequential"] = prequential
        version = self.store.add_model_version(
            plugin=self.plugin,
            kind=kind,
            params=self.recommender.params(),
            metrics=_jsonable(metrics_),
            n_feedback=self.n_total,
            status=ModelStatus.CANDIDATE,
            at=now,
        )
        self.hooks.model_trained(version)
        # Every version is served at once: a champion/challenger gate belongs here.
        self.store.set_model_status(version.id, ModelStatus.CHAMPION)
        version = replace(version, status=ModelStatus.CHAMPION)
        self.version_id = version.id
        self.hooks.model_promoted(version)
        log.info(
            "trained %s version %s (%s) on %d ratings in %.3f s",
            self.plugin, version.id, kind, len(data), seconds,
        )
        return version


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
