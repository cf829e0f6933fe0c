"""The wall-clock scheduler, for real but briefly: jobs run at their intervals, one at a
time, and the engine runs on it unchanged."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from oleg.config import load_deployment_dict
from oleg.engine import Engine
from oleg.plugins import Plugins
from oleg.store import Store
from oleg.testing.fakes import fakes_plugin
from oleg.types import Post
from oleg_scheduler_apscheduler import APScheduler, APSchedulerSettings


def test_jobs_run_at_their_intervals_and_never_overlap():
    scheduler = APScheduler(APSchedulerSettings())
    calls: dict[str, list[datetime]] = {"fast": [], "slow": []}
    running = threading.Lock()
    overlaps = []

    def job(name):
        def run(now):
            if not running.acquire(blocking=False):
                overlaps.append(name)
                return
            try:
                calls[name].append(now)
                time.sleep(0.01)
            finally:
                running.release()
        return run

    scheduler.every("fast", timedelta(milliseconds=200), job("fast"))
    scheduler.every("slow", timedelta(seconds=1), job("slow"))
    began = time.monotonic()
    scheduler.run(until=datetime.now(UTC) + timedelta(seconds=1.5))
    assert 1.3 < time.monotonic() - began < 4
    assert 5 <= len(calls["fast"]) <= 9
    assert len(calls["slow"]) == 2  # at the start and one second later
    assert not overlaps
    assert all(c.tzinfo is not None for c in calls["fast"])


def test_stop_from_another_thread():
    scheduler = APScheduler(APSchedulerSettings())
    scheduler.every("tick", timedelta(seconds=10), lambda now: None)
    threading.Timer(0.3, scheduler.stop).start()
    began = time.monotonic()
    scheduler.run()
    assert time.monotonic() - began < 3


def test_engine_on_the_wall_clock(tmp_path):
    now = datetime.now(UTC)
    posts = [Post(-1001, i, now - timedelta(minutes=30 - i)) for i in range(20)]
    raw = {
        "deployment": {"name": "wall", "database": f"sqlite:///{tmp_path / 'w.db'}", "data_dir": str(tmp_path)},
        "source": {"plugin": "list", "posts": posts},
        "sink": {"plugin": "rule", "subscribers": ["a", "b"], "delay": "0s"},
        "recommender": {"plugin": "popular"},
        "cold_start": {"plugin": "none"},
        "scheduler": {
            "plugin": "apscheduler", "mailing_every": "300ms", "train_every": "200ms",
            "ingest_every": "100ms", "feedback_every": "100ms",
        },
    }
    plugins = Plugins()
    with plugins.registered(fakes_plugin()):
        store = Store.open(raw["deployment"]["database"])
        engine = Engine(load_deployment_dict(raw, plugins=plugins), plugins, store=store)
        engine.run(until=datetime.now(UTC) + timedelta(seconds=1.6))
    assert engine.stats.delivered >= 6  # both subscribers, at least 3 rounds each
    assert engine.stats.feedback >= 4
    assert store.model_versions()
    store.close()
