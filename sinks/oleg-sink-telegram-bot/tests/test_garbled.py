"""Garbled updates are logged in one line (their @type and what was wrong) and skipped; a
press that cannot be read is still answered, and everything after goes on."""

from __future__ import annotations

import logging
from typing import Any

import pytest

SECRET_TEXT = "a user's words that never reach a log"


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def _skipped(caplog: pytest.LogCaptureFixture, kind: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and f"skipped an unreadable {kind}" in r.getMessage()
    ]


def _press(world: Any, uid: int, **change: Any) -> dict[str, Any]:
    update = {
        "@type": "updateNewCallbackQuery",
        "id": world.tg.new_query_id(),
        "sender_user_id": uid,
        "chat_id": uid,
        "message_id": 1 << 20,
        "chat_instance": "1",
        "payload": {"@type": "callbackQueryPayloadData", "data": "AQ=="},
    }
    update.update(change)
    return {k: v for k, v in update.items() if v is not None}


@pytest.mark.parametrize(
    "change",
    [
        {"sender_user_id": None},  # missing: a KeyError on the press worker, never answered
        {"chat_id": None},
        {"sender_user_id": "12ab"},
        {"message_id": [1]},
        {"chat_id": str(1 << 70)},
        {"payload": "callbackQueryPayloadData"},
    ],
)
def test_an_unreadable_press_is_answered_expired_and_logged(
    world: Any, caplog: pytest.LogCaptureFixture, change: dict[str, Any]
) -> None:
    caplog.set_level(logging.INFO)
    uid = world.subscriber()
    update = _press(world, uid, **change)
    world.tg.inject(world.bot_id, update, query_from=uid)
    answer = world.wait_until(
        lambda: world.tg.callback_answers.get(update["id"]), what="the answer"
    )
    assert answer["text"] == world.sink.settings.texts.expired
    assert _errors(caplog) == []
    (line,) = _skipped(caplog, "updateNewCallbackQuery")
    field = next(iter(change))
    assert field in line and str(change[field]) not in line.replace(field, "")
    assert world.sink.presses.counts["unreadable"] == 1
    interactions, _ = world.store.feedback()
    assert len(interactions) == 0


def test_a_press_with_an_unreadable_id_is_skipped(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    uid = world.subscriber()
    world.tg.inject(world.bot_id, _press(world, uid, id={"not": "an id"}))
    world.wait_until(lambda: _skipped(caplog, "updateNewCallbackQuery"), what="the log line")
    assert _errors(caplog) == [] and world.tg.callback_answers == {}


@pytest.mark.parametrize(
    "message",
    [
        {
            "chat_id": "abc",
            "id": 1,
            "content": {"@type": "messageText", "text": {"text": SECRET_TEXT}},
        },
        ["a list, not a message", SECRET_TEXT],
        {
            "chat_id": 5,
            "id": 1,
            "sender_id": 5,
            "content": {"@type": "messageText", "text": {"text": "/start"}},
        },
        {
            "chat_id": 5,
            "id": None,
            "forward_info": {
                "origin": {"@type": "messageOriginChannel", "chat_id": -1001, "message_id": 1}
            },
        },
        {
            "chat_id": 5,
            "id": 1,
            "forward_info": {
                "origin": {"@type": "messageOriginChannel", "chat_id": SECRET_TEXT, "message_id": 1}
            },
        },
    ],
)
def test_an_unreadable_message_is_logged_and_the_next_one_handled(
    world: Any, caplog: pytest.LogCaptureFixture, message: Any
) -> None:
    caplog.set_level(logging.INFO)
    uid = world.subscriber(start=False)
    if isinstance(message, dict) and message.get("chat_id") == 5:
        message = {**message, "chat_id": uid}
    world.tg.inject(world.bot_id, {"@type": "updateNewMessage", "message": message})
    world.tg.user_sends(uid, world.bot_id, "/start")  # the next message is handled
    world.wait_until(lambda: world.bot_messages(uid), what="the welcome")
    assert len(_skipped(caplog, "updateNewMessage")) == 1
    assert SECRET_TEXT not in caplog.text and _errors(caplog) == []
    assert world.store.message_ref("telegram-bot", -1001, 1) is None


@pytest.mark.parametrize(
    "update",
    [
        {"@type": "updateMessageSendSucceeded", "old_message_id": "1", "message": {"chat_id": "x"}},
        {"@type": "updateMessageSendFailed", "old_message_id": [], "message": {"chat_id": 1}},
        {
            "@type": "updateMessageSendFailed",
            "old_message_id": 1,
            "message": {"chat_id": 1},
            "error": {"code": "429?", "message": "retry after 5"},
        },
        {"@type": "updateMessageSendSucceeded", "old_message_id": 1, "message": "sent"},
    ],
)
def test_an_unreadable_send_outcome_is_logged_and_skipped(
    world: Any, caplog: pytest.LogCaptureFixture, update: dict[str, Any]
) -> None:
    caplog.set_level(logging.INFO)
    world.sink._on_outcome(update)  # on TDLib's dispatcher thread, which must not fail
    assert len(_skipped(caplog, str(update["@type"]))) == 1
    assert _errors(caplog) == []
    # and sending still works
    chan = world.channel("newsdaily")
    post = world.post(chan, "after")
    uid = world.subscriber()
    assert world.sink.deliver([world.outgoing(uid, post)])[0].ok
