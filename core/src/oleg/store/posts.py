"""Store methods for channels and posts: what a source emits and what the pool is made of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from oleg.store.base import StoreBase, chunks, first_by
from oleg.store.tables import channel_t, post_t
from oleg.types import Post, utc


def post_from_row(row: Any) -> Post:
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


class PostMethods(StoreBase):
    """Posts and channels (a mixin of :class:`oleg.store.Store`)."""

    def add_posts(self, posts: Sequence[Post]) -> list[Post]:
        """Store posts not stored yet; returns those, with their ids, in input order.

        Idempotent on ``(channel_id, message_id)``, also within the batch (the first wins),
        so a source may hand the same posts again after a restart.
        """
        unique = first_by(posts, lambda p: p.key)
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
            for chunk in chunks(list(dict.fromkeys(keys))):
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
            return [post_from_row(r) for r in reversed(conn.execute(stmt).all())]

    def posts_by_id(self, ids: Sequence[int]) -> list[Post]:
        """The stored posts with these ids (deleted ones included), in no particular order."""
        out: list[Post] = []
        with self.engine.connect() as conn:
            for chunk in chunks(sorted({int(i) for i in ids})):
                stmt = (
                    sa.select(post_t, channel_t.c.title)
                    .join(channel_t, channel_t.c.id == post_t.c.channel_id)
                    .where(post_t.c.id.in_(chunk))
                )
                out += [post_from_row(r) for r in conn.execute(stmt).all()]
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

    def set_channel_info(
        self,
        channel_id: int,
        *,
        at: datetime,
        username: str | None = None,
        title: str | None = None,
        protected: bool | None = None,
    ) -> None:
        """Create or update a channel's row; ``None`` leaves a column as it is."""
        given = {k: v for k, v in (("username", username), ("title", title), ("protected", protected)) if v is not None}
        stmt = self._insert(channel_t).values(id=channel_id, added_at=at, **given)
        stmt = (
            stmt.on_conflict_do_update(index_elements=[channel_t.c.id], set_={k: stmt.excluded[k] for k in given})
            if given
            else stmt.on_conflict_do_nothing(index_elements=[channel_t.c.id])
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def channel_info(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Channel id → ``username``, ``title``, ``protected`` for the ids known."""
        stmt = sa.select(channel_t.c.id, channel_t.c.username, channel_t.c.title, channel_t.c.protected).where(
            channel_t.c.id.in_([int(i) for i in ids])
        )
        with self.engine.connect() as conn:
            return {r.id: {"username": r.username, "title": r.title, "protected": r.protected} for r in conn.execute(stmt)}

    def update_post_text(self, channel_id: int, message_id: int, text: str | None) -> bool:
        """A post was edited in its channel; whether it is stored."""
        stmt = (
            sa.update(post_t)
            .where(post_t.c.channel_id == channel_id, post_t.c.message_id == message_id)
            .values(text=text)
        )
        with self.engine.begin() as conn:
            return bool(conn.execute(stmt).rowcount)
