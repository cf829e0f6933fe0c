"""A simulated deployment killed at random (SIGKILL) and restarted ends as an uninterrupted
run would: no post twice, no rating twice, no round repeated or skipped, nothing left
pending, no decided reaction lost; SIGINT and SIGTERM stop after the job in progress."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from oleg.store import Store
from oleg_sink_simulated.crash import audit, crash_deployment, run_with_kills

START = datetime(2024, 11, 10, tzinfo=UTC)
END = START + timedelta(days=14)
FEEDBACK_EVERY = timedelta(minutes=10)


def write_deployment(folder: Path, url: str, *, end: datetime = END) -> Path:
    return crash_deployment(folder, url, start=START, days=(end - START).days, subscribers=150)


def finished(folder: Path, url: str, kills: int, seed: int) -> object:
    report = run_with_kills(write_deployment(folder, url), kills=kills, seed=seed, min_wait=1.0, max_wait=2.0)
    # the run may reach its end before the last kills on a fast machine; it must have been
    # killed several times for the audit to mean something
    assert report.kills >= min(kills, 3), report
    return audit(url, end=END, settle=FEEDBACK_EVERY)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_random_kills_lose_and_repeat_nothing(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        killed_url, calm_url = f"sqlite:///{tmp_path / 'killed.db'}", f"sqlite:///{tmp_path / 'calm.db'}"
    else:
        killed_url = request.getfixturevalue("store_url_factory")()
        calm_url = request.getfixturevalue("store_url_factory")()
    (tmp_path / "calm").mkdir()
    (tmp_path / "killed").mkdir()
    calm = finished(tmp_path / "calm", calm_url, kills=0, seed=0)
    killed = finished(tmp_path / "killed", killed_url, kills=8 if backend == "sqlite" else 4, seed=1)
    assert calm.problems() == dict.fromkeys(calm.problems(), 0)
    assert killed.problems() == dict.fromkeys(killed.problems(), 0), killed.as_dict()
    assert killed.rounds == calm.rounds  # every round ran once, none was added
    assert killed.subscribers == calm.subscribers == 150  # every late joiner joined
    assert abs(killed.like_rate - calm.like_rate) < 0.05  # the small run is noisy; the benchmark asks 0.5 point


def test_sigint_and_sigterm_stop_after_the_job_and_a_restart_goes_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sig.db'}"
    deploy = write_deployment(tmp_path, url, end=START + timedelta(days=60))
    cmd = [sys.executable, "-m", "oleg.cli", "run", str(deploy)]
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rounds_before = _rounds_done(url)
        deadline = time.monotonic() + 90
        while _rounds_done(url) <= rounds_before + 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # running, and past its start-up
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "Stopped:" in out and "Traceback" not in err
    with Store.open(url) as store:
        assert store.deliveries_with_status("pending") == []
        assert store.get_state("engine.round")["open_at"] is None  # the round in progress was finished


def _rounds_done(url: str) -> int:
    """How many deliveries the store holds (0 before it exists): a running engine's progress."""
    import sqlalchemy as sa

    path = Path(sa.make_url(url).database or "")
    if not path.exists():
        return 0
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("select count(*) from delivery")).scalar_one()
    except sa.exc.OperationalError:  # not migrated yet
        return 0
    finally:
        engine.dispose()


def test_a_second_ctrl_c_aborts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    from click.testing import CliRunner
    from oleg.cli.main import cli
    from oleg.engine import Engine
    from oleg.engine.signals import stop_on_signals

    stops: list[int] = []
    with stop_on_signals(lambda: stops.append(1)):
        os.kill(os.getpid(), signal.SIGTERM)  # the first: stop after the job
        time.sleep(0.05)
        assert stops == [1]
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C: at once
            time.sleep(0.05)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back

    def interrupted(self: Engine, **_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Engine, "run", interrupted)
    deploy = write_deployment(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    result = CliRunner().invoke(cli, ["run", str(deploy)])
    assert result.exit_code == 130 and "Aborted" in result.output
