"""Telegram's sending limits, kept on our side so that floods are rare, and honoured when
they happen anyway: at most one message per second per chat, about 30 per second overall,
and a global pause on "retry after N".

:class:`RateLimiter` spaces slots exactly ``1/rate`` apart, but threads wake late by varying
amounts: one late send followed by an on-time one puts ``rate + 1`` messages inside some
second, and Telegram answers that with a 429. :class:`SendWindow` remembers when the last
``rate`` messages went and holds the next one until the oldest is more than a second (plus a
small margin) old, so no second ever holds more than ``rate``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Token buckets: one global (``rate``/s, burst ``burst``) and one interval per chat.

    :meth:`acquire` blocks until a message to ``chat_id`` may go; :meth:`pause` (after a
    429) holds every sender until the wait is over. ``clock`` and ``sleep`` are injectable
    so that tests need not wait.
    """

    def __init__(
        self,
        rate: float = 30.0,
        per_chat_interval: float = 1.0,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or per_chat_interval < 0 or burst < 1:
            raise ValueError("rate must be > 0, per_chat_interval >= 0, burst >= 1")
        self.rate = rate
        self.per_chat_interval = per_chat_interval
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_global = clock()
        self._chat_next: dict[int, float] = {}
        self._paused_until = 0.0
        self.waited = 0.0

    def reserve(self, chat_id: int) -> float:
        """Book the next slot for ``chat_id``; how long the caller must wait before sending."""
        with self._lock:
            now = self._clock()
            interval = 1.0 / self.rate
            earliest = max(now, self._paused_until, self._chat_next.get(chat_id, 0.0))
            # a bucket of ``burst`` tokens: the global slot may lag ``now`` by burst intervals
            slot = max(earliest, self._next_global - (self.burst - 1) * interval)
            self._next_global = max(self._next_global, slot) + interval
            self._chat_next[chat_id] = slot + self.per_chat_interval
            if len(self._chat_next) > 50_000:
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            return max(0.0, slot - now)

    def acquire(self, chat_id: int) -> None:
        """Wait until a message to ``chat_id`` may be sent."""
        wait = self.reserve(chat_id)
        if wait > 0:
            self.waited += wait
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after ``seconds``": nobody sends before then."""
        with self._lock:
            until = self._clock() + seconds
            self._paused_until = max(self._paused_until, until)
            self._next_global = max(self._next_global, until)

    @property
    def paused_until(self) -> float:
        return self._paused_until


class SendWindow:
    """At most ``rate`` messages in any ``period`` (plus ``margin``): the guard beside
    :class:`RateLimiter` that absorbs threads waking late (see the module docstring)."""

    def __init__(
        self,
        rate: float,
        *,
        period: float = 1.0,
        margin: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.capacity = max(1, int(rate * period))
        self.span = period + margin
        self._times: deque[float] = deque()
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def take(self, count: int = 1) -> None:
        """Block until ``count`` more messages fit in the window, then count them as sent."""
        count = min(count, self.capacity)
        while True:
            with self._lock:
                now = self._clock()
                while self._times and self._times[0] <= now - self.span:
                    self._times.popleft()
                over = len(self._times) + count - self.capacity
                if over <= 0:
                    self._times.extend([now] * count)
                    return
                wait = self._times[over - 1] + self.span - now
            self._sleep(max(wait, 0.0005))
