"""How replies and updates reach a client: a per-client mailbox, and one timer thread per
fake world for those that should arrive later (latency, jitter).

Payloads travel as JSON text, so that what a client receives has crossed a JSON boundary
exactly like libtdjson's output.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque


class Mailbox:
    """What one client has yet to ``receive()``, in order."""

    def __init__(self) -> None:
        self._items: deque[str] = deque()
        self._ready = threading.Condition(threading.Lock())
        self.closed = False

    def put(self, text: str) -> None:
        """Append ``text``; the empty text is the close mark (see :meth:`close`)."""
        with self._ready:
            if self.closed:
                return
            if not text:
                self.closed = True
                self._ready.notify_all()
                return
            self._items.append(text)
            self._ready.notify()

    def get(self, timeout: float) -> str | None:
        with self._ready:
            if not self._items and not self.closed:
                self._ready.wait(timeout)
            return self._items.popleft() if self._items else None

    def close(self) -> None:
        """Nothing more will arrive; a waiting ``get`` returns what is left, then None."""
        with self._ready:
            self.closed = True
            self._ready.notify_all()

    def __len__(self) -> int:
        return len(self._items)


class Scheduler:
    """Puts payloads into mailboxes when they are due: a heap and one daemon thread,
    started on first use and stopped (joined) by :meth:`stop`."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Mailbox, str]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def at(self, due: float, box: Mailbox, text: str) -> None:
        """Deliver ``text`` to ``box`` at monotonic time ``due`` (ties keep call order)."""
        with self._wake:
            heapq.heappush(self._heap, (due, next(self._seq), box, text))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fake-td-timer",
                                                daemon=True)
                self._thread.start()
            elif self._heap[0][2] is box and self._heap[0][3] is text:
                self._wake.notify()

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._wake:
                while self._thread is me:
                    left = self._heap[0][0] - time.monotonic() if self._heap else None
                    if left is not None and left <= 0:
                        break
                    self._wake.wait(left)
                if self._thread is not me:
                    return
                now = time.monotonic()
                due = []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap))
            for _, _, box, text in due:
                box.put(text)

    def discard(self, box: Mailbox) -> None:
        """Forget what is still scheduled for ``box`` (its client is gone)."""
        with self._wake:
            self._heap = [item for item in self._heap if item[2] is not box]
            heapq.heapify(self._heap)

    def stop(self) -> None:
        """Stop the thread (scheduled payloads are dropped) and wait for it."""
        with self._wake:
            thread, self._thread = self._thread, None
            self._heap.clear()
            self._wake.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    @property
    def running(self) -> bool:
        return self._thread is not None
