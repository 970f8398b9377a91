"""MLflow 3's logged models: one row per model, its tags and params as JSON objects.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

Self-contained like every revision: the table definition is spelled out here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _text(length: int | None = None) -> sa.types.TypeEngine[str]:
    if length is None:
        return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(34), primary_key=True),
        sa.Column(
            "experiment_id", sa.Integer,
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"), nullable=False,
        ),
        sa.Column("name", _text(500), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source_run_id", sa.String(32), nullable=True),
        sa.Column("model_type", _text(500), nullable=True),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
    )
    op.create_index("ix_logged_models_experiment", "logged_models", ["experiment_id", "creation_time"])


def downgrade() -> None:
    op.drop_table("logged_models")
