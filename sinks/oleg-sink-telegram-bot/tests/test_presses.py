from typing import Any

from oleg_sink_telegram_bot import payload


def _feedback_rows(world: Any) -> int:
    interactions, _ = world.store.feedback()
    return len(interactions)


def _delivered(world: Any, text: str = "post"):
    chan = world.channel("newsdaily")
    post = world.post(chan, text)
    uid = world.subscriber()
    out = world.outgoing(uid, post)
    assert world.sink.deliver([out])[0].ok
    return uid, out, world.bot_messages(uid)[-1]


def test_press_is_stored_once_answered_and_marked(world: Any) -> None:
    uid, _, msg = _delivered(world)
    q1 = world.tg.press(uid, world.bot_id, int(msg["id"]), button=(0, 0))
    answer = world.wait_until(lambda: world.tg.callback_answers.get(q1), what="the answer")
    assert answer["text"] == "👍 noted"
    interactions, _ = world.store.feedback()
    assert list(interactions.value) == [1.0]
    world.wait_until(
        lambda: world.buttons(world.bot_messages(uid)[-1]) == ["👍 ✓", "👎"],
        what="the edited buttons",
    )
    # a second press, even on the other button, changes nothing
    q2 = world.tg.press(uid, world.bot_id, int(msg["id"]), button=(0, 1))
    answer = world.wait_until(lambda: world.tg.callback_answers.get(q2), what="the second answer")
    assert answer["text"] == world.sink.settings.texts.already_noted
    interactions, _ = world.store.feedback()
    assert list(interactions.value) == [1.0]
    assert world.buttons(world.bot_messages(uid)[-1]) == ["👍 ✓", "👎"]


def test_dislike_is_noted(world: Any) -> None:
    uid, _, msg = _delivered(world)
    q = world.tg.press(uid, world.bot_id, int(msg["id"]), button=(0, 1))
    assert world.wait_until(lambda: world.tg.callback_answers.get(q))["text"] == "👎 noted"
    world.wait_until(lambda: world.buttons(world.bot_messages(uid)[-1]) == ["👍", "👎 ✓"])
    interactions, _ = world.store.feedback()
    assert list(interactions.value) == [0.0]


def _expired(world: Any, q: str) -> None:
    answer = world.wait_until(lambda: world.tg.callback_answers.get(q), what="the answer")
    assert answer["text"] == world.sink.settings.texts.expired
    assert _feedback_rows(world) == 0


def test_forged_payload_is_ignored(world: Any) -> None:
    uid, out, msg = _delivered(world)
    data = bytearray(payload.encode(payload.derive_key("1:not-the-token"), out.delivery.id, 1, uid))
    _expired(world, world.tg.press_data(uid, world.bot_id, int(msg["id"]), bytes(data)))
    _expired(world, world.tg.press_data(uid, world.bot_id, int(msg["id"]), b"\x01garbage"))


def test_another_subscribers_delivery_is_ignored(world: Any) -> None:
    _, other_out, msg = _delivered(world)
    intruder = world.subscriber()
    key = payload.derive_key(world.BOT_TOKEN)  # even correctly signed for the intruder's chat
    data = payload.encode(key, other_out.delivery.id, 1, intruder)
    _expired(world, world.tg.press_data(intruder, world.bot_id, int(msg["id"]), data))


def test_unknown_delivery_is_ignored(world: Any) -> None:
    uid, _, msg = _delivered(world)
    data = payload.encode(payload.derive_key(world.BOT_TOKEN), 999_999, 1, uid)
    _expired(world, world.tg.press_data(uid, world.bot_id, int(msg["id"]), data))
