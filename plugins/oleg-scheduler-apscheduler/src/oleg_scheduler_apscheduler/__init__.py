"""``apscheduler``: the engine's jobs on the wall clock, for real deployments.

Each job runs in one worker thread, one at a time (the engine is not re-entrant), with
``coalesce`` so a slow round is not followed by a burst of missed ones. SIGINT/SIGTERM
stop the run after the job in progress.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import oleg
from oleg.components import Job, Scheduler, SchedulerSettings


class APSchedulerSettings(SchedulerSettings):
    misfire_grace: int = 60
    """Seconds a job may start late before its run is skipped."""


class APScheduler(Scheduler):
    name = "apscheduler"
    Settings = APSchedulerSettings
    settings: APSchedulerSettings

    def __init__(self, settings: APSchedulerSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._jobs: list[tuple[str, timedelta, Job]] = []
        self._scheduler = None
        self._done = threading.Event()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def every(self, name: str, interval: timedelta, job: Job) -> None:
        self._jobs.append((name, interval, job))

    def run(self, *, start: datetime | None = None, until: datetime | None = None) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self._scheduler = scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": self.settings.misfire_grace},
            timezone=UTC,
        )
        first = self.now()
        for name, interval, job in self._jobs:
            scheduler.add_job(
                lambda job=job: job(self.now()), "interval", seconds=interval.total_seconds(),
                id=name, name=name, next_run_time=first,
            )
        self._done.clear()
        scheduler.start()
        try:
            timeout = None if until is None else max(0.0, (until - self.now()).total_seconds())
            self._done.wait(timeout)
        finally:
            scheduler.shutdown(wait=True)

    def stop(self) -> None:
        self._done.set()



@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    registry.add_scheduler(APScheduler)
