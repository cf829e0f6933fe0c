"""Messages into private chats: a bot's sends (a pending reply at once, then
``updateMessageSendSucceeded``/``Failed`` under Telegram's limits and the recipient's will)
and a user account's forwards, ``/start`` and texts to a bot.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import time
from typing import TYPE_CHECKING, Any

from oleg_tdlib.errors import TdError
from oleg_tdlib.fake import objects as o
from oleg_tdlib.fake.model import Account, Msg
from oleg_tdlib.fake.objects import JSON, Fail

if TYPE_CHECKING:
    from oleg_tdlib.fake.client import FakeClient
    from oleg_tdlib.fake.world import FakeTelegram

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_ALBUM = 10
SEND_METHODS = frozenset({"sendMessage", "sendMessageAlbum"})  # faults fail them by update
PROTECTED = "Message has protected content and can't be forwarded"

Item = tuple[JSON, JSON | None, int]  # content, forward_info, album key (0: none)


def forward_of(msg: Msg) -> JSON:
    """The forward_info a forward of ``msg`` carries (a forward of a forward keeps its origin)."""
    if msg.forward is not None:
        return msg.forward
    if msg.channel_chat_id is not None:
        origin = o.origin_channel(msg.channel_chat_id, msg.id)
    else:
        origin = o.origin_user(msg.sender_id or 0)
    return o.forward_info(origin, msg.date)


def source_messages(world: FakeTelegram, client: FakeClient, chat_id: int) -> dict[int, Msg]:
    """The messages of a chat this client can read (and forward or copy from)."""
    if chat_id not in client.known:
        raise Fail(400, "Chat not found")
    channel = world.channels.get(chat_id)
    if channel is not None:
        if client.is_bot:
            raise Fail(400, "The method is not available to bots")
        return channel.messages
    return world.dialog(client.account_id, chat_id).messages


def build(world: FakeTelegram, client: FakeClient, item: JSON, *, in_album: bool) -> Item:
    """An ``InputMessageContent`` as the content (and forward info) of the new message."""
    if item.get("@type") == "inputMessageText":
        formatted = item.get("text") or {}
        text = str(formatted.get("text") or "")
        if not text.strip():
            raise Fail(400, "Message text can't be empty")
        if len(text) > MAX_TEXT:
            raise Fail(400, "Message is too long")
        if in_album:
            raise Fail(400, "Invalid message content type")
        content = {"@type": "messageText",
                   "text": {"@type": "formattedText", "text": text,
                            "entities": formatted.get("entities") or []},
                   "link_preview": None,
                   "link_preview_options": item.get("link_preview_options")}
        return content, None, 0
    if item.get("@type") != "inputMessageForwarded":
        raise Fail(400, "Message content must be non-empty")
    messages = source_messages(world, client, int(item.get("from_chat_id") or 0))
    source = messages.get(int(item.get("message_id") or 0))
    if source is None:
        raise Fail(400, "Message not found")
    if source.protected:
        raise Fail(400, PROTECTED)
    options = item.get("copy_options") or {}
    copy = bool(options.get("send_copy"))
    content = source.content
    if copy and options.get("replace_caption") and content["@type"] != "messageText":
        caption = str((options.get("new_caption") or {}).get("text") or "")
        if len(caption) > MAX_CAPTION:
            raise Fail(400, "Message caption is too long")
        content = o.set_text(content, caption)
    if in_album and o.kind_of(content) not in o.ALBUM_KINDS:
        raise Fail(400, "Invalid message content type")
    return content, None if copy else forward_of(source), 0


def keyboard(markup: JSON | None) -> JSON | None:
    """The inline keyboard as TDLib stores it, refusing what Telegram refuses."""
    if not markup:
        return None
    rows = []
    for row in markup.get("rows") or []:
        buttons = []
        for button in row or []:
            kind = dict(button.get("type") or {})
            name = kind.get("@type")
            if name == "inlineKeyboardButtonTypeCallback":
                try:
                    data = base64.b64decode(str(kind.get("data") or ""), validate=True)
                except (binascii.Error, ValueError):
                    data = b""
                if not data or len(data) > MAX_CALLBACK_DATA:
                    raise Fail(400, "BUTTON_DATA_INVALID")
                kind["data"] = base64.b64encode(data).decode()
            elif name == "inlineKeyboardButtonTypeUrl":
                if not str(kind.get("url") or "").startswith(("http://", "https://", "tg://")):
                    raise Fail(400, "BUTTON_URL_INVALID")
            else:
                raise Fail(400, "Inline keyboard button type must be non-empty")
            if not button.get("text"):
                raise Fail(400, "Text of an inline keyboard button must be non-empty")
            buttons.append({"@type": "inlineKeyboardButton", "text": button["text"],
                            "icon_custom_emoji_id": "0", "style": None, "type": kind})
        if buttons:
            rows.append(buttons)
    return {"@type": "replyMarkupInlineKeyboard", "rows": rows} if rows else None


def outcome(world: FakeTelegram, sender: Account, target: Account, method: str,
            count: int) -> JSON | None:
    """Why a send fails (an error object), or None: scripted faults, limits, the recipient."""
    fault = world.take_fault(method, sender.id) if method in SEND_METHODS else None
    if fault is not None or not sender.is_bot:
        return fault
    if target.is_bot:
        return o.error(403, "Forbidden: bot can't send messages to bots")
    retry = world.limits.check(sender.id, target.id, count)
    if retry is not None:
        world.stats["limit_violations"] += 1
        if world.enforce_limits:
            world.stats["rejected_429"] += 1
            return o.error(429, f"Too Many Requests: retry after {retry}")
        world.limits.record(sender.id, target.id, count)
    if target.deactivated:
        return o.error(403, "Forbidden: user is deactivated")
    if sender.id in target.blocked:
        return o.error(403, "Forbidden: bot was blocked by the user")
    if sender.id not in target.started:
        return o.error(403, "Forbidden: bot can't initiate conversation with a user")
    return None


def send(world: FakeTelegram, client: FakeClient, chat_id: int, items: list[Item],
         markup: JSON | None, method: str) -> list[JSON]:
    """Send ``items`` to a private chat: the pending messages now, the outcome as updates."""
    sender = client.account
    assert sender is not None
    target = world.accounts.get(chat_id)
    if chat_id not in client.known or chat_id == sender.id:
        raise Fail(400, "Chat not found")
    if target is None:
        raise Fail(400, "Have no write access to the chat")
    if not sender.is_bot and target.is_bot:
        world.starts(sender, target)
    dialog = world.dialog(sender.id, target.id)
    albums = {key: world.new_album_id() for _, _, key in items if key}
    now = int(time.time())
    pending = [Msg(dialog.temp_id(), now, content, sender_id=sender.id,
                   album_id=albums.get(key, 0), forward=forward, reply_markup=markup)
               for content, forward, key in items]
    replies = [m.render(chat_id, sender.id, o.pending_state()) for m in pending]
    if world.echo_outgoing:
        for reply in replies:
            world.push(client, {"@type": "updateNewMessage", "message": reply})
    error = outcome(world, sender, target, method, len(items))
    retry = (TdError.from_json(error).retry_after or 0.0) if error else 0.0
    for msg in pending:
        old = msg.id
        if error is not None:
            world.push(client, {"@type": "updateMessageSendFailed", "old_message_id": old,
                                "message": msg.render(chat_id, sender.id,
                                                      o.failed_state(error, retry)),
                                "error": error})
            continue
        msg.id = dialog.new_id()
        dialog.messages[msg.id] = msg
        if sender.is_bot:
            world.stats["sent"] += 1
        world.push(client, {"@type": "updateMessageSendSucceeded", "old_message_id": old,
                            "message": msg.render(chat_id, sender.id)})
        world.route(target.id, {"@type": "updateNewMessage",
                                "message": msg.render(sender.id, target.id)}, sender.id)
    return replies


def send_message(world: FakeTelegram, client: FakeClient, p: dict[str, Any]) -> JSON:
    item = build(world, client, p.get("input_message_content") or {}, in_album=False)
    markup = keyboard(p.get("reply_markup")) if client.is_bot else None
    return send(world, client, int(p.get("chat_id") or 0), [item], markup, "sendMessage")[0]


def send_album(world: FakeTelegram, client: FakeClient, p: dict[str, Any]) -> JSON:
    contents = p.get("input_message_contents") or []
    if not contents:
        raise Fail(400, "There are no messages to send")
    if len(contents) > MAX_ALBUM:
        raise Fail(400, "Too many messages to send as an album")
    items = [build(world, client, c or {}, in_album=True) for c in contents]
    key = 1 if len(items) > 1 else 0
    items = [(content, forward, key) for content, forward, _ in items]
    chat_id = int(p.get("chat_id") or 0)
    return o.messages(list(send(world, client, chat_id, items, None, "sendMessageAlbum")))


def forward_messages(world: FakeTelegram, client: FakeClient, p: dict[str, Any]) -> JSON:
    """Forwards keep their origin (``messageOriginChannel`` for posts) and their albums."""
    ids = [int(i) for i in p.get("message_ids") or []]
    if not ids:
        raise Fail(400, "There are no messages to forward")
    if len(ids) > 100:
        raise Fail(400, "Too many messages to forward")
    if any(b <= a for a, b in itertools.pairwise(ids)):
        raise Fail(400, "Message identifiers must be in a strictly increasing order")
    from_chat_id = int(p.get("from_chat_id") or 0)
    messages = source_messages(world, client, from_chat_id)
    channel = world.channels.get(from_chat_id)
    if channel is not None and channel.protected:
        raise Fail(400, PROTECTED)
    copy, drop_caption = bool(p.get("send_copy")), bool(p.get("remove_caption"))
    found: list[Item | None] = []
    for mid in ids:
        msg = messages.get(mid)
        if msg is None:
            found.append(None)
            continue
        if msg.protected:
            raise Fail(400, PROTECTED)
        content = msg.content
        if copy and drop_caption and content["@type"] != "messageText":
            content = o.set_text(content, "")
        found.append((content, None if copy else forward_of(msg), msg.album_id))
    items = [item for item in found if item is not None]
    sent = iter(send(world, client, int(p.get("chat_id") or 0), items, None, "forwardMessages")
                if items else [])
    # TDLib answers null for a message that can't be forwarded (a deleted post)
    return o.messages([None if item is None else next(sent) for item in found])
