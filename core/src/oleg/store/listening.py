"""Store methods for following Telegram channels: the joiner's queue of usernames, what is
known of each channel, and the sink's references to its own copies of posts.

A mixin of :class:`oleg.store.Store` (it uses the store's ``engine`` and ``_insert``), kept
apart so that the core store module stays about posts, people and models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from oleg.errors import DataError
from oleg.store.tables import account_t, assignment_t, channel_t, post_t, ref_t, request_t

if TYPE_CHECKING:
    from collections.abc import Callable

REQUEST_STATUSES = frozenset({"queued", "joined", "failed"})
_USERNAME = re.compile(r"[a-z][a-z0-9_]{4,31}")
_PREFIXES = ("https://t.me/", "http://t.me/", "t.me/", "@")


def normalise_username(raw: str) -> str:
    """``@Name``, ``t.me/Name`` or ``Name`` → ``name``; a malformed one raises DataError."""
    name = raw.strip()
    for prefix in _PREFIXES:
        if name.lower().startswith(prefix):
            name = name[len(prefix):]
    name = name.strip("/").lower()
    if not _USERNAME.fullmatch(name):
        raise DataError(
            f"{raw!r} is not a channel username: expected 5 to 32 letters, digits or _, "
            "starting with a letter (as in @durov or https://t.me/durov)"
        )
    return name


class ListeningMethods:
    """Channel requests, channel info and message references (mixed into Store)."""

    engine: sa.Engine
    _insert: Callable[..., Any]

    # -- the joiner's queue -------------------------------------------------------------

    def queue_channels(self, usernames: Sequence[str], at: datetime) -> list[str]:
        """Queue channels to join by username; the names newly queued (all validated first)."""
        names = list(dict.fromkeys(normalise_username(u) for u in usernames))
        if not names:
            return []
        stmt = (
            self._insert(request_t)
            .on_conflict_do_nothing(index_elements=[request_t.c.username])
            .returning(request_t.c.username)
        )
        rows = [
            {"username": n, "status": "queued", "attempts": 0, "requested_at": at, "updated_at": at}
            for n in names
        ]
        with self.engine.begin() as conn:
            new = {r.username for r in conn.execute(stmt, rows)}
        return [n for n in names if n in new]

    def channel_requests(self, status: str | None = None) -> list[dict[str, Any]]:
        """The queue and its outcomes, oldest request first."""
        stmt = (
            sa.select(
                request_t.c.username, request_t.c.status, request_t.c.attempts,
                request_t.c.next_attempt_at, request_t.c.error, request_t.c.channel_id,
                account_t.c.name.label("account"), request_t.c.requested_at,
                request_t.c.updated_at,
            )
            .outerjoin(account_t, account_t.c.id == request_t.c.account_id)
            .order_by(request_t.c.requested_at, request_t.c.username)
        )
        if status is not None:
            stmt = stmt.where(request_t.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def update_channel_request(
        self,
        username: str,
        *,
        status: str,
        at: datetime,
        error: str | None = None,
        channel_id: int | None = None,
        account_id: int | None = None,
        next_attempt_at: datetime | None = None,
        attempt: bool = False,
    ) -> None:
        """Record how far joining ``username`` went (``attempt=True`` counts one more try)."""
        if status not in REQUEST_STATUSES:
            raise ValueError(f"channel request status must be one of {sorted(REQUEST_STATUSES)}, got {status!r}")
        values: dict[str, Any] = {
            "status": status, "updated_at": at, "error": error, "next_attempt_at": next_attempt_at,
        }
        if channel_id is not None:
            values["channel_id"] = channel_id
        if account_id is not None:
            values["account_id"] = account_id
        if attempt:
            values["attempts"] = request_t.c.attempts + 1
        with self.engine.begin() as conn:
            conn.execute(sa.update(request_t).where(request_t.c.username == normalise_username(username)).values(**values))

    def joined_counts(self) -> dict[str, int]:
        """Account name → channels it has joined."""
        stmt = (
            sa.select(account_t.c.name, sa.func.count())
            .join(assignment_t, assignment_t.c.account_id == account_t.c.id)
            .where(assignment_t.c.status == "joined")
            .group_by(account_t.c.name)
        )
        with self.engine.connect() as conn:
            return {name: n for name, n in conn.execute(stmt)}

    # -- channels -----------------------------------------------------------------------

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

    # -- a sink's copies of posts -------------------------------------------------------

    def set_message_ref(
        self,
        owner: str,
        channel_id: int,
        message_id: int,
        *,
        chat_id: int,
        ref_message_id: int,
        album_id: str | None = None,
    ) -> None:
        """Remember where ``owner`` (a sink) keeps its copy of a channel message."""
        values = {"chat_id": chat_id, "ref_message_id": ref_message_id, "album_id": album_id}
        stmt = self._insert(ref_t).values(owner=owner, channel_id=channel_id, message_id=message_id, **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ref_t.c.owner, ref_t.c.channel_id, ref_t.c.message_id],
            set_={k: stmt.excluded[k] for k in values},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def message_ref(self, owner: str, channel_id: int, message_id: int) -> tuple[int, int, str | None] | None:
        """``(chat_id, ref_message_id, album_id)`` of ``owner``'s copy, or ``None``."""
        stmt = sa.select(ref_t.c.chat_id, ref_t.c.ref_message_id, ref_t.c.album_id).where(
            ref_t.c.owner == owner, ref_t.c.channel_id == channel_id, ref_t.c.message_id == message_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).one_or_none()
        return None if row is None else (row.chat_id, row.ref_message_id, row.album_id)

    def album_refs(self, owner: str, chat_id: int, album_id: str) -> list[int]:
        """Every message of ``owner``'s copy of an album, in order."""
        stmt = (
            sa.select(ref_t.c.ref_message_id)
            .where(ref_t.c.owner == owner, ref_t.c.chat_id == chat_id, ref_t.c.album_id == album_id)
            .order_by(ref_t.c.ref_message_id)
        )
        with self.engine.connect() as conn:
            return [r for (r,) in conn.execute(stmt)]
