"""One engine per store: the running engine holds a lease in the store and renews it from a
thread of its own (on the wall clock, whatever the scheduler's clock), so a second engine on
the same store is refused with the holder's name, and a lease whose holder died is taken
over once its time to live has passed."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from oleg.errors import OlegError
from oleg.store.leases import Lease

if TYPE_CHECKING:
    from oleg.store import Store

log = logging.getLogger(__name__)

LEASE_NAME = "engine"


class StoreInUse(OlegError):
    """Another engine runs on this store."""


class EngineLease:
    def __init__(self, store: Store, *, ttl: timedelta, on_lost: Callable[[str], None]) -> None:
        self.store = store
        self.ttl = ttl
        self.on_lost = on_lost
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lease or raise :class:`StoreInUse` naming who holds it."""
        now = datetime.now(UTC)
        mine = Lease(LEASE_NAME, self.owner, socket.gethostname(), os.getpid(), now, now)
        holder = self.store.acquire_lease(mine, ttl=self.ttl)
        if holder.owner != self.owner:
            seen = (now - holder.heartbeat_at).total_seconds()
            raise StoreInUse(
                f"the store {self.store.display_url} is in use by another engine: process "
                f"{holder.pid} on {holder.host}, running since {holder.acquired_at:%Y-%m-%d %H:%M:%S} "
                f"UTC, last seen {seen:.0f} s ago.",
                hint=f"Stop that one first; if it died, its lease expires {self.ttl.total_seconds():g} s "
                "after it was last seen ([engine] lease_ttl) and this one may start.",
            )
        if self.store.is_in_memory:
            return  # no other process can open it: nothing to renew against
        self._thread = threading.Thread(target=self._beat, name="oleg-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        every = max(self.ttl.total_seconds() / 3, 0.05)
        while not self._stop.wait(every):
            try:
                kept = self.store.renew_lease(LEASE_NAME, self.owner, datetime.now(UTC))
            except Exception as exc:  # the database is away for a moment: try again
                log.warning("renewing the engine's lease failed: %s", exc)
                continue
            if not kept:
                self.on_lost("another engine took over this store's lease")
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.store.release_lease(LEASE_NAME, self.owner)
        except Exception as exc:
            log.warning("releasing the engine's lease failed (it expires by itself): %s", exc)
