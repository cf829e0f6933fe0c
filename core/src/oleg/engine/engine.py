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
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from oleg.components import Component, Recommender
from oleg.config.loader import Deployment
from oleg.engine.audience import Audience
from oleg.engine.lease import EngineLease, StoreInUse
from oleg.engine.lineage import Lineage
from oleg.engine.mailing import PlannedDelivery, RoundScores, plan_round
from oleg.engine.model_files import ModelFiles
from oleg.engine.pool import FreshPool
from oleg.engine.registry import ModelRegistry
from oleg.engine.rounds import RoundLog
from oleg.engine.signals import stop_on_signals
from oleg.errors import PluginError
from oleg.hooks import Hooks
from oleg.plugins import Plugins
from oleg.registry import ComponentKind
from oleg.run_info import RoundReport, RunInfo, RunSummary
from oleg.runtime import Runtime, SharedValues, runtime_over
from oleg.store import Store
from oleg.store.views import StoreReader, view
from oleg.types import (
    Candidates,
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    DeliveryUpdate,
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
        self.cold_start = deployment.cold_start.build(seed=self.seed)
        self.scheduler = deployment.scheduler.build(seed=self.seed)
        self.shared = SharedValues()
        self.recommender_name = deployment.recommender.plugin
        self.cold_start_name = deployment.cold_start.plugin
        self.cold_policy = Policy(PolicyKind.COLD_START, self.cold_start_name)
        self.warm_policy = Policy(PolicyKind.RECOMMENDER, self.recommender_name)

        self.pool = FreshPool(settings.pool_window, settings.pool_size)
        self.audience = Audience()
        self.rounds = RoundLog()
        self.retries: list[tuple[datetime, Outgoing]] = []
        self.feedback_cursor = 0
        self.models = ModelRegistry(
            [
                Lineage(config, config.build(seed=self.seed), main=config is deployment.recommender)
                for config in deployment.recommenders
            ],
            store=self.store,
            hooks=self.hooks,
            files=ModelFiles(self.data_dir),
            rule=deployment.promotion,
            full_retrain_every=self.scheduler.settings.full_retrain_every,
            runtime_for=self._runtime,
            plugin_class=plugins.recommender,
            unanswered=settings.unanswered,
            inverse_propensity=settings.inverse_propensity,
        )
        self._failure: BaseException | None = None
        self._feedback_lock = threading.Lock()
        self._begin: datetime | None = None
        self._running = False
        self.stats = RunSummary()

    @property
    def recommender(self) -> Recommender:
        """The model being served: the registry's champion."""
        return self.models.serving

    def _started_in_order(self) -> list[tuple[ComponentKind, Component | ModelRegistry]]:
        """Sink first (it may publish what the source needs, the bot's username), the
        scheduler last; they close in the reverse order. The registry starts and closes
        the recommenders (the main one and the challengers) and the copies it loads."""
        return [
            (ComponentKind.SINK, self.sink),
            (ComponentKind.SOURCE, self.source),
            (ComponentKind.RECOMMENDER, self.models),
            (ComponentKind.COLD_START, self.cold_start),
            (ComponentKind.SCHEDULER, self.scheduler),
        ]

    def runtime_for(self, kind: ComponentKind) -> Runtime:
        """The runtime one component sees: its own folder, state and tables, no other component."""
        return self._runtime(self.deployment.components[kind].plugin)

    def _runtime(self, plugin: str) -> Runtime:
        return runtime_over(
            self.store,
            plugin=plugin,
            data_dir=self.data_dir / plugin,
            clock=self.now,
            seed=self.seed,
            shared=self.shared,
            record_feedback=self.record_feedback,
        )

    def run_info(self, begin: datetime | None) -> RunInfo:
        return RunInfo(
            name=self.deployment.deployment.name,
            components={k.value: c.plugin for k, c in self.deployment.components.items()},
            started_at=begin,
            store=view(self.store, StoreReader),
        )

    # -- Runtime -------------------------------------------------------------------------

    def now(self) -> datetime:
        """The scheduler's time; before it runs (components starting), where it will begin."""
        if not self._running:
            return self._begin or datetime.now(UTC)
        return self.scheduler.now()

    def record_feedback(self, events: Sequence[FeedbackEvent]) -> list[bool]:
        """The one way feedback reaches the store (see :meth:`Runtime.record_feedback`):
        per event, whether it was stored now. Safe from a sink's own threads: it only
        writes the store, one call at a time (so ids are committed in order and the
        engine's cursor never passes one still being written); :meth:`collect` counts and
        announces, on the engine's thread."""
        with self._feedback_lock:
            return self.store.record_feedback(events)

    # -- lifecycle -----------------------------------------------------------------------

    def run(self, *, until: datetime | None = None, start: datetime | None = None) -> None:
        """Take the store's lease, start the components, restore state from the store, run
        the jobs, stop cleanly."""
        lease = EngineLease(self.store, ttl=self.deployment.engine.lease_ttl, on_lost=self._lost_lease)
        try:
            lease.acquire()
        except StoreInUse:
            if self._own_store:
                self.store.close()
            raise
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
        self._begin = utc(begin) if begin else None
        # What was rated so far is counted before any component starts: a sink may store
        # presses from its own threads as soon as it is started, and those are followed.
        self.feedback_cursor = self.store.last_feedback_id()
        started: list[Component | ModelRegistry] = []
        try:
            for kind, comp in self._started_in_order():
                started.append(comp)  # closed even if its start fails half-way
                if isinstance(comp, ModelRegistry):
                    comp.start()
                else:
                    comp.start(self.runtime_for(kind))
            self._restore(self._begin)
            sched = self.scheduler.settings
            self.scheduler.every("ingest", sched.ingest_every, self._guard(self.ingest))
            self.scheduler.every("collect", sched.feedback_every, self._guard(self.collect))
            self.scheduler.every("mail", sched.mailing_every, self._guard(self.mail))
            self.scheduler.every("train", sched.train_every, self._guard(self.train))
            log.info(
                "%s starts at %s: %d subscribers, %d posts in the pool, recommender %s",
                self.deployment.deployment.name, begin, len(self.audience.subscribers), len(self.pool),
                self.recommender_name,
            )
            run = self.run_info(self._begin)
            self.hooks.started(run)
            self._running = True
            with stop_on_signals(self.stop):
                self.scheduler.run(start=self._begin, until=until)
            if self._failure is not None:
                raise self._failure
            self.store.set_state(CLOCK_KEY, self.scheduler.now().isoformat())
            self.hooks.stopped(run, self.stats)
        finally:
            self._running = False
            lease.release()
            for comp in reversed(started):
                try:
                    comp.close()
                except Exception:  # the others still close, and the run's own error stands
                    log.exception("closing %s failed", type(comp).__name__)
            if self._own_store:
                self.store.close()

    def stop(self) -> None:
        """Stop after the job in progress (what SIGINT and SIGTERM do)."""
        self.scheduler.stop()

    def _lost_lease(self, why: str) -> None:
        """Called from the lease's thread: stop after the job in progress, and fail."""
        self._failure = StoreInUse(f"the engine stopped: {why}.")
        self.scheduler.stop()

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
        since = begin - self.pool.window if begin is not None else None
        self.audience.restore(self.store, since, rated_up_to=self.feedback_cursor)
        self.rounds = RoundLog.load(self.store)
        self.rounds.restore_rng(self.rng)
        self._settle_pending()
        if begin is not None and since is not None:
            self.pool.add(self.store.recent_posts(since, self.pool.max_size))
            self._restore_retries(begin)
        self.models.restore(begin or self.now())

    def _settle_pending(self) -> None:
        """Deliveries the last run stored and never heard back about (it stopped between
        storing and the sink's answer): the sink tells what became of them if it can; the
        others are ``unknown`` and never sent again (at most once per subscriber and post)."""
        pending = self.store.deliveries_with_status(DeliveryStatus.PENDING)
        if not pending:
            return
        answered = {u.delivery_id: u for u in self.sink.settle(pending)}
        updates = [
            answered.get(d.id) or DeliveryUpdate(d.id, DeliveryStatus.UNKNOWN, "the engine stopped before the sink answered")
            for d in pending
            if d.id is not None
        ]
        self.store.set_delivery_status(updates)
        self.stats.unknown += sum(u.status is DeliveryStatus.UNKNOWN for u in updates)
        log.warning(
            "%d deliveries were left pending by the last run: %d settled by the sink, %d unknown",
            len(updates), len(updates) - self.stats.unknown, self.stats.unknown,
        )

    def _restore_retries(self, begin: datetime) -> None:
        """Deliveries a sink asked to retry before the last stop go out at the start."""
        waiting = self.store.deliveries_with_status(DeliveryStatus.RETRY)
        if not waiting:
            return
        posts = {p.id: p for p in self.store.posts_by_id([d.post_id for d in waiting])}
        for delivery in waiting:
            sub = self.audience.subscribers.get(delivery.subscriber_id)
            post = posts.get(delivery.post_id)
            if sub is not None and post is not None:
                self.retries.append((begin, Outgoing(delivery, post, sub)))
        log.info("%d deliveries waiting for a retry since the last run", len(self.retries))

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
                sub_id = self.audience.by_external.get(event.external_id)
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
            active = self.audience.subscribers
            left = [i for i in due if i.subscriber.id not in active]
            if left:  # they stopped the bot while their post waited: it is not sent
                self.store.set_delivery_status([
                    DeliveryUpdate(i.delivery.id, DeliveryStatus.FAILED, "the subscriber left")
                    for i in left if i.delivery.id is not None
                ])
            self._send([i for i in due if i.subscriber.id in active], now)

    def _follow_feedback(self) -> None:
        """Count and announce every rating stored since the last look (sinks store them
        through :meth:`record_feedback`, from whatever thread receives them)."""
        while True:
            rows = self.store.feedback_rows(after_id=self.feedback_cursor)
            if not rows:
                return
            for stored in rows:
                self.audience.rated(stored.subscriber_id)
                self.stats.feedback += 1
                self.hooks.feedback_received(stored)
            self.feedback_cursor = rows[-1].id

    def _subscription(self, event: SubscriptionEvent) -> None:
        sub = self.store.upsert_subscriber(event.external_id, active=event.active, at=event.at, name=event.name)
        if sub.active:
            self.audience.remember(sub)
        else:
            self.audience.forget(sub.id)

    def mail(self, now: datetime, only: Sequence[int] | None = None) -> None:
        """One mailing round: every active subscriber (or those in ``only``, who asked for a
        post with /more) gets their next post(s): planned, stored, then sent.

        A round is recorded when it starts and when it is done (:class:`RoundLog`): after a
        restart, a round done is not repeated, and an open one is finished for those who got
        nothing in it yet."""
        full = only is None
        if full and not self.rounds.due(now, self.scheduler.settings.mailing_every):
            return
        started = time.perf_counter()
        self.store.set_state(CLOCK_KEY, now.isoformat())
        candidates, posts = self.pool.candidates(now)
        active = self.audience.subscribers
        subs = list(active.values()) if only is None else [active[i] for i in only if i in active]
        if full and self.rounds.open_at == now:
            got = self.store.subscribers_delivered_at(now)
            subs = [s for s in subs if s.id not in got]
        if len(candidates) == 0 or not subs:
            if full:
                self.rounds.finished(self.store, now, self.rng)
            return
        if full:
            self.rounds.started(self.store, now)
            self.stats.rounds += 1
            if self.stats.rounds % 50 == 0:
                self.audience.keep_only(int(pid) for pid in candidates.post)
        planned = plan_round(
            candidates,
            self._scores(subs, candidates),
            self.audience.seen,
            cold_policy=self.cold_policy,
            warm_policy=self.warm_policy,
            posts_per_round=self.posts_per_round,
            exploration=self.exploration,
            rng=self.rng,
        )
        outgoing = self._store_planned(planned, posts, now)
        send_started = time.perf_counter()
        statuses = self._send(outgoing, now)
        if full:
            self.rounds.finished(self.store, now, self.rng)
        finished = time.perf_counter()
        n_cold = sum(p.policy == self.cold_policy for p in planned)
        log.info(
            "round at %s: %d posts for %d subscribers (%d in cold start), pool %d",
            now, len(outgoing), len(subs), n_cold, len(candidates),
        )
        if only is None:
            self.hooks.round_finished(RoundReport(
                at=now, subscribers=len(subs), cold_start=n_cold, pool=len(candidates),
                sent=statuses.count(DeliveryStatus.SENT), failed=statuses.count(DeliveryStatus.FAILED),
                retry=statuses.count(DeliveryStatus.RETRY), seconds=finished - started,
                send_seconds=finished - send_started,
            ))

    def _scores(self, subs: Sequence[Subscriber], candidates: Candidates) -> RoundScores:
        """The cold-start ranking (if anyone is in cold start) and the recommender's scores
        for everyone else."""
        cold = [s for s in subs if self.cold_start.applies(*self.audience.counts(s.id))]
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
                model_version_id=self.models.serving_version_id if p.policy.kind is PolicyKind.RECOMMENDER else None,
            )
            for p in planned
        ]
        stored = self.store.add_deliveries(deliveries)
        by_key = {(d.subscriber_id, d.post_id): d for d in stored}
        outgoing = []
        for p in planned:
            delivery = by_key.get((p.subscriber.id, p.post_id))
            self.audience.got(p.subscriber.id, p.post_id, stored=delivery is not None)
            if delivery is not None:
                outgoing.append(Outgoing(delivery, posts[p.index], p.subscriber))
        return outgoing

    def _send(self, outgoing: Sequence[Outgoing], now: datetime) -> list[DeliveryStatus]:
        """Hand the deliveries to the sink and store each outcome; returns the statuses."""
        if not outgoing:
            return []
        results = self.sink.deliver(outgoing)
        by_id = {item.delivery.id: item for item in outgoing}
        updates: list[DeliveryUpdate] = []
        for result in results:
            item = by_id.get(result.delivery_id)
            if item is None:
                continue
            updates.append(self._outcome(result, item, now))
        self.store.set_delivery_status(updates)
        return [u.status for u in updates]

    def _outcome(self, result: DeliveryResult, item: Outgoing, now: datetime) -> DeliveryUpdate:
        delivery_id = result.delivery_id
        if result.ok:
            self.stats.delivered += 1
            self.hooks.delivered(replace(item.delivery, status=DeliveryStatus.SENT))
            return DeliveryUpdate(delivery_id, DeliveryStatus.SENT)
        if result.retry_after is not None and not result.subscriber_gone:
            self.retries.append((now + timedelta(seconds=result.retry_after), item))
            return DeliveryUpdate(delivery_id, DeliveryStatus.RETRY, result.error)
        self.stats.failed += 1
        if result.subscriber_gone:
            sub = item.subscriber
            self.store.upsert_subscriber(sub.external_id, active=False, at=now)
            self.audience.forget(sub.id)
        return DeliveryUpdate(delivery_id, DeliveryStatus.FAILED, result.error)

    def train(self, now: datetime) -> list[ModelVersion]:
        """One training round of every line of models, and the registry's judgments."""
        return self.models.step(now)

