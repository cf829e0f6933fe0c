"""Test helpers of the simulated sink: a runtime whose recorded feedback a test reads back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oleg.runtime import PluginState, Runtime, SharedValues
from oleg.types import FeedbackEvent

T0 = datetime(2024, 11, 10, 12, 0, tzinfo=UTC)


@dataclass
class FeedbackLog:
    """What a sink recorded through ``runtime.record_feedback``, batch by batch."""

    batches: list[list[FeedbackEvent]] = field(default_factory=list)

    def record(self, events: Any) -> list[bool]:
        self.batches.append(list(events))
        return [True] * len(events)

    def take(self) -> list[FeedbackEvent]:
        out = [e for batch in self.batches for e in batch]
        self.batches.clear()
        return out


@dataclass
class MemoryState:
    """A store's state methods over a dict: what ``PluginState`` needs."""

    values: dict[str, Any] = field(default_factory=dict)

    def get_state(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set_state(self, key: str, value: Any) -> None:
        self.values[key] = value


def fake_runtime(
    store: Any = None, *, shared: SharedValues | None = None, seed: int = 7, log: FeedbackLog | None = None
) -> Runtime:
    """A runtime over a fake store: the clock stands at T0, feedback goes to ``log``."""
    return Runtime(
        seed=seed, clock=lambda: T0, data_dir=Path("."), store=store, catalog=store,
        state=PluginState(MemoryState(), "simulated"),
        database=None,  # type: ignore[arg-type]  # the simulated sink has no tables
        shared=shared if shared is not None else SharedValues(),
        record_feedback_fn=(log or FeedbackLog()).record,
    )
