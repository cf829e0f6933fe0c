"""TDLib JSON → oleg objects, with TDLib's conventions (int64 strings, base64, album ids)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from oleg.types import MediaKind
from oleg_tdlib.errors import TdError
from oleg_tdlib.reading import Unreadable
from oleg_tdlib.translate import (
    album_post,
    callback_press,
    channel_of_chat,
    forward_origin,
    message_text,
    message_to_post,
    post_link,
    sender_user_id,
    server_id,
)

CHAT = "-1001465826763"


def message(mid: int, content: dict, album: str = "0", date: int = 1_700_000_000) -> dict:
    return {"@type": "message", "id": str(mid << 20), "chat_id": CHAT, "date": date,
            "is_channel_post": True, "media_album_id": album, "content": content}


def photo(caption: str = "") -> dict:
    return {"@type": "messagePhoto", "caption": {"@type": "formattedText", "text": caption, "entities": []}}


def test_a_text_post_keeps_metadata_and_text_with_int64_strings_parsed() -> None:
    post = message_to_post(message(7, {"@type": "messageText", "text": {"@type": "formattedText", "text": "hi"}}), title="T")
    assert (post.channel_id, post.message_id) == (-1001465826763, 7 << 20)
    assert post.date == datetime.fromtimestamp(1_700_000_000, UTC)
    assert (post.media_kind, post.text, post.album_id, post.channel_title) == (MediaKind.TEXT, "hi", None, "T")


def test_unknown_content_is_other_and_a_caption_is_the_text() -> None:
    assert message_to_post(message(1, {"@type": "messageSticker"})).media_kind == MediaKind.OTHER
    assert message_to_post(message(1, photo("look"))).text == "look"
    assert message_to_post(message(1, photo())).text is None


def test_an_album_is_one_post_with_the_first_id_and_the_first_caption() -> None:
    items = [message(12, photo()), message(11, photo()), message(13, photo("caption"))]
    items = [dict(m, media_album_id="1311") for m in items]
    post = album_post(items)
    assert (post.message_id, post.media_kind, post.text, post.album_id) == (11 << 20, MediaKind.ALBUM, "caption", "1311")
    with pytest.raises(ValueError):
        album_post([])


def test_links_and_ids() -> None:
    assert server_id(5 << 20) == 5
    assert channel_of_chat(-1001465826763) == 1465826763
    assert post_link("@durov", -1001, 5 << 20) == "https://t.me/durov/5"
    assert post_link(None, -1001465826763, 5 << 20) == "https://t.me/c/1465826763/5"


def test_forward_origin_only_for_channel_forwards() -> None:
    fwd = {"forward_info": {"@type": "messageForwardInfo", "origin": {
        "@type": "messageOriginChannel", "chat_id": CHAT, "message_id": str(3 << 20), "author_signature": ""}}}
    origin = forward_origin(fwd)
    assert origin is not None and (origin.chat_id, origin.message_id) == (-1001465826763, 3 << 20)
    assert forward_origin({"forward_info": {"origin": {"@type": "messageOriginUser", "sender_user_id": 1}}}) is None
    assert forward_origin({}) is None


def test_callback_press_decodes_base64_and_rejects_garbage() -> None:
    update = {"@type": "updateNewCallbackQuery", "id": "5000000000000000001", "sender_user_id": 42,
              "chat_id": 42, "message_id": str(9 << 20),
              "payload": {"@type": "callbackQueryPayloadData", "data": base64.b64encode(b"\x01abc").decode()}}
    press = callback_press(update)
    assert press is not None
    assert (press.query_id, press.user_id, press.message_id, press.data) == ("5000000000000000001", 42, 9 << 20, b"\x01abc")
    assert callback_press(dict(update, payload={"@type": "callbackQueryPayloadData", "data": "!!not base64"})) is None
    assert callback_press(dict(update, payload={"@type": "callbackQueryPayloadGame", "game_short_name": "g"})) is None


def test_commands_and_senders() -> None:
    msg = {"content": {"@type": "messageText", "text": {"text": "/start"}}, "sender_id": {"@type": "messageSenderUser", "user_id": 7}}
    assert message_text(msg) == "/start" and sender_user_id(msg) == 7
    assert message_text({"content": photo("x")}) == ""
    assert sender_user_id({"sender_id": {"@type": "messageSenderChat", "chat_id": -1}}) is None


@pytest.mark.parametrize(
    ("code", "message", "retry", "gone", "full"),
    [
        (429, "Too Many Requests: retry after 17", 17.0, False, False),
        (420, "FLOOD_WAIT_30", 30.0, False, False),
        (403, "Forbidden: bot was blocked by the user", None, True, False),
        (403, "Forbidden: user is deactivated", None, True, False),
        (403, "Forbidden: bot can't initiate conversation with a user", None, True, False),
        (400, "CHANNELS_TOO_MUCH", None, False, True),
        (500, "Request aborted", None, False, False),
    ],
)
def test_errors_say_what_to_do(code: int, message: str, retry: float | None, gone: bool, full: bool) -> None:
    err = TdError.from_json({"@type": "error", "code": code, "message": message}, "sendMessage")
    assert (err.retry_after, err.recipient_gone, err.too_many_channels) == (retry, gone, full)
    assert "sendMessage" in str(err) and str(code) in str(err)


def test_settings_never_show_secrets() -> None:
    from pathlib import Path

    from oleg_tdlib.transport import TdSettings

    s = TdSettings(api_id=1, api_hash="HASH-abc", database_encryption_key="KEY-xyz",
                   files_directory=Path("/tmp/x"), bot_token="1:TOKEN-zzz")
    text = repr(s) + str(s)
    assert "HASH-abc" not in text and "KEY-xyz" not in text and "TOKEN-zzz" not in text
    assert s.account == "bot"


# -- garbled updates: a clear Unreadable naming the field, never KeyError/TypeError/... ---------

TEXT = {"@type": "messageText", "text": {"@type": "formattedText", "text": "hi"}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"chat_id": None}, "chat_id"),
        ({"id": "12ab"}, "id"),
        ({"id": [1]}, "id"),
        ({"date": "yesterday"}, "date"),
        ({"date": 10**20}, "date"),  # OverflowError from fromtimestamp before
        ({"date": -5}, "date"),
        ({"chat_id": str(1 << 64)}, "chat_id"),
        ({"content": ["messageText"]}, "content"),
    ],
)
def test_a_garbled_message_is_unreadable_naming_the_field(change: dict, field: str) -> None:
    with pytest.raises(Unreadable, match=field):
        message_to_post({**message(1, TEXT), **change})


@pytest.mark.parametrize("missing", ["chat_id", "id", "date"])
def test_a_message_missing_a_field_is_unreadable(missing: str) -> None:
    garbled = message(1, TEXT)
    del garbled[missing]
    with pytest.raises(Unreadable, match=f"{missing} is missing"):
        message_to_post(garbled)
    with pytest.raises(Unreadable):
        album_post([message(2, TEXT), garbled])


def test_garbled_content_parts_read_as_no_text() -> None:
    assert message_text({"content": {"@type": "messageText", "text": "not an object"}}) == ""
    assert message_text({"content": "messageText"}) == ""
    poll = {"@type": "messagePoll", "poll": "what?"}
    assert message_to_post(message(1, poll)).text is None


@pytest.mark.parametrize("missing", ["id", "sender_user_id", "chat_id", "message_id"])
def test_a_press_missing_a_field_is_unreadable(missing: str) -> None:
    update = {"@type": "updateNewCallbackQuery", "id": "5", "sender_user_id": 42, "chat_id": 42,
              "message_id": 9, "payload": {"@type": "callbackQueryPayloadData", "data": "AQ=="}}
    with pytest.raises(Unreadable, match="payload"):
        callback_press(dict(update, payload=["callbackQueryPayloadData"]))
    del update[missing]
    with pytest.raises(Unreadable, match=missing):
        callback_press(update)


def test_garbled_forward_and_sender_are_unreadable() -> None:
    with pytest.raises(Unreadable, match="origin"):
        forward_origin({"forward_info": {"origin": "messageOriginChannel"}})
    with pytest.raises(Unreadable, match="chat_id"):
        forward_origin({"forward_info": {"origin": {"@type": "messageOriginChannel", "message_id": 1}}})
    with pytest.raises(Unreadable, match="user_id"):
        sender_user_id({"sender_id": {"@type": "messageSenderUser", "user_id": 1.5}})
    with pytest.raises(Unreadable, match="sender_id"):
        sender_user_id({"sender_id": 7})
