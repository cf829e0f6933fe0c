"""The figures the dashboard and the reports show, each one SQL aggregate over the store.

Everything is grouped in the database (``GROUP BY`` day, status, policy, channel), so a page
costs a few index or table scans however many deliveries there are; Python only shapes the
few hundred rows that come back. Days are UTC days, as ``Store.daily_stats`` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from oleg.store.tables import (
    channel_t,
    decision_t,
    delivery_t,
    feedback_t,
    model_t,
    post_t,
    subscriber_t,
)
from oleg.types import utc

from oleg_dashboard.source import ReadOnlyStore


def day(column: Any, dialect: str) -> Any:
    """``YYYY-MM-DD`` of a UTC timestamp column, on either backend."""
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS...' in UTC
        return sa.func.substr(column, 1, 10)
    return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")


def _rows(store: ReadOnlyStore, query: Any) -> list[sa.Row[Any]]:
    with store.engine.connect() as conn:
        return list(conn.execute(query))


# -- overview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCounts:
    """Counts per day and per key (a status, a policy): ``values[key][i]`` is for ``days[i]``."""

    days: list[str]
    values: dict[str, list[int]]

    @classmethod
    def from_rows(cls, rows: list[sa.Row[Any]], days: list[str] | None = None) -> DayCounts:
        all_days = days or sorted({r[0] for r in rows if r[0]})
        index = {d: i for i, d in enumerate(all_days)}
        values: dict[str, list[int]] = {}
        for d, key, n in rows:
            if d in index:
                values.setdefault(str(key), [0] * len(all_days))[index[d]] += int(n or 0)
        return cls(all_days, dict(sorted(values.items())))


@dataclass(frozen=True)
class LikeRates:
    """Per day of sending and policy: ratings and likes; ``rate(policy)`` per day."""

    days: list[str]
    rated: dict[str, list[int]]
    liked: dict[str, list[int]]

    def rate(self, policy: str) -> list[float | None]:
        return [
            lk / n if n else None
            for lk, n in zip(self.liked[policy], self.rated[policy], strict=True)
        ]

    @property
    def policies(self) -> list[str]:
        return sorted(self.rated)


def deliveries_by_day(store: ReadOnlyStore) -> DayCounts:
    d = day(delivery_t.c.sent_at, store.dialect)
    query = (
        sa.select(d, delivery_t.c.status, sa.func.count())
        .group_by(d, delivery_t.c.status)
        .order_by(d)
    )
    return DayCounts.from_rows(_rows(store, query))


def like_rates(store: ReadOnlyStore) -> LikeRates:
    d = day(delivery_t.c.sent_at, store.dialect)
    query = (
        sa.select(d, delivery_t.c.policy, sa.func.count(), sa.func.sum(feedback_t.c.value))
        .select_from(feedback_t.join(delivery_t, delivery_t.c.id == feedback_t.c.delivery_id))
        .group_by(d, delivery_t.c.policy)
        .order_by(d)
    )
    rows = _rows(store, query)
    rated = DayCounts.from_rows([(r[0], r[1], r[2]) for r in rows])
    liked = DayCounts.from_rows([(r[0], r[1], r[3]) for r in rows], rated.days)
    return LikeRates(
        rated.days,
        rated.values,
        {p: liked.values.get(p, [0] * len(rated.days)) for p in rated.values},
    )


@dataclass(frozen=True)
class Audience:
    days: list[str]
    new: list[int]
    departed: list[int]
    active: list[int]
    """At each day's end, by the latest (re)subscription and departure of each subscriber."""
    active_now: int
    total: int


def audience(store: ReadOnlyStore) -> Audience:
    joined = day(subscriber_t.c.joined_at, store.dialect)
    left = day(subscriber_t.c.left_at, store.dialect)
    new = dict(_rows(store, sa.select(joined, sa.func.count()).group_by(joined)))
    gone = dict(
        _rows(
            store,
            sa.select(left, sa.func.count())
            .where(subscriber_t.c.left_at.is_not(None))
            .group_by(left),
        )
    )
    ((active_now, total),) = _rows(
        store,
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((subscriber_t.c.active, 1), else_=0)), 0),
            sa.func.count(),
        ),
    )
    days = sorted(set(new) | set(gone))
    running, active = 0, []
    for d in days:  # a running sum over the days, not over subscribers
        running += int(new.get(d, 0)) - int(gone.get(d, 0))
        active.append(running)
    return Audience(
        days,
        [int(new.get(d, 0)) for d in days],
        [int(gone.get(d, 0)) for d in days],
        active,
        int(active_now),
        int(total),
    )


def status_totals(store: ReadOnlyStore) -> dict[str, int]:
    query = sa.select(delivery_t.c.status, sa.func.count()).group_by(delivery_t.c.status)
    return {str(s): int(n) for s, n in _rows(store, query)}


@dataclass(frozen=True)
class Round:
    at: datetime
    deliveries: int
    cold_start: int


def last_rounds(store: ReadOnlyStore, limit: int = 12) -> list[Round]:
    """The latest mailing times, from the deliveries each stored (a round writes one
    ``sent_at`` for all its posts; a ``/more`` mailing shows as a small one)."""
    latest = (
        sa.select(delivery_t.c.sent_at)
        .group_by(delivery_t.c.sent_at)
        .order_by(delivery_t.c.sent_at.desc())
        .limit(limit)
        .subquery()
    )
    cold = sa.func.sum(sa.case((delivery_t.c.policy.like("cold_start:%"), 1), else_=0))
    query = (
        sa.select(delivery_t.c.sent_at, sa.func.count(), cold)
        .where(delivery_t.c.sent_at.in_(sa.select(latest.c.sent_at)))
        .group_by(delivery_t.c.sent_at)
        .order_by(delivery_t.c.sent_at.desc())
    )
    return [Round(utc(_dt(at)), int(n), int(c or 0)) for at, n, c in _rows(store, query)]


@dataclass(frozen=True)
class ErrorCount:
    error: str
    count: int
    last: datetime


def delivery_errors(store: ReadOnlyStore, limit: int = 10) -> list[ErrorCount]:
    query = (
        sa.select(delivery_t.c.error, sa.func.count(), sa.func.max(delivery_t.c.sent_at))
        .where(delivery_t.c.status.in_(("failed", "retry")))
        .group_by(delivery_t.c.error)
        .order_by(sa.func.count().desc())
        .limit(limit)
    )
    return [
        ErrorCount(str(e or "(no reason given)"), int(n), utc(_dt(at)))
        for e, n, at in _rows(store, query)
    ]


def _dt(value: Any) -> datetime:
    """SQLite returns aggregated timestamps as text (the type is lost in ``max``)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


# -- models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    id: int
    created_at: datetime
    plugin: str
    kind: str
    status: str
    n_feedback: int
    train_seconds: float | None
    auc: float | None
    logloss: float | None
    served: int = 0
    """Deliveries it scored."""
    first_served: datetime | None = None
    last_served: datetime | None = None
    lineage: str = ""
    """Its line of models (the configured recommender or challenger)."""
    holdout_auc: float | None = None
    """Its AUC on the held-out ratings it was judged on."""


def model_versions(store: ReadOnlyStore, limit: int = 500) -> list[VersionRow]:
    """The newest ``limit`` versions, oldest first, with what each served."""
    served_q = (
        sa.select(
            delivery_t.c.model_version_id,
            sa.func.count(),
            sa.func.min(delivery_t.c.sent_at),
            sa.func.max(delivery_t.c.sent_at),
        )
        .where(delivery_t.c.model_version_id.is_not(None))
        .group_by(delivery_t.c.model_version_id)
    )
    served = {int(r[0]): r for r in _rows(store, served_q)}
    query = sa.select(model_t).order_by(model_t.c.id.desc()).limit(limit)
    out = []
    for r in reversed(_rows(store, query)):
        metrics: dict[str, Any] = r.metrics or {}
        preq = metrics.get("prequential") or {}
        s = served.get(r.id)
        out.append(
            VersionRow(
                r.id,
                utc(r.created_at),
                r.plugin,
                r.kind,
                r.status,
                r.n_feedback,
                _num(metrics.get("train_seconds")),
                _num(preq.get("auc")),
                _num(preq.get("logloss")),
                int(s[1]) if s else 0,
                utc(_dt(s[2])) if s else None,
                utc(_dt(s[3])) if s else None,
                r.lineage,
                _num((metrics.get("holdout") or {}).get("auc")),
            )
        )
    return out


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


# -- channels ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelRow:
    id: int
    name: str
    posts: int
    deliveries: int
    rated: int
    liked: int
    account: str | None = None
    """The TDLib listener account that follows it, when the store has the TDLib tables."""
    assignment: str | None = None

    @property
    def like_rate(self) -> float | None:
        return self.liked / self.rated if self.rated else None

    @property
    def nobody_likes(self) -> bool:
        return self.rated >= 10 and self.liked == 0


def channels(store: ReadOnlyStore) -> list[ChannelRow]:
    posts = dict(
        _rows(store, sa.select(post_t.c.channel_id, sa.func.count()).group_by(post_t.c.channel_id))
    )
    # Counted per post first (over ix_delivery_post_id), then summed per channel.
    per_post = (
        sa.select(delivery_t.c.post_id, sa.func.count().label("n"))
        .group_by(delivery_t.c.post_id)
        .subquery()
    )
    sent = dict(
        _rows(
            store,
            sa.select(post_t.c.channel_id, sa.func.sum(per_post.c.n))
            .select_from(per_post.join(post_t, post_t.c.id == per_post.c.post_id))
            .group_by(post_t.c.channel_id),
        )
    )
    rated = {
        r[0]: (int(r[1]), int(r[2] or 0))
        for r in _rows(
            store,
            sa.select(post_t.c.channel_id, sa.func.count(), sa.func.sum(feedback_t.c.value))
            .select_from(feedback_t.join(post_t, post_t.c.id == feedback_t.c.post_id))
            .group_by(post_t.c.channel_id),
        )
    }
    follow: dict[int, tuple[str, str]] = {}
    if store.has_tdlib:
        follow = {
            int(cid): (str(name), str(status))
            for cid, name, status in _rows(
                store,
                sa.text(
                    "SELECT a.channel_id, l.name, a.status FROM channel_assignment a "
                    "JOIN listener_account l ON l.id = a.account_id"
                ),
            )
        }
    out = []
    for r in _rows(store, sa.select(channel_t.c.id, channel_t.c.username, channel_t.c.title)):
        n_rated, n_liked = rated.get(r.id, (0, 0))
        account, status = follow.get(r.id, (None, None))
        name = r.title or (f"@{r.username}" if r.username else str(r.id))
        out.append(
            ChannelRow(
                r.id,
                name,
                int(posts.get(r.id, 0)),
                int(sent.get(r.id, 0)),
                n_rated,
                n_liked,
                account,
                status,
            )
        )
    out.sort(key=lambda c: (-c.deliveries, c.id))
    return out


def posts_by_day(store: ReadOnlyStore) -> DayCounts:
    d = day(post_t.c.date, store.dialect)
    kind = sa.case((post_t.c.deleted, "deleted"), else_="live")
    return DayCounts.from_rows(
        _rows(store, sa.select(d, kind, sa.func.count()).group_by(d, kind).order_by(d))
    )


@dataclass(frozen=True)
class JoinRequest:
    username: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    error: str | None
    account: str | None


def join_queue(store: ReadOnlyStore, limit: int = 200) -> list[JoinRequest]:
    """The TDLib joiner's queue: requests not joined yet (empty without the TDLib tables)."""
    if not store.has_tdlib:
        return []
    rows = _rows(
        store,
        sa.text(
            "SELECT r.username, r.status, r.attempts, r.next_attempt_at, r.error, l.name "
            "FROM channel_request r LEFT JOIN listener_account l ON l.id = r.account_id "
            "WHERE r.status <> 'joined' ORDER BY r.requested_at LIMIT :limit"
        ).bindparams(limit=limit),
    )
    return [
        JoinRequest(str(u), str(s), int(a), utc(_dt(n)) if n else None, e, acc)
        for u, s, a, n, e, acc in rows
    ]


@dataclass(frozen=True)
class Account:
    name: str
    active: bool
    max_channels: int
    joined: int


def accounts(store: ReadOnlyStore) -> list[Account]:
    if not store.has_tdlib:
        return []
    rows = _rows(
        store,
        sa.text(
            "SELECT l.name, l.active, l.max_channels, "
            "(SELECT count(*) FROM channel_assignment a WHERE a.account_id = l.id AND a.status = 'joined') "
            "FROM listener_account l ORDER BY l.id"
        ),
    )
    return [Account(str(n), bool(a), int(m), int(j)) for n, a, m, j in rows]


# -- one subscriber ----------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriberInfo:
    id: int
    external_id: str
    name: str | None
    active: bool
    joined_at: datetime
    left_at: datetime | None
    deliveries: int
    rated: int
    liked: int


@dataclass(frozen=True)
class FeedItem:
    delivery_id: int
    sent_at: datetime
    channel: str
    channel_id: int
    message_id: int
    policy: str
    score: float | None
    propensity: float | None
    model_version_id: int | None
    status: str
    vote: int | None
    voted_at: datetime | None


@dataclass(frozen=True)
class Feed:
    subscriber: SubscriberInfo
    items: list[FeedItem] = field(default_factory=list)


def find_subscriber(store: ReadOnlyStore, key: str) -> int | None:
    """A subscriber's id from their store id or their sink id (``sim-3``, a Telegram id)."""
    rows = _rows(store, sa.select(subscriber_t.c.id).where(subscriber_t.c.external_id == key))
    if rows:
        return int(rows[0][0])
    if key.isdigit():
        rows = _rows(store, sa.select(subscriber_t.c.id).where(subscriber_t.c.id == int(key)))
        return int(rows[0][0]) if rows else None
    return None


def feed(store: ReadOnlyStore, subscriber_id: int, limit: int = 200) -> Feed | None:
    """What one subscriber got, newest first, and what they pressed."""
    subs = _rows(store, sa.select(subscriber_t).where(subscriber_t.c.id == subscriber_id))
    if not subs:
        return None
    s = subs[0]
    counts = sa.select(
        sa.select(sa.func.count())
        .where(delivery_t.c.subscriber_id == subscriber_id)
        .scalar_subquery(),
        sa.select(sa.func.count())
        .where(feedback_t.c.subscriber_id == subscriber_id)
        .scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(feedback_t.c.value), 0))
        .where(feedback_t.c.subscriber_id == subscriber_id)
        .scalar_subquery(),
    )
    ((n_sent, n_rated, n_liked),) = _rows(store, counts)
    info = SubscriberInfo(
        s.id,
        s.external_id,
        s.name,
        bool(s.active),
        utc(s.joined_at),
        utc(s.left_at) if s.left_at else None,
        int(n_sent),
        int(n_rated),
        int(n_liked),
    )
    query = (
        sa.select(
            delivery_t.c.id,
            delivery_t.c.sent_at,
            channel_t.c.title,
            channel_t.c.username,
            post_t.c.channel_id,
            post_t.c.message_id,
            delivery_t.c.policy,
            delivery_t.c.score,
            delivery_t.c.propensity,
            delivery_t.c.model_version_id,
            delivery_t.c.status,
            feedback_t.c.value,
            feedback_t.c.at,
        )
        .select_from(
            delivery_t.join(post_t, post_t.c.id == delivery_t.c.post_id)
            .join(channel_t, channel_t.c.id == post_t.c.channel_id)
            .outerjoin(feedback_t, feedback_t.c.delivery_id == delivery_t.c.id)
        )
        .where(delivery_t.c.subscriber_id == subscriber_id)
        .order_by(delivery_t.c.sent_at.desc(), delivery_t.c.id.desc())
        .limit(limit)
    )
    items = [
        FeedItem(
            r[0],
            utc(r[1]),
            r[2] or (f"@{r[3]}" if r[3] else str(r[4])),
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            utc(r[12]) if r[12] else None,
        )
        for r in _rows(store, query)
    ]
    return Feed(info, items)


@dataclass(frozen=True)
class SubscriberSummary:
    id: int
    external_id: str
    name: str | None
    active: bool
    joined_at: datetime


def subscribers(store: ReadOnlyStore, limit: int = 100) -> list[SubscriberSummary]:
    """The newest ``limit`` subscribers (the page to pick one from)."""
    rows = _rows(store, sa.select(subscriber_t).order_by(subscriber_t.c.id.desc()).limit(limit))
    return [
        SubscriberSummary(r.id, r.external_id, r.name, bool(r.active), utc(r.joined_at))
        for r in rows
    ]


@dataclass(frozen=True)
class DecisionRow:
    """One of the model registry's decisions, as the models page lists it."""

    at: datetime
    version_id: int
    lineage: str
    champion_id: int | None
    outcome: str
    challenger: float | None
    champion: float | None
    n_ratings: int
    reason: str


def decisions(store: ReadOnlyStore, limit: int = 100) -> list[DecisionRow]:
    """The newest ``limit`` decisions, newest first."""
    query = (
        sa.select(decision_t, model_t.c.lineage)
        .join(model_t, model_t.c.id == decision_t.c.version_id)
        .order_by(decision_t.c.id.desc())
        .limit(limit)
    )
    return [
        DecisionRow(
            utc(_dt(r.at)), r.version_id, r.lineage, r.champion_id, r.outcome,
            _num(r.challenger_value), _num(r.champion_value), r.n_ratings, r.reason,
        )
        for r in _rows(store, query)
    ]
