"""A whole deployment on Telegram, faked: the ``tdlib`` source and the ``telegram-bot``
sink on :class:`oleg_tdlib.fake.FakeTelegram`, on the wall clock.

The deployer logs the listener account in with ``oleg login`` and queues channels; the
engine joins them, channel posts arrive and are forwarded to the bot, subscribers who sent
/start get posts copied with 👍/👎 buttons, their presses reach the store once and the
trainer records a model version that learned from them.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("oleg_source_tdlib")
pytest.importorskip("oleg_sink_telegram_bot")

from oleg.cli.main import cli
from oleg.config import load_deployment
from oleg.engine import Engine
from oleg.plugins import Plugins
from oleg.store import Store
from oleg.testing.runtime import wait_until
from oleg_tdlib.fake import FakeTelegram

API_ID = 24680
API_HASH = "0123456789abcdef0123456789abcdef"
TOKEN = "424242:AAe2e-secret-token"
KEY = "e2e-database-key"
PHONE = "+15550100"
BOT = "oleg_feed_bot"

DEPLOYMENT = f"""
[deployment]
name = "e2e"
database = "sqlite:///feed.db"

[source]
plugin = "tdlib"
api_id = {API_ID}
api_hash = {{ env = "E2E_API_HASH" }}
database_encryption_key = {{ env = "E2E_KEY" }}
accounts = ["{PHONE}"]
channels_file = "channels.txt"
join_every = "100ms"
album_wait = "200ms"
request_timeout = "5s"

[sink]
plugin = "telegram-bot"
api_id = {API_ID}
api_hash = {{ env = "E2E_API_HASH" }}
bot_token = {{ env = "E2E_BOT_TOKEN" }}
database_encryption_key = {{ env = "E2E_KEY" }}
admins = [ADMIN]
per_chat_interval = "50ms"
send_timeout = "5s"

[recommender]
plugin = "popular"

[cold_start]
plugin = "top-bias"
first_posts = 2

[scheduler]
plugin = "apscheduler"
mailing_every = "1s"
train_every = "300ms"
ingest_every = "150ms"
feedback_every = "150ms"
"""


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("rows", []) for b in row]


def test_posts_travel_from_channels_to_subscribers_and_presses_back_to_the_trainer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("E2E_API_HASH", API_HASH)
    monkeypatch.setenv("E2E_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("E2E_KEY", KEY)
    caplog.set_level("DEBUG")
    with FakeTelegram(api_id=API_ID, api_hash=API_HASH) as tg:
        listener = tg.add_user(PHONE, code="13579")
        bot = tg.add_bot(TOKEN, BOT)
        admin = tg.add_subscriber("Admin")
        news = tg.add_channel("daily_news", "Daily News")
        science = tg.add_channel("science_today", "Science Today")
        secret = tg.add_channel("closed_club", "Closed Club", protected=True)
        deploy = tmp_path / "deploy.toml"
        deploy.write_text(DEPLOYMENT.replace("ADMIN", str(admin)))
        (tmp_path / "channels.txt").write_text("# followed\n@daily_news\nscience_today\nclosed_club\n")

        # 1. the deployer logs the listener account in
        login = CliRunner().invoke(cli, ["login", "-d", str(deploy)], input="13579\n")
        assert login.exit_code == 0, login.output
        assert "logged in" in login.output

        # 2. the deployment runs on the wall clock, in the background
        plugins = Plugins()
        deployment = load_deployment(deploy, plugins)
        store = Store.open(deployment.deployment.database)
        engine = Engine(deployment, plugins, store=store)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                engine.run(until=datetime.now(UTC) + timedelta(seconds=60))
            except BaseException as exc:
                failure.append(exc)

        runner = threading.Thread(target=run, daemon=True)
        runner.start()
        try:
            # 3. the joiner follows the three channels
            wait_until(lambda: tg.joined_channels(listener) == {news, science, secret}, 15, what="the joins")
            # 4. subscribers start the bot
            subs = [tg.add_subscriber(f"Sub{i}") for i in range(3)]
            for uid in subs:
                tg.user_sends(uid, bot, "/start")
            wait_until(lambda: len(store.subscribers()) == 3 or failure, 15, what="three subscribers")
            assert not failure, failure
            # 5. channels post: text, an album, a protected post
            tg.publish(news, "Rates are up")
            tg.publish(science, "A new comet", kind="photo", album=3)
            tg.publish(secret, "Members only")
            tg.publish(news, "Storm tomorrow")
            wait_until(lambda: store.post_count() == 4, 15, what="four posts stored (the album as one)")
            wait_until(lambda: len(tg.messages_in(listener, viewer=bot)) >= 5, 15, what="the forwards reaching the bot")

            # 6. each subscriber gets posts with 👍/👎
            def rated_messages(uid: int) -> list[dict]:
                return [m for m in tg.messages_in(bot, viewer=uid) if "👍" in buttons(m)]

            for uid in subs:
                wait_until(lambda uid=uid: rated_messages(uid), 15, what=f"a post for {uid}")
            first = rated_messages(subs[0])[0]
            assert buttons(first) == ["👍", "👎"]
            # 7. presses: a like, a dislike, and the like pressed again
            tg.press(subs[0], bot, first["id"], button=(0, 0))
            second = rated_messages(subs[1])[0]
            tg.press(subs[1], bot, second["id"], button=(0, 1))
            wait_until(lambda: len(tg.callback_answers) == 2, 15, what="both presses answered")
            tg.press(subs[0], bot, first["id"], button=(0, 1))  # a change of mind is ignored
            wait_until(lambda: len(tg.callback_answers) == 3, 15, what="the repeated press answered")
            with store.engine.connect() as conn:
                import sqlalchemy as sa

                rows = conn.execute(sa.text("select value from feedback order by id")).all()
            assert [r[0] for r in rows] == [1, 0]
            shown = next(m for m in tg.messages_in(bot, viewer=subs[0]) if m["id"] == first["id"])
            assert "👍 ✓" in buttons(shown)
            # 8. the presses reach the trainer
            wait_until(lambda: engine.stats.feedback == 2, 15, what="the engine counting both presses")
            version = wait_until(
                lambda: next((v for v in store.model_versions() if v.n_feedback >= 2), None),
                15, what="a model version trained on the presses",
            )
            assert version.plugin == "popular"
            # 9. the admin asks for stats; a subscriber may not
            tg.user_sends(admin, bot, "/stats")
            tg.user_sends(subs[2], bot, "/stats")
            wait_until(lambda: any("subscribers" in str(m.get("content")) for m in tg.messages_in(bot, viewer=admin)), 15, what="/stats")
            refused = wait_until(
                lambda: [m for m in tg.messages_in(bot, viewer=subs[2]) if "administrators" in str(m.get("content"))],
                15, what="the refusal",
            )
            assert refused
        finally:
            engine.scheduler.stop()
            runner.join(timeout=30)
        assert not failure, failure
        assert not runner.is_alive()
        assert engine.stats.delivered >= 3
        # the protected channel's post went out as a link, never as a forward
        assert store.channel_info([secret])[secret]["protected"] is True
        store.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret_value in (TOKEN, API_HASH, KEY):
        assert secret_value not in logged
