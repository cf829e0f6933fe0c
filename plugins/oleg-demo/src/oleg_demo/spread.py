"""How the like rate spreads across subscribers: per day and over the headline window.

A policy's daily like rate is one number for everybody; the plot's band shows whether most
subscribers are near it or a few carry it. The per-subscriber counts are one ``GROUP BY``
over ``delivery`` and ``feedback`` in the store (the database does the counting); Python
only takes the quantiles of the few thousand rates that come back.

Days are UTC days of sending, as :meth:`oleg.store.Store.daily_stats` counts them, so they
line up with the table's rows; a delivery without a 👍 counts as not liked, as there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
from oleg.store import Store
from oleg.store.tables import delivery_t, feedback_t

LIKE = 1
LOW, HIGH = 25.0, 75.0
"""The band's percentiles: the middle half of the subscribers."""


@dataclass(frozen=True)
class Spread:
    """Quantiles of the per-subscriber like rate (0..1) among ``subscribers`` who were
    sent at least one post in the period."""

    subscribers: int
    low: float
    median: float
    high: float

    @classmethod
    def of(cls, rates: list[float]) -> Spread:
        if not rates:
            return cls(0, float("nan"), float("nan"), float("nan"))
        low, median, high = np.percentile(np.asarray(rates, dtype=float), [LOW, 50.0, HIGH])
        return cls(len(rates), float(low), float(median), float(high))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PolicySpread:
    """One store's spread: per day of sending, and over the days from ``window_start``."""

    days: dict[date, Spread]
    window: Spread

    def on(self, day: date) -> Spread:
        return self.days.get(day) or Spread.of([])


def _utc_day(column: Any, dialect: str) -> Any:
    """The UTC date of a timestamp, as ``Store.daily_stats`` groups it."""
    if dialect == "sqlite":  # stored as UTC text, see oleg.store.tables.UTCDateTime
        return sa.func.date(column, type_=sa.Date)
    return sa.cast(sa.func.timezone("UTC", column), sa.Date)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def subscriber_counts(store: Store) -> list[tuple[date, int, int, int]]:
    """``(day, subscriber_id, deliveries, likes)`` for every subscriber sent posts that day."""
    day = _utc_day(delivery_t.c.sent_at, store.engine.dialect.name).label("day")
    stmt = (
        sa.select(
            day,
            delivery_t.c.subscriber_id,
            sa.func.count(delivery_t.c.id),
            sa.func.count(sa.case((feedback_t.c.value == LIKE, 1))),
        )
        .select_from(delivery_t)
        .outerjoin(feedback_t, feedback_t.c.delivery_id == delivery_t.c.id)
        .group_by(day, delivery_t.c.subscriber_id)
        .order_by(day, delivery_t.c.subscriber_id)
    )
    with store.engine.connect() as conn:
        return [(_as_date(d), int(s), int(n), int(likes)) for d, s, n, likes in conn.execute(stmt)]


def policy_spread(store: Store, window_start: date | None = None) -> PolicySpread:
    """The spread of each day, and of each subscriber's like rate over the days from
    ``window_start`` on (all days when ``None``): the headline window's."""
    by_day: dict[date, list[float]] = defaultdict(list)
    window: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for day, subscriber, sent, liked in subscriber_counts(store):
        by_day[day].append(liked / sent)
        if window_start is None or day >= window_start:
            window[subscriber][0] += sent
            window[subscriber][1] += liked
    return PolicySpread(
        {day: Spread.of(rates) for day, rates in sorted(by_day.items())},
        Spread.of([liked / sent for sent, liked in window.values()]),
    )


def read_spread(database: str, window_start: date | None = None) -> PolicySpread:
    """:func:`policy_spread` of the store at ``database`` (a run's SQLite file)."""
    with Store.open(database, migrate=False) as store:
        return policy_spread(store, window_start)
