from datetime import UTC, datetime, timedelta

import pytest
from oleg.builtin.virtual_scheduler import VirtualScheduler, VirtualSettings
from oleg.errors import ConfigError

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_jobs_in_time_order_ties_by_registration_until_exclusive():
    sched = VirtualScheduler(VirtualSettings(run_for=timedelta(hours=2)))
    log = []
    sched.every("mail", timedelta(hours=1), lambda now: log.append(("mail", now)))
    sched.every("ingest", timedelta(minutes=30), lambda now: log.append(("ingest", now)))
    sched.run(start=T0)
    h = timedelta(hours=1)
    m = timedelta(minutes=30)
    assert log == [
        ("mail", T0), ("ingest", T0), ("ingest", T0 + m), ("mail", T0 + h), ("ingest", T0 + h), ("ingest", T0 + 3 * m)
    ]
    assert sched.now() == T0 + 2 * h


def test_given_start_wins_over_the_setting_and_stop_from_a_job():
    start = datetime(2024, 5, 1, tzinfo=UTC)
    sched = VirtualScheduler(VirtualSettings(start=T0, run_for=timedelta(days=1)))
    seen = []

    def job(now):
        seen.append(now)
        if len(seen) == 3:
            sched.stop()

    sched.every("tick", timedelta(minutes=1), job)
    sched.run(start=start)
    assert seen == [start, start + timedelta(minutes=1), start + timedelta(minutes=2)]
    assert sched.now() == start + timedelta(minutes=2)


def test_needs_a_start_and_an_end():
    with pytest.raises(ConfigError, match="start"):
        VirtualScheduler(VirtualSettings()).run()
    with pytest.raises(ConfigError, match="run_for"):
        VirtualScheduler(VirtualSettings(run_for=None)).run(start=T0)
