"""A runtime for starting one component outside the engine, and a helper for waiting on
threads: what tests of push-based plugins (a Telegram source or sink) and their benchmarks
need around the component under test."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from oleg.runtime import Runtime, SharedValues, runtime_over

if TYPE_CHECKING:
    from oleg.store import Store

T = TypeVar("T")

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class ManualClock:
    """A clock that stands at ``at`` until a test moves it (``clock.at = ...``)."""

    at: datetime = T0

    def __call__(self) -> datetime:
        return self.at


def static_runtime(
    store: Store,
    data_dir: Path,
    *,
    plugin: str = "test",
    at: datetime = T0,
    seed: int = 0,
    shared: SharedValues | None = None,
) -> Runtime:
    """The :class:`~oleg.runtime.Runtime` the engine would hand plugin ``plugin``, over a
    real store, with a :class:`ManualClock` (``runtime.clock.at = ...`` moves it) and the
    plugin's folder ``data_dir / plugin``. Feedback goes straight to the store. Components
    that share values (the bot and the TDLib source) are given the same ``shared``."""
    return runtime_over(
        store,
        plugin=plugin,
        data_dir=data_dir / plugin,
        clock=ManualClock(at),
        seed=seed,
        shared=shared if shared is not None else SharedValues(),
        record_feedback=store.record_feedback,
    )


def wait_until(
    condition: Callable[[], T], timeout: float = 5.0, what: str = "the condition", interval: float = 0.01
) -> T:
    """Poll ``condition()`` until it is truthy and return its value; past ``timeout``
    seconds, fail the test naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
