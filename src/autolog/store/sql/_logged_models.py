"""The logged-model methods of ``SqlStore``: one table, tags and params kept as JSON objects."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, select, update

from autolog.errors import InvalidInputError, NotFoundError
from autolog.core._logged_model_store import (
    LoggedModelStore,
    check_model_id,
    check_status,
    clean_pairs,
    model_name,
)
from autolog.store.sql import _records as rec
from autolog.store.sql._engine import join_location
from autolog.store.sql._schema import _text, metadata
from autolog.core._entities import LoggedModel

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from autolog.store.sql._engine import Database

logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(34), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id", ondelete="CASCADE"), nullable=False),
    Column("name", _text(500), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("source_run_id", String(32), nullable=True),
    Column("model_type", _text(500), nullable=True),
    Column("tags", Text, nullable=False),
    Column("params", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Index("ix_logged_models_experiment", "experiment_id", "creation_time"),
)
_LIVE = "active"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _entity(row: Any) -> LoggedModel:
    return LoggedModel(
        row.model_id, str(row.experiment_id), row.name, row.artifact_location, row.creation_time,
        row.last_updated_time, row.status, row.source_run_id, row.model_type,
        json.loads(row.tags), json.loads(row.params),
    )


class SqlLoggedModels(LoggedModelStore):
    """Mixed into ``SqlStore`` (which provides ``self.db``)."""

    db: Database

    def create_logged_model(
        self,
        experiment_id: str,
        name: str,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> LoggedModel:
        name = model_name(name)
        clean_tags, clean_params = clean_pairs(tags, "tag"), clean_pairs(params, "param")
        model_id = f"m-{uuid.uuid4().hex}"

        def work(conn: Connection) -> LoggedModel:
            experiment = rec.experiment_row(conn, experiment_id)
            if experiment.lifecycle_stage != _LIVE:
                raise InvalidInputError(f"experiment {experiment_id} is deleted; restore it first")
            if source_run_id is not None:
                rec.run_row(conn, source_run_id)
            now = _now_ms()
            values = {
                "model_id": model_id, "experiment_id": experiment.experiment_id, "name": name,
                "artifact_location": join_location(experiment.artifact_location, "models", model_id, "artifacts"),
                "creation_time": now, "last_updated_time": now, "status": "PENDING",
                "source_run_id": source_run_id, "model_type": model_type,
                "tags": json.dumps(clean_tags), "params": json.dumps(clean_params),
                "lifecycle_stage": _LIVE,
            }
            conn.execute(logged_models.insert().values(values))
            return _row(conn, model_id)

        return self.db.write(work)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        check_model_id(model_id)
        return self.db.read(lambda conn: _row(conn, model_id))

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        check_model_id(model_id)
        check_status(status)

        def work(conn: Connection) -> LoggedModel:
            _row(conn, model_id)
            conn.execute(
                update(logged_models).where(logged_models.c.model_id == model_id)
                .values(status=status, last_updated_time=_now_ms())
            )
            return _row(conn, model_id)

        return self.db.write(work)

    def set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None:
        check_model_id(model_id)
        clean = clean_pairs(tags, "tag")
        self.db.write(lambda conn: _change_tags(conn, model_id, lambda old: {**old, **clean}))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        check_model_id(model_id)

        def without(old: dict[str, str]) -> dict[str, str]:
            if key not in old:
                raise NotFoundError(f"logged model {model_id} has no tag {key!r}")
            return {k: v for k, v in old.items() if k != key}

        self.db.write(lambda conn: _change_tags(conn, model_id, without))

    def delete_logged_model(self, model_id: str) -> None:
        check_model_id(model_id)

        def work(conn: Connection) -> None:
            _row(conn, model_id)
            conn.execute(
                update(logged_models).where(logged_models.c.model_id == model_id)
                .values(lifecycle_stage="deleted", last_updated_time=_now_ms())
            )

        self.db.write(work)

    def list_logged_models(self, experiment_ids: Sequence[str]) -> list[LoggedModel]:
        numbers = [n for n in map(rec.experiment_number, experiment_ids) if n is not None]
        if not numbers:
            return []
        stmt = (
            select(logged_models)
            .where(logged_models.c.experiment_id.in_(numbers), logged_models.c.lifecycle_stage == _LIVE)
            .order_by(logged_models.c.creation_time, logged_models.c.model_id)
        )
        return self.db.read(lambda conn: [_entity(row) for row in conn.execute(stmt).all()])


def _row(conn: Connection, model_id: str) -> LoggedModel:
    row = conn.execute(
        select(logged_models).where(logged_models.c.model_id == model_id, logged_models.c.lifecycle_stage == _LIVE)
    ).first()
    if row is None:
        raise NotFoundError(f"no logged model with id {model_id!r}")
    return _entity(row)


def _change_tags(conn: Connection, model_id: str, change: Any) -> None:
    tags = change(_row(conn, model_id).tags)
    conn.execute(
        update(logged_models).where(logged_models.c.model_id == model_id)
        .values(tags=json.dumps(tags), last_updated_time=_now_ms())
    )
