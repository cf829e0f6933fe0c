"""The store's tables, as SQLModel classes.

They live on their own registry and metadata (not ``SQLModel.metadata``) so that the schema
the migrations create can be compared with exactly these tables, whatever other SQLModel
classes a plugin or a test declares. A naming convention gives every constraint and index a
stable name, which the hand-written migration repeats.

Classes end in ``Row`` to keep them apart from the plain values of :mod:`oleg.types`
(``Post``, ``Delivery``...) that the :class:`~oleg.store.Store` API speaks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from oleg.types import utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always binds and returns aware UTC datetimes.

    SQLite keeps no time zone: it stores the wall time it is given and returns naive values.
    Converting to UTC on the way in and tagging UTC on the way out makes both backends agree.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else utc(value)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else utc(value)


class StoreTable(SQLModel, registry=registry(metadata=metadata)):
    """Abstract base of the store's tables: binds them to :data:`metadata`."""


class ChannelRow(StoreTable, table=True):
    """A Telegram channel; ``id`` is its chat id (``-100...``), hence 64-bit and not generated."""

    __tablename__ = "channel"

    id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    username: str | None = None
    title: str | None = None
    added_at: datetime = Field(sa_type=UTCDateTime)
    protected: bool | None = None
    """The channel forbids forwarding (a sink sends a link instead)."""


class PostRow(StoreTable, table=True):
    """A channel post, identified by ``(channel_id, message_id)``."""

    __tablename__ = "post"
    __table_args__ = (sa.UniqueConstraint("channel_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(sa_type=sa.BigInteger, foreign_key="channel.id", index=True)
    # TDLib's ids are server id << 20; SQLite's INTEGER is 64-bit already.
    message_id: int = Field(sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    date: datetime = Field(sa_type=UTCDateTime, index=True)
    media_kind: str
    album_id: str | None = None
    text: str | None = None
    category: str | None = None
    deleted: bool = False


class SubscriberRow(StoreTable, table=True):
    """Someone receiving the feed; ``external_id`` is the sink's id for them."""

    __tablename__ = "subscriber"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(unique=True)
    name: str | None = None
    active: bool = True
    joined_at: datetime = Field(sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryRow(StoreTable, table=True):
    """A post sent to a subscriber (at most once), with the policy, score and propensity
    that chose it, kept for off-policy evaluation."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("subscriber_id", "post_id"),
        # For the dashboard's aggregates (migration 0003): per day and status, per channel.
        sa.Index("ix_delivery_sent_at_status", "sent_at", "status"),
        sa.Index("ix_delivery_post_id", "post_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    post_id: int = Field(foreign_key="post.id")
    sent_at: datetime = Field(sa_type=UTCDateTime, index=True)
    policy: str
    score: float | None = None
    propensity: float | None = None
    model_version_id: int | None = Field(default=None, foreign_key="model_version.id")
    status: str = "pending"
    error: str | None = None


class FeedbackRow(StoreTable, table=True):
    """A rating (1 like, 0 dislike) of a delivery; one per delivery, the first one wins.
    ``subscriber_id`` and ``post_id`` repeat the delivery's so training reads one table."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", unique=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    post_id: int = Field(foreign_key="post.id")
    value: int
    at: datetime = Field(sa_type=UTCDateTime)


class ModelVersionRow(StoreTable, table=True):
    """A trained recommender: its parameters, metrics and where it stands (at most one
    ``champion``)."""

    __tablename__ = "model_version"

    id: int | None = Field(default=None, primary_key=True)
    plugin: str
    kind: str  # full | incremental
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: str = Field(index=True)  # candidate | champion | retired | rejected
    n_feedback: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    lineage: str = Field(default="", index=True)
    """The configured recommender it comes from (``[recommender]`` or a ``[[challenger]]``)."""
    cutoff_id: int = 0
    """The last feedback id it was trained on."""
    weak_cutoff_id: int = 0
    """The last delivery id it learned as an unanswered (weak) negative."""
    trained_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    trained_to: datetime | None = Field(default=None, sa_type=UTCDateTime)
    file: str | None = None
    """Its model file, relative to the deployment's data folder; NULL once pruned."""


class ModelDecisionRow(StoreTable, table=True):
    """A judgment of a challenger against the champion (or a promotion by hand), with both
    figures and the reason."""

    __tablename__ = "model_decision"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    version_id: int = Field(foreign_key="model_version.id", index=True)
    champion_id: int | None = Field(default=None, foreign_key="model_version.id")
    outcome: str  # promoted | rejected | collapsed | first | manual | rollback | restored
    reason: str
    metric: str = ""
    challenger_value: float | None = None
    champion_value: float | None = None
    n_ratings: int = 0
    first_feedback_id: int | None = None
    last_feedback_id: int | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class EngineStateRow(StoreTable, table=True):
    """Small JSON values the engine keeps across restarts (cursors, the virtual clock)."""

    __tablename__ = "engine_state"

    key: str = Field(primary_key=True)
    value: Any = Field(default=None, sa_type=sa.JSON)


class EngineLeaseRow(StoreTable, table=True):
    """Who runs the engine on this store: one row per lease, renewed by a heartbeat; a lease
    whose heartbeat is older than its time to live may be taken over."""

    __tablename__ = "engine_lease"

    name: str = Field(primary_key=True)
    owner: str
    host: str
    pid: int
    acquired_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime)


# The tables as SQLAlchemy Core tables, for the store's queries.
channel_t: sa.Table = ChannelRow.__table__  # type: ignore[assignment]
post_t: sa.Table = PostRow.__table__  # type: ignore[assignment]
subscriber_t: sa.Table = SubscriberRow.__table__  # type: ignore[assignment]
delivery_t: sa.Table = DeliveryRow.__table__  # type: ignore[assignment]
feedback_t: sa.Table = FeedbackRow.__table__  # type: ignore[assignment]
model_t: sa.Table = ModelVersionRow.__table__  # type: ignore[assignment]
decision_t: sa.Table = ModelDecisionRow.__table__  # type: ignore[assignment]
state_t: sa.Table = EngineStateRow.__table__  # type: ignore[assignment]
lease_t: sa.Table = EngineLeaseRow.__table__  # type: ignore[assignment]
