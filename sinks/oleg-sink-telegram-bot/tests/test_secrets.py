import logging
from typing import Any

import pytest


@pytest.fixture
def settings_overrides() -> dict:
    return {"recycle_every": "0s"}  # reopen TDLib before every round: its logs too


def test_secrets_never_reach_a_log(world: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    chan = world.channel("newsdaily")
    post = world.post(chan, "hello")
    uid = world.subscriber()
    out = world.outgoing(uid, post)
    assert world.sink.deliver([out])[0].ok
    msg = world.bot_messages(uid)[-1]
    q = world.tg.press(uid, world.bot_id, int(msg["id"]), button=(0, 0))
    world.wait_until(lambda: world.tg.callback_answers.get(q))
    world.tg.user_sends(uid, world.bot_id, "/stop")
    world.wait_until(lambda: world.sink.poll(world.sink._now()))
    world.sink.close()
    assert caplog.records, "the flow logged nothing: the check would be empty"
    everything = "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    for secret in (world.BOT_TOKEN, world.API_HASH, world.DB_KEY, world.BOT_TOKEN.split(":")[1]):
        assert secret not in everything
    assert repr(world.sink.settings).count(world.BOT_TOKEN) == 0
