"""Persistence: the :class:`Store` API over SQLite or PostgreSQL, its SQLModel tables and
their Alembic migrations (run by :meth:`Store.open`), and the schemas plugins own."""

from oleg.store.schema import Database, StoreSchema, plugin_metadata
from oleg.store.store import Store, alembic_config
from oleg.store.tables import (
    ChannelRow,
    DeliveryRow,
    EngineStateRow,
    FeedbackRow,
    ModelVersionRow,
    PostRow,
    StoreTable,
    SubscriberRow,
    UTCDateTime,
    metadata,
)

__all__ = [
    "ChannelRow",
    "Database",
    "DeliveryRow",
    "EngineStateRow",
    "FeedbackRow",
    "ModelVersionRow",
    "PostRow",
    "Store",
    "StoreSchema",
    "StoreTable",
    "SubscriberRow",
    "UTCDateTime",
    "alembic_config",
    "metadata",
    "plugin_metadata",
]
