"""The model registry at work: champion and challengers.

Every configured recommender (``[recommender]`` and each ``[[challenger]]``) is a line of
model versions (:class:`~oleg.engine.lineage.Lineage`); every version is a challenger
until it is judged against the champion on held-out ratings: those that arrived after both
were trained, scored by both before either learns them. The rule (``[promotion]``,
:mod:`oleg.promotion`) promotes, rejects, or calls a version collapsed (never served; the
deployer is told by a warning, the ``oleg_model_judged`` hook and the admins' ``/stats``).
Each decision is recorded with both figures, the reason and both ROC curves.

One training round (:meth:`ModelRegistry.step`):

1. the ratings stored since the last round join the :class:`FeedbackLog`;
2. once ``min_ratings`` ratings arrived after the champion's cutoff and after those of the
   lines whose latest version awaits judgment, those versions are scored on them beside
   the champion; the best that passes the rule is promoted, the others rejected;
3. each line whose latest version has been decided learns what arrived since its cutoff
   and records a new candidate, its model saved to a file.

The champion serves from its own copy, read back from its file (so what a restart serves is
what was served before it, without refitting), while its line goes on learning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from oleg.components import Recommender
from oleg.config.sections import PromotionSection, UnansweredSettings
from oleg.engine.feedback_log import FeedbackLog
from oleg.engine.lineage import Lineage
from oleg.engine.model_files import ModelFileError, ModelFiles
from oleg.hooks import Hooks
from oleg.metrics import roc_points
from oleg.promotion import (
    HIGHER_IS_BETTER,
    Evidence,
    Figures,
    Verdict,
    chance,
    evidence,
    figures,
    judge,
)
from oleg.runtime import Runtime
from oleg.scoring import score_pairs
from oleg.store import Store
from oleg.versions import DecisionOutcome, ModelDecision, ModelStatus, ModelVersion

log = logging.getLogger(__name__)

UNDEFINED_PATIENCE = 4
"""A figure undefined on this many times ``min_ratings`` held-out ratings (one class only)
rejects the versions waiting, so that their lines learn again."""


@dataclass(frozen=True)
class _Scored:
    lineage: Lineage
    scores: np.ndarray
    figures: Figures
    verdict: Verdict | None
    evidence: Evidence


class ModelRegistry:
    """Trains every line, judges its versions, and holds the model being served."""

    def __init__(
        self,
        lineages: Sequence[Lineage],
        *,
        store: Store,
        hooks: Hooks,
        files: ModelFiles,
        rule: PromotionSection,
        full_retrain_every: int,
        runtime_for: Callable[[str], Runtime],
        plugin_class: Callable[[str], type[Recommender]],
        unanswered: UnansweredSettings | None = None,
        inverse_propensity: bool = False,
    ) -> None:
        self.lineages = list(lineages)
        self.main = next(line for line in self.lineages if line.main)
        self.store = store
        self.hooks = hooks
        self.files = files
        self.rule = rule
        self.full_every = max(1, full_retrain_every)
        self.runtime_for = runtime_for
        self.plugin_class = plugin_class
        self.ratings = FeedbackLog(inverse_propensity=inverse_propensity, unanswered=unanswered)
        """Ratings, and posts shown and never answered as weak 👎 (never judged on)."""
        self.champion: ModelVersion | None = None
        self._champion_model: Recommender | None = None
        self._judged: dict[str, tuple[int | None, dict[str, float]]] = {}
        """Per line, the first held-out id and its version's figures on them, from this
        round's judgment: its next version's prequential figures when the held-out
        ratings are the batch it learns (no second scoring)."""
        self._started = False

    # -- what the engine asks --------------------------------------------------------

    @property
    def serving(self) -> Recommender:
        """The champion's model; the main line's live model while there is no champion
        (its scores before any fit: the recommender's contract says they work)."""
        return self._champion_model if self._champion_model is not None else self.main.model

    @property
    def serving_version_id(self) -> int | None:
        return self.champion.id if self.champion is not None else None

    def start(self) -> None:
        for line in self.lineages:
            line.model.start(self.runtime_for(line.name))
        self._started = True

    def close(self) -> None:
        models = [line.model for line in self.lineages]
        if self._champion_model is not None:
            models.append(self._champion_model)
        for model in models:
            try:
                model.close()
            except Exception:  # the others still close
                log.exception("closing %s failed", type(model).__name__)

    # -- restart ---------------------------------------------------------------------

    def restore(self, now: datetime) -> None:
        """After a (re)start: every line continues from its latest version's file and the
        champion serves from its own, without refitting; a line whose file is missing or
        whose settings changed is fitted again on the store's ratings."""
        self.ratings.catch_up(self.store, now)
        for line in self.lineages:
            latest = self.store.latest_version(line.name)
            line.since_full = int(
                self.store.get_state(self._state_key(line), {}).get("since_full", 0)
            )
            if latest is None:
                continue
            if latest.plugin != line.config.plugin or latest.params != line.model.params():
                log.info(
                    "%s: its settings changed since version %s; it is fitted again",
                    line.name,
                    latest.id,
                )
                continue
            try:
                loaded = self._load(latest, line.name)
            except ModelFileError as exc:
                log.warning("%s; it is fitted again", exc)
                continue
            line.model.close()
            line.model, line.latest = loaded, latest
        champion = self.store.champion()
        if champion is not None:
            try:
                self._serve(champion, self._load(champion, champion.lineage))
            except ModelFileError as exc:
                log.warning("%s: the champion cannot be served from its file", exc)
        for line in self.lineages:
            if line.latest is None and len(self.ratings):
                self._learn(line, now, promote_first=False)
        if self.champion is None and self.main.latest is not None:
            reason = (
                f"restored: the recorded champion {champion.id}'s file could not be read; "
                f"{self.main.name}'s latest version serves"
                if champion is not None
                else f"no champion yet: the first model of {self.main.name}"
            )
            outcome = DecisionOutcome.RESTORED if champion is not None else DecisionOutcome.FIRST
            self._promote(self.main.latest, outcome, reason, now)
        log.info(
            "model registry: %s serves; lines %s",
            f"version {self.champion.id} ({self.champion.lineage})"
            if self.champion
            else "no champion",
            ", ".join(
                f"{line.name} at {line.latest.id if line.latest else '-'}" for line in self.lineages
            ),
        )

    # -- a training round ------------------------------------------------------------

    def step(self, now: datetime) -> list[ModelVersion]:
        """Read new ratings, judge the versions that can be, let the decided lines learn;
        returns the versions trained."""
        self.follow_store()
        self.ratings.catch_up(self.store, now)
        self._judge(now)
        trained = [
            self._learn(line, now)
            for line in self.lineages
            if not line.awaiting
            and (
                self.ratings.last_id > line.cutoff
                or self.ratings.last_unanswered_id > line.weak_cutoff
            )
        ]
        if trained:
            self._prune()
        return trained

    def follow_store(self) -> None:
        """Serve the champion the store names, when it changed by hand (``oleg models
        promote`` / ``rollback`` while the engine runs), and see the lines' versions as
        the store has them."""
        for line in self.lineages:
            if line.latest is not None:
                line.latest = self.store.model_version(line.latest.id) or line.latest
        current = self.store.champion()
        if current is None or (self.champion is not None and current.id == self.champion.id):
            return
        try:
            self._serve(current, self._load(current, current.lineage))
            log.warning(
                "version %s (%s) serves now: it was made champion by hand",
                current.id,
                current.lineage,
            )
        except ModelFileError as exc:
            log.error(
                "%s: the champion named by hand cannot be served; the previous one still is", exc
            )

    def _learn(self, line: Lineage, now: datetime, *, promote_first: bool = True) -> ModelVersion:
        """Let ``line`` learn; its version serves at once when it is the main line's and
        there is no champion yet (unless a restart decides that itself)."""
        judged = self._judged.pop(line.name, None)
        batch_first = self.ratings.first_id_after(line.cutoff)
        version = line.learn(
            self.ratings, now=now, full_every=self.full_every, store=self.store, files=self.files,
            prequential=judged[1] if judged is not None and judged[0] == batch_first else None,
        )
        self.store.set_state(self._state_key(line), {"since_full": line.since_full})
        self.hooks.model_trained(version)
        if promote_first and self.champion is None and line.main:
            self._promote(
                version,
                DecisionOutcome.FIRST,
                f"no champion yet: the first model of {line.name}",
                now,
            )
        return version

    # -- judging ---------------------------------------------------------------------

    def _judge(self, now: datetime) -> None:
        if self.champion is None or self._champion_model is None:
            return
        waiting = [line for line in self.lineages if line.awaiting]
        if not waiting:
            return
        after = max(self.champion.cutoff_id, *(line.cutoff for line in waiting))
        held_out = self.ratings.after(after)
        if len(held_out) < self.rule.min_ratings:
            return
        labels = held_out.value
        metric = self.rule.metric
        champion_scores = score_pairs(self._champion_model, held_out)
        champion_figures = figures(labels, champion_scores)
        level = chance(metric, labels)
        scored = []
        for line in waiting:
            scores = score_pairs(line.model, held_out)
            proof = evidence(metric, labels, scores, champion_scores)
            verdict = judge(self.rule, proof, same_line=line.name == self.champion.lineage)
            scored.append(_Scored(line, scores, figures(labels, scores), verdict, proof))
        if (
            any(s.verdict is None for s in scored)
            and len(held_out) < UNDEFINED_PATIENCE * self.rule.min_ratings
        ):
            return  # one class so far: wait for both
        sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
        passing = [
            s
            for s in scored
            if s.verdict is not None and s.verdict.outcome is DecisionOutcome.PROMOTED
        ]
        best = max(passing, key=lambda s: sign * s.figures.get(metric)) if passing else None
        common = {
            "metric": metric,
            "champion_value": _finite(champion_figures.get(metric)),
            "n_ratings": len(held_out),
            "first_feedback_id": self.ratings.first_id_after(after),
            "last_feedback_id": self.ratings.last_id,
        }
        champion_roc = roc_points(labels, champion_scores)
        promoted: tuple[_Scored, dict[str, Any]] | None = None
        for s in scored:
            details = {
                "challenger": s.figures.as_dict(),
                "champion": champion_figures.as_dict(),
                "chance": round(level, 6),
                "z_above_chance": _finite(s.evidence.z_above_chance),
                "z_above_champion": _finite(s.evidence.z_above_champion),
                "champion_z_above_chance": _finite(s.evidence.champion_z_above_chance),
                "roc": {"challenger": roc_points(labels, s.scores), "champion": champion_roc},
            }
            assert s.lineage.latest is not None
            self.store.update_model_version(
                s.lineage.latest.id, metrics={"holdout": s.figures.as_dict()}
            )
            self._judged[s.lineage.name] = (
                common["first_feedback_id"], {"n": len(held_out), **s.figures.as_dict()}
            )
            if s is best:
                promoted = (s, details)
                continue
            verdict = s.verdict or Verdict(
                DecisionOutcome.REJECTED,
                f"{metric.upper() if metric == 'auc' else metric} undefined on {len(held_out)} "
                "held-out ratings (they hold one class only)",
            )
            if verdict.outcome is DecisionOutcome.PROMOTED and best is not None:
                verdict = Verdict(
                    DecisionOutcome.REJECTED,
                    f"{verdict.reason}; but {best.lineage.name} scored "
                    f"{best.figures.get(metric):.4f} and one version is promoted at a time "
                    "(the best; a tie goes to the line listed first)",
                )
            self._reject(s, verdict, details, now, common)
        if promoted is not None:
            s, details = promoted
            assert s.verdict is not None and s.lineage.latest is not None
            self._promote(
                s.lineage.latest,
                DecisionOutcome.PROMOTED,
                s.verdict.reason,
                now,
                challenger_value=_finite(s.figures.get(metric)),
                details=details,
                **common,
            )

    def _reject(
        self,
        s: _Scored,
        verdict: Verdict,
        details: dict[str, Any],
        now: datetime,
        common: dict[str, Any],
    ) -> None:
        version = s.lineage.latest
        assert version is not None and self.champion is not None
        decision = self.store.add_decision(
            at=now,
            version_id=version.id,
            champion_id=self.champion.id,
            outcome=verdict.outcome,
            reason=verdict.reason,
            challenger_value=_finite(s.figures.get(self.rule.metric)),
            details=details,
            status=ModelStatus.REJECTED,
            **common,
        )
        s.lineage.latest = replace(version, status=ModelStatus.REJECTED)
        if verdict.outcome is DecisionOutcome.COLLAPSED:
            log.warning(
                "version %s of %s %s on %d held-out ratings; it is not served "
                "(version %s still is)",
                version.id,
                s.lineage.name,
                verdict.reason,
                decision.n_ratings,
                self.champion.id,
            )
        else:
            log.info("version %s of %s rejected: %s", version.id, s.lineage.name, verdict.reason)
        self.hooks.model_judged(decision)

    # -- promotion -------------------------------------------------------------------

    def _promote(
        self,
        version: ModelVersion,
        outcome: DecisionOutcome,
        reason: str,
        now: datetime,
        **figures_: Any,
    ) -> ModelDecision:
        model = self._load(version, version.lineage)
        decision = self.store.add_decision(
            at=now,
            version_id=version.id,
            champion_id=self.champion.id if self.champion is not None else None,
            outcome=outcome,
            reason=reason,
            status=ModelStatus.CHAMPION,
            **figures_,
        )
        self._serve(replace(version, status=ModelStatus.CHAMPION), model)
        for line in self.lineages:
            if line.latest is not None and line.latest.id == version.id:
                line.latest = self.champion
        log.info("version %s of %s serves now: %s", version.id, version.lineage, reason)
        self.hooks.model_judged(decision)
        assert self.champion is not None
        self.hooks.model_promoted(self.champion)
        return decision

    def _serve(self, version: ModelVersion, model: Recommender) -> None:
        old = self._champion_model
        self.champion, self._champion_model = version, model
        if old is not None:
            old.close()

    def _load(self, version: ModelVersion, lineage: str) -> Recommender:
        """A new copy of ``version``'s model from its file, started like its line's."""
        try:
            cls = self.plugin_class(version.plugin)
        except Exception as exc:  # the plugin is no longer installed
            raise ModelFileError(
                f"version {version.id}: plugin {version.plugin!r} is not available: {exc}"
            ) from exc
        model = self.files.load(cls, version.file, what=f"version {version.id} ({lineage})")
        if self._started:
            model.start(self.runtime_for(lineage))
        return model

    def _prune(self) -> None:
        """Delete the files no one needs: all but the champion's, each line's latest, and
        the ``keep_champions`` most recent former champions (for a rollback)."""
        keep = {line.latest.id for line in self.lineages if line.latest is not None}
        if self.champion is not None:
            keep.add(self.champion.id)
        retired = 0
        for version in self.store.versions_with_files():
            if version.id in keep:
                continue
            if version.status is ModelStatus.RETIRED and retired < self.rule.keep_champions:
                retired += 1
                continue
            assert version.file is not None
            self.files.delete(version.file)
            self.store.update_model_version(version.id, drop_file=True)

    @staticmethod
    def _state_key(line: Lineage) -> str:
        return f"registry.{line.name}"


def _finite(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)
