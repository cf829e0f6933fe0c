"""Reading and writing the TDLib plugins' own tables (:mod:`oleg_tdlib.tables`): the
joiner's queue of usernames, the listener accounts and which channel each follows, and the
sink's references to its own copies of posts.

Built over the store's :class:`~oleg.store.Database` (``runtime.database`` in a running
deployment, ``store.database`` in a command), so it needs nothing else of the core.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from oleg.errors import DataError
from oleg.store import Database
from oleg.store.tables import channel_t

from oleg_tdlib.tables import account_t, assignment_t, ref_t, request_t

REQUEST_STATUSES = frozenset({"queued", "joined", "failed"})
ASSIGNMENT_STATUSES = frozenset({"queued", "joined", "failed", "left"})
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


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A sink's own copy of a channel message: in which chat, under which id, in which album."""

    chat_id: int
    message_id: int
    album_id: str | None = None


class ListeningStore:
    """The TDLib tables' queries, one short transaction each."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self._insert = database.insert

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
        if status not in ASSIGNMENT_STATUSES:
            raise ValueError(f"assignment status must be one of {sorted(ASSIGNMENT_STATUSES)}, got {status!r}")
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

    def message_ref(self, owner: str, channel_id: int, message_id: int) -> MessageRef | None:
        """Where ``owner`` keeps its copy of a channel message, or ``None``."""
        stmt = sa.select(ref_t.c.chat_id, ref_t.c.ref_message_id, ref_t.c.album_id).where(
            ref_t.c.owner == owner, ref_t.c.channel_id == channel_id, ref_t.c.message_id == message_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).one_or_none()
        return None if row is None else MessageRef(row.chat_id, row.ref_message_id, row.album_id)

    def album_refs(self, owner: str, chat_id: int, album_id: str) -> list[int]:
        """Every message of ``owner``'s copy of an album, in order."""
        stmt = (
            sa.select(ref_t.c.ref_message_id)
            .where(ref_t.c.owner == owner, ref_t.c.chat_id == chat_id, ref_t.c.album_id == album_id)
            .order_by(ref_t.c.ref_message_id)
        )
        with self.engine.connect() as conn:
            return [r for (r,) in conn.execute(stmt)]
