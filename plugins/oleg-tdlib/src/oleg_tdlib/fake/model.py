"""The fake Telegram's server-side state: accounts, channels, private dialogs, messages.

Plain records, no behaviour beyond rendering a message as one viewer sees it: the rules
live in :mod:`oleg_tdlib.fake.world` and :mod:`oleg_tdlib.fake.handlers`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from oleg_tdlib.fake import objects as o

SHIFT = 20  # a message id is its server id << 20


@dataclass(eq=False)
class Account:
    """A user (with a phone, maybe a 2FA password), a subscriber (no client) or a bot."""

    id: int
    is_bot: bool = False
    phone: str = ""
    code: str = "12345"
    password: str | None = None
    first_name: str = ""
    premium: bool = False
    token: str | None = None
    username: str | None = None
    deactivated: bool = False
    blocked: set[int] = field(default_factory=set)  # bots this user blocked
    started: set[int] = field(default_factory=set)  # bots this user wrote to
    channels: set[int] = field(default_factory=set)  # channel chat ids joined
    clients: list[Any] = field(default_factory=list)  # ready FakeClients logged in as this
    offline: deque[tuple[str, int | None]] = field(default_factory=deque)  # missed updates


@dataclass(eq=False)
class Session:
    """What TDLib keeps in one database directory: the login and the chats it has seen."""

    directory: str
    account_id: int
    known: set[int] = field(default_factory=set)


@dataclass(eq=False)
class Msg:
    """One message, stored once; each viewer sees it in its own chat id."""

    id: int
    date: int
    content: dict[str, Any]
    sender_id: int | None = None  # a user; None for a channel post
    channel_chat_id: int | None = None
    album_id: int = 0
    forward: dict[str, Any] | None = None  # messageForwardInfo
    reply_markup: dict[str, Any] | None = None
    edit_date: int = 0
    protected: bool = False

    def render(self, chat_id: int, viewer: int, sending_state: Any = None,
               message_id: int | None = None) -> dict[str, Any]:
        post = self.channel_chat_id is not None
        return {
            "@type": "message", "id": self.id if message_id is None else message_id,
            "sender_id": o.sender_chat(self.channel_chat_id) if post  # type: ignore[arg-type]
            else o.sender_user(self.sender_id or 0),
            "chat_id": chat_id, "sending_state": sending_state, "scheduling_state": None,
            "is_outgoing": not post and self.sender_id == viewer, "is_pinned": False,
            "is_from_offline": False, "can_be_saved": not self.protected,
            "has_timestamped_media": False, "is_channel_post": post,
            "contains_unread_mention": False, "date": self.date, "edit_date": self.edit_date,
            "forward_info": self.forward, "import_info": None, "interaction_info": None,
            "unread_reactions": [], "fact_check": None, "suggested_post_info": None,
            "reply_to": None, "topic_id": None, "self_destruct_type": None,
            "self_destruct_in": 0.0, "auto_delete_in": 0.0, "via_bot_user_id": 0,
            "sender_business_bot_user_id": 0, "sender_boost_count": 0,
            "paid_message_star_count": 0, "author_signature": "",
            "media_album_id": str(self.album_id), "effect_id": "0", "restriction_info": None,
            "summary_language_code": "", "content": self.content,
            "reply_markup": self.reply_markup,
        }


@dataclass(eq=False)
class Channel:
    id: int  # the channel id; the chat id is -100<id>
    chat_id: int
    username: str
    title: str
    protected: bool = False
    members: set[int] = field(default_factory=set)
    messages: dict[int, Msg] = field(default_factory=dict)  # by id, ascending
    next_server_id: int = 1

    def new_id(self) -> int:
        mid = self.next_server_id << SHIFT
        self.next_server_id += 1
        return mid


@dataclass(eq=False)
class Dialog:
    """A private chat between two accounts; each sees it under the other's user id."""

    a: int
    b: int
    messages: dict[int, Msg] = field(default_factory=dict)
    next_server_id: int = 1
    next_temp: int = 1

    def new_id(self) -> int:
        mid = self.next_server_id << SHIFT
        self.next_server_id += 1
        return mid

    def temp_id(self) -> int:
        """A yet-unsent message's id: between server ids, like TDLib's local ids."""
        tid = ((self.next_server_id - 1) << SHIFT) + (self.next_temp % ((1 << SHIFT) - 1)) + 1
        self.next_temp += 1
        return tid

    def other(self, account_id: int) -> int:
        return self.b if account_id == self.a else self.a
