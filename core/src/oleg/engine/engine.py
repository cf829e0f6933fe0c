"""The engine: the flow of the design, as four jobs a scheduler runs.

* ``ingest``   – new posts from the source into the store and the fresh pool;
* ``collect``  – (un)subscriptions and 👍/👎 from the sink into the store; due retries;
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

from oleg.components import ColdStartPolicy, Component, Recommender, Scheduler, Sink, Source
from oleg.config.loader import Deployment
from oleg.engine.exploration import choose
from oleg.engine.pool import FreshPool
from oleg.engine.training import Trainer
from oleg.hooks import Hooks
from oleg.plugins import Plugins
from oleg.store import Store
from oleg.types import (
    Delivery,
    DeliveryResult,
    DeliveryStatus,
    FeedbackEvent,
    MoreRequest,
    Outgoing,
    Subscriber,
    SubscriptionEvent,
    utc,
)

log = logging.getLogger(__name__)

CLOCK_KEY = "engine.clock"


class Engine:
    """A running deployment; also the :class:`oleg.components.Runtime` its components see."""

    def __init__(self, deployment: Deployment, plugins: Plugins, *, store: Store | None = None) -> None:
        self.deployment = deployment
        self.plugins = plugins
        self.hooks = Hooks(plugins.hook)
        self.seed = deployment.deployment.seed
        self.data_dir = Path(deployment.deployment.data_dir)
        self.store = store or Store.open(deployment.deployment.database)
        self._own_store = store is None
        settings = deployment.engine
        self.exploration = settings.exploration
        self.posts_per_round = settings.posts_per_round
        self.rng = np.random.default_rng(self.seed)

        comps = deployment.components
        self.source: Source = comps["source"].cls(comps["source"].settings)  # type: ignore[assignment]
        self.sink: Sink = comps["sink"].cls(comps["sink"].settings)  # type: ignore[assignment]
        rec_cls = comps["recommender"].cls
        self.recommender: Recommender = rec_cls(comps["recommender"].settings, seed=self.seed)  # type: ignore[call-arg]
        self.cold_start: ColdStartPolicy = comps["cold_start"].cls(comps["cold_start"].settings)  # type: ignore[assignment]
        self.scheduler: Scheduler = comps["scheduler"].cls(comps["scheduler"].settings)  # type: ignore[assignment]
        self.components: dict[str, Component] = {
            "source": self.source,
            "sink": self.sink,
            "recommender": self.recommender,
            "cold_start": self.cold_start,
            "scheduler": self.scheduler,
        }
        self.recommender_name = comps["recommender"].plugin
        self.cold_start_name = comps["cold_start"].plugin

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
        self.stats = {"ingested": 0, "delivered": 0, "failed": 0, "feedback": 0, "rounds": 0}

    # -- Runtime -------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.scheduler.now()

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
        for comp in self.components.values():
            comp.start(self)
        try:
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
            self.hooks.started(self)
            self.scheduler.run(start=utc(begin) if begin else None, until=until)
            if self._failure is not None:
                raise self._failure
            self.store.set_state(CLOCK_KEY, self.scheduler.now().isoformat())
            self.hooks.stopped(self)
        finally:
            for comp in reversed(list(self.components.values())):
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
            self.stats["ingested"] += len(new)
            for post in new:
                self.hooks.post_ingested(post)
        deleted = list(self.source.deleted(now))
        if deleted:
            self.store.mark_posts_deleted(deleted)
            self.pool.remove(deleted)

    def collect(self, now: datetime) -> None:
        feedback: list[FeedbackEvent] = []
        more: list[int] = []
        for event in self.sink.poll(now):
            if isinstance(event, SubscriptionEvent):
                self._subscription(event)
            elif isinstance(event, FeedbackEvent):
                feedback.append(event)
            elif isinstance(event, MoreRequest):
                sub_id = self.by_external.get(event.external_id)
                if sub_id is not None and sub_id not in more:
                    more.append(sub_id)
        if feedback:
            self.store.add_feedback(feedback)
        self._follow_feedback()
        if more:
            self.mail(now, only=more)
        due = [item for at, item in self.retries if at <= now]
        if due:
            self.retries = [(at, item) for at, item in self.retries if at > now]
            self._send(due, now)

    def _follow_feedback(self) -> None:
        """Count and announce every rating stored since the last look, whoever stored it:
        the engine from a sink's poll, or a sink itself before acknowledging a press."""
        while True:
            rows = self.store.feedback_rows(after_id=self.feedback_cursor)
            if not rows:
                return
            for stored in rows:
                self.n_rated[stored.subscriber_id] = self.n_rated.get(stored.subscriber_id, 0) + 1
                self.stats["feedback"] += 1
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
        post with /more) gets their next post(s)."""
        self.store.set_state(CLOCK_KEY, now.isoformat())
        candidates, posts = self.pool.candidates(now)
        if only is None:
            subs = list(self.subscribers.values())
        else:
            subs = [self.subscribers[i] for i in only if i in self.subscribers]
        if len(candidates) == 0 or not subs:
            return
        if only is None:
            self.stats["rounds"] += 1
        post_index = {int(pid): i for i, pid in enumerate(candidates.post)}
        if only is None and self.stats["rounds"] % 50 == 0:
            self._forget_old_posts(post_index)
        cold = [s for s in subs if self.cold_start.applies(self.n_rated.get(s.id, 0), self.n_delivered.get(s.id, 0))]
        cold_ids = {s.id for s in cold}
        warm = [s for s in subs if s.id not in cold_ids]
        planned: list[tuple[Subscriber, int, float, float | None, str]] = []

        if cold:
            ranking = np.asarray(self.cold_start.rank(candidates, self.recommender), dtype=np.float64)
            order = np.argsort(-ranking, kind="stable")
            policy = f"cold_start:{self.cold_start_name}"
            ranked_posts = candidates.post[order].tolist()
            for sub in cold:
                seen = self.seen.get(sub.id, set())
                picked: list[int] = []
                for rank, post_id in enumerate(ranked_posts):  # the best few are usually unseen
                    if post_id not in seen:
                        picked.append(int(order[rank]))
                        if len(picked) == self.posts_per_round:
                            break
                planned += [(sub, i, float(ranking[i]), 1.0, policy) for i in picked]
        if warm:
            scores = np.asarray(
                self.recommender.score_many([s.id for s in warm], candidates), dtype=np.float64
            )
            policy = f"recommender:{self.recommender_name}"
            for row, sub in enumerate(warm):
                masked = scores[row].copy()
                for pid in self.seen.get(sub.id, ()):
                    i = post_index.get(pid)
                    if i is not None:
                        masked[i] = -np.inf
                for i, propensity in choose(masked, self.posts_per_round, self.exploration, self.rng):
                    planned.append((sub, i, float(scores[row, i]), propensity, policy))
        if not planned:
            return

        deliveries = [
            Delivery(
                subscriber_id=sub.id,
                post_id=int(candidates.post[i]),
                sent_at=now,
                policy=policy,
                score=score,
                propensity=propensity,
                model_version_id=self.trainer.version_id if policy.startswith("recommender") else None,
            )
            for sub, i, score, propensity, policy in planned
        ]
        stored = self.store.add_deliveries(deliveries)
        by_key = {(d.subscriber_id, d.post_id): d for d in stored}
        outgoing = []
        for sub, i, *_ in planned:
            delivery = by_key.get((sub.id, int(candidates.post[i])))
            self.seen.setdefault(sub.id, set()).add(int(candidates.post[i]))
            if delivery is not None:
                self.n_delivered[sub.id] = self.n_delivered.get(sub.id, 0) + 1
                outgoing.append(Outgoing(delivery, posts[i], sub))
        self._send(outgoing, now)
        log.info(
            "round at %s: %d posts for %d subscribers (%d in cold start), pool %d",
            now, len(outgoing), len(subs), len(cold), len(candidates),
        )

    def _forget_old_posts(self, pool: dict[int, int]) -> None:
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
            self.stats["delivered"] += 1
            self.hooks.delivered(item.delivery)
            return (delivery_id, DeliveryStatus.SENT, None)
        if result.retry_after is not None and not result.subscriber_gone:
            self.retries.append((now + timedelta(seconds=result.retry_after), item))
            return (delivery_id, DeliveryStatus.RETRY, result.error)
        self.stats["failed"] += 1
        if result.subscriber_gone:
            sub = item.subscriber
            self.store.upsert_subscriber(sub.external_id, active=False, at=now)
            self.subscribers.pop(sub.id, None)
        return (delivery_id, DeliveryStatus.FAILED, result.error)

    def train(self, now: datetime) -> dict[str, Any] | None:
        return self.trainer.step(now)

