"""Telegram: the joiner's channel queue, the sink's message references, protected
channels, and 64-bit message ids (TDLib's ids are server id << 20).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
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
    with op.batch_alter_table("channel") as batch:
        batch.add_column(sa.Column("protected", sa.Boolean(), nullable=True))
    if op.get_context().dialect.name != "sqlite":  # SQLite's INTEGER is 64-bit already
        op.alter_column("post", "message_id", type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        op.alter_column("post", "message_id", type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table("channel") as batch:
        batch.drop_column("protected")
    op.drop_index("ix_message_ref_album", table_name="message_ref")
    op.drop_table("message_ref")
    op.drop_table("channel_request")
