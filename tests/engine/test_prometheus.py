"""``[metrics] port``: a run's Prometheus metrics, parsed with prometheus_client's own parser,
match what the run left in the store."""

from __future__ import annotations

import socket
import urllib.request

import pytest
import sqlalchemy as sa
from oleg.builtin.prometheus import exporting
from oleg.config import load_deployment_dict
from oleg.engine import Engine
from oleg.errors import ConfigError
from oleg.store import Store
from oleg.types import DeliveryResult
from prometheus_client.parser import text_string_to_metric_families

from .test_engine import deployment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _count(store: Store, sql: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def test_metrics_served_during_a_run_match_the_store(tmp_path, plugins):
    port = _free_port()
    raw = deployment(f"sqlite:///{tmp_path / 'm.db'}", run_for="1d")
    raw["metrics"] = {"port": port}
    resolved = load_deployment_dict(raw, plugins=plugins)
    store = Store.open(resolved.deployment.database)
    engine = Engine(resolved, plugins, store=store)
    engine.sink.fail = lambda item: (  # every 7th post fails, to count failures too
        DeliveryResult(item.delivery.id, ok=False, error="blocked")
        if item.post.message_id % 7 == 0
        else None
    )
    with exporting(resolved.metrics, plugins):
        engine.run()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    got = _samples(text)

    def value(name: str, **labels: str) -> float:
        return got[(name, tuple(sorted(labels.items())))]

    assert value("oleg_posts_ingested_total") == _count(store, "SELECT count(*) FROM post") > 0
    for status in ("sent", "failed"):
        stored = _count(store, f"SELECT count(*) FROM delivery WHERE status = '{status}'")
        assert value("oleg_deliveries_total", status=status) == stored > 0
    assert (
        value("oleg_feedback_total", vote="like")
        == _count(store, "SELECT count(*) FROM feedback WHERE value = 1")
        > 0
    )
    assert value("oleg_feedback_total", vote="dislike") == _count(
        store, "SELECT count(*) FROM feedback WHERE value = 0"
    )
    for kind in ("full", "incremental"):
        versions = _count(store, f"SELECT count(*) FROM model_version WHERE kind = '{kind}'")
        assert value("oleg_training_rounds_total", kind=kind) == versions > 0
        assert value("oleg_training_duration_seconds_count", kind=kind) == versions
    for outcome in ("first", "promoted", "rejected"):
        decided = _count(store, f"SELECT count(*) FROM model_decision WHERE outcome = '{outcome}'")
        assert value("oleg_model_decisions_total", outcome=outcome) == decided
    assert value("oleg_model_decisions_total", outcome="first") == 1
    assert value("oleg_mailing_rounds_total") == engine.stats.rounds > 0
    assert value("oleg_mailing_round_duration_seconds_count") == engine.stats.rounds
    assert value("oleg_send_duration_seconds_count") == engine.stats.rounds
    assert value("oleg_active_subscribers") == 3
    assert value("oleg_pool_posts") > 0
    champion = store.champion()
    assert champion is not None and value("oleg_serving_model_version") == champion.id
    assert 0 <= value("oleg_serving_model_prequential_auc") <= 1
    assert not any("subscriber=" in line for line in text.splitlines())  # no per-subscriber labels
    store.close()


def test_metrics_are_off_by_default_and_a_busy_port_is_a_clear_error(tmp_path, plugins):
    resolved = load_deployment_dict(deployment(f"sqlite:///{tmp_path / 'm.db'}"), plugins=plugins)
    with exporting(resolved.metrics, plugins) as exporter:
        assert exporter is None
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        raw = deployment(f"sqlite:///{tmp_path / 'm.db'}")
        raw["metrics"] = {"port": busy.getsockname()[1]}
        resolved = load_deployment_dict(raw, plugins=plugins)
        with (
            pytest.raises(ConfigError, match=r"\[metrics\] cannot serve on 127.0.0.1:"),
            exporting(resolved.metrics, plugins),
        ):
            pass


def test_a_metrics_port_out_of_range_names_the_key(tmp_path, plugins):
    raw = deployment(f"sqlite:///{tmp_path / 'm.db'}")
    raw["metrics"] = {"port": 70000}
    with pytest.raises(ConfigError, match=r"\[metrics\] port"):
        load_deployment_dict(raw, plugins=plugins)
