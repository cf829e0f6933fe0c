"""Stopping on SIGINT and SIGTERM: the first one stops the engine after the job in progress
(on any scheduler), so that the round is recorded and the summary printed; a second SIGINT
aborts at once (``KeyboardInterrupt``, exit 130 from ``oleg run``)."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

log = logging.getLogger(__name__)


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM call ``stop`` (the main thread only: signals are
    delivered there; elsewhere this does nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stopping = True
        log.warning("%s: stopping after the job in progress (Ctrl-C again to abort)", signal.Signals(signum).name)
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
