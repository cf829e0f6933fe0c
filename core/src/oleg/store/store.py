"""The store: everything oleg keeps, in SQLite or PostgreSQL, behind one small API.

One engine, a short transaction per call. The hot paths (posts, deliveries, feedback) run
thousands of times in a simulation with batches of hundreds of rows, so they are Core
statements executed once per batch: ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` makes
them idempotent and tells, in the same round trip, which rows are new and their ids.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import StaticPool

from oleg.errors import OlegError
from oleg.store.listening import ListeningMethods
from oleg.store.tables import (
    account_t,
    assignment_t,
    channel_t,
    delivery_t,
    feedback_t,
    model_t,
    post_t,
    state_t,
    subscriber_t,
)
from oleg.types import (
    DISLIKE,
    LIKE,
    Delivery,
    Feedback,
    FeedbackEvent,
    Interactions,
    Post,
    Subscriber,
    category_codes,
    to_epoch,
    utc,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "migrations"

MODEL_KINDS = frozenset({"full", "incremental"})
MODEL_STATUSES = frozenset({"candidate", "champion", "retired", "rejected"})
ASSIGNMENT_STATUSES = frozenset({"queued", "joined", "failed", "left"})

_CHUNK = 500
"""Rows per ``IN (...)`` list: well under SQLite's and PostgreSQL's bound-parameter limits."""


def alembic_config(url: str | None = None, connection: sa.Connection | None = None) -> Config:
    """An Alembic config for the store's migrations, built in code (no ``alembic.ini``).

    Give ``connection`` to migrate on it, or ``url`` to let Alembic connect, e.g. to
    autogenerate a revision: ``command.revision(alembic_config(url), autogenerate=True)``.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _first_by(items: Sequence[T], key: Callable[[T], Hashable]) -> list[T]:
    """``items`` without repeated keys, the first of each kept, in input order."""
    first: dict[Hashable, T] = {}
    for item in items:
        first.setdefault(key(item), item)
    return list(first.values())


def _check(what: str, value: str, allowed: frozenset[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {sorted(allowed)}, got {value!r}")


def _chunks(seq: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL lets readers run beside the writer; SQLite leaves foreign keys off unless asked."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_memory_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _post(row: Any) -> Post:
    return Post(
        channel_id=row.channel_id,
        message_id=row.message_id,
        date=row.date,
        media_kind=row.media_kind,
        album_id=row.album_id,
        text=row.text,
        category=row.category,
        channel_title=row.title,
        id=row.id,
    )


def _feedback_after(after_id: int, *extra: Any) -> sa.Select[Any]:
    """Ratings above ``after_id`` in id order, with their post's channel: the columns of
    :class:`~oleg.types.Feedback`, then ``extra``."""
    return (
        sa.select(
            feedback_t.c.id, feedback_t.c.delivery_id, feedback_t.c.subscriber_id,
            feedback_t.c.post_id, post_t.c.channel_id, feedback_t.c.value, feedback_t.c.at, *extra,
        )
        .join(post_t, post_t.c.id == feedback_t.c.post_id)
        .where(feedback_t.c.id > after_id)
        .order_by(feedback_t.c.id)
    )


def _delivery(r: Any) -> Delivery:
    return Delivery(
        subscriber_id=r.subscriber_id, post_id=r.post_id, sent_at=r.sent_at, policy=r.policy,
        score=r.score, propensity=r.propensity, model_version_id=r.model_version_id,
        status=r.status, id=r.id,
    )


def _subscriber(row: Any) -> Subscriber:
    return Subscriber(
        id=row.id, external_id=row.external_id, active=row.active, name=row.name,
        joined_at=row.joined_at,
    )


class Store(ListeningMethods):
    """oleg's database. Open it with :meth:`open`; every method is its own transaction."""

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")
        self._insert = sqlite.insert if dialect == "sqlite" else postgresql.insert

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to ``url`` and, unless ``migrate=False``, bring the schema to the latest
        revision (a no-op when it already is)."""
        u = sa.make_url(url)
        if u.get_backend_name() == "sqlite":
            memory = u.database in (None, "", ":memory:")
            engine = sa.create_engine(
                u,
                # One connection for an in-memory database, or each would get its own.
                poolclass=StaticPool if memory else None,
                connect_args={"check_same_thread": False},
            )
            sa.event.listen(
                engine, "connect", _sqlite_memory_pragmas if memory else _sqlite_pragmas
            )
        else:
            engine = sa.create_engine(u, pool_pre_ping=True)
        store = cls(url, engine)
        if migrate:
            try:
                store.migrate()
            except sa.exc.OperationalError as exc:
                engine.dispose()
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise OlegError(f"cannot open the database {store.display_url}: {reason}") from None
        return store

    def migrate(self) -> None:
        """Run Alembic's ``upgrade head`` on this store's database."""
        with self.engine.begin() as conn:
            command.upgrade(alembic_config(connection=conn), "head")

    @property
    def display_url(self) -> str:
        """The URL with its password masked, for logs and messages."""
        return sa.make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"

    # -- posts and channels -------------------------------------------------------------

    def add_posts(self, posts: Sequence[Post]) -> list[Post]:
        """Store posts not stored yet; returns those, with their ids, in input order.

        Idempotent on ``(channel_id, message_id)``, also within the batch (the first wins),
        so a source may hand the same posts again after a restart.
        """
        unique = _first_by(posts, lambda p: p.key)
        if not unique:
            return []
        titles: dict[int, str | None] = {}
        for p in unique:
            if p.channel_title is not None or p.channel_id not in titles:
                titles[p.channel_id] = p.channel_title
        now = datetime.now(UTC)
        ins_channel = self._insert(channel_t)
        ins_channel = ins_channel.on_conflict_do_update(
            index_elements=[channel_t.c.id],
            set_={"title": ins_channel.excluded.title},
            where=sa.and_(
                ins_channel.excluded.title.is_not(None),
                channel_t.c.title.is_distinct_from(ins_channel.excluded.title),
            ),
        )
        ins_post = (
            self._insert(post_t)
            .on_conflict_do_nothing(index_elements=[post_t.c.channel_id, post_t.c.message_id])
            .returning(post_t.c.id, post_t.c.channel_id, post_t.c.message_id)
        )
        rows = [
            {
                "channel_id": p.channel_id, "message_id": p.message_id, "date": p.date,
                "media_kind": str(p.media_kind), "album_id": p.album_id, "text": p.text,
                "category": p.category, "deleted": False,
            }
            for p in unique
        ]
        with self.engine.begin() as conn:
            conn.execute(
                ins_channel,
                [{"id": c, "title": t, "added_at": now} for c, t in titles.items()],
            )
            ids = {(r.channel_id, r.message_id): r.id for r in conn.execute(ins_post, rows)}
        return [replace(p, id=ids[p.key], date=utc(p.date)) for p in unique if p.key in ids]

    def mark_posts_deleted(self, keys: Sequence[tuple[int, int]]) -> int:
        """Flag posts deleted in their channel, so they are no longer sent; returns how many
        were not flagged already."""
        changed = 0
        with self.engine.begin() as conn:
            for chunk in _chunks(list(dict.fromkeys(keys))):
                stmt = (
                    sa.update(post_t)
                    .where(sa.tuple_(post_t.c.channel_id, post_t.c.message_id).in_(chunk))
                    .where(post_t.c.deleted.is_(False))
                    .values(deleted=True)
                )
                changed += conn.execute(stmt).rowcount
        return changed

    def recent_posts(self, since: datetime, limit: int) -> list[Post]:
        """The newest ``limit`` live posts dated ``since`` or later, oldest first."""
        stmt = (
            sa.select(post_t, channel_t.c.title)
            .join(channel_t, channel_t.c.id == post_t.c.channel_id)
            .where(post_t.c.deleted.is_(False), post_t.c.date >= since)
            .order_by(post_t.c.date.desc(), post_t.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_post(r) for r in reversed(conn.execute(stmt).all())]

    def posts_by_id(self, ids: Sequence[int]) -> list[Post]:
        """The stored posts with these ids (deleted ones included), in no particular order."""
        out: list[Post] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted({int(i) for i in ids})):
                stmt = (
                    sa.select(post_t, channel_t.c.title)
                    .join(channel_t, channel_t.c.id == post_t.c.channel_id)
                    .where(post_t.c.id.in_(chunk))
                )
                out += [_post(r) for r in conn.execute(stmt).all()]
        return out

    def post_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(post_t)).scalar_one()

    def last_post_date(self) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(post_t.c.date))).scalar_one()

    def last_message_ids(self) -> dict[int, int]:
        """channel id -> the highest message id stored: where a source resumes reading."""
        stmt = sa.select(post_t.c.channel_id, sa.func.max(post_t.c.message_id)).group_by(
            post_t.c.channel_id
        )
        with self.engine.connect() as conn:
            return {c: m for c, m in conn.execute(stmt)}

    # -- subscribers --------------------------------------------------------------------

    def upsert_subscriber(
        self, external_id: str, *, active: bool, at: datetime, name: str | None = None
    ) -> Subscriber:
        """Record a subscriber arriving (``active``) or leaving, as of ``at``.

        A newcomer is created; a returning one is re-activated with ``joined_at=at``; one
        leaving keeps their row, with ``left_at=at``. Repeating a call changes nothing.
        """
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(subscriber_t).where(subscriber_t.c.external_id == external_id)
            ).one_or_none()
            if row is None:
                new_id = conn.execute(
                    sa.insert(subscriber_t).returning(subscriber_t.c.id),
                    {
                        "external_id": external_id, "name": name, "active": active,
                        "joined_at": at, "left_at": None if active else at,
                    },
                ).scalar_one()
                return Subscriber(new_id, external_id, active, name, utc(at))
            changes: dict[str, Any] = {}
            if name is not None and name != row.name:
                changes["name"] = name
            if active != row.active:
                changes.update(active=active)
                changes.update({"joined_at": at, "left_at": None} if active else {"left_at": at})
            if changes:
                conn.execute(
                    sa.update(subscriber_t).where(subscriber_t.c.id == row.id).values(**changes)
                )
                row = conn.execute(
                    sa.select(subscriber_t).where(subscriber_t.c.id == row.id)
                ).one()
            return _subscriber(row)

    def subscriber_by_external(self, external_id: str) -> Subscriber | None:
        """A subscriber by the sink's id (a Telegram user id), active or not."""
        stmt = sa.select(subscriber_t).where(subscriber_t.c.external_id == str(external_id))
        with self.engine.connect() as conn:
            row = conn.execute(stmt).one_or_none()
        return None if row is None else _subscriber(row)

    def subscribers(self, *, active_only: bool = True) -> list[Subscriber]:
        stmt = sa.select(subscriber_t).order_by(subscriber_t.c.id)
        if active_only:
            stmt = stmt.where(subscriber_t.c.active.is_(True))
        with self.engine.connect() as conn:
            return [_subscriber(r) for r in conn.execute(stmt)]

    # -- deliveries ---------------------------------------------------------------------

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> list[Delivery]:
        """Store deliveries; a post already delivered to the subscriber (earlier or earlier
        in the batch) is skipped. Returns the new ones with their ids, in input order."""
        unique = _first_by(deliveries, lambda d: (d.subscriber_id, d.post_id))
        if not unique:
            return []
        stmt = (
            self._insert(delivery_t)
            .on_conflict_do_nothing(
                index_elements=[delivery_t.c.subscriber_id, delivery_t.c.post_id]
            )
            .returning(delivery_t.c.id, delivery_t.c.subscriber_id, delivery_t.c.post_id)
        )
        rows = [
            {
                "subscriber_id": d.subscriber_id, "post_id": d.post_id, "sent_at": d.sent_at,
                "policy": d.policy, "score": d.score, "propensity": d.propensity,
                "model_version_id": d.model_version_id, "status": str(d.status), "error": None,
            }
            for d in unique
        ]
        with self.engine.begin() as conn:
            ids = {(r.subscriber_id, r.post_id): r.id for r in conn.execute(stmt, rows)}
        return [
            replace(d, id=ids[(d.subscriber_id, d.post_id)], sent_at=utc(d.sent_at))
            for d in unique
            if (d.subscriber_id, d.post_id) in ids
        ]

    def set_delivery_status(self, updates: Sequence[tuple[int, str, str | None]]) -> None:
        """Record what the sink reported: ``(delivery_id, status, error)`` per delivery."""
        if not updates:
            return
        stmt = (
            sa.update(delivery_t)
            .where(delivery_t.c.id == sa.bindparam("b_id"))
            .values(status=sa.bindparam("b_status"), error=sa.bindparam("b_error"))
        )
        params = [{"b_id": i, "b_status": str(s), "b_error": e} for i, s, e in updates]
        with self.engine.begin() as conn:
            conn.execute(stmt, params)

    def deliveries_with_status(self, status: str) -> list[Delivery]:
        """Deliveries in one status, oldest first: after a restart, those waiting for a
        retry (``retry``) are sent again, so that nothing the engine chose is dropped."""
        stmt = sa.select(delivery_t).where(delivery_t.c.status == str(status)).order_by(delivery_t.c.id)
        with self.engine.connect() as conn:
            return [_delivery(r) for r in conn.execute(stmt)]

    def delivery(self, delivery_id: int) -> Delivery | None:
        """One delivery by id (a sink checks a button press against it)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(delivery_t).where(delivery_t.c.id == int(delivery_id))).one_or_none()
        return None if row is None else _delivery(row)

    def delivered_posts(self, since: datetime | None = None) -> dict[int, set[int]]:
        """subscriber id -> ids of the posts delivered to them (whatever the status), only
        posts dated ``since`` or later when given: what must not be sent again."""
        stmt = sa.select(delivery_t.c.subscriber_id, delivery_t.c.post_id)
        if since is not None:
            stmt = stmt.join(post_t, post_t.c.id == delivery_t.c.post_id).where(
                post_t.c.date >= since
            )
        out: dict[int, set[int]] = defaultdict(set)
        with self.engine.connect() as conn:
            for s, p in conn.execute(stmt):
                out[s].add(p)
        return dict(out)

    def delivery_counts(self) -> dict[int, int]:
        stmt = sa.select(delivery_t.c.subscriber_id, sa.func.count()).group_by(
            delivery_t.c.subscriber_id
        )
        with self.engine.connect() as conn:
            return {s: n for s, n in conn.execute(stmt)}

    # -- feedback -----------------------------------------------------------------------

    def add_feedback(self, events: Sequence[FeedbackEvent]) -> list[Feedback]:
        """Store ratings: one per delivery, the first one wins (a repeated or changed vote
        is ignored). Events on unknown deliveries are dropped with a warning; a value other
        than 0 or 1 raises :class:`ValueError` before anything is written."""
        bad = [e for e in events if e.value not in (LIKE, DISLIKE)]
        if bad:
            raise ValueError(
                f"feedback value must be {LIKE} (like) or {DISLIKE} (dislike), got {bad[0].value!r}"
                f" for delivery {bad[0].delivery_id}"
            )
        first = _first_by(events, lambda e: e.delivery_id)
        if not first:
            return []
        with self.engine.begin() as conn:
            known: dict[int, Any] = {}
            for chunk in _chunks([e.delivery_id for e in first]):
                stmt = (
                    sa.select(
                        delivery_t.c.id, delivery_t.c.subscriber_id, delivery_t.c.post_id,
                        post_t.c.channel_id,
                    )
                    .join(post_t, post_t.c.id == delivery_t.c.post_id)
                    .where(delivery_t.c.id.in_(chunk))
                )
                known.update((r.id, r) for r in conn.execute(stmt))
            unknown = len(first) - len(known)
            if unknown:
                log.warning("ignored %d feedback event(s) on unknown deliveries", unknown)
            first = [e for e in first if e.delivery_id in known]
            if not first:
                return []
            stmt = (
                self._insert(feedback_t)
                .on_conflict_do_nothing(index_elements=[feedback_t.c.delivery_id])
                .returning(feedback_t.c.id, feedback_t.c.delivery_id)
            )
            rows = [
                {
                    "delivery_id": e.delivery_id, "subscriber_id": d.subscriber_id,
                    "post_id": d.post_id, "value": int(e.value), "at": e.at,
                }
                for e in first
                for d in (known[e.delivery_id],)
            ]
            ids = {r.delivery_id: r.id for r in conn.execute(stmt, rows)}
        out = []
        for e in first:
            if e.delivery_id in ids:
                d = known[e.delivery_id]
                out.append(
                    Feedback(ids[e.delivery_id], e.delivery_id, d.subscriber_id, d.post_id,
                             d.channel_id, int(e.value), utc(e.at))
                )
        out.sort(key=lambda f: f.id)
        return out

    def feedback(self, *, after_id: int = 0) -> tuple[Interactions, int]:
        """Ratings with id above ``after_id``, in id order, as training columns, and the
        highest id returned (``after_id`` when none): the cursor for the next call."""
        stmt = _feedback_after(after_id, post_t.c.category)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return Interactions.empty(), after_id
        ids, _, users, posts, channels, values, ats, categories = zip(*rows, strict=True)
        inter = Interactions.from_arrays(
            users, posts, channels, np.asarray(values, dtype=np.float64),
            [to_epoch(a) for a in ats], category_codes(categories),
        )
        return inter, ids[-1]

    def feedback_rows(self, *, after_id: int = 0, limit: int = 10_000) -> list[Feedback]:
        """Stored ratings with id above ``after_id``, in id order: the engine follows this
        table, so a rating a sink stored itself reaches the hooks and the cold-start counts."""
        stmt = _feedback_after(after_id).limit(limit)
        with self.engine.connect() as conn:
            return [
                Feedback(r.id, r.delivery_id, r.subscriber_id, r.post_id, r.channel_id, int(r.value), utc(r.at))
                for r in conn.execute(stmt)
            ]

    def last_feedback_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(feedback_t.c.id), 0))).scalar_one())

    def rating_counts(self) -> dict[int, int]:
        stmt = sa.select(feedback_t.c.subscriber_id, sa.func.count()).group_by(
            feedback_t.c.subscriber_id
        )
        with self.engine.connect() as conn:
            return {s: n for s, n in conn.execute(stmt)}

    # -- model versions -----------------------------------------------------------------

    def add_model_version(
        self, *, plugin: str, kind: str, params: dict[str, Any], metrics: dict[str, Any],
        n_feedback: int, status: str, at: datetime,
    ) -> int:
        """Record a trained model; returns its version id. Use :meth:`set_model_status` to
        make it champion, which retires the current one."""
        _check("model kind", kind, MODEL_KINDS)
        _check("model status", status, MODEL_STATUSES)
        with self.engine.begin() as conn:
            if status == "champion":
                self._retire_champion(conn)
            return conn.execute(
                sa.insert(model_t).returning(model_t.c.id),
                {
                    "plugin": plugin, "kind": kind, "params": params, "metrics": metrics,
                    "n_feedback": n_feedback, "status": status, "created_at": at,
                },
            ).scalar_one()

    @staticmethod
    def _retire_champion(conn: sa.Connection) -> None:
        conn.execute(
            sa.update(model_t).where(model_t.c.status == "champion").values(status="retired")
        )

    def set_model_status(self, version_id: int, status: str) -> None:
        """Change a version's status; a new champion retires the old one atomically, so
        there is never more than one."""
        _check("model status", status, MODEL_STATUSES)
        with self.engine.begin() as conn:
            if status == "champion":
                self._retire_champion(conn)
            changed = conn.execute(
                sa.update(model_t).where(model_t.c.id == version_id).values(status=status)
            ).rowcount
            if not changed:
                raise KeyError(f"no model version {version_id}")

    def model_versions(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest versions, newest first, as plain dicts of their columns."""
        stmt = sa.select(model_t).order_by(model_t.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def champion(self) -> dict[str, Any] | None:
        stmt = sa.select(model_t).where(model_t.c.status == "champion").order_by(
            model_t.c.id.desc()
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else dict(row._mapping)

    # -- engine state -------------------------------------------------------------------

    def get_state(self, key: str, default: Any = None) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(state_t.c.value).where(state_t.c.key == key)).first()
        return default if row is None else row.value

    def set_state(self, key: str, value: Any) -> None:
        """Store a small JSON-serialisable value under ``key``, replacing any previous one."""
        stmt = self._insert(state_t).values(key=key, value=value)
        stmt = stmt.on_conflict_do_update(
            index_elements=[state_t.c.key], set_={"value": stmt.excluded.value}
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    # -- listener accounts and channel assignments --------------------------------------

    def add_account(self, name: str, *, max_channels: int = 500) -> int:
        """Register a listener account by name (again: updates ``max_channels``); its id."""
        stmt = self._insert(account_t).values(name=name, max_channels=max_channels, active=True)
        stmt = stmt.on_conflict_do_update(
            index_elements=[account_t.c.name],
            set_={"max_channels": stmt.excluded.max_channels},
        ).returning(account_t.c.id)
        with self.engine.begin() as conn:
            return conn.execute(stmt).scalar_one()

    def assign_channel(self, channel_id: int, account_id: int, status: str, at: datetime) -> None:
        """Set which account follows ``channel_id`` and how far it got joining it."""
        _check("assignment status", status, ASSIGNMENT_STATUSES)
        channel = self._insert(channel_t).values(id=channel_id, added_at=at)
        assign = self._insert(assignment_t).values(
            channel_id=channel_id, account_id=account_id, status=status, updated_at=at
        )
        assign = assign.on_conflict_do_update(
            index_elements=[assignment_t.c.channel_id],
            set_={k: assign.excluded[k] for k in ("account_id", "status", "updated_at")},
        )
        with self.engine.begin() as conn:
            conn.execute(channel.on_conflict_do_nothing(index_elements=[channel_t.c.id]))
            conn.execute(assign)

    def assignments(self) -> list[dict[str, Any]]:
        """Every assigned channel: ``channel_id, username, title, account, status,
        updated_at``, by channel id."""
        stmt = (
            sa.select(
                assignment_t.c.channel_id, channel_t.c.username, channel_t.c.title,
                account_t.c.name.label("account"), assignment_t.c.status,
                assignment_t.c.updated_at,
            )
            .join(channel_t, channel_t.c.id == assignment_t.c.channel_id)
            .join(account_t, account_t.c.id == assignment_t.c.account_id)
            .order_by(assignment_t.c.channel_id)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    # -- reporting ----------------------------------------------------------------------

    def daily_stats(self) -> list[dict[str, Any]]:
        """Per UTC day of sending: deliveries, and the likes and dislikes they got."""
        sent = delivery_t.c.sent_at
        if self.engine.dialect.name == "sqlite":
            day = sa.func.date(sent, type_=sa.Date)  # stored as UTC text, see UTCDateTime
        else:
            # Explicitly UTC, whatever the session's time zone.
            day = sa.cast(sa.func.timezone("UTC", sent), sa.Date)
        day = day.label("day")
        value = feedback_t.c.value
        stmt = (
            sa.select(
                day,
                sa.func.count(delivery_t.c.id),
                sa.func.count(sa.case((value == LIKE, 1))),
                sa.func.count(sa.case((value == DISLIKE, 1))),
            )
            .select_from(delivery_t)
            .outerjoin(feedback_t, feedback_t.c.delivery_id == delivery_t.c.id)
            .group_by(day)
            .order_by(day)
        )
        with self.engine.connect() as conn:
            return [
                {"day": _as_date(d), "deliveries": n, "likes": likes, "dislikes": dislikes}
                for d, n, likes, dislikes in conn.execute(stmt)
            ]


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
