"""A flood of presses or messages keeps the bot's queues bounded (max_pending_updates): a
press beyond it is answered "try again" at once, a message is dropped; both are counted."""

from __future__ import annotations

import threading
from typing import Any

import pytest

LIMIT = 3
FLOOD = 40


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_pending_updates": LIMIT}


def _hold(world: Any, name: str) -> tuple[threading.Event, threading.Event]:
    """Stall the worker on its first update, until released."""
    worker = world.sink._press_worker if name == "presses" else world.sink._chat_worker
    real = worker._handle
    busy, release = threading.Event(), threading.Event()

    def slow(update: Any) -> None:
        busy.set()
        release.wait(10)
        real(update)

    worker._handle = slow
    return busy, release


def test_a_flood_of_presses_keeps_the_queue_bounded(world: Any) -> None:
    chan = world.channel("newsdaily")
    post = world.post(chan, "post")
    uid = world.subscriber()
    assert world.sink.deliver([world.outgoing(uid, post)])[0].ok
    msg = world.bot_messages(uid)[-1]
    busy, release = _hold(world, "presses")
    first = world.tg.press(uid, world.bot_id, int(msg["id"]))
    assert busy.wait(5)  # the worker holds the first press; the rest queue or are refused
    flood = [world.tg.press(uid, world.bot_id, int(msg["id"])) for _ in range(FLOOD)]
    texts = world.sink.settings.texts
    refused = flood[LIMIT:]
    world.wait_until(
        lambda: all(q in world.tg.callback_answers for q in refused), what="the refusals"
    )
    assert {world.tg.callback_answers[q]["text"] for q in refused} == {texts.try_again}
    assert world.sink.overflow == {"messages": 0, "presses": FLOOD - LIMIT}
    assert world.sink.presses.counts["refused"] == FLOOD - LIMIT
    assert world.sink._press_worker.most_pending == LIMIT
    assert not any(q in world.tg.callback_answers for q in [first, *flood[:LIMIT]])

    release.set()
    world.wait_until(
        lambda: all(q in world.tg.callback_answers for q in [first, *flood]), what="every answer"
    )
    assert world.tg.callback_answers[first]["text"] == "👍 noted"
    assert {world.tg.callback_answers[q]["text"] for q in flood[:LIMIT]} == {texts.already_noted}
    interactions, _ = world.store.feedback()
    assert list(interactions.value) == [1.0]
    assert world.sink._press_worker.pending() == 0


def test_a_flood_of_messages_is_dropped_beyond_the_bound_with_one_warning(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    world.wait_until(lambda: world.bot_messages(world.admin_id), what="the admin's welcome")
    uid = world.subscriber(start=False)
    busy, release = _hold(world, "messages")
    world.tg.user_sends(uid, world.bot_id, "/help")
    assert busy.wait(5)
    for _ in range(FLOOD):
        world.tg.user_sends(uid, world.bot_id, "/help")
    world.wait_until(
        lambda: world.sink.overflow["messages"] == FLOOD - LIMIT, what="the drops counted"
    )
    assert world.sink._chat_worker.most_pending == LIMIT
    warnings = [r for r in caplog.records if "max_pending_updates" in r.getMessage()]
    assert len(warnings) == 1
    release.set()
    world.wait_until(lambda: len(world.bot_messages(uid)) == 1 + LIMIT, what="the answers")
    assert world.sink._chat_worker.pending() == 0
