"""The ``console`` sink: prints each delivery as one line instead of sending it.

It lets someone try a source, a recommender and a schedule before setting up a bot: the
lines show what each subscriber would receive, why (policy and score) and a link to check
the post itself. Nobody reacts, so no feedback ever comes back.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from oleg.components import PluginSettings, Sink
from oleg.types import DeliveryResult, FeedbackEvent, Outgoing, SubscriptionEvent, utc
from pydantic import Field


class ConsoleSettings(PluginSettings):
    subscribers: list[str] = Field(default_factory=lambda: ["console"])
    """External ids subscribed at the first poll."""


def post_link(channel_id: int, message_id: int) -> str:
    """The t.me link of a post, by channel id: ``-1001117628569`` becomes ``c/1117628569``."""
    digits = str(abs(channel_id))
    if channel_id < 0 and digits.startswith("100") and len(digits) > 3:
        digits = digits[3:]
    return f"https://t.me/c/{digits}/{message_id}"


def format_line(item: Outgoing) -> str:
    """One delivery as a line: time, subscriber, channel, message, policy, score, link."""
    d, post = item.delivery, item.post
    when = utc(d.sent_at).strftime("%Y-%m-%d %H:%M")
    channel = (
        f"{post.channel_title} ({post.channel_id})" if post.channel_title else str(post.channel_id)
    )
    score = f"{d.score:.3f}" if d.score is not None else "-"
    return (
        f"{when}  {item.subscriber.external_id}  {channel}  #{post.message_id}  "
        f"{d.policy}  score={score}  {post_link(post.channel_id, post.message_id)}"
    )


class ConsoleSink(Sink):
    """Prints deliveries to standard output; every delivery succeeds."""

    name: ClassVar[str] = "console"
    Settings: ClassVar[type[PluginSettings]] = ConsoleSettings
    settings: ConsoleSettings

    def __init__(self, settings: PluginSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._announced = False

    def poll(self, now: datetime) -> list[SubscriptionEvent | FeedbackEvent]:
        if self._announced:
            return []
        self._announced = True
        return [SubscriptionEvent(e, active=True, at=utc(now)) for e in self.settings.subscribers]

    def deliver(self, batch: Sequence[Outgoing]) -> list[DeliveryResult]:
        out = sys.stdout  # looked up at each call, so redirection and capture work
        results = []
        for item in batch:
            print(format_line(item), file=out)
            results.append(
                DeliveryResult(item.delivery.id if item.delivery.id is not None else -1, ok=True)
            )
        out.flush()
        return results
