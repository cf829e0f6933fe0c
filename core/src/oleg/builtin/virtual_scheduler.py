"""The virtual clock: runs the engine's jobs in time order without waiting, so that two
weeks of a deployment take seconds, with exactly the code a wall-clock deployment runs."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import datetime, timedelta

import oleg
from oleg.components import Job, Scheduler, SchedulerSettings
from oleg.errors import ConfigError
from oleg.fields import Duration, Timestamp
from oleg.types import utc


class VirtualSettings(SchedulerSettings):
    start: Timestamp | None = None
    """Where the clock starts the first time; a later run on the same store continues where
    the previous one stopped. By default: where the source's posts start."""
    run_for: Duration | None = timedelta(days=14)
    """How much virtual time one run covers (ignored when ``end`` is set)."""
    end: Timestamp | None = None
    """Where the clock stops, whichever run reaches it: a run restarted after a stop or a
    crash continues to the same end (``run_for`` counts from where each run begins)."""


class VirtualScheduler(Scheduler):
    name = "virtual"
    Settings = VirtualSettings
    settings: VirtualSettings

    def __init__(self, settings: VirtualSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._now: datetime | None = None
        self._jobs: list[tuple[str, timedelta, Job]] = []
        self._stopped = False
        self.on_tick: Callable[[datetime], None] | None = None
        """Called after each job with the clock: progress bars hook in here."""

    def now(self) -> datetime:
        if self._now is None:
            raise RuntimeError("the virtual clock has not started")
        return self._now

    def every(self, name: str, interval: timedelta, job: Job) -> None:
        if interval <= timedelta(0):
            raise ConfigError(f"[scheduler] {name} interval must be positive, got {interval}.")
        self._jobs.append((name, interval, job))

    def run(self, *, start: datetime | None = None, until: datetime | None = None) -> None:
        begin = start or self.settings.start
        if begin is None:
            raise ConfigError(
                "[scheduler] start: the virtual clock needs a start (the source does not tell one)."
            )
        begin = utc(begin)
        if until is None and self.settings.end is not None:
            until = self.settings.end
        if until is None:
            if self.settings.run_for is None:
                raise ConfigError("[scheduler] run_for: a virtual run needs an end, e.g. run_for = \"14d\".")
            until = begin + self.settings.run_for
        until = utc(until)
        self._now = begin
        # Jobs due at the same time run in the order they were added (ingest before mail).
        queue = [(begin, order, interval, job) for order, (_, interval, job) in enumerate(self._jobs)]
        heapq.heapify(queue)
        self._stopped = False
        while queue and not self._stopped:
            at, order, interval, job = queue[0]
            if at >= until:
                break
            self._now = at
            job(at)
            heapq.heapreplace(queue, (at + interval, order, interval, job))
            if self.on_tick is not None:
                self.on_tick(at)
        if not self._stopped:
            self._now = until

    def stop(self) -> None:
        self._stopped = True


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    registry.add_scheduler(VirtualScheduler)
