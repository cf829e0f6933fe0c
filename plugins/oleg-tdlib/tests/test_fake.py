"""The fake TDLib, driven through the real gateway (TdClient) and its low-level client."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from oleg_tdlib import requests as rq
from oleg_tdlib import translate
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout
from oleg_tdlib.fake import FakeClient, FakeTelegram
from oleg_tdlib.fake.schema import (
    CLASSES,
    FUNCTIONS,
    SYNCHRONOUS,
    SchemaError,
    validate_request,
)
from oleg_tdlib.transport import NeedsLogin, TdClient, TdSettings

PHONE = "+15550100"
TOKEN = "7001:bot-token"


class Clock:
    """A hand-driven clock for the rate limits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Updates:
    """Collects one client's updates of some types; waits for one that matches."""

    def __init__(self, client: TdClient, *types: str) -> None:
        self.items: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        for name in types:
            client.on(name, self._add)

    def _add(self, update: dict[str, Any]) -> None:
        with self._cond:
            self.items.append(update)
            self._cond.notify_all()

    def wait(self, pred: Callable[[dict[str, Any]], bool], count: int = 1,
             timeout: float = 3.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [u for u in self.items if pred(u)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"only {len(found)} of {count} updates came: {self.items}")
                self._cond.wait(left)

    def of(self, name: str) -> list[dict[str, Any]]:
        with self._cond:
            return [u for u in self.items if u["@type"] == name]


def is_type(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda u: u["@type"] == name


def incoming(u: dict[str, Any]) -> bool:
    return u["@type"] == "updateNewMessage" and not u["message"]["is_outgoing"]


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as world:
        yield world


class Opener:
    """Opens TdClients on the fake and closes them all at the end of the test."""

    def __init__(self, world: FakeTelegram, tmp_path: Path) -> None:
        self.world = world
        self.tmp_path = tmp_path
        self.opened: list[TdClient] = []

    def settings(self, name: str, **kw: Any) -> TdSettings:
        return TdSettings(api_id=kw.pop("api_id", self.world.api_id),
                          api_hash=kw.pop("api_hash", self.world.api_hash),
                          database_encryption_key="k", files_directory=self.tmp_path / name,
                          request_timeout=3.0, **kw)

    def client(self, name: str, **kw: Any) -> TdClient:
        client = TdClient(self.settings(name, **kw))
        self.opened.append(client)
        return client

    def user(self, name: str = "user", phone: str = PHONE, **auth: Any) -> TdClient:
        client = self.client(name, phone=phone)
        client.authorize(code=lambda: "12345", timeout=5, **auth)
        return client

    def bot(self, name: str = "bot", token: str = TOKEN) -> TdClient:
        client = self.client(name, bot_token=token)
        client.authorize(timeout=5)
        return client

    def close_all(self) -> None:
        for client in self.opened:
            client.close()


@pytest.fixture
def opener(tg: FakeTelegram, tmp_path: Path) -> Iterator[Opener]:
    op = Opener(tg, tmp_path)
    yield op
    op.close_all()


@pytest.fixture
def scene(tg: FakeTelegram, opener: Opener) -> dict[str, Any]:
    """A user account in a channel, a bot, and a subscriber who started the bot."""
    user_id = tg.add_user(PHONE, first_name="Source")
    bot_id = tg.add_bot(TOKEN, "oleg_bot")
    channel = tg.add_channel("news", "News")
    sub = tg.add_subscriber("Ann")
    tg.user_sends(sub, bot_id, "/start")
    user = opener.user()
    user_updates = Updates(user, "updateNewMessage", "updateMessageContent",
                           "updateDeleteMessages", "updateMessageSendSucceeded")
    bot = opener.bot()
    bot_updates = Updates(bot, "updateNewMessage", "updateMessageSendSucceeded",
                          "updateMessageSendFailed", "updateNewCallbackQuery")
    user.request("searchPublicChat", rq.search_public_chat("@news"))
    user.request("joinChat", rq.join_chat(channel))
    return {"user_id": user_id, "bot_id": bot_id, "channel": channel, "sub": sub, "user": user,
            "bot": bot, "user_updates": user_updates, "bot_updates": bot_updates}


def raw_client(tg: FakeTelegram) -> FakeClient:
    return tg.new_client()


def raw_request(client: FakeClient, query: dict[str, Any], extra: int = 1,
                timeout: float = 2.0) -> dict[str, Any]:
    """Send through the low-level client and receive until the reply with ``extra``."""
    client.send({**query, "@extra": extra})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        obj = client.receive()
        if obj is not None and obj.get("@extra") == extra:
            return obj
    raise AssertionError(f"no reply to {query['@type']}")


def forward_post(scene: dict[str, Any], ids: list[int]) -> list[dict[str, Any]]:
    """The user account forwards a post to the bot; the bot's incoming messages."""
    user, bot_id = scene["user"], scene["bot_id"]
    user.request("searchPublicChat", {"username": "oleg_bot"})
    user.request("forwardMessages", rq.forward_messages(bot_id, scene["channel"], ids))
    got = scene["bot_updates"].wait(
        lambda u: incoming(u) and u["message"]["forward_info"] is not None
        and u["message"]["forward_info"]["origin"]["message_id"] in ids, count=len(ids))
    return [u["message"] for u in got]


# -- authorization ---------------------------------------------------------------------


def test_login_with_code_reaches_ready(tg: FakeTelegram, opener: Opener) -> None:
    user_id = tg.add_user(PHONE, first_name="Olga")
    client = opener.user()
    assert client.authorization_state == "authorizationStateReady"
    me = client.request("getMe")
    assert me["id"] == user_id and me["first_name"] == "Olga"
    assert me["type"]["@type"] == "userTypeRegular"
    methods = [m for a, m in tg.requests]
    assert methods[:3] == ["setTdlibParameters", "setAuthenticationPhoneNumber",
                           "checkAuthenticationCode"]


def test_login_with_two_step_password(tg: FakeTelegram, opener: Opener) -> None:
    tg.add_user(PHONE, password="hunter2")
    client = opener.client("u", phone=PHONE)
    with pytest.raises(NeedsLogin) as info:
        client.authorize(code=lambda: "12345", timeout=5)
    assert info.value.state == "authorizationStateWaitPassword"
    with pytest.raises(TdError) as wrong:
        client.authorize(code=lambda: "12345", password=lambda: "nope", timeout=5)
    assert wrong.value.code == 400 and wrong.value.message == "PASSWORD_HASH_INVALID"
    assert client.authorize(password=lambda: "hunter2", timeout=5) == "authorizationStateReady"


def test_wrong_code_and_unknown_phone(tg: FakeTelegram, opener: Opener) -> None:
    tg.add_user(PHONE, code="24680")
    client = opener.client("u", phone=PHONE)
    with pytest.raises(TdError) as wrong:
        client.authorize(code=lambda: "12345", timeout=5)
    assert (wrong.value.code, wrong.value.message) == (400, "PHONE_CODE_INVALID")
    assert client.authorization_state == "authorizationStateWaitCode"
    assert client.authorize(code=lambda: "24680", timeout=5) == "authorizationStateReady"
    stranger = opener.client("s", phone="+15559999")
    with pytest.raises(TdError, match="PHONE_NUMBER_INVALID"):
        stranger.authorize(code=lambda: "12345", timeout=5)


def test_code_needed_without_prompt_raises_needs_login(tg: FakeTelegram, opener: Opener) -> None:
    tg.add_user(PHONE)
    client = opener.client("u", phone=PHONE)
    with pytest.raises(NeedsLogin) as info:
        client.authorize(timeout=5)
    # stopped before the phone number went out: Telegram sent no code nobody could type
    assert info.value.state == "authorizationStateWaitPhoneNumber"
    assert "setAuthenticationPhoneNumber" not in [m for _, m in tg.requests]


def test_bot_token_login_and_bad_token(tg: FakeTelegram, opener: Opener) -> None:
    bot_id = tg.add_bot(TOKEN, "oleg_bot")
    bot = opener.bot()
    me = bot.request("getMe")
    assert me["id"] == bot_id and me["type"]["@type"] == "userTypeBot"
    assert me["usernames"]["active_usernames"] == ["oleg_bot"]
    bad = opener.client("bad", bot_token="1:wrong")
    with pytest.raises(TdError) as info:
        bad.authorize(timeout=5)
    assert (info.value.code, info.value.message) == (401, "ACCESS_TOKEN_INVALID")


def test_wrong_api_credentials(tg: FakeTelegram, opener: Opener) -> None:
    tg.add_user(PHONE)
    client = opener.client("u", phone=PHONE, api_id=999)
    with pytest.raises(TdError, match="API_ID_INVALID"):
        client.authorize(code=lambda: "12345", timeout=5)


def test_session_survives_close_and_reopen_without_login(tg: FakeTelegram,
                                                         opener: Opener) -> None:
    user_id = tg.add_user(PHONE)
    first = opener.user()
    first.close()
    before = len(tg.requests)
    again = opener.client("user", phone=PHONE)
    assert again.authorize(timeout=5) == "authorizationStateReady"  # no code asked
    assert again.request("getMe")["id"] == user_id
    assert [m for _, m in tg.requests[before:]] == ["setTdlibParameters", "getMe"]
    again.recycle(timeout=5)
    assert again.request("getMe")["id"] == user_id


def test_second_client_on_same_directory_cannot_lock(tg: FakeTelegram, opener: Opener) -> None:
    tg.add_user(PHONE)
    opener.user()
    twin = opener.client("user", phone=PHONE)
    with pytest.raises(TdError) as info:
        twin.authorize(code=lambda: "12345", timeout=5)
    assert info.value.code == 400
    assert "Can't lock file" in info.value.message and "td.binlog" in info.value.message


def test_requests_before_ready(tg: FakeTelegram) -> None:
    client = raw_client(tg)
    try:
        first = client.receive()
        assert first is not None
        assert first["authorization_state"]["@type"] == "authorizationStateWaitTdlibParameters"
        early = raw_request(client, {"@type": "getMe"})
        assert early["code"] == 400 and "setTdlibParameters" in early["message"]
        params = rq.tdlib_parameters(api_id=tg.api_id, api_hash=tg.api_hash, database_key="",
                                     directory=Path("/tmp/fake-td-early"))
        assert raw_request(client, {"@type": "setTdlibParameters", **params}, 2)["@type"] == "ok"
        later = raw_request(client, {"@type": "getMe"}, 3)
        assert (later["code"], later["message"]) == (401, "Unauthorized")
    finally:
        client.stop()


# -- strictness --------------------------------------------------------------------------


def test_unknown_class(tg: FakeTelegram, opener: Opener) -> None:
    tg.add_user(PHONE)
    client = opener.user()
    with pytest.raises(TdError) as info:
        client.request("getMeNow", {})
    assert info.value.code == 400
    assert info.value.message == ('Failed to parse JSON object as TDLib request: '
                                  'Unknown class "getMeNow"')
    raw = raw_client(tg)
    try:
        assert raw.td_execute({"@type": "bogus"})["message"].endswith('Unknown class "bogus"')
    finally:
        raw.stop()


def test_unknown_fields_are_refused_at_any_depth(tg: FakeTelegram, opener: Opener) -> None:
    tg.add_user(PHONE)
    client = opener.user()
    with pytest.raises(TdError, match='Unknown field "chatid"'):
        client.request("getChat", {"chatid": 1})
    typo = rq.copy_message(1, 2, 3)
    typo["input_message_content"]["copy_options"]["sendcopy"] = True
    with pytest.raises(TdError, match='Unknown field "sendcopy" in class "messageCopyOptions"'):
        client.request("sendMessage", typo)
    button = rq.inline_keyboard([[{**rq.url_button("x", "https://t.me"), "colour": "red"}]])
    with pytest.raises(TdError, match='"colour"'):
        client.request("sendMessage", rq.text_message(1, "hi", button))
    with pytest.raises(TdError, match="reply_markup"):
        client.request("sendMessageAlbum", {**rq.copy_album(1, 2, [3]), "reply_markup": button})


def test_wrong_types_are_refused() -> None:
    with pytest.raises(SchemaError, match="Expected Boolean"):
        validate_request({"@type": "getChatHistory", "chat_id": 1, "only_local": "no"})
    with pytest.raises(SchemaError, match="Expected String or Number"):
        validate_request({"@type": "getChat", "chat_id": True})
    with pytest.raises(SchemaError, match="base64"):
        validate_request(rq.ALL_SHAPES["sendMessage"] | {"@type": "sendMessage",
                         "reply_markup": rq.inline_keyboard(
                             [[{"@type": "inlineKeyboardButton", "text": "x", "type": {
                                 "@type": "inlineKeyboardButtonTypeCallback", "data": "%%"}}]])})
    # int64 and int53 may come as strings, as TDLib allows
    assert validate_request({"@type": "answerCallbackQuery", "callback_query_id": "123"})


def test_every_gateway_request_shape_is_accepted(tg: FakeTelegram) -> None:
    extra = {"createPrivateChat": {"user_id": 1, "force": False}}
    for method, params in {**rq.ALL_SHAPES, **extra}.items():
        assert validate_request({"@type": method, **params}) == method
    raw = raw_client(tg)
    try:
        for method, params in rq.ALL_SHAPES.items():
            reply = raw.td_execute({"@type": method, **params})
            assert reply == {"@type": "error", "code": 400,
                             "message": "The method can't be executed synchronously"}, method
        assert raw.td_execute({"@type": "getOption", "name": "version"})["value"] == "1.8.66"
    finally:
        raw.stop()


def _send(**fields: Any) -> dict[str, Any]:
    return {"@type": "sendMessage", **fields}


def _in_button(button_type: dict[str, Any]) -> dict[str, Any]:
    return _send(reply_markup={"@type": "replyMarkupInlineKeyboard", "rows": [[
        {"@type": "inlineKeyboardButton", "type": button_type}]]})


NESTED: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "phoneNumberAuthenticationSettings": lambda obj: {
        "@type": "setAuthenticationPhoneNumber", "settings": obj},
    "messageSendOptions": lambda obj: _send(options=obj),
    "inputMessageText": lambda obj: _send(input_message_content=obj),
    "inputMessageForwarded": lambda obj: _send(input_message_content=obj),
    "messageCopyOptions": lambda obj: _send(input_message_content={
        "@type": "inputMessageForwarded", "copy_options": obj}),
    "formattedText": lambda obj: _send(input_message_content={
        "@type": "inputMessageText", "text": obj}),
    "linkPreviewOptions": lambda obj: _send(input_message_content={
        "@type": "inputMessageText", "link_preview_options": obj}),
    "textEntity": lambda obj: _send(input_message_content={
        "@type": "inputMessageText", "text": {"@type": "formattedText", "entities": [obj]}}),
    "replyMarkupInlineKeyboard": lambda obj: _send(reply_markup=obj),
    "inlineKeyboardButton": lambda obj: _send(reply_markup={
        "@type": "replyMarkupInlineKeyboard", "rows": [[obj]]}),
    "inlineKeyboardButtonTypeCallback": _in_button,
    "inlineKeyboardButtonTypeUrl": _in_button,
}


def test_field_lists_match_the_real_libtdjson() -> None:
    """Each field the fake knows, the real TDLib 1.8.66 parses; an invented one it ignores."""
    tdjson = pytest.importorskip("telegram.tdjson")
    try:
        real = tdjson.TDJson(verbosity=0)
    except Exception as exc:  # no bundled library on this platform
        pytest.skip(f"libtdjson unavailable: {exc}")

    def parses(query: dict[str, Any]) -> bool:
        return "synchronously" in real.td_execute(query)["message"]

    try:
        if real.td_execute({"@type": "getOption", "name": "version"})["value"] != "1.8.66":
            pytest.skip("another TDLib version")
        checked = 0
        for name, fields in CLASSES.items():
            if name in SYNCHRONOUS or name.startswith("logStream"):
                continue  # the log streams live only in setLogStream: see test_tdlib_log.py
            wrap = NESTED.get(name, lambda obj: obj)
            assert name in NESTED or name in FUNCTIONS, name
            assert parses(wrap({"@type": name, "zz_not_a_field": True})), name
            for field in fields:
                bad = [v for v in (True, "zz") if not parses(wrap({"@type": name, field: v}))]
                assert bad, f"libtdjson does not know {name}.{field}"
                checked += 1
        assert checked > 100
    finally:
        real.stop()


# -- channels: posts, albums, edits, history ---------------------------------------------


def test_channel_post_reaches_members_only(tg: FakeTelegram, opener: Opener,
                                           scene: dict[str, Any]) -> None:
    channel = scene["channel"]
    other = tg.add_channel("other")
    tg.publish(other, "not for you")
    [mid] = tg.publish(channel, "hello")
    [update] = scene["user_updates"].wait(lambda u: incoming(u) and u["message"]["chat_id"]
                                          == channel)
    msg = update["message"]
    assert msg["id"] == mid == 1 << 20
    assert msg["is_channel_post"] is True and msg["media_album_id"] == "0"
    assert str(channel).startswith("-100")
    assert msg["sender_id"] == {"@type": "messageSenderChat", "chat_id": channel}
    post = translate.message_to_post(msg, title="News")
    assert post.text == "hello" and post.message_id == mid
    time.sleep(0.05)
    assert all(u["message"]["chat_id"] != other for u in scene["user_updates"].of(
        "updateNewMessage"))
    assert tg.members(channel) == {scene["user_id"]}
    assert tg.joined_channels(scene["user_id"]) == {channel}


def test_album_is_separate_messages_sharing_an_album_id(tg: FakeTelegram,
                                                        scene: dict[str, Any]) -> None:
    ids = tg.publish(scene["channel"], "three photos", kind="photo", album=3)
    assert ids == [1 << 20, 2 << 20, 3 << 20]
    got = scene["user_updates"].wait(incoming, count=3)
    albums = {u["message"]["media_album_id"] for u in got}
    assert len(albums) == 1 and albums != {"0"} and isinstance(albums.pop(), str)
    post = translate.album_post([u["message"] for u in got])
    assert post.media_kind == "album" and post.text == "three photos"
    with pytest.raises(ValueError):
        tg.publish(scene["channel"], "text", album=2)


def test_edit_and_delete_reach_members(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    channel = scene["channel"]
    [mid] = tg.publish(channel, "first", kind="video")
    tg.edit(channel, mid, "second")
    [edit] = scene["user_updates"].wait(is_type("updateMessageContent"))
    assert edit["chat_id"] == channel and edit["message_id"] == mid
    assert translate.caption_text(edit["new_content"]) == "second"
    tg.delete(channel, [mid])
    [gone] = scene["user_updates"].wait(is_type("updateDeleteMessages"))
    assert gone == {"@type": "updateDeleteMessages", "chat_id": channel, "message_ids": [mid],
                    "is_permanent": True, "from_cache": False}
    history = scene["user"].request("getChatHistory", rq.chat_history(channel))
    assert history["total_count"] == 0


def test_history_pages_newest_first(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    channel, user = scene["channel"], scene["user"]
    ids = [tg.publish(channel, f"post {i}")[0] for i in range(250)]
    first = user.request("getChatHistory", rq.chat_history(channel, 0, 500))["messages"]
    assert len(first) == 100  # capped
    assert [m["id"] for m in first] == ids[::-1][:100]
    # TDLib includes from_message_id itself (offset 0): page from the oldest seen, minus it
    seen = [m["id"] for m in first]
    while True:
        page = user.request("getChatHistory",
                            rq.chat_history(channel, seen[-1], 100))["messages"]
        assert page[0]["id"] == seen[-1]
        if len(page) == 1:
            break
        seen.extend(m["id"] for m in page[1:])
    assert seen == ids[::-1]
    newer = user.request("getChatHistory", {**rq.chat_history(channel, ids[10], 3),
                                            "offset": -2})["messages"]
    assert [m["id"] for m in newer] == [ids[12], ids[11], ids[10]]
    with pytest.raises(TdError, match="limit must be positive"):
        user.request("getChatHistory", rq.chat_history(channel, 0, 0))


def test_history_needs_a_known_chat(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    hidden = tg.add_channel("hidden")
    with pytest.raises(TdError, match="Chat not found"):
        scene["user"].request("getChatHistory", rq.chat_history(hidden))
    with pytest.raises(TdError, match="USERNAME_NOT_OCCUPIED"):
        scene["user"].request("searchPublicChat", {"username": "nobody_here"})


# -- forwarding to the bot and copying to subscribers -----------------------------------


def test_forward_to_bot_keeps_origin_and_album(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    channel, user_id = scene["channel"], scene["user_id"]
    ids = tg.publish(channel, "album", kind="photo", album=2)
    scene["user"].request("searchPublicChat", {"username": "oleg_bot"})
    reply = scene["user"].request("forwardMessages",
                                  rq.forward_messages(scene["bot_id"], channel, ids))
    assert reply["total_count"] == 2
    assert all(m["sending_state"]["@type"] == "messageSendingStatePending"
               for m in reply["messages"])
    got = [u["message"] for u in scene["bot_updates"].wait(incoming, count=2)]
    assert [m["chat_id"] for m in got] == [user_id, user_id]
    assert [translate.forward_origin(m) for m in got] == [
        translate.ForwardOrigin(channel, mid) for mid in ids]
    assert got[0]["forward_info"]["origin"]["@type"] == "messageOriginChannel"
    albums = {m["media_album_id"] for m in got}
    assert len(albums) == 1 and albums != {"0"}
    succeeded = scene["user_updates"].wait(is_type("updateMessageSendSucceeded"), count=2)
    assert {u["old_message_id"] for u in succeeded} == {m["id"] for m in reply["messages"]}


def test_forward_of_a_deleted_post_answers_null(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    ids = tg.publish(scene["channel"], "soon gone") + tg.publish(scene["channel"], "stays")
    tg.delete(scene["channel"], ids[:1])
    scene["user"].request("searchPublicChat", {"username": "oleg_bot"})
    reply = scene["user"].request("forwardMessages",
                                  rq.forward_messages(scene["bot_id"], scene["channel"], ids))
    assert reply["messages"][0] is None and reply["messages"][1] is not None


def test_forward_needs_the_bot_chat_and_increasing_ids(tg: FakeTelegram,
                                                       scene: dict[str, Any]) -> None:
    ids = tg.publish(scene["channel"], "x") + tg.publish(scene["channel"], "y")
    with pytest.raises(TdError, match="Chat not found"):
        scene["user"].request("forwardMessages",
                              rq.forward_messages(scene["bot_id"], scene["channel"], ids))
    scene["user"].request("searchPublicChat", {"username": "oleg_bot"})
    params = {**rq.forward_messages(scene["bot_id"], scene["channel"], ids),
              "message_ids": ids[::-1]}
    with pytest.raises(TdError, match="increasing"):
        scene["user"].request("forwardMessages", params)


def test_protected_channel_cannot_be_forwarded(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    locked = tg.add_channel("locked", protected=True)
    user = scene["user"]
    chat = user.request("searchPublicChat", {"username": "locked"})
    assert chat["has_protected_content"] is True
    user.request("joinChat", rq.join_chat(locked))
    ids = tg.publish(locked, "secret")
    user.request("searchPublicChat", {"username": "oleg_bot"})
    with pytest.raises(TdError) as info:
        user.request("forwardMessages", rq.forward_messages(scene["bot_id"], locked, ids))
    assert (info.value.code, info.value.message) == (
        400, "Message has protected content and can't be forwarded")


def test_bot_copy_reaches_subscriber_with_buttons(tg: FakeTelegram,
                                                  scene: dict[str, Any]) -> None:
    ids = tg.publish(scene["channel"], "look", kind="photo")
    [stored] = forward_post(scene, ids)
    bot, sub, bot_id = scene["bot"], scene["sub"], scene["bot_id"]
    markup = rq.inline_keyboard([[rq.callback_button("👍", b"up:1"),
                                  rq.url_button("open", "https://t.me/news/1")]])
    pending = bot.request("sendMessage",
                          rq.copy_message(sub, scene["user_id"], stored["id"], markup))
    assert pending["sending_state"]["@type"] == "messageSendingStatePending"
    [done] = scene["bot_updates"].wait(is_type("updateMessageSendSucceeded"))
    assert done["old_message_id"] == pending["id"]
    assert done["message"]["id"] != pending["id"] and done["message"]["sending_state"] is None
    [seen] = tg.messages_in(bot_id, viewer=sub)[-1:]
    assert seen["content"]["@type"] == "messagePhoto"
    assert translate.caption_text(seen["content"]) == "look"
    assert seen["forward_info"] is None  # a copy, not a forward
    assert seen["reply_markup"]["rows"][0][0]["type"]["data"] == base64.b64encode(
        b"up:1").decode()
    assert tg.stats["sent"] == 1


def test_bot_album_copy(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    ids = tg.publish(scene["channel"], "pair", kind="photo", album=2)
    stored = forward_post(scene, ids)
    reply = scene["bot"].request("sendMessageAlbum", rq.copy_album(
        scene["sub"], scene["user_id"], [m["id"] for m in stored]))
    assert reply["total_count"] == 2
    scene["bot_updates"].wait(is_type("updateMessageSendSucceeded"), count=2)
    seen = tg.messages_in(scene["bot_id"], viewer=scene["sub"])[-2:]
    assert len({m["media_album_id"] for m in seen}) == 1 and seen[0]["media_album_id"] != "0"
    assert tg.stats["sent"] == 2


@pytest.mark.parametrize(("setup", "expected"), [
    ("block", "Forbidden: bot was blocked by the user"),
    ("deactivate", "Forbidden: user is deactivated"),
    ("never_started", "Forbidden: bot can't initiate conversation with a user"),
])
def test_bot_send_fails_for_gone_recipients(tg: FakeTelegram, scene: dict[str, Any],
                                            setup: str, expected: str) -> None:
    bot, bot_id = scene["bot"], scene["bot_id"]
    sub = scene["sub"]
    if setup == "block":
        tg.block_bot(sub, bot_id)
    elif setup == "deactivate":
        tg.deactivate(sub)
    else:
        sub = tg.add_subscriber("Quiet")
        with pytest.raises(TdError, match="Chat not found"):
            bot.request("sendMessage", rq.text_message(sub, "hello"))
        assert bot.request("createPrivateChat", {"user_id": sub, "force": False})["id"] == sub
    pending = bot.request("sendMessage", rq.text_message(sub, "hello"))
    [failed] = scene["bot_updates"].wait(is_type("updateMessageSendFailed"))
    assert failed["old_message_id"] == pending["id"]
    assert failed["error"] == {"@type": "error", "code": 403, "message": expected}
    assert TdError.from_json(failed["error"]).recipient_gone
    assert all(translate.sender_user_id(m) == sub for m in tg.messages_in(bot_id, viewer=sub))
    assert tg.stats["sent"] == 0


def test_writing_again_unblocks(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    tg.block_bot(scene["sub"], scene["bot_id"])
    tg.user_sends(scene["sub"], scene["bot_id"], "/start")
    scene["bot"].request("sendMessage", rq.text_message(scene["sub"], "welcome back"))
    scene["bot_updates"].wait(is_type("updateMessageSendSucceeded"))
    assert translate.message_text(tg.messages_in(scene["bot_id"], viewer=scene["sub"])[-1]) \
        == "welcome back"


def test_user_starts_bot(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    user, bot_id = scene["user"], scene["bot_id"]
    with pytest.raises(TdError, match="Bot not found"):
        user.request("sendBotStartMessage", rq.send_bot_start(bot_id, bot_id))
    user.request("searchPublicChat", {"username": "oleg_bot"})
    reply = user.request("sendBotStartMessage", rq.send_bot_start(bot_id, bot_id))
    assert reply["@type"] == "message"
    [start] = scene["bot_updates"].wait(lambda u: incoming(u) and u["message"]["chat_id"]
                                        == scene["user_id"])
    assert translate.message_text(start["message"]) == "/start"
    assert translate.sender_user_id(start["message"]) == scene["user_id"]


# -- limits and floods ------------------------------------------------------------------


def test_per_chat_and_global_limits_answer_429(tmp_path: Path) -> None:
    clock = Clock()
    with FakeTelegram(clock=clock, global_rate=5, per_chat_burst=3) as tg:
        op = Opener(tg, tmp_path)
        try:
            bot_id = tg.add_bot(TOKEN, "oleg_bot")
            subs = [tg.add_subscriber() for _ in range(8)]
            for sub in subs:
                tg.user_sends(sub, bot_id, "/start")
            bot = op.bot()
            updates = Updates(bot, "updateMessageSendSucceeded", "updateMessageSendFailed")
            for _ in range(4):
                bot.request("sendMessage", rq.text_message(subs[0], "burst"))
            [failed] = updates.wait(is_type("updateMessageSendFailed"))
            assert failed["error"]["code"] == 429
            assert TdError.from_json(failed["error"]).retry_after == 3.0
            assert failed["message"]["sending_state"]["retry_after"] == 3.0
            clock.now += 1.0  # the global window moved on; the per-chat one needs 2 s more
            for sub in subs[1:6]:  # 5 chats in one instant: the global limit allows 5
                bot.request("sendMessage", rq.text_message(sub, "wave"))
            bot.request("sendMessage", rq.text_message(subs[6], "one too many"))
            updates.wait(is_type("updateMessageSendFailed"), count=2)
            assert tg.stats["rejected_429"] == 2 and tg.stats["limit_violations"] == 2
            clock.now += 3.0
            bot.request("sendMessage", rq.text_message(subs[0], "later"))
            assert len(updates.wait(is_type("updateMessageSendSucceeded"), count=9)) == 9
        finally:
            op.close_all()


def test_unenforced_limits_only_count(tmp_path: Path) -> None:
    with FakeTelegram(clock=Clock(), enforce_limits=False) as tg:
        op = Opener(tg, tmp_path)
        try:
            bot_id = tg.add_bot(TOKEN, "oleg_bot")
            sub = tg.add_subscriber()
            tg.user_sends(sub, bot_id, "/start")
            bot = op.bot()
            updates = Updates(bot, "updateMessageSendSucceeded")
            for _ in range(5):
                bot.request("sendMessage", rq.text_message(sub, "x"))
            updates.wait(lambda u: True, count=5)
            assert tg.stats == {"sent": 5, "rejected_429": 0, "limit_violations": 2, "joins": 0}
        finally:
            op.close_all()


def test_scripted_floods(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    user, bot = scene["user"], scene["bot"]
    extra = tg.add_channel("extra")
    user.request("searchPublicChat", {"username": "extra"})
    tg.flood("joinChat", 420)
    with pytest.raises(TdError) as info:
        user.request("joinChat", rq.join_chat(extra))
    assert info.value.code == 429 and info.value.retry_after == 420.0
    assert user.request("joinChat", rq.join_chat(extra))["@type"] == "ok"
    tg.flood("sendMessage", 7, account=scene["bot_id"])
    bot.request("sendMessage", rq.text_message(scene["sub"], "hi"))
    [failed] = scene["bot_updates"].wait(is_type("updateMessageSendFailed"))
    assert failed["error"]["message"] == "Too Many Requests: retry after 7"
    tg.fail("getChat", 400, "CHANNEL_PRIVATE", account=999)  # another account: no effect
    assert user.request("getChat", {"chat_id": extra})["id"] == extra
    tg.fail("getChat", 400, "CHANNEL_PRIVATE")
    with pytest.raises(TdError, match="CHANNEL_PRIVATE"):
        user.request("getChat", {"chat_id": extra})
    assert tg.stats["rejected_429"] == 2


def test_channels_too_much(tmp_path: Path) -> None:
    with FakeTelegram(channel_limit=2) as tg:
        op = Opener(tg, tmp_path)
        try:
            tg.add_user(PHONE)
            channels = [tg.add_channel(f"c{i}") for i in range(3)]
            user = op.user()
            for i, chat_id in enumerate(channels):
                user.request("searchPublicChat", {"username": f"c{i}"})
                if i < 2:
                    assert user.request("joinChat", rq.join_chat(chat_id))["@type"] == "ok"
            with pytest.raises(TdError) as info:
                user.request("joinChat", rq.join_chat(channels[2]))
            assert info.value.too_many_channels and info.value.code == 400
            user.request("leaveChat", {"chat_id": channels[0]})
            assert user.request("joinChat", rq.join_chat(channels[2]))["@type"] == "ok"
            assert tg.stats["joins"] == 3
        finally:
            op.close_all()


# -- callbacks ---------------------------------------------------------------------------


def test_callback_press_answer_and_edited_buttons(tg: FakeTelegram,
                                                  scene: dict[str, Any]) -> None:
    bot, sub, bot_id = scene["bot"], scene["sub"], scene["bot_id"]
    markup = rq.inline_keyboard([[rq.callback_button("👍", b"v:1:+"),
                                  rq.callback_button("👎", b"v:1:-")]])
    bot.request("sendMessage", rq.text_message(sub, "rate me", markup))
    [sent] = scene["bot_updates"].wait(is_type("updateMessageSendSucceeded"))
    mid = sent["message"]["id"]
    qid = tg.press(sub, bot_id, mid, button=(0, 1))
    [query] = scene["bot_updates"].wait(is_type("updateNewCallbackQuery"))
    assert query["id"] == qid and isinstance(qid, str)
    assert isinstance(query["chat_instance"], str)
    press = translate.callback_press(query)
    assert press == translate.CallbackPress(qid, sub, sub, mid, b"v:1:-")
    assert bot.request("answerCallbackQuery", rq.answer_callback(qid, "thanks"))["@type"] == "ok"
    assert tg.callback_answers[qid]["text"] == "thanks"
    with pytest.raises(TdError, match="QUERY_ID_INVALID"):
        bot.request("answerCallbackQuery", rq.answer_callback(qid, "again"))
    edited = bot.request("editMessageReplyMarkup", rq.edit_reply_markup(
        sub, mid, rq.inline_keyboard([[rq.url_button("voted 👎", "https://t.me/news/1")]])))
    assert edited["reply_markup"]["rows"][0][0]["text"] == "voted 👎"
    view = tg.messages_in(bot_id, viewer=sub)[-1]
    assert view["reply_markup"]["rows"][0][0]["type"]["@type"] == "inlineKeyboardButtonTypeUrl"
    with pytest.raises(LookupError):
        tg.press(sub, bot_id, mid)  # a URL button now
    forged = tg.press_data(sub, bot_id, mid, b"\x00evil")
    queries = scene["bot_updates"].wait(is_type("updateNewCallbackQuery"), count=2)
    assert translate.callback_press(queries[-1]).data == b"\x00evil"  # type: ignore[union-attr]
    assert queries[-1]["id"] == forged


def test_callback_data_over_64_bytes_is_refused(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    markup = rq.inline_keyboard([[rq.callback_button("x", b"a" * 65)]])
    with pytest.raises(TdError, match="BUTTON_DATA_INVALID"):
        scene["bot"].request("sendMessage", rq.text_message(scene["sub"], "hi", markup))


# -- who may call what -------------------------------------------------------------------


def test_user_only_and_bot_only_methods(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    bot, user = scene["bot"], scene["user"]
    bot.request("searchPublicChat", {"username": "news"})
    for method, params in [("joinChat", rq.join_chat(scene["channel"])),
                           ("getChatHistory", rq.chat_history(scene["channel"])),
                           ("leaveChat", {"chat_id": scene["channel"]})]:
        with pytest.raises(TdError) as info:
            bot.request(method, params)
        assert info.value.message == "The method is not available to bots", method
    with pytest.raises(TdError, match="The method is available only to bots"):
        user.request("answerCallbackQuery", rq.answer_callback("1"))
    ids = tg.publish(scene["channel"], "x")
    with pytest.raises(TdError, match="not available to bots"):
        bot.request("forwardMessages", rq.forward_messages(scene["sub"], scene["channel"], ids))


# -- the transport's hard cases ----------------------------------------------------------


def test_never_answered_request_is_aborted_by_close(tg: FakeTelegram, opener: Opener) -> None:
    tg.add_user(PHONE)
    client = opener.user()
    tg.never_answer("getMe", count=1)
    with pytest.raises(TdTimeout):
        client.request("getMe", timeout=0.2)
    pending = client.send("getMe", {})  # the next one answers
    assert client.wait(pending, 2)["@type"] == "user"
    tg.never_answer("searchPublicChat")
    hung = client.send("searchPublicChat", {"username": "x"})
    client.close()
    with pytest.raises((TdError, TdClosed)) as info:
        client.wait(hung, 1)
    assert isinstance(info.value, TdError) and info.value.code == 500
    assert info.value.message == "Request aborted"


def test_after_close_requests_are_aborted_and_receive_returns_none(tg: FakeTelegram) -> None:
    client = raw_client(tg)
    try:
        client.receive()
        assert raw_request(client, {"@type": "close"})["@type"] == "ok"
        states = []
        while (obj := client.receive()) is not None:
            states.append(obj["authorization_state"]["@type"])
        assert states == ["authorizationStateClosing", "authorizationStateClosed"]
        client.send({"@type": "getMe", "@extra": 5})
        assert client.receive() is None
    finally:
        client.stop()
    assert not tg.timer_running


def test_replies_come_out_of_order_with_jitter(tmp_path: Path) -> None:
    with FakeTelegram(latency=0.005, jitter=0.05, seed=3) as tg:
        client = tg.new_client()
        client.receive()
        for i in range(30):
            client.send({"@type": "getOption", "name": "version", "@extra": i})
        order = []
        deadline = time.monotonic() + 3
        while len(order) < 30 and time.monotonic() < deadline:
            obj = client.receive()
            if obj is not None:
                order.append(obj["@extra"])
        assert sorted(order) == list(range(30))
        assert order != list(range(30))
        assert tg.timer_running
        op = Opener(tg, tmp_path)
        try:
            tg.add_user(PHONE)
            user = op.user()
            waits = [user.send("getOption", {"name": "version"}) for _ in range(20)]
            assert all(user.wait(p, 3)["value"] == "1.8.66" for p in waits)
        finally:
            op.close_all()
            client.stop()
    assert not tg.timer_running
    assert not [t for t in threading.enumerate() if t.name == "fake-td-timer"]


def test_dropped_replies_time_out_but_login_works(tmp_path: Path) -> None:
    with FakeTelegram(drop_rate=1.0) as tg:
        op = Opener(tg, tmp_path)
        try:
            tg.add_user(PHONE)
            user = op.user()
            with pytest.raises(TdTimeout):
                user.request("getMe", timeout=0.2)
        finally:
            op.close_all()


def test_int64_values_are_strings(tg: FakeTelegram, scene: dict[str, Any]) -> None:
    ids = tg.publish(scene["channel"], "a", kind="photo", album=2)
    got = scene["user_updates"].wait(incoming, count=2)
    message = got[0]["message"]
    assert isinstance(message["media_album_id"], str) and int(message["media_album_id"]) > 2**53
    assert isinstance(message["id"], int) and message["id"] == ids[0]  # int53: a number
    assert isinstance(message["chat_id"], int)
    scene["bot"].request("sendMessage", rq.text_message(
        scene["sub"], "x", rq.inline_keyboard([[rq.callback_button("b", b"\xff\x00")]])))
    [sent] = scene["bot_updates"].wait(is_type("updateMessageSendSucceeded"))
    tg.press(scene["sub"], scene["bot_id"], sent["message"]["id"])
    [query] = scene["bot_updates"].wait(is_type("updateNewCallbackQuery"))
    assert isinstance(query["id"], str) and int(query["id"]) > 2**53
    assert base64.b64decode(query["payload"]["data"]) == b"\xff\x00"


def test_bot_gets_updates_missed_while_closed(tg: FakeTelegram, opener: Opener) -> None:
    bot_id = tg.add_bot(TOKEN, "oleg_bot")
    first = opener.bot()
    first.close()
    sub = tg.add_subscriber()
    tg.user_sends(sub, bot_id, "/start")
    bot = opener.client("bot", bot_token=TOKEN)
    updates = Updates(bot, "updateNewMessage")
    bot.authorize(timeout=5)
    [start] = updates.wait(incoming)
    assert start["message"]["chat_id"] == sub
    assert bot.request("getChat", {"chat_id": sub})["type"]["user_id"] == sub


def test_execute_on_a_closed_client_leaves_no_client_behind(tg: FakeTelegram,
                                                           opener: Opener) -> None:
    client = opener.client("idle", phone=PHONE)
    assert client.execute({"@type": "getOption", "name": "version"})["value"] == "1.8.66"
    assert tg.clients == []


def test_clients_left_open_see_the_world_close(tmp_path: Path) -> None:
    with FakeTelegram(latency=0.01) as tg:
        tg.add_user(PHONE)
        op = Opener(tg, tmp_path)
        user = op.user()
    user.wait_for_state({"authorizationStateClosed"}, 2)
    started = time.monotonic()
    user.close()
    assert time.monotonic() - started < 1.0 and not user.is_open


def test_no_threads_survive(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with FakeTelegram(latency=0.01) as tg:
        tg.add_user(PHONE)
        op = Opener(tg, tmp_path)
        user = op.user()
        user.request("getMe")
        tg.new_client()  # never stopped by anyone: the world's exit destroys it
        op.close_all()
    time.sleep(0.05)
    assert set(threading.enumerate()) - before == set()


def test_many_sends_are_fast(tmp_path: Path) -> None:
    clock = Clock()
    with FakeTelegram(clock=clock) as tg:
        op = Opener(tg, tmp_path)
        try:
            bot_id = tg.add_bot(TOKEN, "oleg_bot")
            subs = [tg.add_subscriber() for _ in range(600)]
            for sub in subs:
                tg.user_sends(sub, bot_id, "/start")
            bot = op.bot()
            updates = Updates(bot, "updateMessageSendSucceeded")
            started = time.perf_counter()
            for i, sub in enumerate(subs):
                clock.now = 1000 + i / 30
                bot.request("sendMessage", rq.text_message(sub, "news"))
            updates.wait(lambda u: True, count=len(subs), timeout=10)
            assert time.perf_counter() - started < 3.0
            assert tg.stats["sent"] == 600 and tg.stats["limit_violations"] == 0
        finally:
            op.close_all()
