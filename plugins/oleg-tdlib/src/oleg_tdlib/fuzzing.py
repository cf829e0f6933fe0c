"""Hypothesis strategies for fuzz tests: real update shapes (rendered by the fake TDLib) and
random mutations of them. Needs ``hypothesis`` (the test extras: ``scripts/setup.sh --test``);
nothing outside tests imports this module.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from oleg_tdlib.fake import objects as o
from oleg_tdlib.fake.model import Msg

JSON = dict[str, Any]
CHANNEL = -1001465826763
USER = 100_000_001
BOT = 7_000_000_001


def channel_post(kind: str = "text", *, album: int = 0, mid: int = 7 << 20) -> JSON:
    """A channel post as a listener account sees it."""
    msg = Msg(
        mid, 1_736_164_800, o.content(kind, "caption"), channel_chat_id=CHANNEL, album_id=album
    )
    return msg.render(CHANNEL, USER)


def forwarded_copy() -> JSON:
    """The bot's copy of a channel post the listener forwarded into their private chat."""
    forward = o.forward_info(o.origin_channel(CHANNEL, 7 << 20), 1_736_164_800)
    msg = Msg(3 << 20, 1_736_164_801, o.content("photo", "c"), sender_id=USER, forward=forward)
    return msg.render(USER, BOT)


def command(text: str = "/start") -> JSON:
    return Msg(4 << 20, 1_736_164_802, o.content("text", text), sender_id=USER).render(USER, BOT)


def press(data: str = "AQ==", query_id: str = "1000000000000000001") -> JSON:
    return {
        "@type": "updateNewCallbackQuery",
        "id": query_id,
        "sender_user_id": USER,
        "chat_id": USER,
        "message_id": 5 << 20,
        "chat_instance": "12345",
        "payload": {"@type": "callbackQueryPayloadData", "data": data},
    }


def send_outcome(failed: bool = False) -> JSON:
    update: JSON = {
        "@type": "updateMessageSendFailed" if failed else "updateMessageSendSucceeded",
        "message": Msg(9 << 20, 1_736_164_803, o.content("text", "hi"), sender_id=BOT).render(
            USER, BOT
        ),
        "old_message_id": 9,
    }
    if failed:
        update["error"] = {
            "@type": "error",
            "code": 429,
            "message": "Too Many Requests: retry after 3",
        }
    return update


def new_message(message: JSON) -> JSON:
    return {"@type": "updateNewMessage", "message": message}


MESSAGES = [
    channel_post(),
    channel_post("photo", album=42),
    channel_post("poll"),
    forwarded_copy(),
    command(),
]
"""Message shapes the handlers read: posts (single, album item, poll), a forward, a command."""

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=1 << 63, max_value=1 << 80),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.binary(max_size=4).map(bytes.hex),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
"""Any JSON-ish value, valid or not where an update expects one."""

not_int64 = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
    st.integers(min_value=1 << 63, max_value=1 << 90),
    st.integers(max_value=-(1 << 63) - 1),
    st.text(max_size=8).filter(lambda t: not t.strip().lstrip("-").isdigit()),
)
"""A value that is not an int64 in any of TDLib's spellings."""


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        out.append((*prefix, key))
        out += _paths(child, (*prefix, key))
    return out


@st.composite
def mutated(draw: st.DrawFn, example: JSON, *, max_changes: int = 3) -> JSON:
    """``example`` with a few keys deleted or values replaced by junk, anywhere in it."""
    value = copy.deepcopy(example)
    for _ in range(draw(st.integers(1, max_changes))):
        paths = _paths(value)
        if not paths:
            break
        *parents, last = draw(st.sampled_from(paths))
        holder = value
        for key in parents:
            holder = holder[key]
        if isinstance(holder, dict) and draw(st.booleans()):
            del holder[last]
        else:
            holder[last] = draw(junk)
    return value


@st.composite
def broken(draw: st.DrawFn, example: JSON, required: list[tuple[str, ...]]) -> JSON:
    """``example`` with one of its ``required`` int64 fields missing or not an int64."""
    value = copy.deepcopy(example)
    *parents, last = draw(st.sampled_from(required))
    holder = value
    for key in parents:
        holder = holder[key]
    if draw(st.booleans()):
        del holder[last]
    else:
        holder[last] = draw(not_int64)
    return value
