"""A typed facade over ``pm.hook`` for the lifecycle hooks, as tox does: the engine calls
methods with checked signatures instead of spelling hook names as strings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oleg.run_info import RoundReport, RunInfo, RunSummary
    from oleg.types import Delivery, Feedback, Post
    from oleg.versions import ModelDecision, ModelVersion


class Hooks:
    def __init__(self, hook: Any) -> None:
        self._hook = hook

    def started(self, run: RunInfo) -> None:
        self._hook.oleg_started(run=run)

    def post_ingested(self, post: Post) -> None:
        self._hook.oleg_post_ingested(post=post)

    def delivered(self, delivery: Delivery) -> None:
        self._hook.oleg_delivered(delivery=delivery)

    def feedback_received(self, feedback: Feedback) -> None:
        self._hook.oleg_feedback_received(feedback=feedback)

    def model_trained(self, version: ModelVersion) -> None:
        self._hook.oleg_model_trained(version=version)

    def model_judged(self, decision: ModelDecision) -> None:
        self._hook.oleg_model_judged(decision=decision)

    def model_promoted(self, version: ModelVersion) -> None:
        self._hook.oleg_model_promoted(version=version)

    def round_finished(self, round: RoundReport) -> None:
        self._hook.oleg_round_finished(round=round)

    def stopped(self, run: RunInfo, summary: RunSummary) -> None:
        self._hook.oleg_stopped(run=run, summary=summary)
