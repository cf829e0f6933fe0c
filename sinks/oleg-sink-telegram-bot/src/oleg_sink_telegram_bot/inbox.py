"""Messages that reach the bot: the listener's forwards (the bot's copy of each post) and
subscribers' commands.

Runs on a worker thread of its own, never on TDLib's update dispatcher: that thread also
carries the send outcomes a mailing round waits for, and a slow query must not hold them.
Every field a message is acted on by is read first: a garbled one raises
:class:`~oleg_tdlib.reading.Unreadable` before anything is stored or queued.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oleg.types import MoreRequest, SubscriptionEvent
from oleg_tdlib import translate
from oleg_tdlib.reading import int64_at
from oleg_tdlib.shared import LISTENER_USER_IDS

from oleg_sink_telegram_bot import reports
from oleg_sink_telegram_bot.compose import OWNER
from oleg_sink_telegram_bot.settings import BotSettings

if TYPE_CHECKING:
    from oleg.runtime import PluginState, SharedValues
    from oleg.store.views import StoreReader
    from oleg_tdlib.listening import ListeningStore

log = logging.getLogger(__name__)

Event = SubscriptionEvent | MoreRequest
LISTENERS_STATE = "listeners"
"""Plugin-state key: user ids seen forwarding channel posts to the bot."""


class Inbox:
    """Turns incoming messages into store writes, queued events and replies."""

    def __init__(
        self,
        store: StoreReader,
        tables: ListeningStore,
        state: PluginState,
        shared: SharedValues,
        settings: BotSettings,
        *,
        reply: Callable[[int, str], None],
        now: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.tables = tables
        self.state = state
        self.shared = shared
        self.settings = settings
        self.reply = reply
        self.now = now
        self._events: deque[Event] = deque()
        self._lock = threading.Lock()
        self._listeners: set[int] = set(state.get(LISTENERS_STATE, []) or [])

    def drain(self) -> list[Event]:
        """The queued (un)subscriptions and /more requests, oldest first."""
        with self._lock:
            out = list(self._events)
            self._events.clear()
        return out

    def _queue(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def on_message(self, message: dict[str, Any]) -> None:
        if message.get("is_outgoing"):
            return  # the bot's own messages come back as updates too
        chat_id = int64_at(message, "chat_id", "message")
        if chat_id <= 0:
            return  # only private chats: groups and channels are not the bot's business
        origin = translate.forward_origin(message)
        if origin is not None:
            ref_message_id = int64_at(message, "id", "message")
            self._note_listener(chat_id)
            self._store_copy(origin, chat_id, ref_message_id, translate.album_id(message))
            return
        text = translate.message_text(message).strip()
        if text.startswith("/") and not self._is_listener(chat_id):
            user = translate.sender_user_id(message) or chat_id
            self._command(text, chat_id, user)

    def _is_listener(self, user: int) -> bool:
        """A listener account of the tdlib source: it published its id, or it forwarded."""
        return user in self._listeners or user in (self.shared.get(LISTENER_USER_IDS) or ())

    def _note_listener(self, user: int) -> None:
        """A listener account starts the bot with /start like anyone; its first forward tells
        it apart: it is remembered (in the store) and unsubscribed, so it gets no feed."""
        if user in self._listeners:
            return
        self._listeners.add(user)
        self.state.set(LISTENERS_STATE, sorted(self._listeners))
        self._queue(SubscriptionEvent(str(user), active=False, at=self.now()))
        log.info("user %d forwards posts: a listener account, not a subscriber", user)

    def _store_copy(
        self, origin: translate.ForwardOrigin, chat_id: int, ref_message_id: int, album: str | None
    ) -> None:
        """A post the listener forwarded: the bot keeps this copy and sends copies of it."""
        self.tables.set_message_ref(
            OWNER,
            origin.chat_id,
            origin.message_id,
            chat_id=chat_id,
            ref_message_id=ref_message_id,
            album_id=album,
        )
        log.debug("stored the bot's copy of post %d/%d", origin.chat_id, origin.message_id)

    def _command(self, text: str, chat_id: int, user: int) -> None:
        command = text.split()[0][1:].split("@")[0].lower()
        texts = self.settings.texts
        external = str(user)
        if command == "start":
            self._queue(SubscriptionEvent(external, active=True, at=self.now()))
            self.reply(chat_id, texts.welcome)
        elif command == "stop":
            self._queue(SubscriptionEvent(external, active=False, at=self.now()))
            self.reply(chat_id, texts.goodbye)
        elif command == "more":
            self._queue(MoreRequest(external, self.now()))
        elif command in ("stats", "channels"):
            if user not in self.settings.admins:
                self.reply(chat_id, texts.not_admin)
            elif command == "stats":
                self.reply(chat_id, reports.stats_text(self.store, self.now().date()))
            else:
                self.reply(chat_id, reports.channels_text(self.tables))
        else:
            self.reply(chat_id, texts.help)
