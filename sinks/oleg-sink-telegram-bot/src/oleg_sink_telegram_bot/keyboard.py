"""The 👍/👎 inline keyboard, before and after a press."""

from __future__ import annotations

from typing import Any

from oleg.types import DISLIKE, LIKE
from oleg_tdlib import requests as rq

from oleg_sink_telegram_bot import payload


def feedback_keyboard(
    key: bytes, delivery_id: int, chat_id: int, chosen: int | None = None
) -> dict[str, Any]:
    """Two buttons; after a press the chosen one carries a ✓. Both stay pressable (a second
    press is answered "already noted"), so the payloads are the same before and after."""
    like = "👍 ✓" if chosen == LIKE else "👍"
    dislike = "👎 ✓" if chosen == DISLIKE else "👎"
    return rq.inline_keyboard(
        [
            [
                rq.callback_button(like, payload.encode(key, delivery_id, LIKE, chat_id)),
                rq.callback_button(dislike, payload.encode(key, delivery_id, DISLIKE, chat_id)),
            ]
        ]
    )
