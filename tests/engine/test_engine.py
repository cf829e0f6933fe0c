"""The engine end to end on the virtual clock, with in-process fake source and sink."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import oleg
import pytest
import sqlalchemy as sa
from oleg.config import load_deployment_dict
from oleg.engine import Engine
from oleg.errors import PluginError
from oleg.store import Store
from oleg.testing.fakes import ListSource, RuleSink
from oleg.types import (
    Delivery,
    DeliveryResult,
    FeedbackEvent,
    Policy,
    PolicyKind,
    Post,
    SubscriptionEvent,
    utc,
)
from oleg_recommender_baseline import PopularRecommender

T0 = datetime(2024, 11, 10, tzinfo=UTC)


def make_posts(n_channels=6, per_hour=2, hours=96):
    posts = []
    for h in range(-24, hours):
        for k in range(per_hour):
            ch = -1000000000000 - ((h * per_hour + k) % n_channels)
            posts.append(Post(channel_id=ch, message_id=1000 + h * per_hour + k + 100, date=T0 + timedelta(hours=h, minutes=10 * k)))
    return posts


def deployment(db: str, *, recommender="popular", run_for="2d", first_posts=3, subscribers=("alice", "bob", "carol")):
    return {
        "deployment": {"name": "t", "database": db, "seed": 1},
        "engine": {"pool_window": "1d", "exploration": {"kind": "boltzmann", "temperature": 0.05}},
        "source": {"plugin": "list", "posts": make_posts()},
        "sink": {"plugin": "rule", "subscribers": list(subscribers)},
        "recommender": {"plugin": recommender},
        "cold_start": {"plugin": "top-bias", "first_posts": first_posts},
        # three subscribers rate three posts an hour: judge each version on an hour's worth
        "promotion": {"min_ratings": 3},
        "scheduler": {
            "plugin": "virtual", "start": T0.isoformat(), "run_for": run_for,
            "mailing_every": "1h", "train_every": "30m", "full_retrain_every": 4,
            "ingest_every": "10m", "feedback_every": "10m",
        },
    }


def run(plugins, raw, store):
    engine = Engine(load_deployment_dict(raw, plugins=plugins), plugins, store=store)
    engine.run()
    return engine


def rows(store, sql):
    with store.engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


def test_a_deployment_learns_and_records_everything(plugins, store_url):
    store = Store.open(store_url)
    engine = run(plugins, deployment(store_url), store)
    deliveries = rows(store, "select subscriber_id, post_id, policy, propensity, status, model_version_id from delivery")
    # 3 subscribers, one post an hour for 48 hours
    assert len(deliveries) == 3 * 48
    assert len({(d[0], d[1]) for d in deliveries}) == len(deliveries)  # never the same post twice
    assert {d[4] for d in deliveries} == {"sent"}
    policies = Counter(d[2] for d in deliveries)
    # cold start until 3 ratings, then the recommender
    assert policies["cold_start:top-bias"] >= 9
    assert policies["recommender:popular"] > 100
    assert all(0 < d[3] <= 1 for d in deliveries)
    assert all(d[5] is not None for d in deliveries if d[2].startswith("recommender"))
    feedback = rows(store, "select value from feedback")
    assert len(feedback) == len(deliveries)  # each reaction, 5 minutes after its post
    kinds = Counter(r[0] for r in rows(store, "select kind from model_version"))
    assert kinds["full"] >= 2 and kinds["incremental"] >= 5
    assert [r[0] for r in rows(store, "select status from model_version where status = 'champion'")] == ["champion"]
    # the rule likes even channels: popular must learn to send them
    days = store.daily_stats()
    assert days[-1]["likes"] / days[-1]["deliveries"] > 0.8
    assert engine.stats.delivered == len(deliveries)
    store.close()


def test_restart_continues_without_losing_or_repeating(plugins, store_url):
    store = Store.open(store_url)
    run(plugins, deployment(store_url, run_for="1d"), store)
    first = rows(store, "select count(*) from delivery")[0][0]
    assert store.get_state("engine.clock") is not None
    assert store.get_state("engine.clock") == (T0 + timedelta(days=1)).isoformat()
    champion_before = store.champion()
    versions_before = len(store.model_versions(limit=10_000))
    assert champion_before is not None and champion_before.file is not None
    restarted_with = None

    @oleg.hookimpl
    def oleg_started(run):
        nonlocal restarted_with
        restarted_with = (engine.models.serving_version_id, len(store.model_versions(limit=10_000)))

    # the same file again: it continues from the stored clock, not from [scheduler] start
    with plugins.registered(SimpleNamespace(oleg_started=oleg_started), name="observer"):
        engine = Engine(load_deployment_dict(deployment(store_url, run_for="1d"), plugins=plugins), plugins, store=store)
        engine.run()
    total = rows(store, "select count(*) from delivery")[0][0]
    pairs = rows(store, "select count(distinct subscriber_id || '-' || post_id) from delivery")[0][0]
    assert pairs == total  # nothing sent twice
    assert total == first + 3 * 24  # the second day's 24 rounds, no round repeated
    assert store.get_state("engine.clock") == (T0 + timedelta(days=2)).isoformat()
    last = rows(store, "select max(sent_at) from delivery")[0][0]
    last = datetime.fromisoformat(last) if isinstance(last, str) else last
    assert utc(last) == T0 + timedelta(days=1, hours=23)
    # the second run served the first run's champion from its file: no refit at the start
    assert restarted_with == (champion_before.id, versions_before)
    assert engine.models.champion is not None and engine.models.champion.id >= champion_before.id
    # feedback: exactly one per delivery that got a reaction
    assert rows(store, "select count(*) from feedback")[0][0] == rows(
        store, "select count(distinct delivery_id) from feedback"
    )[0][0]
    store.close()


def test_lifecycle_hooks_see_every_event(plugins, store_url):
    seen = Counter()

    @oleg.hookimpl
    def oleg_post_ingested(post):
        seen["post"] += 1

    @oleg.hookimpl
    def oleg_delivered(delivery):
        assert delivery.status == "sent" and delivery.id is not None
        seen["delivered"] += 1

    @oleg.hookimpl
    def oleg_feedback_received(feedback):
        seen["feedback"] += 1

    @oleg.hookimpl
    def oleg_model_trained(version):
        assert isinstance(version, oleg.ModelVersion) and version.status is oleg.ModelStatus.CANDIDATE
        seen["trained"] += 1

    @oleg.hookimpl
    def oleg_model_promoted(version):
        assert version.status is oleg.ModelStatus.CHAMPION
        seen["promoted"] += 1

    @oleg.hookimpl
    def oleg_model_judged(decision):
        assert decision.reason and decision.version_id
        seen["judged"] += 1
        seen["served"] += decision.served

    @oleg.hookimpl
    def oleg_started(run):
        seen["started"] += 1
        assert run.components["sink"] == "rule" and run.components["recommender"] == "popular"

    @oleg.hookimpl
    def oleg_stopped(run, summary):
        seen["stopped"] += 1
        assert summary.feedback == rows(store, "select count(*) from feedback")[0][0] > 0

    observer = SimpleNamespace(**{f.__name__: f for f in (
        oleg_post_ingested, oleg_delivered, oleg_feedback_received, oleg_model_trained,
        oleg_model_promoted, oleg_model_judged, oleg_started, oleg_stopped)})
    store = Store.open(store_url)
    with plugins.registered(observer, name="observer"):
        run(plugins, deployment(store_url, run_for="1d"), store)
    assert seen["started"] == seen["stopped"] == 1
    assert seen["post"] == store.post_count()
    assert seen["delivered"] == rows(store, "select count(*) from delivery")[0][0]
    assert seen["feedback"] == rows(store, "select count(*) from feedback")[0][0]
    assert seen["trained"] == rows(store, "select count(*) from model_version")[0][0] > 5
    # every version but the newest was judged; each promotion announced once
    assert seen["judged"] == rows(store, "select count(*) from model_decision")[0][0] >= seen["trained"] - 1
    assert seen["promoted"] == seen["served"] == rows(
        store, "select count(*) from model_decision where outcome in ('first', 'promoted')"
    )[0][0] > 1
    store.close()


def test_blocked_subscriber_and_retry_after(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = Store.open(url)
    engine = Engine(load_deployment_dict(deployment(url, run_for="6h"), plugins=plugins), plugins, store=store)
    flooded = set()

    def fail(item):
        if item.subscriber.external_id == "bob":
            return DeliveryResult(item.delivery.id, ok=False, error="403 USER_IS_BLOCKED", subscriber_gone=True)
        if item.subscriber.external_id == "carol" and item.delivery.id not in flooded:
            flooded.add(item.delivery.id)
            return DeliveryResult(item.delivery.id, ok=False, error="429 retry after 120", retry_after=120)
        return None

    engine.sink.fail = fail
    engine.run()
    by_sub = {ext: sid for sid, ext in rows(store, "select id, external_id from subscriber")}
    statuses = rows(store, f"select status, count(*) from delivery where subscriber_id = {by_sub['bob']} group by status")
    assert statuses == [("failed", 1)]  # one try, then bob is inactive and gets nothing more
    assert [s.external_id for s in store.subscribers()] == ["alice", "carol"]
    carol = rows(store, f"select status from delivery where subscriber_id = {by_sub['carol']}")
    assert len(carol) == 6 and {c[0] for c in carol} == {"sent"}  # every flooded send went out later
    assert len(flooded) == 6
    store.close()


def test_a_post_waiting_for_a_retry_is_not_sent_to_someone_who_left(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = Store.open(url)
    engine = Engine(load_deployment_dict(deployment(url, run_for="3h"), plugins=plugins), plugins, store=store)
    sink = engine.sink

    def flood_carol(item):
        if item.subscriber.external_id == "carol":
            sink.events.append(SubscriptionEvent("carol", False, item.delivery.sent_at))  # /stop, meanwhile
            return DeliveryResult(item.delivery.id, ok=False, error="429 retry after 1800", retry_after=1800)
        return None

    sink.fail = flood_carol
    engine.run()
    carol = store.subscriber_by_external("carol")
    assert carol is not None and not carol.active
    rows_ = rows(store, f"select status, error from delivery where subscriber_id = {carol.id}")
    assert rows_ == [("failed", "the subscriber left")]
    assert not any(o.subscriber.external_id == "carol" for o in sink.sent)
    store.close()


def test_feedback_stored_while_the_sink_starts_is_counted_once(plugins, tmp_path):
    """A bot replays the presses queued while it was down as soon as it starts."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = Store.open(url)
    run(plugins, deployment(url, run_for="1h"), store)  # deliveries at 00:00, reactions at 00:05
    [post] = store.add_posts([Post(-100, 10**6, T0)])
    alice = store.subscriber_by_external("alice")
    [waiting] = store.add_deliveries([Delivery(alice.id, post.id, T0, Policy(PolicyKind.RECOMMENDER, "popular"))])
    announced = Counter()

    class Replaying(RuleSink):
        name = "replaying"

        def start(self, runtime):
            super().start(runtime)
            assert runtime.record_feedback([FeedbackEvent(waiting.id, 1, T0)]) == [True]

    class Plugin:
        @oleg.hookimpl
        def oleg_register_components(self, registry):
            registry.add_sink(Replaying)

        @oleg.hookimpl
        def oleg_feedback_received(self, feedback):
            announced[feedback.delivery_id] += 1

    raw = deployment(url, run_for="1h")
    raw["sink"]["plugin"] = "replaying"
    with plugins.registered(Plugin(), name="replaying-plugin"):
        engine = run(plugins, raw, store)
    assert announced[waiting.id] == 1
    assert engine.audience.n_rated == store.rating_counts()  # nothing missed, nothing twice
    store.close()


def test_a_component_whose_start_fails_is_closed_with_the_others(plugins, tmp_path):
    closed = []

    class Failing(RuleSink):
        name = "failing"

        def close(self):
            closed.append("sink")

    class Source(ListSource):
        name = "failing-source"

        def start(self, runtime):
            raise oleg.ConfigError("no network")

        def close(self):
            closed.append("source")

    class Plugin:
        @oleg.hookimpl
        def oleg_register_components(self, registry):
            registry.add_sink(Failing)
            registry.add_source(Source)

    url = f"sqlite:///{tmp_path / 'x.db'}"
    raw = deployment(url, run_for="1h")
    raw["sink"]["plugin"], raw["source"]["plugin"] = "failing", "failing-source"
    with plugins.registered(Plugin(), name="failing-plugin"):
        engine = Engine(load_deployment_dict(raw, plugins=plugins), plugins)
        with pytest.raises(oleg.ConfigError, match="no network"):
            engine.run()
    assert closed == ["source", "sink"]  # the failing one too, in reverse order


def test_the_example_third_party_plugin_runs_in_the_engine(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    store = Store.open(url)
    run(plugins, deployment(url, recommender="fresh", run_for="1d"), store)
    policies = Counter(r[0] for r in rows(store, "select policy from delivery"))
    assert policies["recommender:fresh"] > 40
    assert {r[0] for r in rows(store, "select plugin from model_version")} == {"fresh"}
    store.close()


def test_long_run_forgets_old_posts_without_repeating(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'long.db'}"
    store = Store.open(url)
    engine = run(plugins, deployment(url, run_for="3d"), store)
    assert engine.stats.rounds == 72  # past the 50th round, when old posts are forgotten
    total, distinct = rows(store, "select count(*), count(distinct subscriber_id || '-' || post_id) from delivery")[0]
    assert total == distinct == 3 * 72  # one new post per subscriber in every round
    assert max(len(s) for s in engine.audience.seen.values()) <= len(engine.pool)
    store.close()


def test_deliveries_waiting_for_a_retry_survive_a_restart(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'retry.db'}"
    store = Store.open(url)
    engine = Engine(load_deployment_dict(deployment(url, run_for="2h"), plugins=plugins), plugins, store=store)
    # carol's sends are refused with a long flood wait: still waiting when the run ends
    engine.sink.fail = lambda item: (
        DeliveryResult(item.delivery.id, ok=False, error="429", retry_after=86400)
        if item.subscriber.external_id == "carol" else None
    )
    engine.run()
    waiting = store.deliveries_with_status("retry")
    assert len(waiting) == 2
    engine = Engine(load_deployment_dict(deployment(url, run_for="1h"), plugins=plugins), plugins, store=store)
    engine.run()
    resent = {o.delivery.id for o in engine.sink.sent if o.subscriber.external_id == "carol"}
    assert {d.id for d in waiting} <= resent
    assert store.deliveries_with_status("retry") == []
    store.close()


class Reporting(PopularRecommender):
    """A model that reports of its fit (at module level: model files pickle it)."""

    name = "reporting"

    def fit(self, feedback):
        super().fit(feedback)
        self.fit_info = {"epochs": 3, "rows": len(feedback)}


def test_model_versions_record_what_the_model_reports_of_its_fit(plugins, tmp_path):
    class Plugin:
        @oleg.hookimpl
        def oleg_register_components(self, registry):
            registry.add_recommender(Reporting)

    url = f"sqlite:///{tmp_path / 'fit.db'}"
    store = Store.open(url)
    with plugins.registered(Plugin(), name="reporting-plugin"):
        run(plugins, deployment(url, recommender="reporting", run_for="12h"), store)
    versions = store.model_versions(limit=100)
    full = [v for v in versions if v.kind is oleg.ModelKind.FULL]
    assert full and all(v.metrics["fit"]["epochs"] == 3 for v in full)
    assert all(v.metrics["fit"]["rows"] == v.n_feedback for v in full)
    assert all("fit" not in v.metrics for v in versions if v.kind is oleg.ModelKind.INCREMENTAL)
    store.close()


def test_feedback_recorded_through_the_runtime_is_counted_and_announced_once(plugins, tmp_path):
    """Every sink stores presses with runtime.record_feedback; the engine follows the table."""
    announced = Counter()

    @oleg.hookimpl
    def oleg_feedback_received(feedback):
        announced[feedback.delivery_id] += 1

    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = Store.open(url)
    observer = SimpleNamespace(oleg_feedback_received=oleg_feedback_received)
    with plugins.registered(observer, name="observer"):
        engine = run(plugins, deployment(url, run_for="1d"), store)
    stored = rows(store, "select delivery_id from feedback")
    assert len(stored) > 20
    assert engine.sink.recorded == [True] * len(stored)  # each press was new when recorded
    assert announced == Counter({d: 1 for (d,) in stored})
    assert engine.stats.feedback == len(stored)
    # the counts drove cold start: later posts came from the recommender
    policies = {p for (p,) in rows(store, "select policy from delivery")}
    assert "recommender:popular" in policies
    # a repeated press, a second vote on one delivery in a batch, an unknown delivery: not new
    (first,) = stored[0]
    [post] = store.add_posts([Post(-100, 10**6, T0)])
    [fresh] = store.add_deliveries([Delivery(1, post.id, T0, Policy(PolicyKind.RECOMMENDER, "popular"))])
    fresh = fresh.id
    again = [FeedbackEvent(first, 0, T0), FeedbackEvent(fresh, 1, T0), FeedbackEvent(fresh, 0, T0),
             FeedbackEvent(10**9, 1, T0)]
    assert engine.record_feedback(again) == [False, True, False, False]
    store.close()


def test_a_sink_returning_feedback_from_poll_is_told_the_one_path(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = Store.open(url)
    engine = Engine(load_deployment_dict(deployment(url, run_for="1h"), plugins=plugins), plugins, store=store)
    engine.sink.events.append(FeedbackEvent(1, 1, T0))
    with pytest.raises(PluginError, match="record_feedback"):
        engine.run()
    store.close()


def test_more_request_mails_that_subscriber_at_once(plugins, tmp_path):
    from oleg.types import MoreRequest

    url = f"sqlite:///{tmp_path / 'x.db'}"
    raw = deployment(url, run_for="3h")
    raw["scheduler"]["mailing_every"] = "1d"  # only the first round at the start
    store = Store.open(url)
    engine = Engine(load_deployment_dict(raw, plugins=plugins), plugins, store=store)
    sink = engine.sink

    def ask_at_one_hour(now):
        if now >= T0 + timedelta(hours=1) and not getattr(sink, "asked", False):
            sink.asked = True
            sink.events.append(MoreRequest("bob", now))

    engine.scheduler.every("ask", timedelta(minutes=10), ask_at_one_hour)
    engine.run()
    per_sub = dict(rows(store, "select s.external_id, count(*) from delivery d join subscriber s on s.id = d.subscriber_id group by s.external_id"))
    assert per_sub == {"alice": 1, "bob": 2, "carol": 1}
    assert engine.stats.rounds == 1  # /more is not a mailing round
    store.close()
