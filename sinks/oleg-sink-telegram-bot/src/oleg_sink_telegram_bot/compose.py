"""What to send for one delivery: a copy of the bot's stored forward, an album and its
buttons, or (no stored copy: a protected channel, a forward not arrived yet) a link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oleg.types import Outgoing
from oleg_tdlib import requests as rq
from oleg_tdlib import translate

from oleg_sink_telegram_bot.keyboard import feedback_keyboard

if TYPE_CHECKING:
    from oleg.store.views import StoreReader
    from oleg_tdlib.listening import ListeningStore

OWNER = "telegram-bot"
"""Owner name of the bot's copies in the store's message refs."""


@dataclass(frozen=True, slots=True)
class Send:
    """One request of a delivery: ``sendMessage`` or ``sendMessageAlbum``."""

    method: str
    params: dict[str, Any]


class Composer:
    """Builds the requests of a batch, asking the store once per post (not per subscriber)."""

    def __init__(self, store: StoreReader, refs: ListeningStore, key: bytes, rate_album_text: str) -> None:
        self.store = store
        self.refs = refs
        self.key = key
        self.rate_album_text = rate_album_text
        self._copies: dict[tuple[int, int], tuple[int, list[int]] | None] = {}
        self._usernames: dict[int, str | None] = {}

    def prepare(self, batch: Sequence[Outgoing]) -> None:
        """Look up the stored copy of every post in the batch, and the channel names the
        link fallback needs."""
        self._copies.clear()
        for item in batch:
            key = item.post.key
            if key not in self._copies:
                self._copies[key] = self._copy_of(*key)
        missing = sorted(
            {k[0] for k, v in self._copies.items() if v is None} - self._usernames.keys()
        )
        if missing:
            info = self.store.channel_info(missing)
            for cid in missing:
                self._usernames[cid] = (info.get(cid) or {}).get("username")

    def _copy_of(self, channel_id: int, message_id: int) -> tuple[int, list[int]] | None:
        ref = self.refs.message_ref(OWNER, channel_id, message_id)
        if ref is None:
            return None
        if ref.album_id:
            ids = self.refs.album_refs(OWNER, ref.chat_id, ref.album_id)
            if len(ids) > 1:
                return ref.chat_id, list(ids)
        return ref.chat_id, [ref.message_id]

    def sends(self, item: Outgoing, chat_id: int) -> list[Send]:
        delivery_id = item.delivery.id
        assert delivery_id is not None, "the engine stores each delivery before sending it"
        keyboard = feedback_keyboard(self.key, delivery_id, chat_id)
        post = item.post
        copy = self._copies.get(post.key)
        if copy is None and post.key not in self._copies:
            copy = self._copy_of(*post.key)
        if copy is None:
            username = self._usernames.get(post.channel_id)
            link = translate.post_link(username, post.channel_id, post.message_id)
            text = f"{post.channel_title}\n{link}" if post.channel_title else link
            return [Send("sendMessage", rq.text_message(chat_id, text, keyboard))]
        from_chat, ids = copy
        if len(ids) == 1:
            return [Send("sendMessage", rq.copy_message(chat_id, from_chat, ids[0], keyboard))]
        return [
            Send("sendMessageAlbum", rq.copy_album(chat_id, from_chat, ids)),
            Send("sendMessage", rq.text_message(chat_id, self.rate_album_text, keyboard)),
        ]
