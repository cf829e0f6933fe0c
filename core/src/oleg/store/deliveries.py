"""Store methods for subscribers and what was delivered to them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from oleg.store.base import StoreBase, first_by
from oleg.store.tables import delivery_t, feedback_t, post_t, subscriber_t
from oleg.types import (
    Delivery,
    DeliveryStatus,
    DeliveryUpdate,
    Outgoing,
    Policy,
    Post,
    Subscriber,
    utc,
)


@dataclass(frozen=True, slots=True)
class LoggedDelivery:
    """A delivery with its post and its rating (``None``: shown, not answered yet): one step
    of a subscriber's history, for models that learn from every post shown."""

    delivery: Delivery
    post: Post
    value: int | None


def delivery_from_row(r: Any) -> Delivery:
    return Delivery(
        subscriber_id=r.subscriber_id, post_id=r.post_id, sent_at=r.sent_at, policy=Policy.parse(r.policy),
        score=r.score, propensity=r.propensity, model_version_id=r.model_version_id,
        status=r.status, id=r.id,
    )


def subscriber_from_row(row: Any) -> Subscriber:
    return Subscriber(
        id=row.id, external_id=row.external_id, active=row.active, name=row.name,
        joined_at=row.joined_at,
    )


class DeliveryMethods(StoreBase):
    """Subscribers and deliveries (a mixin of :class:`oleg.store.Store`)."""

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
            return subscriber_from_row(row)

    def subscriber_by_external(self, external_id: str) -> Subscriber | None:
        """A subscriber by the sink's id (a Telegram user id), active or not."""
        stmt = sa.select(subscriber_t).where(subscriber_t.c.external_id == str(external_id))
        with self.engine.connect() as conn:
            row = conn.execute(stmt).one_or_none()
        return None if row is None else subscriber_from_row(row)

    def subscribers(self, *, active_only: bool = True) -> list[Subscriber]:
        stmt = sa.select(subscriber_t).order_by(subscriber_t.c.id)
        if active_only:
            stmt = stmt.where(subscriber_t.c.active.is_(True))
        with self.engine.connect() as conn:
            return [subscriber_from_row(r) for r in conn.execute(stmt)]

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> list[Delivery]:
        """Store deliveries; a post already delivered to the subscriber (earlier or earlier
        in the batch) is skipped. Returns the new ones with their ids, in input order."""
        unique = first_by(deliveries, lambda d: (d.subscriber_id, d.post_id))
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
                "policy": str(d.policy), "score": d.score, "propensity": d.propensity,
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

    def set_delivery_status(self, updates: Sequence[DeliveryUpdate]) -> None:
        """Record what the sink reported, per delivery."""
        if not updates:
            return
        stmt = (
            sa.update(delivery_t)
            .where(delivery_t.c.id == sa.bindparam("b_id"))
            .values(status=sa.bindparam("b_status"), error=sa.bindparam("b_error"))
        )
        params = [{"b_id": u.delivery_id, "b_status": str(u.status), "b_error": u.error} for u in updates]
        with self.engine.begin() as conn:
            conn.execute(stmt, params)

    def deliveries_with_status(self, status: str) -> list[Delivery]:
        """Deliveries in one status, oldest first: after a restart, those waiting for a
        retry (``retry``) are sent again, so that nothing the engine chose is dropped."""
        stmt = sa.select(delivery_t).where(delivery_t.c.status == str(status)).order_by(delivery_t.c.id)
        with self.engine.connect() as conn:
            return [delivery_from_row(r) for r in conn.execute(stmt)]

    def delivery(self, delivery_id: int) -> Delivery | None:
        """One delivery by id (a sink checks a button press against it)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(delivery_t).where(delivery_t.c.id == int(delivery_id))).one_or_none()
        return None if row is None else delivery_from_row(row)

    def unanswered(self, statuses: Sequence[DeliveryStatus]) -> list[Outgoing]:
        """Deliveries in these statuses that have no rating yet, with their post and
        recipient, oldest first: what a simulated sink restarted mid-run still reacts to."""
        stmt = (
            sa.select(
                delivery_t, post_t.c.channel_id, post_t.c.message_id, post_t.c.date,
                post_t.c.media_kind, post_t.c.album_id, post_t.c.text, post_t.c.category,
                subscriber_t.c.external_id, subscriber_t.c.active, subscriber_t.c.name,
                subscriber_t.c.joined_at,
            )
            .join(post_t, post_t.c.id == delivery_t.c.post_id)
            .join(subscriber_t, subscriber_t.c.id == delivery_t.c.subscriber_id)
            .where(delivery_t.c.status.in_([str(s) for s in statuses]))
            .where(~sa.exists().where(feedback_t.c.delivery_id == delivery_t.c.id))
            .order_by(delivery_t.c.id)
        )
        with self.engine.connect() as conn:
            return [
                Outgoing(
                    delivery_from_row(r),
                    Post(r.channel_id, r.message_id, r.date, r.media_kind, r.album_id, r.text,
                         r.category, id=r.post_id),
                    Subscriber(r.subscriber_id, r.external_id, r.active, r.name, r.joined_at),
                )
                for r in conn.execute(stmt)
            ]

    def delivery_log(self, *, after_id: int = 0, limit: int = 10_000) -> list[LoggedDelivery]:
        """Deliveries with id above ``after_id``, in id order, each with its post and rating
        (if any): a reader pages through every post shown, answered or not."""
        stmt = (
            sa.select(
                delivery_t, post_t.c.channel_id, post_t.c.message_id, post_t.c.date,
                post_t.c.media_kind, post_t.c.album_id, post_t.c.category,
                feedback_t.c.value.label("rating"),
            )
            .join(post_t, post_t.c.id == delivery_t.c.post_id)
            .outerjoin(feedback_t, feedback_t.c.delivery_id == delivery_t.c.id)
            .where(delivery_t.c.id > int(after_id))
            .order_by(delivery_t.c.id)
            .limit(int(limit))
        )
        with self.engine.connect() as conn:
            return [
                LoggedDelivery(
                    delivery_from_row(r),
                    Post(r.channel_id, r.message_id, r.date, r.media_kind, r.album_id, None,
                         r.category, id=r.post_id),
                    None if r.rating is None else int(r.rating),
                )
                for r in conn.execute(stmt)
            ]

    def subscribers_delivered_at(self, at: datetime) -> set[int]:
        """Ids of the subscribers with a delivery sent at ``at`` (a round's time): who already
        got their post of a round the engine stopped in."""
        stmt = sa.select(delivery_t.c.subscriber_id).where(delivery_t.c.sent_at == at).distinct()
        with self.engine.connect() as conn:
            return {r for (r,) in conn.execute(stmt)}

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
