"""Matching TDLib's late send outcomes to the messages a round sent.

``sendMessage`` answers at once with a pending message (a temporary id); whether it was
really sent comes later as ``updateMessageSendSucceeded`` or ``updateMessageSendFailed``
carrying that ``old_message_id``. The update can even overtake the reply that tells us the
temporary id, so an outcome nobody expects yet is parked until claimed (and dropped when old:
the outcomes of command replies are never claimed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from oleg_tdlib import reading
from oleg_tdlib.errors import TdError
from oleg_tdlib.reading import int64_at

Key = tuple[int, int]  # (chat id, temporary message id)
Outcome = TdError | None  # None: sent


class Outcomes:
    """Thread-safe: the update handler calls :meth:`record`, the sending round the rest."""

    def __init__(
        self, *, keep_unclaimed: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._cond = threading.Condition()
        self._done: dict[Key, Outcome] = {}
        self._parked_at: dict[Key, float] = {}
        self._expected: set[Key] = set()
        self._keep = keep_unclaimed
        self._clock = clock

    def expect(self, keys: Iterable[Key]) -> None:
        with self._cond:
            self._expected.update(keys)

    def record(self, key: Key, outcome: Outcome) -> None:
        with self._cond:
            self._done[key] = outcome
            if key not in self._expected:
                self._parked_at[key] = self._clock()
            self._cond.notify_all()

    def take(self, key: Key) -> tuple[bool, Outcome]:
        """(whether the outcome came, the outcome); a taken key is forgotten."""
        with self._cond:
            self._expected.discard(key)
            self._parked_at.pop(key, None)
            if key in self._done:
                return True, self._done.pop(key)
            return False, None

    def wait_all(self, keys: Iterable[Key], deadline: float) -> bool:
        """Block until every key has an outcome or ``deadline`` (monotonic) passes."""
        wanted = set(keys)
        with self._cond:
            while True:
                if wanted.issubset(self._done.keys()):
                    return True
                left = deadline - self._clock()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 1.0))

    def prune(self) -> None:
        """Forget outcomes parked longer than ``keep_unclaimed`` (nobody will claim them)."""
        with self._cond:
            limit = self._clock() - self._keep
            for key in [k for k, t in self._parked_at.items() if t < limit]:
                self._parked_at.pop(key, None)
                if key not in self._expected:
                    self._done.pop(key, None)

    def forget(self, keys: Iterable[Key]) -> None:
        """A round gave up waiting on these: an outcome arriving later is parked, then pruned."""
        with self._cond:
            for key in keys:
                self._expected.discard(key)
                self._done.pop(key, None)


def outcome_of(update: dict[str, Any]) -> tuple[Key, Outcome] | None:
    """``updateMessageSendSucceeded/Failed`` → ((chat id, old id), None or the TdError);
    :class:`~oleg_tdlib.reading.Unreadable` if its fields are garbled."""
    kind = update.get("@type")
    if kind not in ("updateMessageSendSucceeded", "updateMessageSendFailed"):
        return None
    message = reading.obj(update.get("message"), f"{kind}.message")
    chat_id = int64_at(message, "chat_id", f"{kind}.message")
    key = (chat_id, int64_at(update, "old_message_id", kind))
    if kind == "updateMessageSendSucceeded":
        return key, None
    error = reading.obj(update.get("error"), f"{kind}.error", optional=True)
    code = reading.int64(error.get("code", 0), f"{kind}.error.code")
    return key, TdError(code, str(error.get("message", "")), "sendMessage")
