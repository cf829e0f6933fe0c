"""The ``telegram-bot`` sink: mails each subscriber their posts through a Telegram bot
(TDLib) and brings back /start, /stop, /more and 👍/👎.

Threads: TDLib's update dispatcher only routes (send outcomes straight into
:class:`~oleg_sink_telegram_bot.outcomes.Outcomes`, messages and presses onto two worker
threads of their own), so a slow store query never holds the outcomes a round waits for,
and a press is never queued behind a command. Each worker's queue holds at most
``max_pending_updates``: beyond it a press is answered "try again" at once and a message is
dropped with a warning (both counted in :attr:`TelegramBotSink.overflow`). An update that
cannot be read is logged in one line (its @type and what was wrong) and skipped. Presses are
stored by the sink itself (durably, before they are acknowledged), so :meth:`poll` returns
only (un)subscriptions and /more requests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from oleg.components import PluginSettings, Sink
from oleg.runtime import Runtime
from oleg.types import DeliveryResult, MoreRequest, Outgoing, SubscriptionEvent
from oleg_tdlib import requests as rq
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout
from oleg_tdlib.listening import ListeningStore
from oleg_tdlib.ratelimit import RateLimiter, SendWindow
from oleg_tdlib.reading import Unreadable, int64_at, log_skipped
from oleg_tdlib.shared import BOT_USERNAME, adopt_legacy_folder
from oleg_tdlib.transport import TdClient, TdSettings

from oleg_sink_telegram_bot import payload
from oleg_sink_telegram_bot.compose import Composer
from oleg_sink_telegram_bot.inbox import Inbox
from oleg_sink_telegram_bot.mailer import Mailer, message_keys
from oleg_sink_telegram_bot.outcomes import Outcomes, outcome_of
from oleg_sink_telegram_bot.presses import Presses
from oleg_sink_telegram_bot.settings import DEFAULT_FILES, BotSettings
from oleg_sink_telegram_bot.worker import UpdateWorker

log = logging.getLogger(__name__)


class TelegramBotSink(Sink):
    """A bot account that copies the listener's forwards to subscribers with 👍/👎 buttons."""

    name: ClassVar[str] = "telegram-bot"
    Settings: ClassVar[type[PluginSettings]] = BotSettings
    settings: BotSettings

    def __init__(self, settings: PluginSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self.client: TdClient | None = None
        self.username: str | None = None
        """The bot's @username (getMe): where the tdlib source forwards posts."""
        self.user_id: int | None = None
        self.limiter: RateLimiter | None = None
        self.window: SendWindow | None = None
        self.mailer: Mailer | None = None
        self.inbox: Inbox | None = None
        self.presses: Presses | None = None
        self._now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._outcomes = Outcomes()
        self._chat_worker: UpdateWorker | None = None
        self._press_worker: UpdateWorker | None = None
        self._closing = False

    # -- life cycle ---------------------------------------------------------------------

    def start(self, runtime: Runtime) -> None:
        s = self.settings
        self._now = runtime.now
        if s.files_directory == DEFAULT_FILES:  # a session kept by oleg 0.1 moves in, once
            adopt_legacy_folder(runtime.data_dir.parent / "tdlib" / "bot", runtime.data_dir)
        files = s.files_directory if s.files_directory.is_absolute() else runtime.data_dir / s.files_directory
        files.mkdir(parents=True, exist_ok=True)
        tables = ListeningStore(runtime.database)
        timeout = s.request_timeout.total_seconds()
        client = TdClient(
            TdSettings(
                api_id=s.api_id,
                api_hash=s.api_hash.get_secret_value(),
                database_encryption_key=s.database_encryption_key.get_secret_value(),
                files_directory=files,
                bot_token=s.bot_token.get_secret_value(),
                request_timeout=timeout,
                name="bot",
            )
        )
        self.client = client
        key = payload.derive_key(s.bot_token.get_secret_value())
        self.limiter = RateLimiter(s.rate, s.per_chat_interval.total_seconds())
        self.window = SendWindow(s.rate)
        self.mailer = Mailer(
            client,
            self.limiter,
            self._outcomes,
            Composer(runtime.store, tables, key, s.texts.rate_album),
            self.window,
            send_timeout=s.send_timeout.total_seconds(),
            request_timeout=timeout,
        )
        self.inbox = Inbox(
            runtime.store, tables, runtime.state, runtime.shared, s, reply=self._reply, now=self._now
        )
        self.presses = Presses(
            runtime.store, runtime.record_feedback, self._client, key, s.texts, now=self._now, timeout=timeout
        )
        inbox, presses = self.inbox, self.presses
        self._chat_worker = UpdateWorker(
            "messages", lambda u: inbox.on_message(u["message"]), limit=s.max_pending_updates
        )
        self._press_worker = UpdateWorker("presses", presses.on_press, limit=s.max_pending_updates)
        client.on("updateNewMessage", self._on_message)
        client.on("updateNewCallbackQuery", self._on_press)
        client.on("updateMessageSendSucceeded", self._on_outcome)
        client.on("updateMessageSendFailed", self._on_outcome)
        client.authorize(timeout=max(30.0, timeout))
        me = client.request("getMe")
        self.user_id = int(me["id"])
        names = (me.get("usernames") or {}).get("active_usernames") or []
        self.username = names[0] if names else None
        if self.username:
            runtime.shared.publish(BOT_USERNAME, self.username)  # where the tdlib source forwards
        log.info("bot @%s (%d) is ready", self.username, self.user_id)

    def close(self) -> None:
        self._closing = True
        for worker in (self._chat_worker, self._press_worker):
            if worker is not None:
                worker.close()
        if self.client is not None:
            self.client.close()

    def _client(self) -> TdClient:
        if self.client is None:
            raise TdClosed("the telegram-bot sink was not started")
        return self.client

    # -- Sink ---------------------------------------------------------------------------

    def deliver(self, batch: Sequence[Outgoing]) -> list[DeliveryResult]:
        if self.mailer is None or self.client is None:
            return [
                DeliveryResult(o.delivery.id or -1, ok=False, error="sink not started")
                for o in batch
            ]
        self._maybe_recycle()
        return self.mailer.deliver(batch)

    def poll(self, now: datetime) -> list[SubscriptionEvent | MoreRequest]:
        return list(self.inbox.drain()) if self.inbox is not None else []

    def _maybe_recycle(self) -> None:
        """Between rounds, reopen TDLib once it has run ``recycle_every``: its caches go."""
        client, mailer = self.client, self.mailer
        assert client is not None and mailer is not None
        if time.monotonic() - client.opened_at < self.settings.recycle_every.total_seconds():
            return
        try:
            client.recycle(timeout=max(30.0, self.settings.request_timeout.total_seconds()))
        except (TdError, TdTimeout, TdClosed) as exc:
            log.error("reopening TDLib failed: %s", exc)
        mailer.known_chats.clear()

    # -- updates (TDLib's dispatcher thread: route, never block) -------------------------

    def _on_message(self, update: dict[str, Any]) -> None:
        try:
            message = update.get("message")
            if not isinstance(message, dict):
                raise Unreadable("updateNewMessage.message is not an object")
            chat_id = int64_at(message, "chat_id", "message")
        except Unreadable as exc:
            log_skipped(log, update, exc)
            return
        if message.get("is_outgoing"):
            return  # the bot's own messages come back as updates too
        if chat_id > 0 and self.mailer is not None:
            self.mailer.known_chats.add(chat_id)  # the user wrote: TDLib knows the chat
        if self._closing or self._chat_worker is None:
            return
        self._chat_worker.offer(update)  # when full, dropped: the worker warns and counts

    def _on_press(self, update: dict[str, Any]) -> None:
        if self._closing or self._press_worker is None or self.presses is None:
            return
        if not self._press_worker.offer(update):
            self.presses.refuse(update)  # "try again", at once

    @property
    def overflow(self) -> dict[str, int]:
        """Updates refused because their worker's queue was full (max_pending_updates)."""
        return {
            "messages": self._chat_worker.refused if self._chat_worker else 0,
            "presses": self._press_worker.refused if self._press_worker else 0,
        }

    def _on_outcome(self, update: dict[str, Any]) -> None:
        try:
            found = outcome_of(update)
        except Unreadable as exc:
            log_skipped(log, update, exc)
            return
        if found is None:
            return
        key, error = found
        if error is not None and error.retry_after is not None and self.limiter is not None:
            self.limiter.pause(error.retry_after)
            log.warning("Telegram asks to wait %g s; sending pauses", error.retry_after)
        self._outcomes.record(key, error)

    # -- replies to commands ------------------------------------------------------------

    def _reply(self, chat_id: int, text: str) -> None:
        """A command's answer: a message like any other, so it takes its slot in the limiter
        (one slot, interleaved with a round's sends, not behind the whole round). After a
        429 it is sent once more, when the pause is over."""
        for _attempt in range(2):
            error = self._reply_once(chat_id, text)
            if error is None or error.retry_after is None:
                if error is not None:
                    log.warning("replying to chat %d failed: %s", chat_id, error)
                return
        log.warning("replying to chat %d failed twice: %s", chat_id, error)

    def _reply_once(self, chat_id: int, text: str) -> TdError | None:
        if self.limiter is None or self.window is None:
            return None
        self.limiter.acquire(chat_id)
        self.window.take()
        timeout = self.settings.send_timeout.total_seconds()
        try:
            client = self._client()
            reply = client.wait(client.send("sendMessage", rq.text_message(chat_id, text)))
        except TdError as exc:
            if exc.retry_after is not None:
                self.limiter.pause(exc.retry_after)
            return exc
        except (TdTimeout, TdClosed) as exc:
            return TdError(500, str(exc), "sendMessage")
        keys = message_keys(reply)
        self._outcomes.expect(keys)
        self._outcomes.wait_all(keys, time.monotonic() + timeout)
        for key in keys:
            came, error = self._outcomes.take(key)
            if came and error is not None:
                return error  # a 429 has paused the limiter already (_on_outcome)
        return None
