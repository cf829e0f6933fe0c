"""TDLib update handlers: new channel posts, edits, deletions, protection changes.

They run on each client's dispatcher thread and never wait on the network: a new post only
goes into the buffer; forwarding it happens later, from the poll.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from oleg_tdlib import translate

from oleg_source_tdlib.accounts import Account
from oleg_source_tdlib.buffer import PostBuffer

if TYPE_CHECKING:
    from oleg_source_tdlib.store_access import SourceStore

log = logging.getLogger(__name__)


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
        client.on("updateNewMessage", lambda u: self.on_new_message(account, u))
        client.on("updateMessageContent", lambda u: self.on_content(account, u))
        client.on("updateDeleteMessages", lambda u: self.on_delete(account, u))
        client.on("updateChatHasProtectedContent", lambda u: self.on_protected(account, u))

    def on_new_message(self, account: Account, update: dict[str, Any]) -> None:
        message = update.get("message") or {}
        if not translate.is_channel_post(message):
            return
        if int(message["chat_id"]) not in account.chats:
            return  # a channel this account is in, but not for oleg (or another account's)
        self.buffer.add(account.name, message)

    def on_content(self, account: Account, update: dict[str, Any]) -> None:
        chat_id, message_id = int(update["chat_id"]), int(update["message_id"])
        if chat_id not in account.chats:
            return
        content = update.get("new_content") or {}
        if self.buffer.edit(chat_id, message_id, content):
            return
        self.store.update_post_text(chat_id, message_id, translate.caption_text(content))

    def on_delete(self, account: Account, update: dict[str, Any]) -> None:
        if not update.get("is_permanent") or update.get("from_cache"):
            return  # only TDLib's cache forgot them
        chat_id = int(update["chat_id"])
        if chat_id not in account.chats:
            return
        ids = [int(i) for i in update.get("message_ids") or ()]
        self.buffer.drop(chat_id, ids)
        with self._lock:
            self._deleted.extend((chat_id, i) for i in ids)

    def on_protected(self, account: Account, update: dict[str, Any]) -> None:
        chat_id = int(update["chat_id"])
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
