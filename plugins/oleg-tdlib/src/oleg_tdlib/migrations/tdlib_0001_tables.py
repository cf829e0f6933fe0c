"""The TDLib plugins' tables: listener accounts, channel assignments, the join queue and the
bot's message references.

Stores written before these tables moved out of the core (issue 9) have them already, with
their rows, from the core's old revisions: then each existing table is kept as it is (it has
exactly this shape) and only what is missing is created. The engine state keys of the TDLib
source move under its plugin prefix (``tdlib.bot_started.X`` -> ``tdlib:bot_started.X``).

Revision ID: tdlib_0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "tdlib_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "listener_account" not in existing:
        op.create_table(
            "listener_account",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("max_channels", sa.Integer(), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_listener_account")),
            sa.UniqueConstraint("name", name=op.f("uq_listener_account_name")),
        )
    if "channel_assignment" not in existing:
        op.create_table(
            "channel_assignment",
            sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("account_id", sa.Integer(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("updated_at", _utc(), nullable=False),
            sa.ForeignKeyConstraint(
                ["account_id"], ["listener_account.id"],
                name=op.f("fk_channel_assignment_account_id_listener_account"),
            ),
            sa.ForeignKeyConstraint(
                ["channel_id"], ["channel.id"], name=op.f("fk_channel_assignment_channel_id_channel")
            ),
            sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_channel_assignment")),
        )
    if "channel_request" not in existing:
        op.create_table(
            "channel_request",
            sa.Column("username", sa.String(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", _utc(), nullable=True),
            sa.Column("error", sa.String(), nullable=True),
            sa.Column("channel_id", sa.BigInteger(), nullable=True),
            sa.Column("account_id", sa.Integer(), nullable=True),
            sa.Column("requested_at", _utc(), nullable=False),
            sa.Column("updated_at", _utc(), nullable=False),
            sa.ForeignKeyConstraint(
                ["account_id"], ["listener_account.id"],
                name=op.f("fk_channel_request_account_id_listener_account"),
            ),
            sa.PrimaryKeyConstraint("username", name=op.f("pk_channel_request")),
        )
    if "message_ref" not in existing:
        op.create_table(
            "message_ref",
            sa.Column("owner", sa.String(), nullable=False),
            sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("chat_id", sa.BigInteger(), nullable=False),
            sa.Column("ref_message_id", sa.BigInteger(), nullable=False),
            sa.Column("album_id", sa.String(), nullable=True),
            sa.PrimaryKeyConstraint("owner", "channel_id", "message_id", name=op.f("pk_message_ref")),
        )
        op.create_index("ix_message_ref_album", "message_ref", ["owner", "chat_id", "album_id"])
    state = sa.table("engine_state", sa.column("key", sa.String()))
    op.execute(
        state.update()
        .where(state.c.key.like("tdlib.bot_started.%"))
        .values(key=sa.func.replace(state.c.key, "tdlib.bot_started.", "tdlib:bot_started."))
    )


def downgrade() -> None:
    op.drop_index("ix_message_ref_album", table_name="message_ref")
    for table in ("message_ref", "channel_request", "channel_assignment", "listener_account"):
        op.drop_table(table)
