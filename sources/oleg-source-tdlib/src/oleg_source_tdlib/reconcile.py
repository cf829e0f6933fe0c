"""Catching up after downtime: what each followed channel posted while oleg was not running.

TDLib sends no updates for posts made while the client was closed (and big channels' posts
are not guaranteed in real time anyway), so at start each channel's history is read back
from the newest message until the last one stored. The missed messages go through the same
buffer as live ones (which drops repeats and gathers albums): they come out of the next polls.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from oleg.types import to_epoch
from oleg_tdlib import reading, translate
from oleg_tdlib import requests as rq
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout
from oleg_tdlib.reading import Unreadable, int64_at

from oleg_source_tdlib.accounts import Account
from oleg_source_tdlib.buffer import PostBuffer

log = logging.getLogger(__name__)

PAGE = 100


def missed_messages(
    account: Account,
    chat_id: int,
    *,
    last_id: int | None,
    since: datetime | None,
    pages: int,
    username: str | None = None,
) -> list[dict[str, Any]]:
    """The channel's posts newer than ``last_id`` (or, never read, dated from ``since``),
    oldest first, reading at most ``pages`` pages back."""
    client = account.client
    fresh: list[dict[str, Any]] = []
    boundary_albums: set[str] = set()
    from_id = 0
    known = False
    for _ in range(pages):
        try:
            reply = client.request("getChatHistory", rq.chat_history(chat_id, from_id, PAGE))
        except TdError as exc:
            if known or not username or "not found" not in exc.message.lower():
                raise
            client.request("searchPublicChat", rq.search_public_chat(username))  # makes it known
            known = True
            continue
        known = True
        messages = reply.get("messages") or []
        if not isinstance(messages, list):
            raise Unreadable("getChatHistory: messages is not a list")
        if not messages:
            break
        done = False
        for message in messages:  # newest first
            try:
                mid = int64_at(message, "id", "message")
                date = reading.int64(message.get("date", 0), "message.date")
            except Unreadable as exc:
                reading.log_skipped(log, message, exc, account=account.name)
                continue
            from_id = mid
            if (last_id is not None and mid <= last_id) or (
                last_id is None and (since is None or date < to_epoch(since))
            ):
                if album := translate.album_id(message):
                    boundary_albums.add(album)  # the rest of a stored album is not a new post
                done = True
                break
            if translate.is_channel_post(message):
                fresh.append(message)
        if done or from_id == 0:
            break
    fresh = [m for m in fresh if translate.album_id(m) not in boundary_albums]
    fresh.reverse()
    return fresh


def catch_up(
    account: Account,
    buffer: PostBuffer,
    *,
    last_ids: dict[int, int],
    joined_at: dict[int, datetime],
    usernames: dict[int, str | None],
    pages: int,
    chats: Iterable[int] | None = None,
) -> int:
    """Buffer every followed channel's missed posts; how many messages were new."""
    added = 0
    for chat_id in sorted(account.chats if chats is None else chats):
        try:
            missed = missed_messages(
                account, chat_id, last_id=last_ids.get(chat_id), since=joined_at.get(chat_id),
                pages=pages, username=usernames.get(chat_id),
            )
        except TdClosed:
            return added
        except (TdError, TdTimeout, Unreadable) as exc:
            log.warning("%s: cannot read the history of %s: %s", account.name, chat_id, exc)
            continue
        added += buffer.add_many(account.name, missed)
    if added:
        log.info("%s: %d message(s) posted while oleg was away", account.name, added)
    return added
