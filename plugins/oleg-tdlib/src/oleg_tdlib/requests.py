"""Every request the gateway sends, built by pure functions (method name, parameters).

Kept in one module so that the offline suite can pass each shape through the real
libtdjson's ``td_execute`` (a well-formed request answers "can't be executed
synchronously", a misspelled one "Failed to parse"), and the fake can reject unknown fields.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Params = dict[str, Any]


def tdlib_parameters(
    *,
    api_id: int,
    api_hash: str,
    database_key: str,
    directory: Path,
    use_message_database: bool = True,
    language: str = "en",
    device_model: str = "oleg",
    application_version: str = "0.1",
) -> Params:
    """``setTdlibParameters``: the database and files live under ``directory`` (persistent)."""
    return {
        "use_test_dc": False,
        "database_directory": str(directory / "database"),
        "files_directory": str(directory / "files"),
        "database_encryption_key": database_key,
        "use_file_database": False,
        "use_chat_info_database": True,
        "use_message_database": use_message_database,
        "use_secret_chats": False,
        "api_id": api_id,
        "api_hash": api_hash,
        "system_language_code": language,
        "device_model": device_model,
        "system_version": "",
        "application_version": application_version,
    }


def phone_number(phone: str) -> Params:
    """``setAuthenticationPhoneNumber``."""
    return {
        "phone_number": phone,
        "settings": {
            "@type": "phoneNumberAuthenticationSettings",
            "allow_flash_call": False,
            "is_current_phone_number": False,
        },
    }


def search_public_chat(username: str) -> Params:
    """``searchPublicChat``: ``@name`` or ``name`` → the chat."""
    return {"username": username.lstrip("@")}


def join_chat(chat_id: int) -> Params:
    """``joinChat`` (user accounts only)."""
    return {"chat_id": chat_id}


def chat_history(chat_id: int, from_message_id: int = 0, limit: int = 100) -> Params:
    """``getChatHistory``: newest first, from ``from_message_id`` itself (TDLib includes it
    when offset is 0) back to older ones; 0: from the newest. TDLib may return fewer than
    ``limit``: page until an answer brings no message not seen yet."""
    return {"chat_id": chat_id, "from_message_id": from_message_id, "offset": 0, "limit": limit, "only_local": False}


def forward_messages(to_chat_id: int, from_chat_id: int, message_ids: Sequence[int]) -> Params:
    """``forwardMessages``: a post (a whole album at once) to the bot, ids increasing, ≤ 100."""
    ids = sorted(int(i) for i in message_ids)
    if not 1 <= len(ids) <= 100:
        raise ValueError(f"forwardMessages takes 1 to 100 messages, got {len(ids)}")
    return {
        "chat_id": to_chat_id,
        "from_chat_id": from_chat_id,
        "message_ids": ids,
        "send_copy": False,
        "remove_caption": False,
    }


def create_private_chat(user_id: int) -> Params:
    """``createPrivateChat``: a bot opens a subscriber's chat before writing to it (TDLib
    answers "Chat not found" for a chat this client has not seen since it started)."""
    return {"user_id": int(user_id), "force": False}


def send_bot_start(bot_user_id: int, chat_id: int) -> Params:
    """``sendBotStartMessage``: a user account starts the bot once, so it may write to it."""
    return {"bot_user_id": bot_user_id, "chat_id": chat_id, "parameter": ""}


def callback_button(text: str, data: bytes) -> Params:
    return {
        "@type": "inlineKeyboardButton",
        "text": text,
        "type": {"@type": "inlineKeyboardButtonTypeCallback", "data": base64.b64encode(data).decode()},
    }


def url_button(text: str, url: str) -> Params:
    return {"@type": "inlineKeyboardButton", "text": text, "type": {"@type": "inlineKeyboardButtonTypeUrl", "url": url}}


def inline_keyboard(rows: Sequence[Sequence[Params]]) -> Params:
    return {"@type": "replyMarkupInlineKeyboard", "rows": [list(row) for row in rows]}


def copy_message(chat_id: int, from_chat_id: int, message_id: int, reply_markup: Params | None = None) -> Params:
    """``sendMessage`` that copies the bot's stored message (its media ids are the bot's)."""
    params: Params = {
        "chat_id": chat_id,
        "input_message_content": {
            "@type": "inputMessageForwarded",
            "from_chat_id": from_chat_id,
            "message_id": message_id,
            "in_game_share": False,
            "copy_options": {"@type": "messageCopyOptions", "send_copy": True, "replace_caption": False},
        },
    }
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    return params


def copy_album(chat_id: int, from_chat_id: int, message_ids: Sequence[int]) -> Params:
    """``sendMessageAlbum`` copying the bot's stored album (an album takes no keyboard)."""
    return {
        "chat_id": chat_id,
        "input_message_contents": [
            {
                "@type": "inputMessageForwarded",
                "from_chat_id": from_chat_id,
                "message_id": int(mid),
                "in_game_share": False,
                "copy_options": {"@type": "messageCopyOptions", "send_copy": True, "replace_caption": False},
            }
            for mid in message_ids
        ],
    }


def text_message(chat_id: int, text: str, reply_markup: Params | None = None) -> Params:
    """``sendMessage`` with plain text (a link to a protected post, a command's answer)."""
    params: Params = {
        "chat_id": chat_id,
        "input_message_content": {
            "@type": "inputMessageText",
            "text": {"@type": "formattedText", "text": text, "entities": []},
            "link_preview_options": None,
            "clear_draft": False,
        },
    }
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    return params


def answer_callback(query_id: str | int, text: str = "") -> Params:
    """``answerCallbackQuery``: answered at once, so the button stops spinning."""
    return {"callback_query_id": str(query_id), "text": text, "show_alert": False, "url": "", "cache_time": 0}


def edit_reply_markup(chat_id: int, message_id: int, reply_markup: Params) -> Params:
    """``editMessageReplyMarkup``: the buttons show the subscriber's choice."""
    return {"chat_id": chat_id, "message_id": message_id, "reply_markup": reply_markup}


ALL_SHAPES: dict[str, Params] = {
    "setTdlibParameters": tdlib_parameters(
        api_id=1, api_hash="0" * 32, database_key="", directory=Path("/tmp/oleg-td")
    ),
    "setAuthenticationPhoneNumber": phone_number("+15550100"),
    "checkAuthenticationCode": {"code": "12345"},
    "checkAuthenticationPassword": {"password": "secret"},
    "checkAuthenticationBotToken": {"token": "1:abc"},
    "getMe": {},
    "getChat": {"chat_id": -1001},
    "getUser": {"user_id": 1},
    "searchPublicChat": search_public_chat("@channel"),
    "joinChat": join_chat(-1001),
    "leaveChat": {"chat_id": -1001},
    "getChatHistory": chat_history(-1001, 1 << 20),
    "forwardMessages": forward_messages(42, -1001, [1 << 20, 2 << 20]),
    "sendBotStartMessage": send_bot_start(42, 42),
    "createPrivateChat": create_private_chat(7),
    "sendMessage": copy_message(7, 42, 1, inline_keyboard([[callback_button("👍", b"x")]])),
    "sendMessageAlbum": copy_album(7, 42, [1, 2]),
    "answerCallbackQuery": answer_callback("1", "👍"),
    "editMessageReplyMarkup": edit_reply_markup(7, 1, inline_keyboard([[url_button("open", "https://t.me/x/1")]])),
    "close": {},
}
"""One example of each request shape the gateway sends (the offline suite checks them)."""
