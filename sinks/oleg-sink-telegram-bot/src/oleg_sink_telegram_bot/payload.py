"""The data behind a 👍/👎 button: compact (Telegram allows 64 bytes) and signed.

Anyone can send a bot a callback with arbitrary data, so the data carries an HMAC over
(delivery id, value, chat id) keyed with a secret derived from the bot token: a forged
press, or one copied into another chat, fails the check before the store is asked anything.

Layout (18 bytes): version (1) | delivery id (8, big-endian) | value (1) | tag (8).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

VERSION = 1
_BODY = struct.Struct(">BQB")
_TAG = 8
SIZE = _BODY.size + _TAG


def derive_key(bot_token: str) -> bytes:
    """The signing key: a one-way function of the token (the token itself is never used)."""
    return hmac.new(
        bot_token.encode(), b"oleg-sink-telegram-bot/callback/v1", hashlib.sha256
    ).digest()


def _tag(key: bytes, delivery_id: int, value: int, chat_id: int) -> bytes:
    msg = struct.pack(">QBq", delivery_id, value, chat_id)
    return hmac.new(key, msg, hashlib.sha256).digest()[:_TAG]


@dataclass(frozen=True, slots=True)
class Vote:
    delivery_id: int
    value: int


def encode(key: bytes, delivery_id: int, value: int, chat_id: int) -> bytes:
    if value not in (0, 1):
        raise ValueError(f"value must be 0 or 1, got {value!r}")
    return _BODY.pack(VERSION, delivery_id, value) + _tag(key, delivery_id, value, chat_id)


def decode(key: bytes, data: bytes, chat_id: int) -> Vote | None:
    """The vote ``data`` carries if it is ours, for this chat, untouched; else None."""
    if len(data) != SIZE:
        return None
    version, delivery_id, value = _BODY.unpack_from(data)
    if version != VERSION or value not in (0, 1):
        return None
    if not hmac.compare_digest(data[_BODY.size :], _tag(key, delivery_id, value, chat_id)):
        return None
    return Vote(delivery_id, value)
