"""Answering one request: parse it strictly, check who may call it in which state, apply the
scripted faults, then run the method's handler (chats, history, callbacks here; logins in
:mod:`~oleg_tdlib.fake.auth`; sends in :mod:`~oleg_tdlib.fake.sending`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from oleg_tdlib.fake import auth, sending
from oleg_tdlib.fake import objects as o
from oleg_tdlib.fake.client import CLOSED, CLOSING, READY, WAIT_PARAMETERS, FakeClient
from oleg_tdlib.fake.objects import JSON, Fail
from oleg_tdlib.fake.schema import SYNCHRONOUS, SchemaError, validate_request

if TYPE_CHECKING:
    from oleg_tdlib.fake.world import FakeTelegram

VERSION = "1.8.66"
USER_ONLY = frozenset({"joinChat", "leaveChat", "getChatHistory", "sendBotStartMessage"})
BOT_ONLY = frozenset({"answerCallbackQuery", "editMessageReplyMarkup"})
OFFLINE = frozenset(auth.HANDLERS) | {"close"} | SYNCHRONOUS
NEVER_DROPPED = OFFLINE  # lost replies would make logging in flaky, not more realistic
MAX_HISTORY = 100


def answer(world: FakeTelegram, client: FakeClient, query: JSON) -> tuple[str, JSON | None]:
    """The method and its reply (None: it will never be answered, until ``close``)."""
    try:
        method = validate_request(query)
    except SchemaError as exc:
        world.requests.append((client.account_id, str(query.get("@type"))))
        return str(query.get("@type")), o.error(400, str(exc))
    world.requests.append((client.account_id, method))
    params = {k: v for k, v in query.items() if not k.startswith("@")}
    if client.state in (CLOSING, CLOSED):
        return method, o.error(500, "Request aborted")
    if method != "close" and world.take_never(method):
        client.hung.append(query.get("@extra"))
        return method, None
    try:
        return method, _dispatch(world, client, method, params)
    except Fail as exc:
        return method, o.error(exc.code, exc.message)


def _dispatch(world: FakeTelegram, client: FakeClient, method: str, params: JSON) -> JSON:
    if method in SYNCHRONOUS:
        return _synchronous(method, params)
    if method == "close":
        world.close_client(client)
        return o.ok()
    if method in auth.HANDLERS:
        return auth.HANDLERS[method](world, client, params)
    if client.state == WAIT_PARAMETERS:
        raise Fail(400, "Initialization parameters are needed: call setTdlibParameters first")
    if client.state != READY:
        raise Fail(401, "Unauthorized")
    if client.is_bot and method in USER_ONLY:
        raise Fail(400, "The method is not available to bots")
    if not client.is_bot and method in BOT_ONLY:
        raise Fail(400, "The method is available only to bots")
    if method not in sending.SEND_METHODS:
        fault = world.take_fault(method, client.account_id)
        if fault is not None:
            raise Fail(fault["code"], fault["message"])
    return HANDLERS[method](world, client, params)


def execute(world: FakeTelegram, query: JSON) -> JSON:
    """``td_execute``: the synchronous methods; a valid async one can't run synchronously."""
    try:
        method = validate_request(query)
    except SchemaError as exc:
        return o.error(400, str(exc))
    if method not in SYNCHRONOUS:
        return o.error(400, "The method can't be executed synchronously")
    return _synchronous(method, query)


def _synchronous(method: str, params: JSON) -> JSON:
    if method in ("setLogVerbosityLevel", "setLogStream"):
        return o.ok()
    if params.get("name") == "version":
        return {"@type": "optionValueString", "value": VERSION}
    return {"@type": "optionValueEmpty"}


# -- chats and users -----------------------------------------------------------------


def chat_json(world: FakeTelegram, chat_id: int) -> JSON:
    channel = world.channels.get(chat_id)
    if channel is not None:
        return o.chat(chat_id, channel.title, o.channel_type(channel.id),
                      protected=channel.protected)
    acc = world.accounts[chat_id]
    return o.chat(chat_id, acc.first_name, o.private_type(chat_id))


def _known_chat(client: FakeClient, chat_id: int) -> int:
    if chat_id not in client.known:
        raise Fail(400, "Chat not found")
    return chat_id


def get_me(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    acc = client.account
    assert acc is not None
    return o.user(acc, deactivated=acc.deactivated)


def get_user(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    user_id = int(p.get("user_id") or 0)
    acc = world.accounts.get(user_id)
    if acc is None or not (client.is_bot or user_id in client.known):
        raise Fail(400, "User not found")
    return o.user(acc, deactivated=acc.deactivated)


def get_chat(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    return chat_json(world, _known_chat(client, int(p.get("chat_id") or 0)))


def search_public_chat(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    name = str(p.get("username") or "").strip().lstrip("@").lower()
    if not name:
        raise Fail(400, "USERNAME_INVALID")
    chat_id = world.by_username.get(name)
    if chat_id is None:
        raise Fail(400, "USERNAME_NOT_OCCUPIED")
    client.known.add(chat_id)
    return chat_json(world, chat_id)


def create_private_chat(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    """Bots may open a chat with any user id (they can't write until the user starts them);
    user accounts only with users they have seen."""
    user_id = int(p.get("user_id") or 0)
    if user_id not in world.accounts or not (client.is_bot or user_id in client.known):
        raise Fail(400, "User not found")
    client.known.add(user_id)
    return chat_json(world, user_id)


def join_chat(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    chat_id = _known_chat(client, int(p.get("chat_id") or 0))
    acc = client.account
    assert acc is not None
    channel = world.channels.get(chat_id)
    if channel is None:
        raise Fail(400, "Chat is not a supergroup or a channel")
    if chat_id in acc.channels:
        return o.ok()
    limit = world.channel_limit * (2 if acc.premium else 1)
    if len(acc.channels) >= limit:
        raise Fail(400, "CHANNELS_TOO_MUCH")
    acc.channels.add(chat_id)
    channel.members.add(acc.id)
    world.stats["joins"] += 1
    return o.ok()


def leave_chat(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    chat_id = _known_chat(client, int(p.get("chat_id") or 0))
    acc = client.account
    assert acc is not None
    channel = world.channels.get(chat_id)
    if channel is not None:
        acc.channels.discard(chat_id)
        channel.members.discard(acc.id)
    return o.ok()


def get_chat_history(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    """Newest first, starting *at* ``from_message_id`` (TDLib includes it; 0: the newest);
    a negative ``offset`` adds that many newer messages first."""
    chat_id = _known_chat(client, int(p.get("chat_id") or 0))
    from_id = int(p.get("from_message_id") or 0)
    offset, limit = int(p.get("offset") or 0), int(p.get("limit") or 0)
    if limit <= 0:
        raise Fail(400, "Parameter limit must be positive")
    if offset > 0:
        raise Fail(400, "Parameter offset must be non-positive")
    if offset <= -MAX_HISTORY:
        raise Fail(400, f"Parameter offset must be greater than -{MAX_HISTORY}")
    if limit <= -offset:
        raise Fail(400, "Parameter limit must be greater than -offset")
    limit = min(limit, MAX_HISTORY)
    channel = world.channels.get(chat_id)
    store = channel.messages if channel is not None else world.dialog(client.account_id,
                                                                       chat_id).messages
    ids = list(store)  # ascending
    if from_id == 0:
        newer, older = [], ids[::-1]
    else:
        newer = [i for i in ids if i > from_id][: -offset][::-1] if offset else []
        older = [i for i in reversed(ids) if i <= from_id]
    picked = (newer + older)[:limit]
    viewer = client.account_id
    return o.messages([store[i].render(chat_id, viewer) for i in picked])


# -- the bot's side of callbacks and keyboards ---------------------------------------


def answer_callback(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    qid = str(int(p.get("callback_query_id") or 0))
    query = world.queries.get(qid)
    if query is None or query["bot"] != client.account_id or query["answered"]:
        raise Fail(400, "QUERY_ID_INVALID")
    query["answered"] = True
    world.callback_answers[qid] = dict(p)
    return o.ok()


def edit_reply_markup(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    chat_id = _known_chat(client, int(p.get("chat_id") or 0))
    bot = client.account_id
    msg = world.dialog(bot, chat_id).messages.get(int(p.get("message_id") or 0))
    if msg is None or chat_id not in world.accounts:
        raise Fail(400, "Message not found")
    if msg.sender_id != bot:
        raise Fail(400, "Message can't be edited")
    msg.reply_markup = sending.keyboard(p.get("reply_markup"))
    msg.edit_date = int(time.time())
    for account, seen_as in ((bot, chat_id), (chat_id, bot)):
        world.route(account, {"@type": "updateMessageEdited", "chat_id": seen_as,
                              "message_id": msg.id, "edit_date": msg.edit_date,
                              "reply_markup": msg.reply_markup}, seen_as)
    return msg.render(chat_id, bot)


def send_bot_start(world: FakeTelegram, client: FakeClient, p: JSON) -> JSON:
    """A user account starts a bot: ``/start`` (with the parameter) in their private chat."""
    bot_id, chat_id = int(p.get("bot_user_id") or 0), int(p.get("chat_id") or 0)
    bot = world.accounts.get(bot_id)
    if bot is None or not bot.is_bot or bot_id not in client.known:
        raise Fail(400, "Bot not found")
    if chat_id != bot_id:
        raise Fail(400, "Chat not found")
    parameter = str(p.get("parameter") or "")
    text = "/start" + (f" {parameter}" if parameter else "")
    content = o.content("text", text)
    return sending.send(world, client, chat_id, [(content, None, 0)], None,
                        "sendBotStartMessage")[0]


Handler = Any
HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "getUser": get_user,
    "getChat": get_chat,
    "searchPublicChat": search_public_chat,
    "createPrivateChat": create_private_chat,
    "joinChat": join_chat,
    "leaveChat": leave_chat,
    "getChatHistory": get_chat_history,
    "answerCallbackQuery": answer_callback,
    "editMessageReplyMarkup": edit_reply_markup,
    "sendBotStartMessage": send_bot_start,
    "sendMessage": sending.send_message,
    "sendMessageAlbum": sending.send_album,
    "forwardMessages": sending.forward_messages,
}
