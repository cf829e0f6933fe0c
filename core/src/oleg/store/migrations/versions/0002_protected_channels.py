"""Protected channels, and 64-bit message ids (TDLib's ids are server id << 20).

Stores made before the TDLib tables moved into their plugin (issue 9) also hold
``channel_request`` and ``message_ref`` from this revision; the TDLib plugin adopts them.

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


def upgrade() -> None:
    with op.batch_alter_table("channel") as batch:
        batch.add_column(sa.Column("protected", sa.Boolean(), nullable=True))
    if op.get_context().dialect.name != "sqlite":  # SQLite's INTEGER is 64-bit already
        op.alter_column("post", "message_id", type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        op.alter_column("post", "message_id", type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table("channel") as batch:
        batch.drop_column("protected")
