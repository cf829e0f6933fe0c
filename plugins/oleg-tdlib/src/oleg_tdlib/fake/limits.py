"""Telegram's sending limits for bots, so that a sender that ignores them gets 429s in tests.

Per chat: at most ``per_chat_burst`` messages within ``per_chat_interval * per_chat_burst``
seconds (about one a second, short bursts tolerated). Overall, per bot: at most
``global_rate`` messages in any one-second window. Times come from the injected ``clock``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

_EPS = 1e-6  # a sender spaced exactly at the limit must not trip on float rounding


class SendLimits:
    """Sliding windows of accepted sends, per (bot, chat) and per bot."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        per_chat_interval: float = 1.0,
        per_chat_burst: int = 3,
        global_rate: float = 30.0,
    ) -> None:
        self.clock = clock
        self.chat_window = per_chat_interval * per_chat_burst
        self.chat_burst = per_chat_burst
        self.global_max = max(1, int(global_rate))
        self._chats: dict[tuple[int, int], deque[float]] = {}
        self._bots: dict[int, deque[float]] = {}

    def check(self, bot_id: int, chat_id: int, count: int = 1) -> int | None:
        """Seconds to wait (a 429's N) if a send of ``count`` messages breaks a limit, else
        None. A send that fits is recorded; one that breaks a limit is not."""
        now = self.clock()
        chat = self._window(self._chats, (bot_id, chat_id), now - self.chat_window)
        bot = self._window(self._bots, bot_id, now - 1.0)
        wait = 0.0
        if len(chat) + 1 > self.chat_burst:
            wait = max(wait, chat[len(chat) - self.chat_burst] + self.chat_window - now)
        if len(bot) + count > self.global_max:
            index = min(len(bot) - 1, len(bot) + count - 1 - self.global_max)
            wait = max(wait, bot[index] + 1.0 - now)
        if wait > 0 or len(chat) + 1 > self.chat_burst or len(bot) + count > self.global_max:
            return max(1, math.ceil(wait - _EPS))
        chat.append(now)
        bot.extend([now] * count)
        return None

    def record(self, bot_id: int, chat_id: int, count: int = 1) -> None:
        """Count a send that went out although it broke a limit (limits not enforced)."""
        now = self.clock()
        self._chats.setdefault((bot_id, chat_id), deque()).append(now)
        self._bots.setdefault(bot_id, deque()).extend([now] * count)

    @staticmethod
    def _window(table: dict, key: object, since: float) -> deque[float]:
        times = table.get(key)
        if times is None:
            times = table[key] = deque()
        while times and times[0] <= since + _EPS:
            times.popleft()
        return times
