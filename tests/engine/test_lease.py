"""One engine per store: a second one is refused naming the holder; a dead holder's lease is
taken over; an engine whose lease is taken stops. On SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from oleg.config import load_deployment_dict
from oleg.engine import Engine
from oleg.engine.lease import LEASE_NAME, StoreInUse
from oleg.plugins import Plugins
from oleg.store import Store
from oleg.store.leases import Lease
from oleg.testing.fakes import fakes_plugin
from oleg.types import Post

T0 = datetime(2024, 11, 10, tzinfo=UTC)


def deployment(db: str, **engine: object) -> dict:
    return {
        "deployment": {"name": "t", "database": db, "seed": 1},
        "engine": {"lease_ttl": "1s", **engine},
        "source": {"plugin": "list", "posts": [Post(-100, i, T0 + timedelta(hours=i)) for i in range(6)]},
        "sink": {"plugin": "rule", "subscribers": ["alice"]},
        "recommender": {"plugin": "popular"},
        "cold_start": {"plugin": "none"},
        "scheduler": {"plugin": "virtual", "start": T0.isoformat(), "run_for": "6h", "mailing_every": "1h"},
    }


@pytest.fixture
def plugins():
    p = Plugins()
    with p.registered(fakes_plugin()):
        yield p


def other(heartbeat: datetime) -> Lease:
    return Lease(LEASE_NAME, "otherhost:4242:abcd", "otherhost", 4242, heartbeat, heartbeat)


def test_a_second_engine_is_refused_naming_the_holder(plugins, store_url):
    with Store.open(store_url) as store:
        store.acquire_lease(other(datetime.now(UTC)), ttl=timedelta(seconds=1))
        engine = Engine(load_deployment_dict(deployment(store_url), plugins=plugins), plugins, store=store)
        with pytest.raises(StoreInUse, match=r"in use by another engine: process 4242 on otherhost") as info:
            engine.run()
        assert info.value.exit_code == 2 and "lease_ttl" in str(info.value)
        assert store.post_count() == 0  # nothing ran


def test_a_dead_holders_lease_is_taken_over_and_released_at_the_end(plugins, store_url):
    with Store.open(store_url) as store:
        store.acquire_lease(other(datetime.now(UTC) - timedelta(seconds=5)), ttl=timedelta(seconds=1))
        engine = Engine(load_deployment_dict(deployment(store_url), plugins=plugins), plugins, store=store)
        engine.run()
        assert engine.stats.delivered == 6
        # released: anyone may take it now, even with a long time to live
        mine = store.acquire_lease(other(datetime.now(UTC)), ttl=timedelta(hours=1))
        assert mine.owner == "otherhost:4242:abcd"


def test_an_engine_whose_lease_is_taken_stops(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with Store.open(url) as store:
        engine = Engine(load_deployment_dict(deployment(url, lease_ttl="0.3s"), plugins=plugins), plugins, store=store)

        def steal(now):
            if now >= T0 + timedelta(hours=2):
                store.acquire_lease(other(datetime.now(UTC) + timedelta(seconds=10)), ttl=timedelta(0))
                time.sleep(0.5)  # the heartbeat (every 0.1 s) notices

        engine.scheduler.every("steal", timedelta(hours=1), steal)
        with pytest.raises(StoreInUse, match="another engine took over"):
            engine.run()
        assert engine.stats.rounds < 6


def test_two_oleg_run_on_one_store_exit_2_with_one_paragraph(tmp_path):
    """The command line: the second run is a user error, not a traceback."""
    deploy = tmp_path / "deploy.toml"
    deploy.write_text(
        '[deployment]\nname = "t"\ndatabase = "sqlite:///t.db"\n'
        '[source]\nplugin = "replay"\npath = "builtin:telegram-news-ru"\n'
        '[sink]\nplugin = "simulated"\nsubscribers = 5\n'
        '[recommender]\nplugin = "popular"\n'
        '[scheduler]\nplugin = "virtual"\nrun_for = "1d"\n'
    )
    with Store.open(f"sqlite:///{tmp_path / 't.db'}") as store:
        store.acquire_lease(other(datetime.now(UTC)), ttl=timedelta(seconds=30))
    result = subprocess.run(
        [sys.executable, "-m", "oleg.cli", "run", str(deploy)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "in use by another engine" in result.stderr and "Traceback" not in result.stderr
