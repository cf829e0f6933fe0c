"""The request classes the fake understands, with their exact fields in TDLib 1.8.66.

Real TDLib ignores unknown fields (a typo becomes a silent default); the fake rejects them,
so a misspelled request fails in tests instead of misbehaving in production. The field
lists were taken from td_api.tl and checked against the bundled libtdjson 1.8.66 by
probing ``td_execute`` with every field name found in the library.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

# field kinds
B, I32, I53, I64, S, BYTES = "Bool", "int32", "int53", "int64", "string", "bytes"
ANY = "*"  # an object the fake does not look into


def obj(*classes: str) -> tuple[str, tuple[str, ...]]:
    """An object field: one of ``classes`` (a single class is a bare type: ``@type`` optional)."""
    return ("object", classes)


def vec(kind: Any) -> tuple[str, Any]:
    return ("vector", kind)


FORMATTED = obj("formattedText")
MARKUP = obj("replyMarkupInlineKeyboard")
CONTENT = obj("inputMessageText", "inputMessageForwarded")
OPTIONS = obj("messageSendOptions")
OPAQUE = obj(ANY)

CLASSES: dict[str, dict[str, Any]] = {
    # functions
    "setTdlibParameters": {
        "use_test_dc": B, "database_directory": S, "files_directory": S,
        "database_encryption_key": BYTES, "use_file_database": B, "use_chat_info_database": B,
        "use_message_database": B, "use_secret_chats": B, "api_id": I32, "api_hash": S,
        "system_language_code": S, "device_model": S, "system_version": S,
        "application_version": S,
    },
    "setAuthenticationPhoneNumber": {
        "phone_number": S, "settings": obj("phoneNumberAuthenticationSettings"),
    },
    "checkAuthenticationCode": {"code": S},
    "checkAuthenticationPassword": {"password": S},
    "checkAuthenticationBotToken": {"token": S},
    "close": {},
    "getMe": {},
    "getUser": {"user_id": I53},
    "getChat": {"chat_id": I53},
    "searchPublicChat": {"username": S},
    "createPrivateChat": {"user_id": I53, "force": B},
    "joinChat": {"chat_id": I53},
    "leaveChat": {"chat_id": I53},
    "getChatHistory": {
        "chat_id": I53, "from_message_id": I53, "offset": I32, "limit": I32, "only_local": B,
    },
    "forwardMessages": {
        "chat_id": I53, "topic_id": OPAQUE, "from_chat_id": I53, "message_ids": vec(I53),
        "options": OPTIONS, "send_copy": B, "remove_caption": B,
    },
    "sendBotStartMessage": {"bot_user_id": I53, "chat_id": I53, "parameter": S},
    "sendMessage": {
        "chat_id": I53, "topic_id": OPAQUE, "reply_to": OPAQUE, "options": OPTIONS,
        "reply_markup": MARKUP, "input_message_content": CONTENT,
    },
    "sendMessageAlbum": {
        "chat_id": I53, "topic_id": OPAQUE, "reply_to": OPAQUE, "options": OPTIONS,
        "input_message_contents": vec(CONTENT),
    },
    "answerCallbackQuery": {
        "callback_query_id": I64, "text": S, "show_alert": B, "url": S, "cache_time": I32,
    },
    "editMessageReplyMarkup": {"chat_id": I53, "message_id": I53, "reply_markup": MARKUP},
    "getOption": {"name": S},
    "setLogVerbosityLevel": {"new_verbosity_level": I32},
    "setLogStream": {"log_stream": obj("logStreamFile", "logStreamEmpty", "logStreamDefault")},
    # objects
    "logStreamFile": {"path": S, "max_file_size": I53, "redirect_stderr": B},
    "logStreamEmpty": {},
    "logStreamDefault": {},
    "phoneNumberAuthenticationSettings": {
        "allow_flash_call": B, "allow_missed_call": B, "is_current_phone_number": B,
        "has_unknown_phone_number": B, "allow_sms_retriever_api": B,
        "firebase_authentication_settings": OPAQUE, "authentication_tokens": vec(S),
    },
    "messageSendOptions": {
        "disable_notification": B, "from_background": B, "protect_content": B,
        "allow_paid_broadcast": B, "paid_message_star_count": I53,
        "update_order_of_installed_sticker_sets": B, "scheduling_state": OPAQUE,
        "effect_id": I64, "sending_id": I32, "only_preview": B, "suggested_post_info": OPAQUE,
    },
    "inputMessageText": {
        "text": FORMATTED, "link_preview_options": obj("linkPreviewOptions"), "clear_draft": B,
    },
    "inputMessageForwarded": {
        "from_chat_id": I53, "message_id": I53, "in_game_share": B,
        "replace_video_start_timestamp": B, "new_video_start_timestamp": I32,
        "copy_options": obj("messageCopyOptions"),
    },
    "messageCopyOptions": {
        "send_copy": B, "replace_caption": B, "new_caption": FORMATTED,
        "new_show_caption_above_media": B,
    },
    "formattedText": {"text": S, "entities": vec(obj("textEntity"))},
    "textEntity": {"offset": I32, "length": I32, "type": OPAQUE},
    "linkPreviewOptions": {
        "is_disabled": B, "url": S, "force_small_media": B, "force_large_media": B,
        "show_above_text": B,
    },
    "replyMarkupInlineKeyboard": {"rows": vec(vec(obj("inlineKeyboardButton")))},
    "inlineKeyboardButton": {
        "text": S, "icon_custom_emoji_id": I64, "style": OPAQUE,
        "type": obj("inlineKeyboardButtonTypeCallback", "inlineKeyboardButtonTypeUrl"),
    },
    "inlineKeyboardButtonTypeCallback": {"data": BYTES},
    "inlineKeyboardButtonTypeUrl": {"url": S},
}

FUNCTIONS = frozenset({
    "setTdlibParameters", "setAuthenticationPhoneNumber", "checkAuthenticationCode",
    "checkAuthenticationPassword", "checkAuthenticationBotToken", "close", "getMe", "getUser",
    "getChat", "searchPublicChat", "createPrivateChat", "joinChat", "leaveChat", "getChatHistory",
    "forwardMessages", "sendBotStartMessage", "sendMessage", "sendMessageAlbum",
    "answerCallbackQuery", "editMessageReplyMarkup", "getOption", "setLogVerbosityLevel",
    "setLogStream",
})
"""Classes that are requests (the rest are nested objects)."""

SYNCHRONOUS = frozenset({"getOption", "setLogVerbosityLevel", "setLogStream"})

_PARSE = "Failed to parse JSON object as TDLib request: "

_JSON_NAMES = {bool: "Boolean", int: "Number", float: "Number", str: "String", list: "Array",
               dict: "Object", type(None): "Null"}


class SchemaError(ValueError):
    """A request TDLib (or the stricter fake) refuses to parse: a 400 error."""


def parse_error(text: str) -> SchemaError:
    return SchemaError(_PARSE + text)


def validate_request(query: Any) -> str:
    """Check a request against its class; its ``@type``, or :class:`SchemaError`."""
    if not isinstance(query, dict):
        raise parse_error(f"Expected Object, but receive {_JSON_NAMES.get(type(query), 'value')}")
    name = query.get("@type")
    if not isinstance(name, str):
        raise parse_error('Can\'t find field "@type"')
    if name not in FUNCTIONS:
        raise parse_error(f'Unknown class "{name}"')
    _check_fields(name, query)
    return name


def _check_fields(name: str, value: dict[str, Any]) -> None:
    fields = CLASSES[name]
    for key, item in value.items():
        if key in ("@type", "@extra", "@client_id"):
            continue
        kind = fields.get(key)
        if kind is None:
            raise parse_error(f'Unknown field "{key}" in class "{name}"')
        _check(kind, item, key, name)


def _check(kind: Any, item: Any, key: str, owner: str) -> None:
    if item is None:
        return  # TDLib reads null as "absent": the default
    where = f' (field "{key}" of {owner})'
    if isinstance(kind, tuple):
        if kind[0] == "vector":
            if not isinstance(item, list):
                raise _wrong("Array", item, where)
            for element in item:
                _check(kind[1], element, key, owner)
            return
        classes = kind[1]
        if not isinstance(item, dict):
            raise _wrong("Object", item, where)
        if classes == (ANY,):
            return
        name = item.get("@type")
        if name is None and len(classes) == 1:
            name = classes[0]  # a bare type may leave out its @type
        if name not in CLASSES:
            raise parse_error(f'Unknown class "{name}"{where}')
        if name not in classes:
            raise parse_error(f'Class "{name}" is not allowed here{where}')
        _check_fields(name, item)
        return
    if kind == B:
        if not isinstance(item, bool):
            raise _wrong("Boolean", item, where)
    elif kind in (I32, I53, I64):
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise _wrong("String or Number", item, where)
        if isinstance(item, str):
            try:
                int(item)
            except ValueError:
                raise parse_error(f'Can\'t parse "{item}" as number{where}') from None
    elif kind == S:
        if not isinstance(item, str):
            raise _wrong("String", item, where)
    elif kind == BYTES:
        if not isinstance(item, str):
            raise _wrong("String", item, where)
        try:
            base64.b64decode(item, validate=True)
        except (binascii.Error, ValueError):
            raise parse_error(f"Can't decode base64 value{where}") from None


def _wrong(expected: str, item: Any, where: str) -> SchemaError:
    got = _JSON_NAMES.get(type(item), type(item).__name__)
    return parse_error(f"Expected {expected}, but receive {got}{where}")
