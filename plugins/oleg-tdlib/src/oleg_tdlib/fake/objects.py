"""TDLib objects as the fake emits them, following td_api.tl's JSON conventions.

``int53`` values (chat, user and message ids) are JSON numbers; ``int64`` values
(``media_album_id``, callback query ids, ``chat_instance``, file sizes are int53) are strings;
``bytes`` are base64. Kept apart from the world so that every emitted shape is in one place.
"""

from __future__ import annotations

import itertools
from typing import Any

JSON = dict[str, Any]

_file_ids = itertools.count(1)


class Fail(Exception):
    """Raised by a handler: the request is answered with this ``error`` object."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


def error(code: int, message: str) -> JSON:
    return {"@type": "error", "code": code, "message": message}


def ok() -> JSON:
    return {"@type": "ok"}


def formatted(text: str | None) -> JSON:
    return {"@type": "formattedText", "text": text or "", "entities": []}


def auth_state(name: str, **fields: Any) -> JSON:
    return {"@type": "updateAuthorizationState", "authorization_state": {"@type": name, **fields}}


def _file(kind: str, size: int = 1000) -> JSON:
    n = next(_file_ids)
    return {
        "@type": "file", "id": n, "size": size, "expected_size": size,
        "local": {"@type": "localFile", "path": "", "can_be_downloaded": True,
                  "can_be_deleted": False, "is_downloading_active": False,
                  "is_downloading_completed": False, "download_offset": 0,
                  "downloaded_prefix_size": 0, "downloaded_size": 0},
        "remote": {"@type": "remoteFile", "id": f"fake-{kind}-{n}", "unique_id": f"u{kind}{n}",
                   "is_uploading_active": False, "is_uploading_completed": True,
                   "uploaded_size": size},
    }


MEDIA_KINDS = ("photo", "video", "animation", "document", "audio", "voice")
ALBUM_KINDS = ("photo", "video", "document", "audio")


def content(kind: str, text: str | None) -> JSON:
    """A ``MessageContent`` of one kind: ``text``, a media kind with a caption, or ``poll``."""
    caption = formatted(text)
    if kind == "text":
        if not text:
            raise ValueError("a text message needs text")
        return {"@type": "messageText", "text": caption, "link_preview": None,
                "link_preview_options": None}
    if kind == "photo":
        photo = {"@type": "photo", "has_stickers": False, "minithumbnail": None,
                 "sizes": [{"@type": "photoSize", "type": "x", "photo": _file("photo"),
                            "width": 800, "height": 600, "progressive_sizes": []}]}
        return {"@type": "messagePhoto", "photo": photo, "caption": caption,
                "show_caption_above_media": False, "has_spoiler": False, "is_secret": False}
    if kind == "video":
        video = {"@type": "video", "duration": 10, "width": 640, "height": 360,
                 "file_name": "video.mp4", "mime_type": "video/mp4", "has_stickers": False,
                 "supports_streaming": True, "minithumbnail": None, "thumbnail": None,
                 "video": _file("video")}
        return {"@type": "messageVideo", "video": video, "alternative_videos": [],
                "caption": caption, "show_caption_above_media": False, "has_spoiler": False,
                "is_secret": False}
    if kind == "animation":
        animation = {"@type": "animation", "duration": 3, "width": 320, "height": 240,
                     "file_name": "a.mp4", "mime_type": "video/mp4", "has_stickers": False,
                     "minithumbnail": None, "thumbnail": None, "animation": _file("animation")}
        return {"@type": "messageAnimation", "animation": animation, "caption": caption,
                "show_caption_above_media": False, "has_spoiler": False, "is_secret": False}
    if kind == "document":
        document = {"@type": "document", "file_name": "file.pdf", "mime_type": "application/pdf",
                    "minithumbnail": None, "thumbnail": None, "document": _file("document")}
        return {"@type": "messageDocument", "document": document, "caption": caption}
    if kind == "audio":
        audio = {"@type": "audio", "duration": 120, "title": "", "performer": "",
                 "file_name": "a.mp3", "mime_type": "audio/mpeg", "album_cover_minithumbnail": None,
                 "album_cover_thumbnail": None, "external_album_covers": [],
                 "audio": _file("audio")}
        return {"@type": "messageAudio", "audio": audio, "caption": caption}
    if kind == "voice":
        voice = {"@type": "voiceNote", "duration": 5, "waveform": "", "mime_type": "audio/ogg",
                 "speech_recognition_result": None, "voice": _file("voice")}
        return {"@type": "messageVoiceNote", "voice_note": voice, "caption": caption,
                "is_listened": False}
    if kind == "poll":
        poll = {"@type": "poll", "id": str(next(_file_ids) + 10**15), "question": caption,
                "options": [], "total_voter_count": 0, "recent_voter_ids": [],
                "is_anonymous": True, "type": {"@type": "pollTypeRegular",
                                               "allow_multiple_answers": False},
                "open_period": 0, "close_date": 0, "is_closed": False}
        return {"@type": "messagePoll", "poll": poll}
    raise ValueError(f"unknown content kind {kind!r}")


def set_text(value: JSON, text: str) -> JSON:
    """The same content with a new text or caption (what an edit changes)."""
    new = dict(value)
    if new["@type"] == "messageText":
        new["text"] = formatted(text)
    elif new["@type"] == "messagePoll":
        new["poll"] = {**new["poll"], "question": formatted(text)}
    else:
        new["caption"] = formatted(text)
    return new


def kind_of(value: JSON) -> str:
    name = value["@type"]
    return {"messageText": "text", "messagePhoto": "photo", "messageVideo": "video",
            "messageAnimation": "animation", "messageDocument": "document",
            "messageAudio": "audio", "messageVoiceNote": "voice",
            "messagePoll": "poll"}.get(name, "other")


def text_of(value: JSON) -> str:
    holder = value.get("text") if value["@type"] == "messageText" else value.get("caption")
    return str((holder or {}).get("text") or "")


def user(account: Any, *, deactivated: bool = False) -> JSON:
    """A ``user`` object for an :class:`~oleg_tdlib.fake.model.Account`."""
    if account.is_bot:
        kind: JSON = {"@type": "userTypeBot", "can_be_edited": False, "can_join_groups": True,
                      "can_read_all_group_messages": False, "has_main_web_app": False,
                      "is_inline": False, "inline_query_placeholder": "",
                      "need_location": False, "can_connect_to_business": False,
                      "can_be_added_to_attachment_menu": False, "active_user_count": 0}
    elif deactivated:
        kind = {"@type": "userTypeDeleted"}
    else:
        kind = {"@type": "userTypeRegular"}
    names = None
    if account.username:
        names = {"@type": "usernames", "active_usernames": [account.username],
                 "disabled_usernames": [], "editable_username": account.username,
                 "collectible_usernames": []}
    return {
        "@type": "user", "id": account.id, "first_name": account.first_name, "last_name": "",
        "usernames": names, "phone_number": "" if account.is_bot else account.phone.lstrip("+"),
        "status": {"@type": "userStatusEmpty"}, "profile_photo": None,
        "is_contact": False, "is_mutual_contact": False, "is_close_friend": False,
        "verification_status": None, "is_premium": account.premium, "is_support": False,
        "restriction_info": None, "has_active_stories": False, "has_unread_active_stories": False,
        "restricts_new_chats": False, "have_access": True, "type": kind,
        "language_code": "", "added_to_attachment_menu": False,
    }


def chat(chat_id: int, title: str, chat_type: JSON, *, protected: bool = False) -> JSON:
    return {
        "@type": "chat", "id": chat_id, "type": chat_type, "title": title, "photo": None,
        "accent_color_id": 0, "background_custom_emoji_id": "0",
        "permissions": None, "last_message": None, "positions": [], "chat_lists": [],
        "message_sender_id": None, "block_list": None, "has_protected_content": protected,
        "is_translatable": False, "is_marked_as_unread": False, "view_as_topics": False,
        "has_scheduled_messages": False, "can_be_deleted_only_for_self": False,
        "can_be_deleted_for_all_users": False, "can_be_reported": False,
        "default_disable_notification": False, "unread_count": 0,
        "last_read_inbox_message_id": 0, "last_read_outbox_message_id": 0,
        "unread_mention_count": 0, "unread_reaction_count": 0,
        "notification_settings": None, "available_reactions": None,
        "message_auto_delete_time": 0, "emoji_status": None, "background": None, "theme": None,
        "action_bar": None, "business_bot_manage_bar": None, "video_chat": None,
        "pending_join_requests": None, "reply_markup_message_id": 0, "draft_message": None,
        "client_data": "",
    }


def channel_type(channel_id: int) -> JSON:
    return {"@type": "chatTypeSupergroup", "supergroup_id": channel_id, "is_channel": True}


def private_type(user_id: int) -> JSON:
    return {"@type": "chatTypePrivate", "user_id": user_id}


def sender_user(user_id: int) -> JSON:
    return {"@type": "messageSenderUser", "user_id": user_id}


def sender_chat(chat_id: int) -> JSON:
    return {"@type": "messageSenderChat", "chat_id": chat_id}


def pending_state() -> JSON:
    return {"@type": "messageSendingStatePending", "sending_id": 0}


def failed_state(err: JSON, retry_after: float = 0.0) -> JSON:
    return {"@type": "messageSendingStateFailed", "error": err, "can_retry": retry_after > 0,
            "need_another_sender": False, "need_another_reply_quote": False,
            "need_drop_reply": False, "required_paid_message_star_count": 0,
            "retry_after": float(retry_after)}


def origin_channel(chat_id: int, message_id: int, signature: str = "") -> JSON:
    return {"@type": "messageOriginChannel", "chat_id": chat_id, "message_id": message_id,
            "author_signature": signature}


def origin_user(user_id: int) -> JSON:
    return {"@type": "messageOriginUser", "sender_user_id": user_id}


def forward_info(origin: JSON, date: int) -> JSON:
    return {"@type": "messageForwardInfo", "origin": origin, "date": date, "source": None,
            "public_service_announcement_type": ""}


def messages(items: list[JSON | None]) -> JSON:
    return {"@type": "messages", "total_count": len(items), "messages": items}
