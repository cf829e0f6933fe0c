"""For tests and benchmarks of the TDLib plugins: one object that is the store and the TDLib
tables' queries at once, so a test reads the core's rows and the plugin's in one place."""

from __future__ import annotations

from collections.abc import Sequence

from oleg.store import Store, StoreSchema

from oleg_tdlib.listening import ListeningStore
from oleg_tdlib.tables import SCHEMA


class TdlibTestStore(Store, ListeningStore):
    """:class:`~oleg.store.Store` with :class:`~oleg_tdlib.listening.ListeningStore`'s methods."""

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, schemas: Sequence[StoreSchema] = (SCHEMA,)) -> TdlibTestStore:
        store = super().open(url, migrate=migrate, schemas=schemas)
        assert isinstance(store, TdlibTestStore)
        return store
