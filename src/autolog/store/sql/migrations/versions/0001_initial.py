"""The initial schema: experiments, runs, params, tags, metric history and latest metrics.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Self-contained on purpose: a revision never imports the current table definitions, which
keep changing after it is released.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# searched text sorts by code point on PostgreSQL too
_C = "C"


def _text(length: int | None = None) -> sa.types.TypeEngine[str]:
    if length is None:
        return sa.Text().with_variant(sa.Text(collation=_C), "postgresql")
    return sa.String(length).with_variant(sa.String(length, collation=_C), "postgresql")


def _run_id() -> sa.Column[str]:
    return sa.Column(
        "run_id",
        sa.String(32),
        sa.ForeignKey("runs.run_id", ondelete="CASCADE", name=None),
        nullable=False,
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", _text(256), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
    )
    op.create_table(
        "experiment_tags",
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", _text(250), nullable=False),
        sa.Column("value", _text(), nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", "key"),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.experiment_id"),
            nullable=False,
        ),
        sa.Column("run_name", _text(), nullable=False),
        sa.Column("user_id", _text(256), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("artifact_uri", sa.Text, nullable=False),
        sa.Column("parent_run_id", sa.String(32), nullable=True),
    )
    op.create_index(
        "ix_runs_experiment", "runs", ["experiment_id", "lifecycle_stage", "start_time"]
    )
    # finds RUNNING runs cheaply when readers look for runs whose process died
    op.create_index("ix_runs_status", "runs", ["status"])

    for name in ("params", "tags"):
        op.create_table(
            name,
            _run_id(),
            sa.Column("key", _text(250), nullable=False),
            sa.Column("value", _text(), nullable=False),
            sa.PrimaryKeyConstraint("run_id", "key"),
        )
        # a PostgreSQL btree entry holds at most ~2.7 kB and values can be longer, so there
        # the index covers a prefix; the store adds the matching prefix predicate to searches
        value = sa.text("left(value, 200)") if postgres else "value"
        op.create_index(f"ix_{name}_key_value", name, ["key", value])

    op.create_table(
        "metrics",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        _run_id(),
        sa.Column("key", _text(250), nullable=False),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
    )
    op.create_index("ix_metrics_history", "metrics", ["run_id", "key", "step", "timestamp"])

    op.create_table(
        "latest_metrics",
        _run_id(),
        sa.Column("key", _text(250), nullable=False),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "key"),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])


def downgrade() -> None:
    for name in (
        "latest_metrics",
        "metrics",
        "tags",
        "params",
        "runs",
        "experiment_tags",
        "experiments",
    ):
        op.drop_table(name)
