"""Reading an MLflow SQL store (SQLite, PostgreSQL, MySQL) with SQLAlchemy Core, without MLflow.

The tables are MLflow's own (``mlflow/store/tracking/dbmodels/models.py`` and the model
registry's): experiments, experiment_tags, runs, params, tags, metrics (every point; NaN is
stored as 0 with ``is_nan``, +/-inf as the largest double), logged_models with their tags and
params, registered_models, registered_model_tags, model_versions, model_version_tags and
registered_model_aliases. Tables are reflected, so columns are found by name; a schema
revision other than the ones this reader knows is read all the same and noted in the report,
and a missing table or column makes only the part that needs it fail, with a problem saying so.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from autolog.migrate._records import (
    Known,
    Problem,
    Source,
    SourceExperiment,
    SourceLoggedModel,
    SourceRegisteredModel,
    SourceRun,
    SourceVersion,
    Tree,
)
from autolog.migrate._trees import open_tree

#: alembic revisions of MLflow's schema this reader was checked against (3.17.2's head)
KNOWN_REVISIONS = frozenset({"dc11669786a5"})
_BATCH = 500
_MAX_DOUBLE = sys.float_info.max
_NAN = float("nan")
_INF_SCALE = 2.0  # the largest double times 2 is infinity of its sign
#: logged_models.status: LoggedModelStatus.READY
_READY = 2


def engine_uri(uri: str) -> str:
    """SQLAlchemy's URI: a bare ``postgresql://`` takes the psycopg 3 driver autolog uses."""
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        return "postgresql+psycopg://" + uri.split("://", 1)[1]
    return uri


class SqlStoreSource(Source):
    """The database at ``uri``; ``artifact_map`` rewrites recorded artifact locations."""

    def __init__(self, uri: str, artifact_map: Mapping[str, str] | None = None) -> None:
        from sqlalchemy import MetaData, create_engine, inspect

        self.uri = uri
        self.artifact_map = dict(artifact_map or {})
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.engine = create_engine(engine_uri(uri))
        names = set(inspect(self.engine).get_table_names())
        if "experiments" not in names or "runs" not in names:
            self.engine.dispose()
            from autolog.errors import InvalidInputError

            raise InvalidInputError(
                f"{uri} is not an MLflow tracking database: it has no experiments and runs "
                f"tables (found: {', '.join(sorted(names)[:10]) or 'no tables'})"
            )
        self.meta = MetaData()
        self.meta.reflect(self.engine)
        self.revision = self._revision()

    def _revision(self) -> str | None:
        table = self.meta.tables.get("alembic_version")
        if table is None:
            self.notes.append("the database records no MLflow schema revision; read by column names")
            return None
        with self.engine.connect() as conn:
            revision = conn.execute(table.select()).scalar()
        if revision not in KNOWN_REVISIONS:
            self.notes.append(
                f"MLflow schema revision {revision} is not one this importer was checked "
                f"against ({', '.join(sorted(KNOWN_REVISIONS))}, MLflow 3.17.2); it was read by "
                "column names: check the report's problems"
            )
        return str(revision) if revision is not None else None

    def _t(self, name: str) -> Any:
        table = self.meta.tables.get(name)
        if table is None:
            raise LookupError(f"the database has no table {name!r} (MLflow schema revision {self.revision})")
        return table

    def _rows(self, stmt: Any) -> Sequence[Any]:
        with self.engine.connect() as conn:
            return conn.execute(stmt).all()

    def close(self) -> None:
        self.engine.dispose()

    # -- tracking ------------------------------------------------------------------------------
    def experiments(self) -> list[SourceExperiment]:
        from sqlalchemy import select

        e = self._t("experiments")
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        try:
            for row in self._rows(select(self._t("experiment_tags"))):
                tags[str(row.experiment_id)][row.key] = row.value or ""
        except Exception as exc:
            self.problem("experiment", "tags", f"experiment tags unreadable ({exc}); imported without them")
        return [
            SourceExperiment(str(row.experiment_id), row.name, row.lifecycle_stage or "active",
                             tags.get(str(row.experiment_id), {}))
            for row in self._rows(select(e).order_by(e.c.experiment_id))
        ]

    def runs(self, experiment_id: str, known: Known | None = None) -> Iterator[list[SourceRun]]:
        from sqlalchemy import select

        r = self._t("runs")
        rows = self._rows(
            select(r).where(r.c.experiment_id == int(experiment_id)).order_by(r.c.start_time, r.c.run_uuid)
        )
        for start in range(0, len(rows), _BATCH):
            chunk = rows[start:start + _BATCH]
            there = known([row.run_uuid for row in chunk]) if known else set()
            try:
                yield self._whole(chunk, there)
            except Exception as exc:
                for row in chunk:
                    self.problem("run", row.run_uuid, f"params, tags or metrics unreadable ({exc}); skipped")

    def _whole(self, rows: Sequence[Any], there: set[str]) -> list[SourceRun]:
        params: dict[str, dict[str, str]] = defaultdict(dict)
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        metrics: dict[str, list[tuple[str, float, int, int]]] = defaultdict(list)
        ids = [row.run_uuid for row in rows if row.run_uuid not in there]
        if ids:
            self._data(ids, params, tags, metrics)
        return [
            SourceRun(
                run_id=row.run_uuid,
                experiment_id=str(row.experiment_id),
                name=row.name or tags[row.run_uuid].get("mlflow.runName", ""),
                status=row.status or "FINISHED",
                start_time=int(row.start_time or 0),
                end_time=None if row.end_time is None else int(row.end_time),
                user_id=row.user_id or tags[row.run_uuid].get("mlflow.user", ""),
                lifecycle_stage=row.lifecycle_stage or "active",
                artifact_uri=row.artifact_uri or "",
                params=params[row.run_uuid],
                tags=tags[row.run_uuid],
                metrics=metrics[row.run_uuid],
                partial=row.run_uuid in there,
            )
            for row in rows
        ]

    def _data(self, ids: list[str], params: dict[str, dict[str, str]], tags: dict[str, dict[str, str]],
              metrics: dict[str, list[tuple[str, float, int, int]]]) -> None:
        """Params, tags and every metric point of the runs ``ids``."""
        from sqlalchemy import select

        p, t, m = self._t("params"), self._t("tags"), self._t("metrics")
        for row in self._rows(select(p.c.run_uuid, p.c.key, p.c.value).where(p.c.run_uuid.in_(ids))):
            params[row.run_uuid][row.key] = row.value
        for row in self._rows(select(t.c.run_uuid, t.c.key, t.c.value).where(t.c.run_uuid.in_(ids))):
            tags[row.run_uuid][row.key] = row.value or ""
        stmt = select(m.c.run_uuid, m.c.key, m.c.value, m.c.timestamp, m.c.step, m.c.is_nan).where(
            m.c.run_uuid.in_(ids)
        )
        # hundreds of thousands of points: straight from the driver's cursor (the ids are the
        # database's own, rendered as literals by SQLAlchemy's quoting)
        sql = str(stmt.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True}))
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(sql)
            for run_id, key, value, timestamp, step, is_nan in cursor.fetchall():
                metrics[run_id].append((key, _metric_value(value, is_nan), int(timestamp or 0), int(step or 0)))
            cursor.close()
        finally:
            raw.close()

    def run_artifacts(self, run: SourceRun) -> Tree | None:
        return open_tree(self, run.artifact_uri, ("artifact", run.run_id))

    def logged_models(self, experiment_id: str) -> list[SourceLoggedModel]:
        from sqlalchemy import select

        if "logged_models" not in self.meta.tables:  # an MLflow 2 database
            return []
        lm = self._t("logged_models")
        rows = self._rows(select(lm).where(lm.c.experiment_id == int(experiment_id)))
        ids = [row.model_id for row in rows]
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        params: dict[str, dict[str, str]] = defaultdict(dict)
        for table, target, key, value in (("logged_model_tags", tags, "tag_key", "tag_value"),
                                          ("logged_model_params", params, "param_key", "param_value")):
            if table in self.meta.tables and ids:
                t = self._t(table)
                for row in self._rows(select(t).where(t.c.model_id.in_(ids))):
                    target[row.model_id][getattr(row, key)] = getattr(row, value)
        return [
            SourceLoggedModel(
                model_id=row.model_id,
                experiment_id=experiment_id,
                name=row.name,
                source_run_id=row.source_run_id or None,
                artifact_location=row.artifact_location,
                ready=row.status == _READY and (row.lifecycle_stage or "active") == "active",
                creation_time=int(row.creation_timestamp_ms or 0),
                tags=tags[row.model_id],
                params=params[row.model_id],
            )
            for row in rows
        ]

    def model_artifacts(self, model: SourceLoggedModel) -> Tree | None:
        return open_tree(self, model.artifact_location, ("model", model.model_id))

    # -- registry ------------------------------------------------------------------------------
    def registered_models(self) -> list[SourceRegisteredModel]:
        from sqlalchemy import select

        if "registered_models" not in self.meta.tables:
            return []
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        version_tags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        aliases: dict[str, dict[str, int]] = defaultdict(dict)
        versions: dict[str, list[SourceVersion]] = defaultdict(list)
        try:
            for row in self._rows(select(self._t("registered_model_tags"))):
                tags[row.name][row.key] = row.value or ""
            for row in self._rows(select(self._t("model_version_tags"))):
                version_tags[(row.name, int(row.version))][row.key] = row.value or ""
            if "registered_model_aliases" in self.meta.tables:
                for row in self._rows(select(self._t("registered_model_aliases"))):
                    aliases[row.name][row.alias] = int(row.version)
            for row in self._rows(select(self._t("model_versions"))):
                if row.current_stage == "Deleted_Internal":
                    continue
                versions[row.name].append(
                    SourceVersion(
                        version=int(row.version),
                        source=row.source or "",
                        run_id=row.run_id or None,
                        user_id=row.user_id or "",
                        description=row.description or "",
                        stage=row.current_stage or "None",
                        tags=version_tags[(row.name, int(row.version))],
                    )
                )
        except Exception as exc:
            self.problem("registered_model", "registry", f"the registry tables are unreadable ({exc}); no model was imported")
            return []
        return [
            SourceRegisteredModel(
                name=row.name,
                description=row.description or "",
                tags=tags[row.name],
                aliases=aliases[row.name],
                versions=sorted(versions[row.name], key=lambda v: v.version),
            )
            for row in self._rows(select(self._t("registered_models")))
        ]


def _metric_value(value: Any, is_nan: Any) -> float:
    """MLflow stores NaN as 0 plus is_nan, and +/-inf as +/-the largest double."""
    if is_nan:
        return _NAN
    number = float(value)
    if number == _MAX_DOUBLE or number == -_MAX_DOUBLE:
        return number * _INF_SCALE
    return number
