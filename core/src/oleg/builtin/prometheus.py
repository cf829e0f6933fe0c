"""Prometheus metrics of a running deployment, as an observer of the lifecycle hooks.

``[metrics] port`` turns it on: ``oleg run`` registers a :class:`MetricsExporter` for the
run and serves its registry on ``http://ADDRESS:PORT/metrics``. Everything it exports comes
from the hook payloads, so the engine knows nothing of Prometheus; no label names a
subscriber (their number is unbounded). Named apart from :mod:`oleg.metrics` (the offline
ranking metrics). prometheus_client is imported only when metrics are on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from oleg import hookimpl
from oleg.errors import ConfigError
from oleg.types import LIKE
from oleg.versions import DecisionOutcome

if TYPE_CHECKING:
    from oleg.config.sections import MetricsSection
    from oleg.plugins import Plugins
    from oleg.run_info import RoundReport, RunInfo, RunSummary
    from oleg.types import Delivery, Feedback, Post
    from oleg.versions import ModelDecision, ModelVersion

log = logging.getLogger(__name__)

# Seconds: a mailing round of a large deployment takes minutes, a training round
# milliseconds to minutes.
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class MetricsExporter:
    """Counters, histograms and gauges of one run, on a registry of its own (two runs in one
    process, as in tests, never share counts)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        r = self.registry
        self.posts = Counter("oleg_posts_ingested", "Posts stored for the first time.", registry=r)
        self.deliveries = Counter(
            "oleg_deliveries",
            "Deliveries by outcome: sent, failed, or retry (the sink asked to try again later).",
            ["status"],
            registry=r,
        )
        self.feedback = Counter("oleg_feedback", "Ratings stored, by vote.", ["vote"], registry=r)
        self.mailing_rounds = Counter("oleg_mailing_rounds", "Mailing rounds run.", registry=r)
        self.training_rounds = Counter(
            "oleg_training_rounds", "Model versions trained, by kind.", ["kind"], registry=r
        )
        self.round_seconds = Histogram(
            "oleg_mailing_round_duration_seconds",
            "Wall time of a mailing round.",
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.send_seconds = Histogram(
            "oleg_send_duration_seconds",
            "Wall time the sink took to deliver one round's posts.",
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.training_seconds = Histogram(
            "oleg_training_duration_seconds",
            "Wall time of fitting one model version, by kind.",
            ["kind"],
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.active = Gauge(
            "oleg_active_subscribers", "Subscribers receiving the feed.", registry=r
        )
        self.pool = Gauge(
            "oleg_pool_posts", "Candidate posts in the fresh pool at the last round.", registry=r
        )
        self.model_version = Gauge(
            "oleg_serving_model_version", "Id of the model version served.", registry=r
        )
        self.model_auc = Gauge(
            "oleg_serving_model_prequential_auc",
            "Prequential AUC of the served version (measured on new ratings before learning them).",
            registry=r,
        )
        self.decisions = Counter(
            "oleg_model_decisions_total",
            "The model registry's decisions, by outcome (collapsed: a version never served).",
            ["outcome"],
            registry=r,
        )
        for outcome in DecisionOutcome:
            self.decisions.labels(outcome=str(outcome))
        for status in ("sent", "failed", "retry"):
            self.deliveries.labels(status=status)
        for vote in ("like", "dislike"):
            self.feedback.labels(vote=vote)
        for kind in ("full", "incremental"):
            self.training_rounds.labels(kind=kind)

    def text(self) -> str:
        """The exposition text, as ``/metrics`` serves it."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry).decode()

    # -- lifecycle hooks -----------------------------------------------------------------

    @hookimpl
    def oleg_started(self, run: RunInfo) -> None:
        self.active.set(len(run.store.subscribers()))
        champion = run.store.champion()
        if champion is not None:
            self.oleg_model_promoted(champion)

    @hookimpl
    def oleg_post_ingested(self, post: Post) -> None:
        self.posts.inc()

    @hookimpl
    def oleg_delivered(self, delivery: Delivery) -> None:
        self.deliveries.labels(status="sent").inc()

    @hookimpl
    def oleg_feedback_received(self, feedback: Feedback) -> None:
        self.feedback.labels(vote="like" if feedback.value == LIKE else "dislike").inc()

    @hookimpl
    def oleg_round_finished(self, round: RoundReport) -> None:
        # Sent deliveries are counted by oleg_delivered (retries sent later included).
        self.deliveries.labels(status="failed").inc(round.failed)
        self.deliveries.labels(status="retry").inc(round.retry)
        self.mailing_rounds.inc()
        self.round_seconds.observe(round.seconds)
        self.send_seconds.observe(round.send_seconds)
        self.active.set(round.subscribers)
        self.pool.set(round.pool)

    @hookimpl
    def oleg_model_trained(self, version: ModelVersion) -> None:
        kind = str(version.kind)
        self.training_rounds.labels(kind=kind).inc()
        seconds = version.metrics.get("train_seconds")
        if isinstance(seconds, int | float):
            self.training_seconds.labels(kind=kind).observe(float(seconds))

    @hookimpl
    def oleg_model_judged(self, decision: ModelDecision) -> None:
        self.decisions.labels(outcome=str(decision.outcome)).inc()

    @hookimpl
    def oleg_model_promoted(self, version: ModelVersion) -> None:
        self.model_version.set(version.id)
        auc: Any = (version.metrics.get("prequential") or {}).get("auc")
        if isinstance(auc, int | float):
            self.model_auc.set(float(auc))

    @hookimpl
    def oleg_stopped(self, run: RunInfo, summary: RunSummary) -> None:
        log.debug("metrics at stop: %s", summary.as_dict())


@contextlib.contextmanager
def exporting(settings: MetricsSection, plugins: Plugins) -> Iterator[MetricsExporter | None]:
    """Serve a run's metrics while the block runs, when ``[metrics] port`` is set."""
    if settings.port is None:
        yield None
        return
    from prometheus_client import start_http_server

    exporter = MetricsExporter()
    try:
        server, thread = start_http_server(
            settings.port, settings.address, registry=exporter.registry
        )
    except OSError as exc:
        raise ConfigError(
            f"[metrics] cannot serve on {settings.address}:{settings.port}: {exc.strerror or exc}; "
            "choose another port (or stop what uses it)."
        ) from None
    log.info("metrics on http://%s:%d/metrics", settings.address, settings.port)
    try:
        with plugins.registered(exporter, name="oleg.builtin.prometheus"):
            yield exporter
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
