"""What the tdlib source reads and writes, in one place: its own tables (the listener
accounts, the channels each follows, the join queue), what it records of channels and edits
in the core's catalog, what it reads back (the last stored message per channel), and its
small state under its own prefix. Built from the :class:`~oleg.runtime.Runtime` it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from oleg.runtime import Runtime
from oleg_tdlib.listening import ListeningStore


class SourceStore(ListeningStore):
    """The TDLib tables' queries, plus the parts of the runtime the source's helpers use."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime.database)
        self._catalog = runtime.catalog
        self._reader = runtime.store
        self._state = runtime.state

    def set_channel_info(
        self,
        channel_id: int,
        *,
        at: datetime,
        username: str | None = None,
        title: str | None = None,
        protected: bool | None = None,
    ) -> None:
        self._catalog.set_channel_info(channel_id, at=at, username=username, title=title, protected=protected)

    def update_post_text(self, channel_id: int, message_id: int, text: str | None) -> bool:
        return self._catalog.update_post_text(channel_id, message_id, text)

    def channel_info(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        return self._reader.channel_info(ids)

    def last_message_ids(self) -> dict[int, int]:
        return self._reader.last_message_ids()

    def get_state(self, key: str, default: Any = None) -> Any:
        return self._state.get(key, default)

    def set_state(self, key: str, value: Any) -> None:
        self._state.set(key, value)
