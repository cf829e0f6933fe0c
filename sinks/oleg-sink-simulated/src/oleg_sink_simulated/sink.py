"""The ``simulated`` sink: synthetic subscribers who join, read, react and sometimes leave.

It stands where the Telegram bot would, so the real engine can run end to end on the
virtual clock, and because it knows each subscriber's hidden tastes (:class:`World`) every
run can report how close the feed came to the best possible one.

Reactions use common random numbers: whether subscriber *u* reacts to a post, whether they
like it, and after how long, depend only on (seed, u, channel, message). Two runs with
different recommenders that show the same post to the same subscriber see the same answer,
so their difference is the recommenders' and not the dice's.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

import numpy as np
from oleg.components import PluginSettings, Sink
from oleg.fields import Duration
from oleg.runtime import Runtime
from oleg.types import (
    DISLIKE,
    LIKE,
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    DeliveryUpdate,
    FeedbackEvent,
    FloatArray,
    MoreRequest,
    Outgoing,
    Post,
    SubscriptionEvent,
    utc,
)
from pydantic import Field

from oleg_sink_simulated.dynamics import Dynamics, DynamicsSettings
from oleg_sink_simulated.truth import HIDDEN_TRUTH, HiddenTruth, external_id
from oleg_sink_simulated.world import PARTS, PostKeys, World, WorldSettings, sigmoid

log = logging.getLogger(__name__)


FIRST_POLL_KEY = "first_poll"
DELIVERED_KEY = "delivered_upto"
"""Plugin-state keys: when the simulation began, and the last delivery it handled."""


@dataclass(frozen=True, slots=True)
class Draw:
    """What the dice say for one delivery: true P(like), and whether the subscriber reacts,
    likes, leaves, and after how long (in units of the mean delay)."""

    item: Outgoing
    index: int
    p: float
    reacts: bool
    likes: bool
    leaves: bool
    delay: float


class SimulatedSettings(PluginSettings):
    """How many subscribers, when they arrive, and how they react."""

    subscribers: int = Field(200, ge=0)
    seed: int | None = Field(None, ge=0, lt=2**32)
    """Seed of the hidden tastes; None takes the deployment's seed."""
    initial_share: float = Field(0.5, ge=0.0, le=1.0)
    """Share of the subscribers already there at the first poll."""
    join_within: Duration = timedelta(days=2)
    """The others join at uniformly random times within this span after the first poll."""
    react_probability: float = Field(0.9, ge=0.0, le=1.0)
    """Chance that a subscriber answers a delivered post with 👍 or 👎 at all."""
    answer_bias: float = Field(0.0, ge=0.0, le=1.0)
    """How much that chance follows their liking of the post, as real subscribers skip
    what bores them: the chance is ``react_probability * (1 - answer_bias + answer_bias *
    2 p)`` (at most 1), ``p`` their probability of a 👍. 0 (default): every post alike; 1:
    a post they surely dislike goes unanswered. What ``[engine.unanswered]`` learns from."""
    engagement_spread: float = Field(0.0, ge=0.0, le=5.0)
    """How much subscribers differ in how often they answer at all: each one's chance is
    ``sigmoid(logit(react_probability) + engagement_spread * z)``, ``z`` a standard normal
    of their own, drawn once. 0 (default): every subscriber answers with
    ``react_probability``; 1: with ``react_probability = 0.9``, a tenth of the subscribers
    answer 71% of their posts or fewer, as a real feed has its quiet readers."""
    reaction_delay: Duration = timedelta(minutes=20)
    """Mean of the exponential delay between a delivery and its reaction."""
    leave_probability: float = Field(0.0, ge=0.0, le=1.0)
    """Chance, per delivery, that the subscriber has blocked the bot."""
    world: WorldSettings = WorldSettings()
    """How the hidden tastes are drawn (calibrated defaults; change with care)."""
    dynamics: DynamicsSettings = DynamicsSettings()
    """Drift, fatigue, time of day, /more (:mod:`oleg_sink_simulated.dynamics`); all off."""


class SimulatedSink(Sink):
    """Synthetic subscribers ``sim-0`` .. ``sim-N`` with hidden tastes, reproducible from a seed.

    After the run, :attr:`expected` holds each delivery's true P(like), the quantity to
    report against random, popular and the oracle (it has far less noise than the 👍 drawn
    from it).
    """

    name: ClassVar[str] = "simulated"
    Settings: ClassVar[type[PluginSettings]] = SimulatedSettings
    settings: SimulatedSettings

    def __init__(self, settings: PluginSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._world: World | None = None
        self._first_poll: datetime | None = None
        self._joins: list[tuple[datetime, int]] = []
        self._joined = 0
        self._reactions: list[tuple[datetime, int, int]] = []  # heap of (at, delivery, value)
        self._handled: set[int] = set()
        self._gone: set[int] = set()
        self._known: set[str] = set()
        """External ids the store had at the first poll (a restarted simulation)."""
        self._runtime: Runtime | None = None
        self._dynamics: Dynamics | None = None
        self.expected: list[tuple[int, float]] = []
        """(delivery id, true P(like)) of every post delivered, in delivery order."""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, runtime: Runtime) -> None:
        self._world = None
        self._runtime = runtime
        runtime.shared.publish(HIDDEN_TRUTH, self.truth)  # the oracle reads the tastes, no more
        # what oleg_sink_simulated.crash.audit needs to throw the same dice again
        runtime.state.set("audit", {"settings": self.settings.model_dump(mode="json"), "seed": self.seed})

    @property
    def world(self) -> World:
        """The hidden tastes, from ``settings.seed`` or else the deployment's seed (built on
        first use when the sink is not started)."""
        if self._world is None:
            seed = self.settings.seed if self.settings.seed is not None else self.seed
            self._world = World(seed, self.settings.subscribers, self.settings.world)
        return self._world

    @property
    def dynamics(self) -> Dynamics:
        if self._dynamics is None:
            seed = self.settings.seed if self.settings.seed is not None else self.seed
            self._dynamics = Dynamics(self.settings.dynamics, seed)
        return self._dynamics

    # -- the Sink interface ------------------------------------------------------------------

    def poll(self, now: datetime) -> list[SubscriptionEvent | MoreRequest]:
        """Subscribers who joined by ``now``; the reactions due by then are stored, the
        one way feedback reaches the store (``runtime.record_feedback``)."""
        now = utc(now)
        if self._first_poll is None:
            self._begin(now)
        events: list[SubscriptionEvent | MoreRequest] = []
        while self._joined < len(self._joins) and self._joins[self._joined][0] <= now:
            at, index = self._joins[self._joined]
            if external_id(index) not in self._known:  # not joined before a restart
                events.append(SubscriptionEvent(external_id(index), active=True, at=at))
            self._joined += 1
        reactions: list[FeedbackEvent] = []
        while self._reactions and self._reactions[0][0] <= now:
            at, delivery_id, value = heapq.heappop(self._reactions)
            reactions.append(FeedbackEvent(delivery_id, value, at))
        if reactions:
            if self._runtime is None:
                raise RuntimeError("the simulated sink was not started: start(runtime) first")
            self._runtime.record_feedback(reactions)
        if self.settings.dynamics.more_share:
            here = [i for _, i in self._joins[: self._joined] if i not in self._gone]
            events += [MoreRequest(external_id(i), now) for i in self.dynamics.asking_for_more(here, now)]
        return events

    def deliver(self, batch: Sequence[Outgoing]) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        todo: list[tuple[Outgoing, int]] = []
        for item in batch:
            index = self.subscriber_index(item.subscriber.external_id)
            if index is None:
                results.append(self._gone_result(item, "no such simulated subscriber"))
            elif index in self._gone:
                results.append(self._gone_result(item, "the subscriber has blocked the bot"))
            else:
                todo.append((item, index))
        if not todo:
            return results
        for draw in self._draws(todo):
            item, index = draw.item, draw.index
            delivery_id = item.delivery.id
            assert delivery_id is not None  # checked by _draws
            if index in self._gone or draw.leaves:
                self._gone.add(index)  # earlier in this very batch, or now
                results.append(self._gone_result(item, "the subscriber has blocked the bot"))
                continue
            results.append(DeliveryResult(delivery_id, ok=True))
            if delivery_id in self._handled:  # a retried delivery reacts once
                continue
            self._decide(draw)
        self._remember_delivered(max(item.delivery.id or 0 for item, _ in todo))
        return results

    def settle(self, pending: Sequence[Delivery]) -> list[DeliveryUpdate]:
        """This sink knows what became of every delivery it was handed: those of a batch it
        finished (its reactions were decided and recorded) were sent; the others never
        reached a subscriber (the engine stopped before handing them over, or during)."""
        upto = self._runtime.state.get(DELIVERED_KEY, 0) if self._runtime is not None else 0
        return [
            DeliveryUpdate(d.id, DeliveryStatus.SENT)
            if d.id <= upto
            else DeliveryUpdate(d.id, DeliveryStatus.FAILED, "never handed to the subscriber: the engine stopped")
            for d in pending
            if d.id is not None
        ]

    # -- the oracle's view -------------------------------------------------------------------

    @property
    def truth(self) -> HiddenTruth:
        """What the oracle may read: the true P(like), by external id."""
        return HiddenTruth(self.world, self.settings.subscribers)

    def subscriber_index(self, external: str | None) -> int | None:
        """The index behind ``sim-K``, or None for an id this simulation does not have."""
        return self.truth.subscriber_index(external)

    def like_probability(
        self, external_ids: Sequence[str | None], posts: Sequence[Post], parts: Sequence[str] = PARTS
    ) -> FloatArray:
        """True P(like), shape (len(external_ids), len(posts)); see :class:`HiddenTruth`."""
        return self.truth.like_probability(external_ids, posts, parts)

    def average_like_probability(self, posts: Sequence[Post]) -> FloatArray:
        """Mean true P(like) of each post over all subscribers."""
        return self.truth.average_like_probability(posts)

    def expected_like_rate(self) -> float | None:
        """Mean true P(like) over all deliveries so far (None before the first)."""
        if not self.expected:
            return None
        return float(np.mean([p for _, p in self.expected]))

    # -- internals ---------------------------------------------------------------------------

    # -- surviving a restart ------------------------------------------------------------------

    def _begin(self, now: datetime) -> None:
        """The first poll: the join schedule, kept from the first poll ever (the plugin's
        state), and after a restart what the store says already happened: who joined, who
        left, and the reactions decided for posts delivered but not answered yet."""
        runtime = self._runtime
        first = runtime.state.get(FIRST_POLL_KEY) if runtime is not None else None
        self._schedule_joins(datetime.fromisoformat(first) if first else now)
        if runtime is None:
            return
        if first is None:
            runtime.state.set(FIRST_POLL_KEY, now.isoformat())
            return
        for sub in runtime.store.subscribers(active_only=False):
            self._known.add(sub.external_id)
            index = self.subscriber_index(sub.external_id)
            if index is not None and not sub.active:
                self._gone.add(index)
        waiting = [
            (item, index)
            for item in runtime.store.unanswered([DeliveryStatus.SENT])
            if (index := self.subscriber_index(item.subscriber.external_id)) is not None
        ]
        for draw in self._draws(waiting):
            self._decide(draw)
        log.info("simulated sink resumed: %d subscribers known, %d reactions to come",
                 len(self._known), len(self._reactions))

    def _remember_delivered(self, upto: int) -> None:
        if self._runtime is not None and upto > self._runtime.state.get(DELIVERED_KEY, 0):
            self._runtime.state.set(DELIVERED_KEY, upto)

    # -- reactions --------------------------------------------------------------------------

    def _draws(self, items: Sequence[tuple[Outgoing, int]]) -> list[Draw]:
        """The dice of each (delivery, subscriber index): common random numbers, the same
        whenever they are drawn (so a restart decides what the first run would have)."""
        if not items:
            return []
        if any(item.delivery.id is None for item, _ in items):
            raise ValueError("the engine must store a delivery (and give it an id) first")
        users = np.array([index for _, index in items], dtype=np.int64)
        keys = PostKeys.from_posts([item.post for item, _ in items])
        p = self.world.pair_like_probability(users, keys)
        if self.settings.dynamics.on:
            shift = self.dynamics.logit_shift(
                users, [item.post.category for item, _ in items], [utc(item.delivery.sent_at) for item, _ in items]
            )
            p = 1.0 / (1.0 + np.exp(-(np.log(p / (1.0 - p)) + shift)))
        react, like, leave, delay = self.world.reaction_draws(users, keys.channel, keys.message)
        bias = self.settings.answer_bias
        answers = self._answer_rate(users) * (
            np.minimum(1.0, (1.0 - bias) + bias * 2.0 * p) if bias else np.ones(len(p))
        )
        return [
            Draw(item, index, float(p[i]), bool(react[i] < answers[i]),
                 bool(like[i] < p[i]), bool(leave[i] < self.settings.leave_probability), float(delay[i]))
            for i, (item, index) in enumerate(items)
        ]

    def _answer_rate(self, users: np.ndarray) -> np.ndarray | float:
        """Each subscriber's chance of answering a post at all, before ``answer_bias``."""
        rate, spread = self.settings.react_probability, self.settings.engagement_spread
        if spread == 0.0 or rate in (0.0, 1.0):
            return rate
        return sigmoid(np.log(rate / (1.0 - rate)) + spread * self.world.engagement(users))

    def _decide(self, draw: Draw) -> None:
        delivery_id = draw.item.delivery.id
        assert delivery_id is not None
        self._handled.add(delivery_id)
        self.expected.append((delivery_id, draw.p))
        if draw.likes and self.settings.dynamics.more_share:
            self.dynamics.liked(draw.index)
        if draw.reacts:
            mean_delay = self.settings.reaction_delay.total_seconds()
            at = utc(draw.item.delivery.sent_at) + timedelta(seconds=draw.delay * mean_delay)
            heapq.heappush(self._reactions, (at, delivery_id, LIKE if draw.likes else DISLIKE))

    def _schedule_joins(self, now: datetime) -> None:
        """Subscribers 0..k-1 are there at once; the rest arrive uniformly over the span."""
        self._first_poll = now
        n = self.settings.subscribers
        initial = round(self.settings.initial_share * n)
        span = self.settings.join_within.total_seconds()
        draws = self.world.join_draws()
        joins = [(now, i) for i in range(initial)]
        joins += [(now + timedelta(seconds=float(draws[i]) * span), i) for i in range(initial, n)]
        joins.sort()
        self._joins = joins

    @staticmethod
    def _gone_result(item: Outgoing, error: str) -> DeliveryResult:
        return DeliveryResult(
            item.delivery.id if item.delivery.id is not None else -1,
            ok=False,
            error=error,
            subscriber_gone=True,
        )
