"""TDLib update handlers: new channel posts, edits, deletions, protection changes.

They run on each client's dispatcher thread and never wait on the network: a new post only
goes into the buffer; forwarding it happens later, from the poll. An update whose fields
cannot be read is logged in one line (its @type, what was wrong) and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from oleg_tdlib import reading, translate
from oleg_tdlib.reading import Unreadable, int64_at

from oleg_source_tdlib.accounts import Account
from oleg_source_tdlib.buffer import PostBuffer

if TYPE_CHECKING:
    from oleg_source_tdlib.store_access import SourceStore

log = logging.getLogger(__name__)

Handler = Callable[["Account", dict[str, Any]], None]


class Listener:
    """Turns one account's updates into buffered posts, stored edits and deletions."""

    def __init__(self, store: SourceStore, buffer: PostBuffer) -> None:
        self.store = store
        self.buffer = buffer
        self.protected: set[int] = set()
        self._deleted: list[tuple[int, int]] = []
        self._protection: list[tuple[int, bool]] = []
        self._lock = threading.Lock()

    def attach(self, account: Account) -> None:
        client = account.client
        client.on("updateNewMessage", self._guarded(account, self.on_new_message))
        client.on("updateMessageContent", self._guarded(account, self.on_content))
        client.on("updateDeleteMessages", self._guarded(account, self.on_delete))
        client.on("updateChatHasProtectedContent", self._guarded(account, self.on_protected))

    @staticmethod
    def _guarded(account: Account, handler: Handler) -> Callable[[dict[str, Any]], None]:
        def handle(update: dict[str, Any]) -> None:
            try:
                handler(account, update)
            except Unreadable as exc:
                reading.log_skipped(log, update, exc, account=account.name)

        return handle

    def on_new_message(self, account: Account, update: dict[str, Any]) -> None:
        message = update.get("message")
        if not translate.is_channel_post(message):
            return
        if int64_at(message, "chat_id", "message") not in account.chats:
            return  # a channel this account is in, but not for oleg (or another account's)
        self.buffer.add(account.name, message)

    def on_content(self, account: Account, update: dict[str, Any]) -> None:
        what = "updateMessageContent"
        chat_id = int64_at(update, "chat_id", what)
        message_id = int64_at(update, "message_id", what)
        if chat_id not in account.chats:
            return
        content = reading.obj(update.get("new_content"), f"{what}.new_content", optional=True)
        if self.buffer.edit(chat_id, message_id, content):
            return
        self.store.update_post_text(chat_id, message_id, translate.caption_text(content))

    def on_delete(self, account: Account, update: dict[str, Any]) -> None:
        if not update.get("is_permanent") or update.get("from_cache"):
            return  # only TDLib's cache forgot them
        chat_id = int64_at(update, "chat_id", "updateDeleteMessages")
        if chat_id not in account.chats:
            return
        ids = reading.int64_list(update.get("message_ids", []), "updateDeleteMessages.message_ids")
        self.buffer.drop(chat_id, ids)
        with self._lock:
            self._deleted.extend((chat_id, i) for i in ids)

    def on_protected(self, account: Account, update: dict[str, Any]) -> None:
        chat_id = int64_at(update, "chat_id", "updateChatHasProtectedContent")
        if chat_id in account.chats:
            protected = bool(update.get("has_protected_content"))
            (self.protected.add if protected else self.protected.discard)(chat_id)
            with self._lock:
                self._protection.append((chat_id, protected))

    def take_deleted(self) -> list[tuple[int, int]]:
        with self._lock:
            out, self._deleted = self._deleted, []
        return out

    def take_protection_changes(self) -> list[tuple[int, bool]]:
        """(chat id, protected) changes seen since the last call, for the poll to store."""
        with self._lock:
            out, self._protection = self._protection, []
        return out
