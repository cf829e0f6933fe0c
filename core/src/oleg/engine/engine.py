"""The engine: the flow of the design, as four jobs a scheduler runs.

* ``ingest``   – new posts from the source into the store and the fresh pool;
* ``collect``  – (un)subscriptions from the sink, the 👍/👎 stored since; due retries;
* ``mail``     – for each subscriber, the next post: cold start or recommender + exploration;
* ``train``    – incremental training on new feedback, from scratch every N rounds.

The same code runs on a wall clock (a deployment) and on a virtual clock (the demo, the
tests). All state that matters lives in the store, so a restarted engine on the same
database continues: deliveries are stored before they are sent (never sent twice) and
feedback is stored once per delivery (never counted twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from oleg.components import Component
from oleg.config.loader import Deployment
from oleg.engine.mailing import PlannedDelivery, RoundScores, plan_round
from oleg.engine.pool import FreshPool
from oleg.engine.training import Trainer
from oleg.errors import PluginError
from oleg.hooks import Hooks
from oleg.plugins import Plugins
from oleg.registry import ComponentKind
from oleg.run_info import RunInfo, RunSummary
from oleg.runtime import PluginState, Runtime, SharedValues
from oleg.store import Store
from oleg.types import (
    Candidates,
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    FeedbackEvent,
    MoreRequest,
    Outgoing,
    Policy,
    PolicyKind,
    Post,
    Subscriber,
    SubscriptionEvent,
    utc,
)
from oleg.versions import ModelVersion

log = logging.getLogger(__name__)

CLOCK_KEY = "engine.clock"


class Engine:
    """A running deployment: builds its components, hands each a narrow
    :class:`~oleg.runtime.Runtime`, and runs the four jobs on the scheduler."""

    def __init__(self, deployment: Deployment, plugins: Plugins, *, store: Store | None = None) -> None:
        self.deployment = deployment
        self.plugins = plugins
        self.hooks = Hooks(plugins.hook)
        self.seed = deployment.deployment.seed
        self.data_dir = Path(deployment.deployment.data_dir)
        schemas = plugins.collect().schemas
        self.store = store or Store.open(deployment.deployment.database, schemas=schemas)
        self.store.add_schemas(schemas)
        self._own_store = store is None
        settings = deployment.engine
        self.exploration = settings.exploration
        self.posts_per_round = settings.posts_per_round
        self.rng = np.random.default_rng(self.seed)

        self.source = deployment.source.build(seed=self.seed)
        self.sink = deployment.sink.build(seed=self.seed)
        self.recommender = deployment.recommender.build(seed=self.seed)
        self.cold_start = deployment.cold_start.build(seed=self.seed)
        self.scheduler = deployment.scheduler.build(seed=self.seed)
        self.shared = SharedValues()
        self.recommender_name = deployment.recommender.plugin
        self.cold_start_name = deployment.cold_start.plugin
        self.cold_policy = Policy(PolicyKind.COLD_START, self.cold_start_name)
        self.warm_policy = Policy(PolicyKind.RECOMMENDER, self.recommender_name)

        self.pool = FreshPool(settings.pool_window, settings.pool_size)
        self.subscribers: dict[int, Subscriber] = {}
        self.by_external: dict[str, int] = {}
        self.seen: dict[int, set[int]] = {}
        self.n_rated: dict[int, int] = {}
        self.n_delivered: dict[int, int] = {}
        self.retries: list[tuple[datetime, Outgoing]] = []
        self.feedback_cursor = 0
        sched = self.scheduler.settings
        self.trainer = Trainer(
            self.recommender, self.recommender_name, self.store, self.hooks, sched.full_retrain_every
        )
        self._failure: BaseException | None = None
        self.stats = RunSummary()

    def _started_in_order(self) -> list[tuple[ComponentKind, Component]]:
        """Sink first (it may publish what the source needs, the bot's username), the
        scheduler last; they close in the reverse order."""
        return [
            (ComponentKind.SINK, self.sink),
            (ComponentKind.SOURCE, self.source),
            (ComponentKind.RECOMMENDER, self.recommender),
            (ComponentKind.COLD_START, self.cold_start),
            (ComponentKind.SCHEDULER, self.scheduler),
        ]

    def runtime_for(self, kind: ComponentKind) -> Runtime:
        """The runtime one component sees: its own folder, state and tables, no other component."""
        plugin = self.deployment.components[kind].plugin
        folder = self.data_dir / plugin
        folder.mkdir(parents=True, exist_ok=True)
        return Runtime(
            seed=self.seed,
            clock=self.now,
            data_dir=folder,
            store=self.store,
            catalog=self.store,
            state=PluginState(self.store, plugin),
            database=self.store.database,
            shared=self.shared,
            record_feedback_fn=self.record_feedback,
        )

    def run_info(self, begin: datetime | None) -> RunInfo:
        return RunInfo(
            name=self.deployment.deployment.name,
            components={k.value: c.plugin for k, c in self.deployment.components.items()},
            started_at=begin,
            store=self.store,
        )

    # -- Runtime -------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.scheduler.now()

    def record_feedback(self, events: Sequence[FeedbackEvent]) -> list[bool]:
        """The one way feedback reaches the store (see :meth:`Runtime.record_feedback`):
        per event, whether it was stored now. Safe from a sink's own threads: it only
        writes the store; :meth:`collect` counts and announces, on the engine's thread."""
        return self.store.record_feedback(events)

    # -- lifecycle -----------------------------------------------------------------------

    def run(self, *, until: datetime | None = None, start: datetime | None = None) -> None:
        """Start the components, restore state from the store, run the jobs, stop cleanly."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Where the clock starts: where the previous run on this store stopped, else the
        # scheduler's own start (a virtual clock's setting), else the source's first post.
        resume = self.store.get_state(CLOCK_KEY)
        begin = (
            start
            or (datetime.fromisoformat(resume) if resume else None)
            or getattr(self.scheduler.settings, "start", None)
            or self.source.first_date()
        )
        started: list[Component] = []
        try:
            for kind, comp in self._started_in_order():
                comp.start(self.runtime_for(kind))
                started.append(comp)
            self._restore(utc(begin) if begin else None)
            sched = self.scheduler.settings
            self.scheduler.every("ingest", sched.ingest_every, self._guard(self.ingest))
            self.scheduler.every("collect", sched.feedback_every, self._guard(self.collect))
            self.scheduler.every("mail", sched.mailing_every, self._guard(self.mail))
            self.scheduler.every("train", sched.train_every, self._guard(self.train))
            log.info(
                "%s starts at %s: %d subscribers, %d posts in the pool, recommender %s",
                self.deployment.deployment.name, begin, len(self.subscribers), len(self.pool),
                self.recommender_name,
            )
            run = self.run_info(utc(begin) if begin else None)
            self.hooks.started(run)
            self.scheduler.run(start=utc(begin) if begin else None, until=until)
            if self._failure is not None:
                raise self._failure
            self.store.set_state(CLOCK_KEY, self.scheduler.now().isoformat())
            self.hooks.stopped(run, self.stats)
        finally:
            for comp in reversed(started):
                comp.close()
            if self._own_store:
                self.store.close()

    def _guard(self, job: Callable[[datetime], Any]) -> Callable[[datetime], None]:
        """Run a job; on any error stop the scheduler and re-raise it from :meth:`run`.

        Failing fast is safe: all state is in the store, so a restart (by hand or by the
        service manager) continues where the failed job left off.
        """

        def guarded(now: datetime) -> None:
            if self._failure is not None:
                return
            try:
                job(now)
            except BaseException as exc:
                self._failure = exc
                self.scheduler.stop()

        return guarded

    def _restore(self, begin: datetime | None) -> None:
        """Rebuild the in-memory view (subscribers, pool, what each got) from the store."""
        for sub in self.store.subscribers(active_only=True):
            self._remember(sub)
        self.n_rated = dict(self.store.rating_counts())
        self.feedback_cursor = self.store.last_feedback_id()
        self.n_delivered = dict(self.store.delivery_counts())
        if begin is not None:
            since = begin - self.pool.window
            self.pool.add(self.store.recent_posts(since, self.pool.max_size))
            for sub_id, posts in self.store.delivered_posts(since=since).items():
                self.seen[sub_id] = set(posts)
            self._restore_retries(begin)
            self.trainer.retrain(begin)

    def _restore_retries(self, begin: datetime) -> None:
        """Deliveries a sink asked to retry before the last stop go out at the start."""
        waiting = self.store.deliveries_with_status(DeliveryStatus.RETRY)
        if not waiting:
            return
        posts = {p.id: p for p in self.store.posts_by_id([d.post_id for d in waiting])}
        for delivery in waiting:
            sub = self.subscribers.get(delivery.subscriber_id)
            post = posts.get(delivery.post_id)
            if sub is not None and post is not None:
                self.retries.append((begin, Outgoing(delivery, post, sub)))
        log.info("%d deliveries waiting for a retry since the last run", len(self.retries))

    def _remember(self, sub: Subscriber) -> None:
        self.subscribers[sub.id] = sub
        self.by_external[sub.external_id] = sub.id
        self.seen.setdefault(sub.id, set())

    # -- jobs ----------------------------------------------------------------------------

    def ingest(self, now: datetime) -> None:
        posts = list(self.source.poll(now))
        if posts:
            new = self.store.add_posts(posts)
            self.pool.add(new)
            self.stats.ingested += len(new)
            for post in new:
                self.hooks.post_ingested(post)
        deleted = list(self.source.deleted(now))
        if deleted:
            self.store.mark_posts_deleted(deleted)
            self.pool.remove(deleted)

    def collect(self, now: datetime) -> None:
        """(Un)subscriptions and /more from the sink; the feedback stored since the last
        look; due retries."""
        more: list[int] = []
        for event in self.sink.poll(now):
            if isinstance(event, SubscriptionEvent):
                self._subscription(event)
            elif isinstance(event, MoreRequest):
                sub_id = self.by_external.get(event.external_id)
                if sub_id is not None and sub_id not in more:
                    more.append(sub_id)
            else:
                raise PluginError(
                    f"sink {self.deployment.sink.plugin!r} returned {type(event).__name__} from "
                    "poll(); it returns SubscriptionEvent and MoreRequest only.",
                    hint="A sink stores 👍/👎 with runtime.record_feedback(events) as they arrive.",
                )
        self._follow_feedback()
        if more:
            self.mail(now, only=more)
        due = [item for at, item in self.retries if at <= now]
        if due:
            self.retries = [(at, item) for at, item in self.retries if at > now]
            self._send(due, now)

    def _follow_feedback(self) -> None:
        """Count and announce every rating stored since the last look (sinks store them
        through :meth:`record_feedback`, from whatever thread receives them)."""
        while True:
            rows = self.store.feedback_rows(after_id=self.feedback_cursor)
            if not rows:
                return
            for stored in rows:
                self.n_rated[stored.subscriber_id] = self.n_rated.get(stored.subscriber_id, 0) + 1
                self.stats.feedback += 1
                self.hooks.feedback_received(stored)
            self.feedback_cursor = rows[-1].id

    def _subscription(self, event: SubscriptionEvent) -> None:
        sub = self.store.upsert_subscriber(event.external_id, active=event.active, at=event.at, name=event.name)
        if sub.active:
            self._remember(sub)
        else:
            self.subscribers.pop(sub.id, None)

    def mail(self, now: datetime, only: Sequence[int] | None = None) -> None:
        """One mailing round: every active subscriber (or those in ``only``, who asked for a
        post with /more) gets their next post(s): planned, stored, then sent."""
        self.store.set_state(CLOCK_KEY, now.isoformat())
        candidates, posts = self.pool.candidates(now)
        if only is None:
            subs = list(self.subscribers.values())
        else:
            subs = [self.subscribers[i] for i in only if i in self.subscribers]
        if len(candidates) == 0 or not subs:
            return
        if only is None:
            self.stats.rounds += 1
            if self.stats.rounds % 50 == 0:
                self._forget_old_posts({int(pid) for pid in candidates.post})
        planned = plan_round(
            candidates,
            self._scores(subs, candidates),
            self.seen,
            cold_policy=self.cold_policy,
            warm_policy=self.warm_policy,
            posts_per_round=self.posts_per_round,
            exploration=self.exploration,
            rng=self.rng,
        )
        outgoing = self._store_planned(planned, posts, now)
        self._send(outgoing, now)
        log.info(
            "round at %s: %d posts for %d subscribers (%d in cold start), pool %d",
            now, len(outgoing), len(subs), sum(p.policy == self.cold_policy for p in planned),
            len(candidates),
        )

    def _scores(self, subs: Sequence[Subscriber], candidates: Candidates) -> RoundScores:
        """The cold-start ranking (if anyone is in cold start) and the recommender's scores
        for everyone else."""
        cold = [s for s in subs if self.cold_start.applies(self.n_rated.get(s.id, 0), self.n_delivered.get(s.id, 0))]
        cold_ids = {s.id for s in cold}
        warm = [s for s in subs if s.id not in cold_ids]
        ranking = self.cold_start.rank(candidates, self.recommender) if cold else None
        scores = (
            self.recommender.score_many([s.id for s in warm], candidates)
            if warm
            else np.zeros((0, len(candidates)))
        )
        return RoundScores(cold, ranking, warm, np.asarray(scores, dtype=np.float64))

    def _store_planned(self, planned: Sequence[PlannedDelivery], posts: Sequence[Post], now: datetime) -> list[Outgoing]:
        """Store the planned deliveries (``pending``) before anything is sent, so that a
        crash never sends a post twice; what each subscriber got is remembered."""
        if not planned:
            return []
        deliveries = [
            Delivery(
                subscriber_id=p.subscriber.id,
                post_id=p.post_id,
                sent_at=now,
                policy=p.policy,
                score=p.score,
                propensity=p.propensity,
                model_version_id=self.trainer.version_id if p.policy.kind is PolicyKind.RECOMMENDER else None,
            )
            for p in planned
        ]
        stored = self.store.add_deliveries(deliveries)
        by_key = {(d.subscriber_id, d.post_id): d for d in stored}
        outgoing = []
        for p in planned:
            delivery = by_key.get((p.subscriber.id, p.post_id))
            self.seen.setdefault(p.subscriber.id, set()).add(p.post_id)
            if delivery is not None:
                self.n_delivered[p.subscriber.id] = self.n_delivered.get(p.subscriber.id, 0) + 1
                outgoing.append(Outgoing(delivery, posts[p.index], p.subscriber))
        return outgoing

    def _forget_old_posts(self, pool: set[int]) -> None:
        """Keep only pool posts in what each subscriber got: older posts never come back,
        so memory stays bounded however long the deployment runs."""
        for sub_id, seen in self.seen.items():
            self.seen[sub_id] = {pid for pid in seen if pid in pool}

    def _send(self, outgoing: Sequence[Outgoing], now: datetime) -> None:
        if not outgoing:
            return
        results = self.sink.deliver(outgoing)
        by_id = {item.delivery.id: item for item in outgoing}
        updates: list[tuple[int, str, str | None]] = []
        for result in results:
            item = by_id.get(result.delivery_id)
            if item is None:
                continue
            updates.append(self._outcome(result, item, now))
        self.store.set_delivery_status(updates)

    def _outcome(self, result: DeliveryResult, item: Outgoing, now: datetime) -> tuple[int, str, str | None]:
        delivery_id = result.delivery_id
        if result.ok:
            self.stats.delivered += 1
            self.hooks.delivered(item.delivery)
            return (delivery_id, DeliveryStatus.SENT, None)
        if result.retry_after is not None and not result.subscriber_gone:
            self.retries.append((now + timedelta(seconds=result.retry_after), item))
            return (delivery_id, DeliveryStatus.RETRY, result.error)
        self.stats.failed += 1
        if result.subscriber_gone:
            sub = item.subscriber
            self.store.upsert_subscriber(sub.external_id, active=False, at=now)
            self.subscribers.pop(sub.id, None)
        return (delivery_id, DeliveryStatus.FAILED, result.error)

    def train(self, now: datetime) -> ModelVersion | None:
        return self.trainer.step(now)

