"""oleg: a framework that assembles a Telegram bot building each subscriber a personal feed.

Plugin authors need little more than this module::

    import oleg

    @oleg.hookimpl
    def oleg_register_recommenders(register):
        register(MyRecommender)
"""

from __future__ import annotations

import pluggy

from oleg.components import (
    ColdStartPolicy,
    PluginSettings,
    Recommender,
    Runtime,
    Scheduler,
    SchedulerSettings,
    Sink,
    Source,
)
from oleg.errors import ConfigError, DataError, OlegError, PluginError
from oleg.types import (
    DISLIKE,
    LIKE,
    Candidates,
    Delivery,
    DeliveryResult,
    Feedback,
    FeedbackEvent,
    Interactions,
    Outgoing,
    Post,
    Subscriber,
    SubscriptionEvent,
)

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("oleg")
"""Marks a function as an implementation of one of oleg's hooks (see ``oleg.hookspecs``)."""

__all__ = [
    "DISLIKE",
    "LIKE",
    "Candidates",
    "ColdStartPolicy",
    "ConfigError",
    "DataError",
    "Delivery",
    "DeliveryResult",
    "Feedback",
    "FeedbackEvent",
    "Interactions",
    "OlegError",
    "Outgoing",
    "PluginError",
    "PluginSettings",
    "Post",
    "Recommender",
    "Runtime",
    "Scheduler",
    "SchedulerSettings",
    "Sink",
    "Source",
    "Subscriber",
    "SubscriptionEvent",
    "__version__",
    "hookimpl",
]
