"""Fuzz: garbled updates and forged callback payloads, end to end against a real store. The
property: nothing raises, a garbled press is answered "expired", and no feedback is stored
from any press but a correctly signed one for that chat."""

from __future__ import annotations

import base64
import contextlib
import logging
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oleg_sink_telegram_bot import payload
from oleg_sink_telegram_bot.outcomes import outcome_of
from oleg_tdlib import fuzzing as fz
from oleg_tdlib.reading import Unreadable

pytestmark = pytest.mark.fuzz
PURE = settings(max_examples=300, deadline=None)
WORLD = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
KEY = payload.derive_key("42:token")
CHAT = 100_000_001


def _forged(valid: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes, and a valid payload flipped, cut, extended, re-signed with another key
    or for another chat."""
    flipped = st.tuples(st.integers(0, len(valid) - 1), st.integers(1, 255)).map(
        lambda iv: valid[: iv[0]] + bytes([valid[iv[0]] ^ iv[1]]) + valid[iv[0] + 1 :]
    )
    return st.one_of(
        st.binary(max_size=64),
        flipped,
        st.integers(0, len(valid) - 1).map(lambda n: valid[:n]),
        st.binary(min_size=1, max_size=8).map(lambda b: valid + b),
        st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 1)).map(
            lambda dv: payload.encode(payload.derive_key("43:other"), dv[0], dv[1], CHAT)
        ),
        st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 1), st.integers(-(2**63), 2**63 - 1))
        .filter(lambda dvc: dvc[2] != CHAT)
        .map(lambda dvc: payload.encode(KEY, dvc[0], dvc[1], dvc[2])),
    )


@PURE
@given(data=st.data())
def test_decode_never_raises_and_accepts_only_the_signed_payload(data: st.DataObject) -> None:
    delivery, value = data.draw(st.integers(0, 2**64 - 1)), data.draw(st.integers(0, 1))
    valid = payload.encode(KEY, delivery, value, CHAT)
    assert payload.decode(KEY, valid, CHAT) == payload.Vote(delivery, value)
    forged = data.draw(_forged(valid))
    vote = payload.decode(KEY, forged, CHAT)
    assert vote is None or forged == valid


@PURE
@given(st.sampled_from([fz.send_outcome(), fz.send_outcome(failed=True)]).flatmap(fz.mutated))
def test_a_mutated_send_outcome_is_read_or_unreadable(update: dict[str, Any]) -> None:
    with contextlib.suppress(Unreadable):
        outcome_of(update)


def _answer(world: Any, update: dict[str, Any], uid: int) -> str:
    world.tg.inject(world.bot_id, update, query_from=uid)
    answer = world.wait_until(
        lambda: world.tg.callback_answers.get(update["id"]), what="the answer"
    )
    return str(answer["text"])


@pytest.fixture
def delivered(world: Any) -> tuple[int, int, int]:
    """(subscriber, delivery id, the bot's message id) of one post really delivered."""
    chan = world.channel("newsdaily")
    post = world.post(chan, "post")
    uid = world.subscriber()
    out = world.outgoing(uid, post)
    assert world.sink.deliver([out])[0].ok
    return uid, int(out.delivery.id), int(world.bot_messages(uid)[-1]["id"])


@WORLD
@given(data=st.data())
def test_no_feedback_is_stored_from_a_forged_press(
    world: Any, delivered: tuple[int, int, int], data: st.DataObject
) -> None:
    uid, delivery_id, message_id = delivered
    valid = payload.encode(payload.derive_key(world.BOT_TOKEN), delivery_id, 1, uid)
    forged = data.draw(_forged(valid).filter(lambda b: b != valid))
    update = dict(
        fz.press(base64.b64encode(forged).decode(), world.tg.new_query_id()),
        sender_user_id=uid,
        chat_id=uid,
        message_id=message_id,
    )
    assert _answer(world, update, uid) == world.sink.settings.texts.expired
    interactions, _ = world.store.feedback()
    assert len(interactions) == 0


@WORLD
@given(data=st.data())
def test_a_garbled_press_is_answered_expired_and_stores_nothing(
    world: Any,
    delivered: tuple[int, int, int],
    data: st.DataObject,
    caplog: pytest.LogCaptureFixture,
) -> None:
    uid, delivery_id, message_id = delivered
    valid = payload.encode(payload.derive_key(world.BOT_TOKEN), delivery_id, 1, uid)
    good = dict(
        fz.press(base64.b64encode(valid).decode(), world.tg.new_query_id()),
        sender_user_id=uid,
        chat_id=uid,
        message_id=message_id,
    )
    update = data.draw(fz.broken(good, [("sender_user_id",), ("chat_id",), ("message_id",)]))
    assert _answer(world, update, uid) == world.sink.settings.texts.expired
    interactions, _ = world.store.feedback()
    assert len(interactions) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@WORLD
@given(
    updates=st.lists(
        st.one_of(
            st.sampled_from(fz.MESSAGES).flatmap(fz.mutated).map(fz.new_message),
            st.sampled_from(fz.MESSAGES).map(fz.new_message).flatmap(fz.mutated),
            fz.mutated(fz.send_outcome()),  # (a failed one may say "retry after": a real pause)
        ),
        min_size=1,
        max_size=5,
    )
)
def test_mutated_updates_never_stop_the_bot(
    world: Any, updates: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    for update in updates:
        world.tg.inject(world.bot_id, update)
    uid = world.tg.add_subscriber("Next")
    world.tg.user_sends(uid, world.bot_id, "/help")  # handled after them all
    limiter = world.sink.limiter
    assert limiter is not None
    # The bot answers, unless a (mutated but readable) "retry after N" outcome told it to wait:
    # Telegram's own order, which it obeys; a garbled update never stops it otherwise.
    world.wait_until(
        lambda: world.bot_messages(uid) or limiter.paused_until > time.monotonic(),
        timeout=15.0, what="the answer to /help",
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
