"""The tables of the SQL tracking store, as SQLAlchemy Core objects used to build queries.

The database itself is created and changed only by the alembic revisions in ``migrations/``;
these definitions mirror the head revision (a test compares them with a migrated database).

Text that searches compare or sort uses the "C" collation on PostgreSQL, so ordering is by
code point on both backends, like Python's. NaN metric values are stored as NULL with
``is_nan`` set: SQLite cannot store NaN, and PostgreSQL would sort NaN above every number.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

metadata = MetaData()


def _text(length: int | None = None) -> TypeEngine[str]:
    """Text compared by code point: BINARY on SQLite (its default), COLLATE "C" on PostgreSQL."""
    if length is None:
        return Text().with_variant(Text(collation="C"), "postgresql")
    return String(length).with_variant(String(length, collation="C"), "postgresql")


# rowid aliases on SQLite must be declared INTEGER
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", _text(256), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    UniqueConstraint("name", name="uq_experiments_name"),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", _text(250), nullable=False),
    Column("value", _text(), nullable=False),
    PrimaryKeyConstraint("experiment_id", "key"),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column(
        "experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False
    ),
    Column("run_name", _text(), nullable=False),
    Column("user_id", _text(256), nullable=False),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("artifact_uri", Text, nullable=False),
    Column("parent_run_id", String(32), nullable=True),
    Index("ix_runs_experiment", "experiment_id", "lifecycle_stage", "start_time"),
    Index("ix_runs_status", "status"),
)


def _run_id_fk() -> Column[str]:
    return Column(
        "run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False
    )


params = Table(
    "params",
    metadata,
    _run_id_fk(),
    Column("key", _text(250), nullable=False),
    Column("value", _text(), nullable=False),
    PrimaryKeyConstraint("run_id", "key"),
    # on PostgreSQL the migration indexes left(value, 200) instead: a btree entry is limited
    # to about 2.7 kB, and values may be longer (see migrations/versions/0001_initial.py)
    Index("ix_params_key_value", "key", "value"),
)

tags = Table(
    "tags",
    metadata,
    _run_id_fk(),
    Column("key", _text(250), nullable=False),
    Column("value", _text(), nullable=False),
    PrimaryKeyConstraint("run_id", "key"),
    Index("ix_tags_key_value", "key", "value"),
)

metrics = Table(
    "metrics",
    metadata,
    Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    _run_id_fk(),
    Column("key", _text(250), nullable=False),
    Column("value", Double, nullable=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Index("ix_metrics_history", "run_id", "key", "step", "timestamp"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    _run_id_fk(),
    Column("key", _text(250), nullable=False),
    Column("value", Double, nullable=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    PrimaryKeyConstraint("run_id", "key"),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

#: text columns whose PostgreSQL index covers only a prefix (see the migration)
PREFIX_INDEXED = 200
