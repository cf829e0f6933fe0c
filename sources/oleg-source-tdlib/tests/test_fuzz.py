"""Fuzz: mutated channel updates reach the listener's handlers. The property: a handler never
raises (an unreadable update is logged and skipped), nothing is buffered from a post whose
id or date is garbled, and whatever is buffered reads as a post at the poll."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oleg_source_tdlib.accounts import Account
from oleg_source_tdlib.buffer import PostBuffer
from oleg_source_tdlib.listener import Listener
from oleg_tdlib import fuzzing as fz
from oleg_tdlib import translate

pytestmark = pytest.mark.fuzz
BOUNDED = settings(max_examples=150, deadline=None)


class _NoClient:
    def on(self, update_type: str, handler: Any) -> None:
        self.handlers = {**getattr(self, "handlers", {}), update_type: handler}


class _Store:
    def __init__(self) -> None:
        self.texts: list[tuple[int, int, str | None]] = []

    def update_post_text(self, chat_id: int, message_id: int, text: str | None) -> None:
        self.texts.append((chat_id, message_id, text))


def _listening() -> tuple[dict[str, Any], PostBuffer, Listener]:
    buffer, client = PostBuffer(0.0), _NoClient()
    listener = Listener(_Store(), buffer)  # type: ignore[arg-type]
    account = Account("+15550100", client, chats={fz.CHANNEL})  # type: ignore[arg-type]
    listener.attach(account)
    return client.handlers, buffer, listener


POSTS = [fz.channel_post(), fz.channel_post("photo", album=42), fz.channel_post("poll")]
OTHERS = [
    {
        "@type": "updateMessageContent",
        "chat_id": fz.CHANNEL,
        "message_id": 7 << 20,
        "new_content": {"@type": "messageText", "text": {"@type": "formattedText", "text": "e"}},
    },
    {
        "@type": "updateDeleteMessages",
        "chat_id": fz.CHANNEL,
        "message_ids": [7 << 20],
        "is_permanent": True,
        "from_cache": False,
    },
    {
        "@type": "updateChatHasProtectedContent",
        "chat_id": fz.CHANNEL,
        "has_protected_content": True,
    },
]


@BOUNDED
@given(
    st.lists(
        st.one_of(
            st.sampled_from(POSTS).map(fz.new_message).flatmap(fz.mutated),
            st.sampled_from(OTHERS).flatmap(fz.mutated),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_updates_never_raise_and_what_is_buffered_reads(
    updates: list[dict[str, Any]],
) -> None:
    handlers, buffer, _ = _listening()
    for update in updates:
        handler = handlers.get(str(update.get("@type")))
        if handler is not None:
            handler(update)
    for group in buffer.take(flush=True):
        if group.items:
            translate.album_post(group.messages)  # raises if something unreadable got in


@BOUNDED
@given(st.sampled_from(POSTS).flatmap(lambda m: fz.broken(m, [("chat_id",), ("id",), ("date",)])))
def test_nothing_is_buffered_from_a_post_with_a_garbled_id_or_date(message: dict[str, Any]) -> None:
    handlers, buffer, _ = _listening()
    handlers["updateNewMessage"](fz.new_message(message))
    assert len(buffer) == 0
