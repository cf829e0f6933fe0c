"""Store methods for the engine's lease: one running engine per store.

The lease is a row with an owner and a heartbeat, the same on SQLite and PostgreSQL. Taking
it is one transaction: create the row if there is none, then claim it if it is ours or its
heartbeat is older than the time to live (its holder died). Times are the wall clock's, not
a virtual scheduler's, since they measure whether a process is alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from oleg.store.base import StoreBase
from oleg.store.tables import lease_t


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds a lease: an owner id, where it runs, since when, when it was last seen."""

    name: str
    owner: str
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime


class LeaseMethods(StoreBase):
    """The engine's lease (a mixin of :class:`oleg.store.Store`)."""

    def acquire_lease(self, lease: Lease, *, ttl: timedelta) -> Lease:
        """Take ``lease.name`` for ``lease.owner`` unless a live holder has it. Returns the
        holder after the attempt: ``lease`` itself when taken, the other one when not."""
        now = lease.heartbeat_at
        values = {
            "owner": lease.owner, "host": lease.host, "pid": lease.pid,
            "acquired_at": lease.acquired_at, "heartbeat_at": now,
        }
        with self.engine.begin() as conn:
            conn.execute(
                self._insert(lease_t).values(name=lease.name, **values).on_conflict_do_nothing(
                    index_elements=[lease_t.c.name]
                )
            )
            conn.execute(
                sa.update(lease_t)
                .where(
                    lease_t.c.name == lease.name,
                    sa.or_(lease_t.c.owner == lease.owner, lease_t.c.heartbeat_at < now - ttl),
                )
                .values(**values)
            )
            row = conn.execute(sa.select(lease_t).where(lease_t.c.name == lease.name)).one()
        return Lease(row.name, row.owner, row.host, row.pid, row.acquired_at, row.heartbeat_at)

    def renew_lease(self, name: str, owner: str, at: datetime) -> bool:
        """Refresh the heartbeat; ``False`` when the lease is no longer ``owner``'s."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                sa.update(lease_t)
                .where(lease_t.c.name == name, lease_t.c.owner == owner)
                .values(heartbeat_at=at)
            ).rowcount
        return bool(changed)

    def release_lease(self, name: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(lease_t).where(lease_t.c.name == name, lease_t.c.owner == owner))
