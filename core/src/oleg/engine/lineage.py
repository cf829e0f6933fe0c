"""A line of model versions: one configured recommender (``[recommender]`` or a
``[[challenger]]``), its live model, and how it learns the ratings that arrived after its
latest version's cutoff: incrementally, and from scratch every ``full_retrain_every``
versions. Each version is saved to a file and recorded as a candidate."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from oleg.components import Recommender
from oleg.config.loader import ComponentConfig
from oleg.engine.feedback_log import FeedbackLog
from oleg.engine.model_files import ModelFiles
from oleg.scoring import evaluate
from oleg.store import Store
from oleg.versions import ModelKind, ModelStatus, ModelVersion

log = logging.getLogger(__name__)


@dataclass
class Lineage:
    config: ComponentConfig[Recommender]
    model: Recommender
    main: bool
    """``[recommender]``'s line: its first version serves when there is no champion yet."""
    latest: ModelVersion | None = None
    since_full: int = 0
    """Incremental versions since the last full fit."""

    @property
    def name(self) -> str:
        return self.config.label

    @property
    def cutoff(self) -> int:
        return self.latest.cutoff_id if self.latest is not None else 0

    @property
    def weak_cutoff(self) -> int:
        return self.latest.weak_cutoff_id if self.latest is not None else 0

    @property
    def awaiting(self) -> bool:
        """Its latest version waits to be judged: it learns nothing until then, so the
        model judged is exactly the one that would serve."""
        return self.latest is not None and self.latest.status is ModelStatus.CANDIDATE

    def learn(
        self,
        ratings: FeedbackLog,
        *,
        now: datetime,
        full_every: int,
        store: Store,
        files: ModelFiles,
        prequential: dict[str, float] | None = None,
    ) -> ModelVersion:
        """Learn what arrived after the cutoff (everything, for a full fit), record the
        version as a candidate and save its model file. ``prequential``: the current
        model's figures on that batch when the caller has them (the registry's judgment),
        else they are measured here."""
        full = self.latest is None or self.since_full + 1 >= full_every
        if prequential is None and self.latest is not None:
            prequential = evaluate(self.model, ratings.after(self.cutoff))  # real ratings only
        data = ratings.training() if full else ratings.training(self.cutoff, self.weak_cutoff)
        started = time.perf_counter()
        if full:
            self.model.fit(data)
        else:
            self.model.partial_fit(data)
        seconds = time.perf_counter() - started
        self.since_full = 0 if full else self.since_full + 1
        metrics: dict[str, Any] = {"train_seconds": round(seconds, 6), "n_batch": len(data)}
        unanswered = len(ratings.unanswered_after(0 if full else self.weak_cutoff))
        if unanswered:  # posts shown and never answered among them, as weak 👎
            metrics["n_unanswered"] = unanswered
        if full and self.model.fit_info:
            metrics["fit"] = dict(self.model.fit_info)  # epochs, early stop...
        if prequential is not None:
            metrics["prequential"] = prequential
        first = _when(data.time.min()) if len(data) else None
        version = store.add_model_version(
            plugin=self.config.plugin,
            kind=ModelKind.FULL if full else ModelKind.INCREMENTAL,
            params=self.model.params(),
            metrics=_jsonable(metrics),
            n_feedback=len(data)
            if full or self.latest is None
            else self.latest.n_feedback + len(data),
            status=ModelStatus.CANDIDATE,
            at=now,
            lineage=self.name,
            cutoff_id=ratings.last_id,
            weak_cutoff_id=ratings.last_unanswered_id,
            trained_from=first
            if full or self.latest is None
            else (self.latest.trained_from or first),
            trained_to=_when(data.time.max()) if len(data) else None,
        )
        relative = files.save(self.model, version.id, self.name)
        store.update_model_version(version.id, file=relative)
        version = replace(version, file=relative)
        log.info(
            "trained %s version %s (%s) on %d ratings in %.3f s",
            self.name,
            version.id,
            version.kind,
            len(data),
            seconds,
        )
        self.latest = version
        return version


def _when(epoch: Any) -> datetime:
    return datetime.fromtimestamp(int(epoch), UTC)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
