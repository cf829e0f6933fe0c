"""Indexes for the dashboard's aggregates: deliveries per day by status (a covering index
instead of a table scan), and deliveries per channel (joined through the post).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_delivery_sent_at_status", "delivery", ["sent_at", "status"])
    op.create_index("ix_delivery_post_id", "delivery", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_delivery_post_id", table_name="delivery")
    op.drop_index("ix_delivery_sent_at_status", table_name="delivery")
