"""Pure functions between TDLib's JSON and oleg's objects: no client, no I/O.

TDLib's conventions they absorb: int64 values arrive as strings, ``bytes`` as base64, a
channel's chat id is ``-100<channel id>``, a message id is ``server id << 20``, and the items
of an album arrive as separate messages sharing a ``media_album_id``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from oleg.types import MediaKind, Post

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


def int64(value: Any) -> int:
    """An int64 as TDLib writes it (a string) or as a test writes it (an int)."""
    return int(value)


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
    holder = content.get("text") if content.get("@type") == "messageText" else content.get("caption")
    if isinstance(holder, dict):
        return str(holder.get("text") or "") or None
    if content.get("@type") == "messagePoll":
        question = content.get("poll", {}).get("question")
        if isinstance(question, dict):
            return str(question.get("text") or "") or None
    return None


def is_channel_post(message: dict[str, Any]) -> bool:
    return bool(message.get("is_channel_post"))


def message_to_post(message: dict[str, Any], *, title: str | None = None) -> Post:
    """One channel message as oleg's :class:`~oleg.types.Post` (metadata and text only)."""
    content = message.get("content") or {}
    kind = CONTENT_KINDS.get(str(content.get("@type")), MediaKind.OTHER)
    return Post(
        channel_id=int64(message["chat_id"]),
        message_id=int64(message["id"]),
        date=datetime.fromtimestamp(int(message["date"]), UTC),
        media_kind=kind,
        album_id=album_id(message),
        text=caption_text(content),
        channel_title=title,
    )


def album_post(messages: Iterable[dict[str, Any]], *, title: str | None = None) -> Post:
    """An album's messages as one post: the first message's id, the first caption found."""
    items = sorted(messages, key=lambda m: int64(m["id"]))
    if not items:
        raise ValueError("an album needs at least one message")
    first = message_to_post(items[0], title=title)
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
    origin = info.get("origin") or {}
    if origin.get("@type") != "messageOriginChannel":
        return None
    return ForwardOrigin(int64(origin["chat_id"]), int64(origin["message_id"]))


@dataclass(frozen=True, slots=True)
class CallbackPress:
    """A 👍/👎 button press: who pressed which message, with the button's raw data."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: bytes


def callback_press(update: dict[str, Any]) -> CallbackPress | None:
    """``updateNewCallbackQuery`` with a data payload → :class:`CallbackPress` (else None)."""
    payload = update.get("payload") or {}
    if payload.get("@type") != "callbackQueryPayloadData":
        return None
    try:
        data = base64.b64decode(str(payload.get("data", "")), validate=True)
    except ValueError:
        return None
    return CallbackPress(
        query_id=str(update["id"]), user_id=int64(update["sender_user_id"]),
        chat_id=int64(update["chat_id"]), message_id=int64(update["message_id"]), data=data,
    )


def message_text(message: dict[str, Any]) -> str:
    """The plain text of a text message ("" for anything else): commands like ``/start``."""
    content = message.get("content") or {}
    if content.get("@type") != "messageText":
        return ""
    return str((content.get("text") or {}).get("text") or "")


def sender_user_id(message: dict[str, Any]) -> int | None:
    sender = message.get("sender_id") or {}
    if sender.get("@type") == "messageSenderUser":
        return int64(sender["user_id"])
    return None
