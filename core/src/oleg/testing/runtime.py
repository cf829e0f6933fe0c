"""A runtime for starting one component outside the engine, and a helper for waiting on
threads: what tests of push-based plugins (a Telegram source or sink) and their benchmarks
need around the component under test."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class StaticRuntime:
    """What :meth:`oleg.components.Component.start` receives from the engine, with a clock
    that stands at ``at`` (move it by assigning ``at``)."""

    store: Any
    data_dir: Path
    components: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    hooks: Any = None
    at: datetime = datetime(2025, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


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
