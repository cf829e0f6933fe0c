"""Garbled updates reach the source: each is logged in one line and skipped, and the other
posts of the same poll still come out (a bad ``date`` used to raise inside ``poll``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from _tdlib_testing import PHONES, follow, poll_until, wait_for
from oleg_source_tdlib.buffer import PostBuffer
from oleg_tdlib.reading import Unreadable

SECRET_TEXT = "a channel's words that never reach a log"


def _post(chat: int, mid: int, **change: Any) -> dict[str, Any]:
    message = {
        "@type": "message",
        "id": mid << 20,
        "chat_id": chat,
        "date": 1_736_164_800,
        "is_channel_post": True,
        "media_album_id": "0",
        "content": {
            "@type": "messageText",
            "text": {"@type": "formattedText", "text": SECRET_TEXT},
        },
    }
    message.update(change)
    return message


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def _skipped(caplog: pytest.LogCaptureFixture, kind: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if f"skipped an unreadable {kind}" in r.getMessage()
    ]


@pytest.mark.parametrize(
    "change",
    [{"date": "tomorrow"}, {"date": 10**20}, {"date": None}, {"id": "x"}, {"content": "text"}],
)
def test_a_garbled_post_is_skipped_and_the_others_of_the_poll_come_out(
    tg: Any, store: Any, make_source: Any, caplog: pytest.LogCaptureFixture, change: dict[str, Any]
) -> None:
    caplog.set_level(logging.INFO)
    chat = tg.add_channel("newsroom", "Newsroom")
    source = make_source()
    now = follow(source, store, ["newsroom"])
    user = tg.users[PHONES[0]]
    tg.inject(user, {"@type": "updateNewMessage", "message": _post(chat, 900, **change)})
    (mid,) = tg.publish(chat, "still here")

    posts = poll_until(source, now, lambda got: len(got) >= 1)
    posts += poll_until(source, now, lambda got: False, timeout=0.3)

    assert [(p.channel_id, p.message_id) for p in posts] == [(chat, mid)]
    assert len(_skipped(caplog, "updateNewMessage")) == 1
    assert _errors(caplog) == [] and SECRET_TEXT not in caplog.text


@pytest.mark.parametrize(
    "update",
    [
        {
            "@type": "updateMessageContent",
            "chat_id": "newsroom",
            "message_id": 1,
            "new_content": {},
        },
        {"@type": "updateMessageContent", "chat_id": "{chat}", "message_id": 1, "new_content": "x"},
        {
            "@type": "updateDeleteMessages",
            "chat_id": "{chat}",
            "message_ids": "123",
            "is_permanent": True,
        },
        {
            "@type": "updateDeleteMessages",
            "chat_id": None,
            "message_ids": [1],
            "is_permanent": True,
        },
        {"@type": "updateChatHasProtectedContent", "chat_id": [1], "has_protected_content": True},
    ],
)
def test_garbled_edits_deletions_and_protection_are_skipped(
    tg: Any, store: Any, make_source: Any, caplog: pytest.LogCaptureFixture, update: dict[str, Any]
) -> None:
    caplog.set_level(logging.INFO)
    chat = tg.add_channel("newsroom", "Newsroom")
    source = make_source()
    now = follow(source, store, ["newsroom"])
    update = {k: (chat if v == "{chat}" else v) for k, v in update.items()}
    tg.inject(tg.users[PHONES[0]], update)
    assert wait_for(lambda: _skipped(caplog, str(update["@type"])))
    assert _errors(caplog) == []
    assert source.deleted(now) == [] and source.protected == set()
    (mid,) = tg.publish(chat, "still here")
    assert [p.message_id for p in poll_until(source, now, lambda got: len(got) >= 1)] == [mid]


def test_the_buffer_refuses_a_garbled_message_and_takes_the_rest() -> None:
    buffer = PostBuffer(0.0)
    with pytest.raises(Unreadable, match="date"):
        buffer.add("a", _post(-1001, 1, date="soon"))
    good = [_post(-1001, 2), _post(-1001, 3, chat_id=None), _post(-1001, 4)]
    assert buffer.add_many("a", good) == 2
    assert [g.message_ids for g in buffer.take()] == [[2 << 20], [4 << 20]]
