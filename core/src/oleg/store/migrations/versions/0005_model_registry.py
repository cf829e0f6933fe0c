"""The model registry: what each version was trained on and where its file is, and the
decisions that judged challengers against the champion.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild: deliveries refer to model_version); the server
    # defaults fill the rows already there.
    op.add_column(
        "model_version", sa.Column("lineage", sa.String(), nullable=False, server_default="")
    )
    op.add_column(
        "model_version", sa.Column("cutoff_id", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "model_version",
        sa.Column("weak_cutoff_id", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "model_version", sa.Column("trained_from", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "model_version", sa.Column("trained_to", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("model_version", sa.Column("file", sa.String(), nullable=True))
    # Versions recorded before the registry came from the one recommender: its plugin.
    op.execute("UPDATE model_version SET lineage = plugin")
    op.create_index("ix_model_version_lineage", "model_version", ["lineage"])
    op.create_index("ix_model_version_status", "model_version", ["status"])
    op.create_table(
        "model_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("champion_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("challenger_value", sa.Float(), nullable=True),
        sa.Column("champion_value", sa.Float(), nullable=True),
        sa.Column("n_ratings", sa.Integer(), nullable=False),
        sa.Column("first_feedback_id", sa.Integer(), nullable=True),
        sa.Column("last_feedback_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_version.id"],
            name=op.f("fk_model_decision_version_id_model_version"),
        ),
        sa.ForeignKeyConstraint(
            ["champion_id"],
            ["model_version.id"],
            name=op.f("fk_model_decision_champion_id_model_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_decision")),
    )
    op.create_index("ix_model_decision_version_id", "model_decision", ["version_id"])


def downgrade() -> None:
    op.drop_index("ix_model_decision_version_id", table_name="model_decision")
    op.drop_table("model_decision")
    op.drop_index("ix_model_version_status", table_name="model_version")
    op.drop_index("ix_model_version_lineage", table_name="model_version")
    for column in ("file", "trained_to", "trained_from", "weak_cutoff_id", "cutoff_id", "lineage"):
        op.drop_column("model_version", column)
