"""The model registry: registered models, versions, tags, aliases and their event history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Self-contained like every revision: the table definitions are spelled out here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_C = "C"


def _text(length: int | None = None) -> sa.types.TypeEngine[str]:
    if length is None:
        return sa.Text().with_variant(sa.Text(collation=_C), "postgresql")
    return sa.String(length).with_variant(sa.String(length, collation=_C), "postgresql")


def _name_fk() -> sa.Column[str]:
    return sa.Column(
        "name",
        _text(256),
        sa.ForeignKey("registered_models.name", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
    )


def _version_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        onupdate="CASCADE",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("name", _text(256), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("next_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "registered_model_tags",
        _name_fk(),
        sa.Column("key", _text(250), nullable=False),
        sa.Column("value", _text(), nullable=False),
        sa.PrimaryKeyConstraint("name", "key"),
    )
    op.create_table(
        "model_versions",
        _name_fk(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("user_id", _text(256), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("name", "version"),
    )
    op.create_table(
        "model_version_tags",
        sa.Column("name", _text(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key", _text(250), nullable=False),
        sa.Column("value", _text(), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", "key"),
        _version_fk(),
    )
    op.create_table(
        "model_aliases",
        sa.Column("name", _text(256), nullable=False),
        sa.Column("alias", _text(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("name", "alias"),
        _version_fk(),
    )
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "model_events",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        _name_fk(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("user_id", _text(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("alias", _text(255), nullable=True),
        sa.Column("previous_version", sa.Integer, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_model_events_name", "model_events", ["name", "timestamp"])
    op.create_index("ix_model_versions_run", "model_versions", ["run_id"])


def downgrade() -> None:
    for table in (
        "model_events", "model_aliases", "model_version_tags", "model_versions",
        "registered_model_tags", "registered_models",
    ):
        op.drop_table(table)
