"""Joining queued channels slowly, spread over the accounts, from the poll.

Telegram does not publish its join limits and punishes fast joining with day-long waits, so
each account joins at most one channel per ``join_every``; a 429 "retry after N" holds both
the channel and the account for N seconds. An account that answers CHANNELS_TOO_MUCH, or
already follows ``max_channels_per_account`` channels, is full: the next account takes the
channel. Every time is the scheduler's ``now``, so a virtual clock drives it too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from oleg.types import utc
from oleg_tdlib import requests as rq
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout

from oleg_source_tdlib.accounts import Account

if TYPE_CHECKING:
    from oleg_source_tdlib.store_access import SourceStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""Transient failures (timeouts, server errors) of one channel before it is given up."""
JOINED = ("ok", "chatJoinResultSuccess", "chat")


class Joiner:
    """Takes, for each account whose interval elapsed, the next due queued request."""

    def __init__(
        self,
        store: SourceStore,
        accounts: Sequence[Account],
        *,
        join_every: timedelta,
        max_channels: int,
        on_joined: Callable[[Account, dict[str, Any]], None] = lambda account, chat: None,
    ) -> None:
        self.store = store
        self.accounts = list(accounts)
        self.join_every = join_every
        self.max_channels = max_channels
        self.on_joined = on_joined
        self._warned_full = False

    def poll(self, now: datetime) -> None:
        now = utc(now)
        due = [r for r in self.store.channel_requests("queued") if _due(r, now)]
        if not due:
            return
        counts = self.store.joined_counts()
        for account in self.accounts:
            if counts.get(account.name, 0) >= self.max_channels:
                account.full = True
        if all(a.full for a in self.accounts):
            if not self._warned_full:
                log.warning(
                    "every listener account is full (%d channels each): %d channel(s) stay queued; "
                    "add an account to [source] accounts", self.max_channels, len(due),
                )
                self._warned_full = True
            return
        for account in self.accounts:
            if not due:
                break
            if account.full or (account.next_join_at is not None and account.next_join_at > now):
                continue
            request = due.pop(0)
            if self._join(account, request["username"], int(request.get("attempts") or 0), now) == "full":
                due.insert(0, request)  # the next account takes it

    def _join(self, account: Account, username: str, attempts: int, now: datetime) -> str:
        account.next_join_at = now + self.join_every
        client = account.client
        try:
            chat = client.request("searchPublicChat", rq.search_public_chat(username))
            kind = chat.get("type") or {}
            if kind.get("@type") != "chatTypeSupergroup" or not kind.get("is_channel"):
                return self._fail(username, now, "not a channel (a user, a bot or a group)")
            chat_id = int(chat["id"])
            self.store.set_channel_info(
                chat_id, at=now, username=username, title=chat.get("title"),
                protected=bool(chat.get("has_protected_content")),
            )
            holder = self._holder(chat_id)
            if holder is not None:  # queued twice, or under another spelling: already followed
                self.store.update_channel_request(
                    username, status="joined", at=now, channel_id=chat_id, account_id=holder.account_id
                )
                return "joined"
            result = client.request("joinChat", rq.join_chat(chat_id))
        except TdError as exc:
            return self._error(account, username, attempts, now, exc)
        except (TdTimeout, TdClosed) as exc:
            return self._retry(username, attempts, now, str(exc))
        if result.get("@type") not in JOINED:
            return self._fail(username, now, f"join answered {result.get('@type')}")
        self.store.assign_channel(chat_id, account.account_id, "joined", now)
        self.store.update_channel_request(
            username, status="joined", at=now, channel_id=chat_id, account_id=account.account_id, attempt=True
        )
        log.info("%s joined @%s", account.name, username)
        self.on_joined(account, chat)
        return "joined"

    def _holder(self, chat_id: int) -> Account | None:
        by_name = {a.name: a for a in self.accounts}
        for row in self.store.assignments():
            if row["channel_id"] == chat_id and row["status"] == "joined":
                return by_name.get(row["account"])
        return None

    def _error(self, account: Account, username: str, attempts: int, now: datetime, exc: TdError) -> str:
        wait = exc.retry_after
        if wait is not None:
            until = now + timedelta(seconds=wait)
            account.next_join_at = max(account.next_join_at or until, until)
            self.store.update_channel_request(
                username, status="queued", at=now, error=f"{exc.code} {exc.message}",
                next_attempt_at=until, attempt=True,
            )
            log.warning("%s must wait %gs before joining again (@%s stays queued)", account.name, wait, username)
            return "backoff"
        if exc.too_many_channels:
            account.full = True
            log.warning("%s is in too many channels: the next account takes @%s", account.name, username)
            return "full"
        if exc.code >= 500:
            return self._retry(username, attempts, now, f"{exc.code} {exc.message}")
        return self._fail(username, now, f"{exc.code} {exc.message}")

    def _retry(self, username: str, attempts: int, now: datetime, error: str) -> str:
        if attempts + 1 >= MAX_ATTEMPTS:
            return self._fail(username, now, error)
        later = now + self.join_every * (2 ** (attempts + 1))
        self.store.update_channel_request(
            username, status="queued", at=now, error=error, next_attempt_at=later, attempt=True
        )
        return "retry"

    def _fail(self, username: str, now: datetime, error: str) -> str:
        self.store.update_channel_request(username, status="failed", at=now, error=error, attempt=True)
        log.warning("cannot join @%s: %s", username, error)
        return "failed"


def _due(request: dict[str, Any], now: datetime) -> bool:
    at = request.get("next_attempt_at")
    return at is None or utc(at) <= now
