"""One thread working through updates, with a bounded queue in front of it.

TDLib's dispatcher hands updates over and must never wait, so a full queue does not block:
:meth:`UpdateWorker.offer` says no at once and the caller applies its policy (a press is
answered "try again", a message is dropped with a warning). A flood of presses thus costs a
bounded amount of memory instead of growing it without limit.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from oleg_tdlib.reading import Unreadable, log_skipped, type_of

log = logging.getLogger(__name__)

Update = dict[str, Any]
_STOP = object()


class UpdateWorker:
    """``handle(update)`` on a thread of its own for each update offered, in order."""

    def __init__(self, name: str, handle: Callable[[Update], None], *, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.refused = 0
        """Updates offered while the queue was full (never handled)."""
        self.most_pending = 0
        """The longest the queue has been (at most ``limit``)."""
        self._handle = handle
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=limit)
        self._lock = threading.Lock()
        self._closed = False
        self._flooded = False
        self._thread = threading.Thread(target=self._run, name=f"bot-{name}", daemon=True)
        self._thread.start()

    def offer(self, update: Update) -> bool:
        """Queue ``update``; False (and counted) when the queue is full or closed."""
        with self._lock:
            if self._closed:
                return False
            try:
                self._queue.put_nowait(update)
            except queue.Full:
                self.refused += 1
                if not self._flooded:  # one warning per flood; the count says the rest
                    self._flooded = True
                    log.warning(
                        "%d %s wait already (max_pending_updates): refusing more until they drain",
                        self.limit,
                        self.name,
                    )
                return False
            waiting = self._queue.qsize()
            self.most_pending = max(self.most_pending, waiting)
            if self._flooded and waiting <= self.limit // 2:
                self._flooded = False
                log.warning("%s are taken again; %d refused so far", self.name, self.refused)
        return True

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Handle what is queued, then stop."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(_STOP)  # may wait for room: the thread keeps taking
        self._thread.join()

    def _run(self) -> None:
        while (update := self._queue.get()) is not _STOP:
            try:
                self._handle(update)
            except Unreadable as exc:
                log_skipped(log, update, exc)
            except Exception:
                log.exception("handling an %s failed", type_of(update))
