"""What the engine records of its mailing rounds, so that a restart neither repeats nor
skips one.

A round is recorded as *open* when it starts and *done* when every delivery of it was
handed to the sink, with the exploration generator's state at that point. A restart then
resumes after the last round done (the next one comes when it is due), finishes an open
round for the subscribers who got nothing in it yet, and draws the same exploration choices
as an uninterrupted run would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from oleg.store import Store

ROUND_KEY = "engine.round"


@dataclass
class RoundLog:
    done_at: datetime | None = None
    """When the last completed round ran."""
    open_at: datetime | None = None
    """A round that started and did not complete (the engine stopped in it)."""
    rng_state: dict[str, Any] | None = None
    """The exploration generator after the last completed round."""

    @classmethod
    def load(cls, store: Store) -> RoundLog:
        raw = store.get_state(ROUND_KEY) or {}
        return cls(
            done_at=datetime.fromisoformat(raw["done_at"]) if raw.get("done_at") else None,
            open_at=datetime.fromisoformat(raw["open_at"]) if raw.get("open_at") else None,
            rng_state=raw.get("rng"),
        )

    def restore_rng(self, rng: np.random.Generator) -> None:
        if self.rng_state is not None:
            rng.bit_generator.state = self.rng_state

    def due(self, now: datetime, every: timedelta) -> bool:
        """Whether a round at ``now`` is to run: it was not completed already (a restart
        resumes at the last round's time), and the last one is at least ``every`` ago."""
        if self.open_at is not None and self.open_at == now:
            return True
        return self.done_at is None or now >= self.done_at + every

    def started(self, store: Store, now: datetime) -> None:
        self.open_at = now
        self._save(store)

    def finished(self, store: Store, now: datetime, rng: np.random.Generator) -> None:
        self.done_at, self.open_at = now, None
        self.rng_state = rng.bit_generator.state
        self._save(store)

    def _save(self, store: Store) -> None:
        store.set_state(ROUND_KEY, {
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "open_at": self.open_at.isoformat() if self.open_at else None,
            "rng": self.rng_state,
        })
