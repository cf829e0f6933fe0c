"""Pure functions between TDLib's JSON and oleg's objects: no client, no I/O.

TDLib's conventions they absorb: int64 values arrive as strings, ``bytes`` as base64, a
channel's chat id is ``-100<channel id>``, a message id is ``server id << 20``, and the items
of an album arrive as separate messages sharing a ``media_album_id``. A field that is missing or
of the wrong kind raises :class:`~oleg_tdlib.reading.Unreadable` (the caller logs and skips).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from oleg.types import MediaKind, Post

from oleg_tdlib import reading
from oleg_tdlib.reading import Unreadable, int64_at

CONTENT_KINDS: dict[str, str] = {
    "messageText": MediaKind.TEXT,
    "messagePhoto": MediaKind.PHOTO,
    "messageVideo": MediaKind.VIDEO,
    "messageAnimation": MediaKind.ANIMATION,
    "messageDocument": MediaKind.DOCUMENT,
    "messageAudio": MediaKind.AUDIO,
    "messageVoiceNote": MediaKind.VOICE,
    "messagePoll": MediaKind.POLL,
}

SERVER_ID_SHIFT = 20


def int64(value: Any, what: str = "value") -> int:
    """An int64 as TDLib writes it (a string) or as a test writes it (an int)."""
    return reading.int64(value, what)


def server_id(message_id: int) -> int:
    """The id a t.me link uses: TDLib's message id without its low 20 bits."""
    return int(message_id) >> SERVER_ID_SHIFT


def post_link(username: str | None, chat_id: int, message_id: int) -> str:
    """A t.me link to a post: public channels by name, others by ``c/<channel id>``."""
    sid = server_id(message_id)
    if username:
        return f"https://t.me/{username.lstrip('@')}/{sid}"
    return f"https://t.me/c/{channel_of_chat(chat_id)}/{sid}"


def channel_of_chat(chat_id: int) -> int:
    """``-1001234`` → ``1234``: a channel's id inside its chat id."""
    return -int(chat_id) - 1_000_000_000_000


def album_id(message: dict[str, Any]) -> str | None:
    value = str(message.get("media_album_id") or "0")
    return None if value == "0" else value


def caption_text(content: dict[str, Any]) -> str | None:
    """The text or caption of a message's content (None for media without a caption)."""
    if not isinstance(content, dict):
        return None
    holder = content.get("text") if content.get("@type") == "messageText" else content.get("caption")
    if isinstance(holder, dict):
        return str(holder.get("text") or "") or None
    if content.get("@type") == "messagePoll":
        poll = content.get("poll")
        question = poll.get("question") if isinstance(poll, dict) else None
        if isinstance(question, dict):
            return str(question.get("text") or "") or None
    return None


def is_channel_post(message: dict[str, Any]) -> bool:
    return isinstance(message, dict) and bool(message.get("is_channel_post"))


def message_to_post(message: dict[str, Any], *, title: str | None = None) -> Post:
    """One channel message as oleg's :class:`~oleg.types.Post` (metadata and text only)."""
    message = reading.obj(message, "message")
    content = reading.obj(message.get("content"), "message.content", optional=True)
    kind = CONTENT_KINDS.get(str(content.get("@type")), MediaKind.OTHER)
    return Post(
        channel_id=int64_at(message, "chat_id", "message"),
        message_id=int64_at(message, "id", "message"),
        date=reading.unix_date(reading.field(message, "date", "message"), "message.date"),
        media_kind=kind,
        album_id=album_id(message),
        text=caption_text(content),
        channel_title=title,
    )


def album_post(messages: Iterable[dict[str, Any]], *, title: str | None = None) -> Post:
    """An album's messages as one post: the first message's id, the first caption found."""
    posts = [(message_to_post(m, title=title), m) for m in messages]  # each one readable
    if not posts:
        raise ValueError("an album needs at least one message")
    posts.sort(key=lambda pm: pm[0].message_id)
    items = [m for _, m in posts]
    first = posts[0][0]
    text = next((t for m in items if (t := caption_text(m.get("content") or {}))), None)
    kind = MediaKind.ALBUM if len(items) > 1 else first.media_kind
    return Post(
        channel_id=first.channel_id, message_id=first.message_id, date=first.date,
        media_kind=kind, album_id=first.album_id, text=text, channel_title=title,
    )


@dataclass(frozen=True, slots=True)
class ForwardOrigin:
    """Where a forwarded message came from: the channel's chat and its message id."""

    chat_id: int
    message_id: int


def forward_origin(message: dict[str, Any]) -> ForwardOrigin | None:
    """The channel post a message in the bot's chat is a forward of, if it is one."""
    info = message.get("forward_info")
    if not isinstance(info, dict):
        return None
    origin = reading.obj(info.get("origin"), "message.forward_info.origin", optional=True)
    if origin.get("@type") != "messageOriginChannel":
        return None
    what = "message.forward_info.origin"
    return ForwardOrigin(int64_at(origin, "chat_id", what), int64_at(origin, "message_id", what))


@dataclass(frozen=True, slots=True)
class CallbackPress:
    """A 👍/👎 button press: who pressed which message, with the button's raw data."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: bytes


def callback_press(update: dict[str, Any]) -> CallbackPress | None:
    """``updateNewCallbackQuery`` with a data payload → :class:`CallbackPress` (else None:
    another kind of payload, or data that is not base64; :class:`Unreadable` if garbled)."""
    what = "updateNewCallbackQuery"
    query_id = str(int64_at(update, "id", what))
    user_id = int64_at(update, "sender_user_id", what)
    chat_id = int64_at(update, "chat_id", what)
    message_id = int64_at(update, "message_id", what)
    payload = reading.obj(update.get("payload"), f"{what}.payload")
    if payload.get("@type") != "callbackQueryPayloadData":
        return None
    try:
        data = base64.b64decode(str(payload.get("data", "")), validate=True)
    except ValueError:
        return None
    return CallbackPress(query_id, user_id, chat_id, message_id, data)


def query_id_of(update: dict[str, Any]) -> str | None:
    """The id to answer a press with, even when the rest of it cannot be read."""
    try:
        return str(int64_at(update, "id", "updateNewCallbackQuery"))
    except Unreadable:
        return None


def message_text(message: dict[str, Any]) -> str:
    """The plain text of a text message ("" for anything else): commands like ``/start``."""
    content = message.get("content")
    if not isinstance(content, dict) or content.get("@type") != "messageText":
        return ""
    text = content.get("text")
    return str(text.get("text") or "") if isinstance(text, dict) else ""


def sender_user_id(message: dict[str, Any]) -> int | None:
    sender = reading.obj(message.get("sender_id"), "message.sender_id", optional=True)
    if sender.get("@type") == "messageSenderUser":
        return int64_at(sender, "user_id", "message.sender_id")
    return None
