"""A world for the bot: the fake TDLib, a real store, a listener account that forwards posts
to the bot the way the tdlib source does, and subscribers who talk to the bot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from oleg.testing.runtime import static_runtime, wait_until
from oleg.types import Delivery, Outgoing, Policy, PolicyKind, Post
from oleg_sink_telegram_bot.settings import BotSettings
from oleg_sink_telegram_bot.sink import TelegramBotSink
from oleg_tdlib import requests as rq
from oleg_tdlib.testing import TdlibTestStore
from oleg_tdlib.transport import TdClient, TdSettings

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
API_ID = 4242
API_HASH = "feedfacecafebeef00112233445566aa"
BOT_TOKEN = "987654:AAsecret-bot-token-never-logged"
DB_KEY = "db-key-never-logged"
LISTENER_PHONE = "+15550100"
BOT_NAME = "oleg_feed_bot"
ADMIN_NAME = "admin"


@dataclass
class World:
    tg: Any  # oleg_tdlib.fake.FakeTelegram
    store: TdlibTestStore
    sink: TelegramBotSink
    bot_id: int
    listener: TdClient
    listener_id: int
    admin_id: int
    tmp: Path

    def subscriber(self, *, start: bool = True) -> int:
        """A Telegram user who (by default) sent /start; stored as an active subscriber."""
        uid = self.tg.add_subscriber("Sub")
        if start:
            self.tg.user_sends(uid, self.bot_id, "/start")
            self.store.upsert_subscriber(str(uid), active=True, at=T0)
            wait_until(lambda: self.bot_messages(uid), what="the welcome")
        return uid

    def channel(self, username: str, *, protected: bool = False) -> int:
        chat_id = self.tg.add_channel(username, protected=protected)
        self.store.set_channel_info(
            chat_id, at=T0, username=username, title=username.title(), protected=protected
        )
        if not protected:
            self.listener.request("searchPublicChat", rq.search_public_chat(username))
            self.listener.request("joinChat", rq.join_chat(chat_id))
        return chat_id

    def post(
        self,
        chat_id: int,
        text: str = "hello",
        *,
        kind: str = "text",
        album: int = 1,
        forward: bool = True,
    ) -> Post:
        """Publish a post, forward it to the bot (as the tdlib source does), store it."""
        ids = self.tg.publish(chat_id, text, kind=kind, album=album)
        if forward:
            self.listener.request("forwardMessages", rq.forward_messages(self.bot_id, chat_id, ids))
            wait_until(
                lambda: self.store.message_ref("telegram-bot", chat_id, ids[0]) is not None,
                what="the bot to store its copy",
            )
            if album > 1:
                ref = self.store.message_ref("telegram-bot", chat_id, ids[0])
                assert ref is not None and ref.album_id is not None
                wait_until(
                    lambda: len(self.store.album_refs("telegram-bot", ref.chat_id, ref.album_id)) == album,
                    what="the whole album",
                )
        (stored,) = self.store.add_posts(
            [Post(chat_id, ids[0], T0, album_id=None if album == 1 else "a")]
        )
        return stored

    def outgoing(self, uid: int, post: Post) -> Outgoing:
        sub = self.store.subscriber_by_external(str(uid))
        assert sub is not None
        (d,) = self.store.add_deliveries([Delivery(sub.id, post.id, T0, Policy(PolicyKind.RECOMMENDER, "test"))])
        return Outgoing(d, post, sub)

    T0 = T0
    BOT_TOKEN = BOT_TOKEN
    API_HASH = API_HASH
    DB_KEY = DB_KEY

    @staticmethod
    def wait_until(cond: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
        return wait_until(cond, timeout, what)

    @staticmethod
    def text_of(message: dict[str, Any]) -> str:
        return text_of(message)

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[str]:
        return buttons(message)

    def bot_messages(self, uid: int) -> list[dict[str, Any]]:
        """What the subscriber sees from the bot, in order."""
        return [
            m for m in self.tg.messages_in(self.bot_id, viewer=uid) if _sender(m) == self.bot_id
        ]


def _sender(message: dict[str, Any]) -> int | None:
    sender = message.get("sender_id") or {}
    return int(sender["user_id"]) if "user_id" in sender else None


def text_of(message: dict[str, Any]) -> str:
    content = message.get("content") or {}
    holder = content.get("text") or content.get("caption") or {}
    return str(holder.get("text", "")) if isinstance(holder, dict) else ""


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("rows", []) for b in row]


def make_settings(tmp: Path, **overrides: Any) -> BotSettings:
    base: dict[str, Any] = dict(
        api_id=API_ID,
        api_hash=API_HASH,
        bot_token=BOT_TOKEN,
        database_encryption_key=DB_KEY,
        files_directory=tmp / "bot",
        rate=200.0,
        per_chat_interval="50ms",
        send_timeout="3s",
        request_timeout="5s",
    )
    base.update(overrides)
    return BotSettings(**base)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def world(tmp_path: Path, settings_overrides: dict[str, Any]) -> Iterator[World]:
    from oleg_tdlib.fake import FakeTelegram

    with FakeTelegram(
        api_id=API_ID,
        api_hash=API_HASH,
        per_chat_interval=0.02,
        per_chat_burst=3,
        global_rate=1000.0,
    ) as tg:
        bot_id = tg.add_bot(BOT_TOKEN, BOT_NAME)
        listener_id = tg.add_user(LISTENER_PHONE, code="12345", first_name="Listener")
        admin_id = tg.add_subscriber("Admin")
        store = TdlibTestStore.open("sqlite:///" + str(tmp_path / "s.db"))
        listener = TdClient(
            TdSettings(
                api_id=API_ID,
                api_hash=API_HASH,
                database_encryption_key="k",
                files_directory=tmp_path / "listener",
                phone=LISTENER_PHONE,
                request_timeout=5.0,
                name="listener",
            )
        )
        listener.authorize(code=lambda: "12345", timeout=10)
        bot_chat = listener.request("searchPublicChat", rq.search_public_chat(BOT_NAME))
        listener.request("sendBotStartMessage", rq.send_bot_start(bot_id, int(bot_chat["id"])))
        settings = make_settings(tmp_path, admins=[admin_id], **settings_overrides)
        sink = TelegramBotSink(settings)
        sink.start(static_runtime(store, tmp_path, plugin="telegram-bot", at=T0))
        tg.user_sends(admin_id, bot_id, "/start")
        try:
            yield World(tg, store, sink, bot_id, listener, listener_id, admin_id, tmp_path)
        finally:
            sink.close()
            listener.close()
            store.close()
