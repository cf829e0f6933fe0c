"""Persistence: the :class:`Store` API over SQLite or PostgreSQL, its SQLModel tables and
their Alembic migrations (run by :meth:`Store.open`)."""

from oleg.store.store import Store, alembic_config
from oleg.store.tables import (
    ChannelAssignmentRow,
    ChannelRow,
    DeliveryRow,
    EngineStateRow,
    FeedbackRow,
    ListenerAccountRow,
    ModelVersionRow,
    PostRow,
    StoreTable,
    SubscriberRow,
    UTCDateTime,
    metadata,
)

__all__ = [
    "ChannelAssignmentRow",
    "ChannelRow",
    "DeliveryRow",
    "EngineStateRow",
    "FeedbackRow",
    "ListenerAccountRow",
    "ModelVersionRow",
    "PostRow",
    "Store",
    "StoreTable",
    "SubscriberRow",
    "UTCDateTime",
    "alembic_config",
    "metadata",
]
