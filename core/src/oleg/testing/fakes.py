"""Small in-process components for tests: a source fed from a list, a sink whose
subscribers react by a rule. Register them with ``plugins.registered(fakes_plugin())``."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import oleg
from oleg.components import PluginSettings, Sink, Source
from oleg.fields import Duration
from oleg.types import DeliveryResult, FeedbackEvent, MoreRequest, Outgoing, Post, SubscriptionEvent


class ListSourceSettings(PluginSettings):
    posts: list[Post] = []


class ListSource(Source):
    """Emits the given posts when the clock reaches their date."""

    name = "list"
    Settings = ListSourceSettings
    settings: ListSourceSettings

    def __init__(self, settings: ListSourceSettings | None = None) -> None:
        super().__init__(settings)
        self._posts = sorted(self.settings.posts, key=lambda p: p.date)
        self._next = 0
        self.deletions: list[tuple[datetime, tuple[int, int]]] = []

    def poll(self, now: datetime) -> Iterable[Post]:
        start = self._next
        while self._next < len(self._posts) and self._posts[self._next].date <= now:
            self._next += 1
        return self._posts[start : self._next]

    def first_date(self) -> datetime | None:
        return self._posts[0].date if self._posts else None

    def deleted(self, now: datetime) -> Iterable[tuple[int, int]]:
        due = [key for at, key in self.deletions if at <= now]
        self.deletions = [(at, key) for at, key in self.deletions if at > now]
        return due


class RuleSinkSettings(PluginSettings):
    subscribers: list[str] = ["alice", "bob"]
    delay: Duration = timedelta(minutes=5)
    rule: Callable[[str, Post], int | None] | None = None
    """``rule(external_id, post) -> 1, 0 or None`` (no reaction); default likes even channels."""
    store_directly: bool = False
    """Store each reaction with ``runtime.store.add_feedback`` instead of returning it from
    poll, as a sink that acknowledges button presses at once does."""


class RuleSink(Sink):
    """Subscribers that react to each post by a rule, after a fixed delay."""

    name = "rule"
    Settings = RuleSinkSettings
    settings: RuleSinkSettings

    def __init__(self, settings: RuleSinkSettings | None = None) -> None:
        super().__init__(settings)
        self._joined = False
        self._due: list[tuple[datetime, int, int]] = []
        self.sent: list[Outgoing] = []
        self.fail: Callable[[Outgoing], DeliveryResult | None] | None = None
        self.events: list[SubscriptionEvent | FeedbackEvent | MoreRequest] = []
        """Extra events the next poll returns (a test's /more, say)."""
        self.store: Any = None

    def start(self, runtime: Any) -> None:
        self.store = runtime.store

    def deliver(self, batch: Sequence[Outgoing]) -> list[DeliveryResult]:
        rule = self.settings.rule or (lambda ext, post: int(post.channel_id % 2 == 0))
        results = []
        for item in batch:
            failure = self.fail(item) if self.fail else None
            if failure is not None:
                results.append(failure)
                continue
            self.sent.append(item)
            value = rule(item.subscriber.external_id, item.post)
            if value is not None:
                heapq.heappush(self._due, (item.delivery.sent_at + self.settings.delay, item.delivery.id, value))
            results.append(DeliveryResult(item.delivery.id, ok=True))
        return results

    def poll(self, now: datetime) -> Iterable[SubscriptionEvent | FeedbackEvent | MoreRequest]:
        if not self._joined:
            self._joined = True
            yield from (SubscriptionEvent(ext, True, now) for ext in self.settings.subscribers)
        while self._due and self._due[0][0] <= now:
            at, delivery_id, value = heapq.heappop(self._due)
            if self.settings.store_directly:
                self.store.add_feedback([FeedbackEvent(delivery_id, value, at)])
            else:
                yield FeedbackEvent(delivery_id, value, at)
        events, self.events = self.events, []
        yield from events


def fakes_plugin() -> SimpleNamespace:
    """A plugin object registering ``list`` (source) and ``rule`` (sink)."""

    @oleg.hookimpl
    def oleg_register_sources(register):  # type: ignore[no-untyped-def]
        register(ListSource)

    @oleg.hookimpl
    def oleg_register_sinks(register):  # type: ignore[no-untyped-def]
        register(RuleSink)

    return SimpleNamespace(
        __name__="oleg-testing-fakes",
        oleg_register_sources=oleg_register_sources,
        oleg_register_sinks=oleg_register_sinks,
    )
