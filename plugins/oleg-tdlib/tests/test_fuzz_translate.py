"""Fuzz: mutated real update shapes never make translate raise anything but Unreadable, and
an update with a required id garbled is always Unreadable (never half read)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oleg_tdlib import fuzzing as fz
from oleg_tdlib import translate
from oleg_tdlib.reading import Unreadable

pytestmark = pytest.mark.fuzz
BOUNDED = settings(max_examples=150, deadline=None)


def _read_message(message: Any) -> None:
    """Everything the handlers read from a message."""
    for read in (
        translate.message_to_post,
        translate.forward_origin,
        translate.sender_user_id,
        translate.message_text,
        translate.is_channel_post,
        translate.album_id,
    ):
        with contextlib.suppress(Unreadable):
            read(message)
    with contextlib.suppress(Unreadable):
        translate.album_post([message, fz.channel_post(mid=8 << 20)])


@BOUNDED
@given(st.sampled_from(fz.MESSAGES).flatmap(fz.mutated))
def test_a_mutated_message_is_read_or_unreadable(message: dict[str, Any]) -> None:
    _read_message(message)


@BOUNDED
@given(fz.mutated(fz.press()))
def test_a_mutated_press_is_read_or_unreadable(update: dict[str, Any]) -> None:
    try:
        press = translate.callback_press(update)
    except Unreadable:
        press = None
    if press is not None:
        assert isinstance(press.data, bytes) and isinstance(press.user_id, int)
    query = translate.query_id_of(update)
    assert query is None or query == str(int(update["id"]))


@BOUNDED
@given(
    st.sampled_from(fz.MESSAGES[:3]).flatmap(
        lambda m: fz.broken(m, [("chat_id",), ("id",), ("date",)])
    )
)
def test_a_post_with_a_garbled_id_or_date_is_unreadable(message: dict[str, Any]) -> None:
    with pytest.raises(Unreadable):
        translate.message_to_post(message)


@BOUNDED
@given(fz.broken(fz.press(), [("id",), ("sender_user_id",), ("chat_id",), ("message_id",)]))
def test_a_press_with_a_garbled_id_is_unreadable(update: dict[str, Any]) -> None:
    with pytest.raises(Unreadable):
        translate.callback_press(update)
