"""Initial schema: channels, posts, subscribers, deliveries, feedback, model versions and
engine state.

Stores made before the TDLib tables moved into their plugin (issue 9) also hold
``listener_account`` and ``channel_assignment`` from this revision: the TDLib plugin's own
revisions adopt them (see ``oleg_tdlib/migrations``), so no row is lost.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("added_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel")),
    )
    op.create_table(
        "engine_state",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_engine_state")),
    )
    op.create_table(
        "model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("n_feedback", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_version")),
    )
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("joined_at", _utc(), nullable=False),
        sa.Column("left_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber")),
        sa.UniqueConstraint("external_id", name=op.f("uq_subscriber_external_id")),
    )
    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("date", _utc(), nullable=False),
        sa.Column("media_kind", sa.String(), nullable=False),
        sa.Column("album_id", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_post_channel_id_channel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
        sa.UniqueConstraint(
            "channel_id", "message_id", name=op.f("uq_post_channel_id_message_id")
        ),
    )
    op.create_index(op.f("ix_post_channel_id"), "post", ["channel_id"])
    op.create_index(op.f("ix_post_date"), "post", ["date"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", _utc(), nullable=False),
        sa.Column("policy", sa.String(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("propensity", sa.Float(), nullable=True),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_version_id"], ["model_version.id"],
            name=op.f("fk_delivery_model_version_id_model_version"),
        ),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_delivery_post_id_post")),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["subscriber.id"], name=op.f("fk_delivery_subscriber_id_subscriber")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint(
            "subscriber_id", "post_id", name=op.f("uq_delivery_subscriber_id_post_id")
        ),
    )
    op.create_index(op.f("ix_delivery_sent_at"), "delivery", ["sent_at"])
    op.create_index(op.f("ix_delivery_subscriber_id"), "delivery", ["subscriber_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["delivery.id"], name=op.f("fk_feedback_delivery_id_delivery")
        ),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], name=op.f("fk_feedback_post_id_post")),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["subscriber.id"], name=op.f("fk_feedback_subscriber_id_subscriber")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_feedback_delivery_id")),
    )
    op.create_index(op.f("ix_feedback_subscriber_id"), "feedback", ["subscriber_id"])


def downgrade() -> None:
    for table in (
        "feedback", "delivery", "post", "subscriber", "model_version", "engine_state", "channel",
    ):
        op.drop_table(table)
