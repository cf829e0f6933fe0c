"""oleg: a framework that assembles a Telegram bot building each subscriber a personal feed.

Plugin authors need little more than this module::

    import oleg

    @oleg.hookimpl
    def oleg_register_components(registry):
        registry.add_recommender(MyRecommender)
"""

from __future__ import annotations

import pluggy

from oleg.components import (
    ColdStartPolicy,
    PluginSettings,
    Recommender,
    Scheduler,
    SchedulerSettings,
    Sink,
    Source,
)
from oleg.errors import ConfigError, DataError, OlegError, PluginError
from oleg.registry import ComponentKind, ComponentRegistry
from oleg.runtime import Runtime, SharedKey
from oleg.types import (
    DISLIKE,
    LIKE,
    Candidates,
    Delivery,
    DeliveryResult,
    Feedback,
    FeedbackEvent,
    Interactions,
    MoreRequest,
    Outgoing,
    Policy,
    PolicyKind,
    Post,
    Subscriber,
    SubscriptionEvent,
)
from oleg.versions import ModelKind, ModelStatus, ModelVersion

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("oleg")
"""Marks a function as an implementation of one of oleg's hooks (see ``oleg.hookspecs``)."""

__all__ = [
    "DISLIKE",
    "LIKE",
    "Candidates",
    "ColdStartPolicy",
    "ComponentKind",
    "ComponentRegistry",
    "ConfigError",
    "DataError",
    "Delivery",
    "DeliveryResult",
    "Feedback",
    "FeedbackEvent",
    "Interactions",
    "ModelKind",
    "ModelStatus",
    "ModelVersion",
    "MoreRequest",
    "OlegError",
    "Outgoing",
    "PluginError",
    "PluginSettings",
    "Policy",
    "PolicyKind",
    "Post",
    "Recommender",
    "Runtime",
    "Scheduler",
    "SchedulerSettings",
    "SharedKey",
    "Sink",
    "Source",
    "Subscriber",
    "SubscriptionEvent",
    "__version__",
    "hookimpl",
]
