"""A typed facade over ``pm.hook`` for the lifecycle hooks, as tox does: the engine calls
methods with checked signatures instead of spelling hook names as strings."""

from __future__ import annotations

from typing import Any

from oleg.types import Delivery, Feedback, Post


class Hooks:
    def __init__(self, hook: Any) -> None:
        self._hook = hook

    def started(self, runtime: Any) -> None:
        self._hook.oleg_started(runtime=runtime)

    def post_ingested(self, post: Post) -> None:
        self._hook.oleg_post_ingested(post=post)

    def delivered(self, delivery: Delivery) -> None:
        self._hook.oleg_delivered(delivery=delivery)

    def feedback_received(self, feedback: Feedback) -> None:
        self._hook.oleg_feedback_received(feedback=feedback)

    def model_trained(self, version: dict[str, Any]) -> None:
        self._hook.oleg_model_trained(version=version)

    def model_promoted(self, version: dict[str, Any]) -> None:
        self._hook.oleg_model_promoted(version=version)

    def stopped(self, runtime: Any) -> None:
        self._hook.oleg_stopped(runtime=runtime)
