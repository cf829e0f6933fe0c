"""Small in-process components for tests: a source fed from a list, a sink whose
subscribers react by a rule. Register them with ``plugins.registered(fakes_plugin())``."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from types import SimpleNamespace

import oleg
from oleg.components import PluginSettings, Sink, Source
from oleg.fields import Duration
from oleg.runtime import Runtime
from oleg.types import DeliveryResult, FeedbackEvent, MoreRequest, Outgoing, Post, SubscriptionEvent


class ListSourceSettings(PluginSettings):
    posts: list[Post] = []


class ListSource(Source):
    """Emits the given posts when the clock reaches their date."""

    name = "list"
    Settings = ListSourceSettings
    settings: ListSourceSettings

    def __init__(self, settings: ListSourceSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
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


class RuleSink(Sink):
    """Subscribers that react to each post by a rule, after a fixed delay."""

    name = "rule"
    Settings = RuleSinkSettings
    settings: RuleSinkSettings

    def __init__(self, settings: RuleSinkSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._joined = False
        self._due: list[tuple[datetime, int, int]] = []
        self.sent: list[Outgoing] = []
        self.fail: Callable[[Outgoing], DeliveryResult | None] | None = None
        self.events: list[SubscriptionEvent | MoreRequest] = []
        """Extra events the next poll returns (a test's /more, say)."""
        self.recorded: list[bool] = []
        """What ``record_feedback`` answered for each reaction, in order."""
        self.runtime: Runtime | None = None

    def start(self, runtime: Runtime) -> None:
        self.runtime = runtime

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

    def poll(self, now: datetime) -> Iterable[SubscriptionEvent | MoreRequest]:
        if not self._joined:
            self._joined = True
            yield from (SubscriptionEvent(ext, True, now) for ext in self.settings.subscribers)
        reactions = []
        while self._due and self._due[0][0] <= now:
            at, delivery_id, value = heapq.heappop(self._due)
            reactions.append(FeedbackEvent(delivery_id, value, at))
        if reactions:
            assert self.runtime is not None, "start() first"
            self.recorded += self.runtime.record_feedback(reactions)
        events, self.events = self.events, []
        yield from events


def fakes_plugin() -> SimpleNamespace:
    """A plugin object registering ``list`` (source) and ``rule`` (sink)."""

    @oleg.hookimpl
    def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
        registry.add_source(ListSource)
        registry.add_sink(RuleSink)

    return SimpleNamespace(__name__="oleg-testing-fakes", oleg_register_components=oleg_register_components)
