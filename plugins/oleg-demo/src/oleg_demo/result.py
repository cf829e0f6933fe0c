"""What a demo run gives back: each policy's daily figures, and the run around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from oleg_demo.config import PlotStyle
from oleg_demo.spread import PolicySpread


@dataclass
class PolicyRun:
    name: str
    database: str
    seconds: float
    days: list[dict[str, Any]] = field(default_factory=list)
    served: list[dict[str, Any]] = field(default_factory=list)
    """Per day and line of models: recommender deliveries that line's versions scored."""
    decisions: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per line of models: the registry's decisions about its versions, by outcome."""
    recent: list[dict[str, Any]] = field(default_factory=list)
    """The registry's last decisions, oldest first."""
    roc: dict[str, Any] | None = None
    """The last judgment's ROC curves (challenger and champion on the same ratings)."""

    @property
    def lines(self) -> list[str]:
        """The lines of models that trained in this run (more than one: it had challengers)."""
        return sorted({*self.decisions, *(r["lineage"] for r in self.served)})

    def served_share(self, line: str, first_day: str | None = None) -> float:
        """The share of the recommender's deliveries (from ``first_day``) that ``line`` scored."""
        rows = [r for r in self.served if first_day is None or r["day"] >= first_day]
        total = sum(r["deliveries"] for r in rows)
        return sum(r["deliveries"] for r in rows if r["lineage"] == line) / total if total else 0.0

    def like_rate(self, first_day: int = 0, last_day: int | None = None) -> float:
        rows = self.days[first_day:last_day]
        delivered = sum(r["deliveries"] for r in rows)
        return sum(r["likes"] for r in rows) / delivered if delivered else 0.0


@dataclass
class DemoResult:
    """The runs in the report's order: the headline policy first, then those compared."""

    recommender: str
    subscribers: int
    days: int
    seed: int
    start: datetime
    runs: dict[str, PolicyRun]
    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    styles: dict[str, PlotStyle] = field(default_factory=dict)
    reference: str | None = None
    """The policy the others' like rates are given as a share of (the config's ``reference``)."""
    config: Path | None = None
    posts: str = "the replayed posts"
    """What the posts are, for the report (the config's ``[demo] posts``)."""
    spreads: dict[str, PolicySpread] = field(default_factory=dict)
    """How the like rate spreads across subscribers, per policy (from each run's store)."""

    @property
    def last_week_first(self) -> int:
        """Index of the first day of the headline window: the last 7 days, all for fewer."""
        return max(0, self.days - 7)

    @property
    def last_week_label(self) -> str:
        """The days the headline figure covers: the last 7 (days 8-14 of the default run)."""
        return f"days {self.last_week_first + 1}-{self.days}"

    def last_week(self) -> dict[str, float]:
        """Like rate over the last 7 days (all days for shorter runs), per policy: by then
        cold start is over and the models have data, so this is the figure to compare."""
        return {name: run.like_rate(self.last_week_first) for name, run in self.runs.items()}

    def days_sent(self) -> list[date]:
        """The days of the table's rows: the UTC days of sending of the headline run."""
        return [row["day"] for row in next(iter(self.runs.values())).days]

    def day_labels(self) -> list[str]:
        """The table's first column (``2024-11-10`` ...), which the plot's axis repeats."""
        return [str(day) for day in self.days_sent()]

    def last_week_start(self) -> date | None:
        """The first day of the headline window, ``None`` when no post was sent by then."""
        days = self.days_sent()
        return days[self.last_week_first] if self.last_week_first < len(days) else None
