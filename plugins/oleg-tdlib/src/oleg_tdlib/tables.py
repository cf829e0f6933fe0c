"""The tables the TDLib plugins own: listener accounts, which account follows which channel,
the joiner's queue, and the bot's references to its own copies of posts.

They belong to the ``tdlib`` :data:`SCHEMA`, which the ``tdlib`` source and the
``telegram-bot`` sink both register (``registry.add_schema``); the store migrates it beside
its own tables. The core knows nothing of them.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from oleg.store import StoreSchema, UTCDateTime, plugin_metadata
from oleg.store.tables import channel_t

metadata = plugin_metadata()

account_t = sa.Table(
    "listener_account",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("max_channels", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)
"""A Telegram account that joins channels to listen to them (at most ``max_channels``)."""

assignment_t = sa.Table(
    "channel_assignment",
    metadata,
    sa.Column("channel_id", sa.BigInteger, sa.ForeignKey(channel_t.c.id), primary_key=True, autoincrement=False),
    sa.Column("account_id", sa.Integer, sa.ForeignKey(account_t.c.id), nullable=False),
    sa.Column("status", sa.String, nullable=False),  # queued | joined | failed | left
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
"""Which listener account follows a channel, and how far joining it went."""

request_t = sa.Table(
    "channel_request",
    metadata,
    sa.Column("username", sa.String, primary_key=True),
    sa.Column("status", sa.String, nullable=False),  # queued | joined | failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    sa.Column("error", sa.String, nullable=True),
    sa.Column("channel_id", sa.BigInteger, nullable=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey(account_t.c.id), nullable=True),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
"""A channel a deployer asked to follow, by username, until an account joins it."""

ref_t = sa.Table(
    "message_ref",
    metadata,
    sa.Column("owner", sa.String, primary_key=True),
    sa.Column("channel_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("message_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("ref_message_id", sa.BigInteger, nullable=False),
    sa.Column("album_id", sa.String, nullable=True),
    sa.Index("ix_message_ref_album", "owner", "chat_id", "album_id"),
)
"""Where a sink (``owner``) keeps its own copy of a channel post, to send it by copying."""

SCHEMA = StoreSchema("tdlib", metadata, Path(__file__).parent / "migrations")
