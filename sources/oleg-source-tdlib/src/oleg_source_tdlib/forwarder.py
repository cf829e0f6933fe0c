"""Forwarding each post (a whole album in one request) from its listener account to the bot.

A file's remote id belongs to one account, so the bot cannot send a channel's media itself:
the listener forwards the post into its private chat with the bot, and the bot copies its
own message to subscribers. Runs from the poll (the scheduler's thread), never from a
handler. A 429 keeps the post queued and pauses that account; any other error is logged
and the post is dropped from the queue (it is stored anyway; the sink falls back to a link).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from oleg_tdlib import reading
from oleg_tdlib import requests as rq
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout
from oleg_tdlib.reading import Unreadable, int64_at

from oleg_source_tdlib.accounts import Account

if TYPE_CHECKING:
    from oleg_source_tdlib.store_access import SourceStore

log = logging.getLogger(__name__)

PER_POLL = 30
"""Forwards one account sends per poll at most: the bot's chat takes about one a second."""
QUEUE_LIMIT = 50_000


@dataclass(frozen=True)
class Forward:
    account: str
    chat_id: int
    message_ids: tuple[int, ...]


@dataclass(frozen=True)
class BotChat:
    user_id: int
    chat_id: int


class Forwarder:
    """A queue of posts to forward, and each account's private chat with the bot."""

    def __init__(
        self,
        store: SourceStore,
        accounts: dict[str, Account],
        bot_username: Callable[[], str | None],
        protected: set[int],
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.bot_username = bot_username
        self.protected = protected
        self.queue: deque[Forward] = deque()
        self._bots: dict[str, BotChat] = {}
        self._warned_no_bot = False
        self.forwarded = 0

    def enqueue(self, item: Forward) -> None:
        if len(self.queue) >= QUEUE_LIMIT:
            dropped = self.queue.popleft()
            log.warning("forward queue full: dropping %s/%s", dropped.chat_id, dropped.message_ids[0])
        self.queue.append(item)

    # -- the bot ---------------------------------------------------------------------

    def bot_chat(self, account: Account) -> BotChat | None:
        """The account's chat with the bot, resolved and started once (remembered in the
        store, so a restart does not send /start again)."""
        if account.name in self._bots:
            return self._bots[account.name]
        username = self.bot_username()
        if not username:
            if not self._warned_no_bot:
                log.warning("no bot username known yet: posts wait to be forwarded")
                self._warned_no_bot = True
            return None
        chat = account.client.request("searchPublicChat", rq.search_public_chat(username))
        kind = reading.obj(chat.get("type"), "chat.type", optional=True)
        if kind.get("@type") != "chatTypePrivate":
            raise TdError(400, f"@{username} is not a bot", "searchPublicChat")
        bot = BotChat(int64_at(kind, "user_id", "chat.type"), int64_at(chat, "id", "chat"))
        key = f"bot_started.{account.name}"  # tdlib:bot_started.<account> in the store
        if self.store.get_state(key) != username:
            account.client.request("sendBotStartMessage", rq.send_bot_start(bot.user_id, bot.chat_id))
            self.store.set_state(key, username)
            log.info("%s started the bot @%s", account.name, username)
        self._bots[account.name] = bot
        return bot

    # -- forwarding ------------------------------------------------------------------

    def flush(self, now: datetime) -> int:
        """Forward what is queued, up to :data:`PER_POLL` per account; how many went."""
        waiting: deque[Forward] = deque()
        batches: dict[str, list[Forward]] = {}
        while self.queue:
            item = self.queue.popleft()
            account = self.accounts.get(item.account)
            if account is None:
                continue
            batch = batches.setdefault(item.account, [])
            if item.chat_id in self.protected:
                continue
            paused = account.paused_until is not None and account.paused_until > now
            if paused or len(batch) >= PER_POLL:
                waiting.append(item)
            else:
                batch.append(item)
        sent = 0
        for name, batch in batches.items():
            if batch:
                sent += self._send(self.accounts[name], batch, waiting, now)
        # what waits goes back in front of what arrived meanwhile, in its order
        self.queue = waiting + self.queue
        self.forwarded += sent
        return sent

    def _send(self, account: Account, batch: list[Forward], waiting: deque[Forward], now: datetime) -> int:
        try:
            bot = self.bot_chat(account)
        except (TdError, TdTimeout, TdClosed, Unreadable) as exc:
            log.warning("%s cannot reach the bot: %s", account.name, exc)
            bot = None
            if isinstance(exc, TdError) and exc.retry_after:
                account.paused_until = now + timedelta(seconds=exc.retry_after)
        if bot is None:
            waiting.extend(batch)
            return 0
        client = account.client
        try:
            pending = [
                (item, client.send("forwardMessages", rq.forward_messages(bot.chat_id, item.chat_id, item.message_ids)))
                for item in batch
            ]
        except TdClosed:
            waiting.extend(batch)
            return 0
        sent = 0
        for item, request in pending:
            try:
                client.wait(request)
                sent += 1
            except TdError as exc:
                if exc.retry_after is not None:
                    until = now + timedelta(seconds=exc.retry_after)
                    account.paused_until = max(account.paused_until or until, until)
                    waiting.append(item)
                elif "protected content" in exc.message.lower():
                    self.protected.add(item.chat_id)
                    self.store.set_channel_info(item.chat_id, at=now, protected=True)
                    log.info("channel %s has protected content: not forwarding its posts", item.chat_id)
                else:
                    log.warning("forwarding %s/%s failed: %s", item.chat_id, item.message_ids[0], exc)
            except TdClosed:
                waiting.append(item)
            except TdTimeout as exc:
                log.warning("forwarding %s/%s: %s", item.chat_id, item.message_ids[0], exc)
        return sent
