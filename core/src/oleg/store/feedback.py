"""Store methods for 👍/👎: storing each once, and reading them back for training and reports."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from oleg.store.base import StoreBase, chunks, first_by
from oleg.store.tables import delivery_t, feedback_t, model_t, post_t
from oleg.types import (
    DISLIKE,
    LIKE,
    DeliveryStatus,
    Feedback,
    FeedbackEvent,
    Interactions,
    category_codes,
    to_epoch,
    utc,
)

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class FeedbackBatch:
    """Training rows read from the store, each with its id and its delivery's logged
    propensity (``NaN``: none)."""

    data: Interactions
    ids: np.ndarray
    propensity: np.ndarray


class FeedbackMethods(StoreBase):
    """Ratings and reports on them (a mixin of :class:`oleg.store.Store`)."""

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
        first = first_by(events, lambda e: e.delivery_id)
        if not first:
            return []
        with self.engine.begin() as conn:
            known: dict[int, Any] = {}
            for chunk in chunks([e.delivery_id for e in first]):
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

    def record_feedback(self, events: Sequence[FeedbackEvent]) -> list[bool]:
        """:meth:`add_feedback`, answered per event: whether it was stored now (``False`` for
        a repeated press, a second one on the same delivery in the batch, or an unknown
        delivery). What :meth:`oleg.runtime.Runtime.record_feedback` does."""
        if not events:
            return []
        new = {f.delivery_id for f in self.add_feedback(events)}
        out = []
        for event in events:
            out.append(event.delivery_id in new)
            new.discard(event.delivery_id)
        return out

    def feedback(self, *, after_id: int = 0) -> tuple[Interactions, int]:
        """Ratings with id above ``after_id``, in id order, as training columns, and the
        highest id returned (``after_id`` when none): the cursor for the next call."""
        batch = self.feedback_batch(after_id=after_id)
        return batch.data, int(batch.ids[-1]) if len(batch.ids) else after_id

    def feedback_batch(self, *, after_id: int = 0) -> FeedbackBatch:
        """Like :meth:`feedback`, with each row's feedback id (the model registry cuts
        held-out ratings by id: those after a version's training cutoff) and the
        propensity its delivery was chosen with (``NaN`` where none was logged)."""
        stmt = _feedback_after(after_id, post_t.c.category, delivery_t.c.propensity).join(
            delivery_t, delivery_t.c.id == feedback_t.c.delivery_id
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return FeedbackBatch(Interactions.empty(), np.zeros(0, dtype=np.int64), np.zeros(0))
        ids, _, users, posts, channels, values, ats, categories, props = zip(*rows, strict=True)
        inter = Interactions.from_arrays(
            users, posts, channels, np.asarray(values, dtype=np.float64),
            [to_epoch(a) for a in ats], category_codes(categories),
        )
        propensity = np.array([np.nan if p is None else p for p in props], dtype=np.float64)
        return FeedbackBatch(inter, np.asarray(ids, dtype=np.int64), propensity)

    def unanswered_batch(self, *, after_id: int, sent_before: datetime) -> tuple[FeedbackBatch, int]:
        """Deliveries above ``after_id`` sent by ``sent_before`` and never rated, as 👎 rows
        (value 0, at their time of sending) with their delivery ids and propensities, and
        the highest delivery id looked at (the cursor for the next call): the weak
        negatives of ``[engine.unanswered]``."""
        stmt = (
            sa.select(
                delivery_t.c.id, delivery_t.c.subscriber_id, delivery_t.c.post_id,
                post_t.c.channel_id, delivery_t.c.sent_at, post_t.c.category,
                delivery_t.c.status, delivery_t.c.propensity, feedback_t.c.id.label("rated"),
            )
            .join(post_t, post_t.c.id == delivery_t.c.post_id)
            .outerjoin(feedback_t, feedback_t.c.delivery_id == delivery_t.c.id)
            .where(delivery_t.c.id > after_id, delivery_t.c.sent_at <= sent_before)
            .order_by(delivery_t.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        last = int(rows[-1].id) if rows else after_id
        rows = [r for r in rows if r.rated is None and r.status == str(DeliveryStatus.SENT)]
        if not rows:
            return FeedbackBatch(Interactions.empty(), np.zeros(0, dtype=np.int64), np.zeros(0)), last
        inter = Interactions.from_arrays(
            [r.subscriber_id for r in rows], [r.post_id for r in rows], [r.channel_id for r in rows],
            np.zeros(len(rows)), [to_epoch(utc(r.sent_at)) for r in rows],
            category_codes([r.category for r in rows]),
        )
        propensity = np.array([np.nan if r.propensity is None else r.propensity for r in rows])
        return FeedbackBatch(inter, np.asarray([r.id for r in rows], dtype=np.int64), propensity), last

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

    def rating_counts(self, *, up_to: int | None = None) -> dict[int, int]:
        """Subscriber id -> ratings stored (with id at most ``up_to``, when given)."""
        stmt = sa.select(feedback_t.c.subscriber_id, sa.func.count()).group_by(
            feedback_t.c.subscriber_id
        )
        if up_to is not None:
            stmt = stmt.where(feedback_t.c.id <= up_to)
        with self.engine.connect() as conn:
            return {s: n for s, n in conn.execute(stmt)}

    def _day_of_sending(self) -> Any:
        sent = delivery_t.c.sent_at
        if self.engine.dialect.name == "sqlite":
            day = sa.func.date(sent, type_=sa.Date)  # stored as UTC text, see UTCDateTime
        else:
            # Explicitly UTC, whatever the session's time zone.
            day = sa.cast(sa.func.timezone("UTC", sent), sa.Date)
        return day.label("day")

    def served_by_day(self) -> list[dict[str, Any]]:
        """Per UTC day of sending and line of models (``lineage``), the recommender's
        deliveries whose scores that line's versions gave, and their likes: which model
        served when."""
        day = self._day_of_sending()
        stmt = (
            sa.select(
                day, model_t.c.lineage, sa.func.count(delivery_t.c.id),
                sa.func.count(sa.case((feedback_t.c.value == LIKE, 1))),
            )
            .select_from(delivery_t)
            .join(model_t, model_t.c.id == delivery_t.c.model_version_id)
            .outerjoin(feedback_t, feedback_t.c.delivery_id == delivery_t.c.id)
            .group_by(day, model_t.c.lineage)
            .order_by(day, model_t.c.lineage)
        )
        with self.engine.connect() as conn:
            return [
                {"day": _as_date(d), "lineage": line, "deliveries": n, "likes": likes}
                for d, line, n, likes in conn.execute(stmt)
            ]

    def daily_stats(self) -> list[dict[str, Any]]:
        """Per UTC day of sending: deliveries, and the likes and dislikes they got."""
        day = self._day_of_sending()
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
