"""What the start and stop hooks tell observers about a run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oleg.store.views import StoreReader


@dataclass(frozen=True)
class RunInfo:
    """A deployment about to run: its name, the plugins chosen per kind, where its clock
    starts, and read access to its store (for an exporter or a report)."""

    name: str
    components: dict[str, str]
    """Component kind (``source``, ``sink``, ``recommender``...) -> plugin name."""
    started_at: datetime | None
    store: StoreReader


@dataclass
class RunSummary:
    """What one run did, counted by the engine as it went."""

    ingested: int = 0
    delivered: int = 0
    failed: int = 0
    feedback: int = 0
    rounds: int = 0
    unknown: int = 0
    """Deliveries the previous run left pending that no one can tell were sent."""

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class RoundReport:
    """One mailing round as the engine ran it, for observers (metrics, logs): what was sent,
    to how many, and how long it took. A ``/more`` request's mailing is not a round."""

    at: datetime
    """The round's time on the scheduler's clock."""
    subscribers: int
    """Active subscribers mailed in this round."""
    cold_start: int
    """Deliveries chosen by the cold-start policy."""
    pool: int
    """Candidate posts in the fresh pool."""
    sent: int
    failed: int
    retry: int
    """Deliveries the sink sent, failed, or asked to retry later."""
    seconds: float
    """Wall-clock time of the whole round (scoring, storing, sending)."""
    send_seconds: float
    """Wall-clock time the sink took to deliver the round's posts."""

    @property
    def deliveries(self) -> int:
        return self.sent + self.failed + self.retry
