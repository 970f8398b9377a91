"""``SqlStore``: the tracking store on SQLite (the embedded default) and PostgreSQL.

One code path on SQLAlchemy Core serves both; ``_engine`` holds what differs (URIs, SQLite
settings, retries), ``_records`` the queries, ``_translate`` the search filters and
``_migrate`` the schema versions.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from itertools import chain
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from autolog.core._clock import now_ms
from autolog.errors import AlreadyExistsError, InvalidInputError, NotFoundError, RunStateError
from autolog.core._store import FinishedRun, Store
from autolog.store.sql import _driver, _killed, _migrate, _translate
from autolog.store.sql import _records as rec
from autolog.store.sql import _schema as t
from autolog.store.sql._engine import Database, join_location, resolve
from autolog.store.sql._logged_models import SqlLoggedModels
from autolog.store.sql._registry import SqlRegistry
from autolog.store.sql._summaries import SqlSummaries
from autolog.core import _rules as check
from autolog.core._entities import (
    Experiment,
    LifecycleStage,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from autolog.core._search import (
    Node,
    OrderKey,
    check_max_results,
    decode_page_token,
    encode_page_token,
)

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.engine import Connection

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_ACTIVE = LifecycleStage.ACTIVE.value
_DELETED = LifecycleStage.DELETED.value
_INSERT_RUN = t.runs.insert().inline()  # no RETURNING: the id is ours
#: SET takes the columns named in the parameters; the row comes back through RETURNING
_RUN_COLUMNS = tuple(column.name for column in t.runs.c)


def _update_live_run(columns: Sequence[str]) -> Any:
    """UPDATE of ``columns`` of a run that is not deleted, handing the new row back."""
    return (
        update(t.runs)
        .where(t.runs.c.run_id == bindparam("b_run_id"), t.runs.c.lifecycle_stage != bindparam("b_deleted"))
        .values({name: bindparam(name) for name in columns})
        .returning(*t.runs.c)
    )


def _end_running_run() -> Any:
    """UPDATE of the status and end time of a live, still running run, handing the row back."""
    return (
        update(t.runs)
        .where(
            t.runs.c.run_id == bindparam("b_run_id"),
            t.runs.c.lifecycle_stage != bindparam("b_deleted"),
            t.runs.c.status.in_([bindparam("b_running"), bindparam("b_scheduled")]),
        )
        .values(status=bindparam("status"), end_time=bindparam("end_time"))
        .returning(*t.runs.c)
    )




def _stage(column: ColumnElement[str], view_type: ViewType | str | int) -> ColumnElement[bool]:
    view = ViewType.coerce(view_type)
    if view is ViewType.ALL:
        return column.in_([_ACTIVE, _DELETED])
    return column == (_ACTIVE if view is ViewType.ACTIVE_ONLY else _DELETED)


class SqlStore(SqlRegistry, SqlLoggedModels, SqlSummaries, Store):
    """Run metadata in a SQL database. Open with ``SqlStore.from_uri(uri)``.

    Accepted URIs: a directory (``<dir>/autolog.db`` plus ``<dir>/artifacts``), ``file://``,
    ``sqlite:///path.db`` and ``postgresql://user@host/db``. Thread-safe; several processes
    may share one database. The model registry methods come from ``SqlRegistry``.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.uri = db.target.uri
        self.artifact_root = db.target.artifact_root
        self._dialect = db.dialect

    @classmethod
    def from_uri(cls, uri: str) -> SqlStore:
        """Open the database, creating the schema and the Default experiment if it is new.

        Raises SchemaOutdatedError for a database an older autolog created; the message names
        the command that upgrades it.
        """
        db = Database(resolve(uri))
        try:
            if _migrate.check(db):
                _migrate.upgrade(db, db.target.artifact_root)
        except BaseException:
            db.close()
            raise
        return cls(db)

    def close(self) -> None:
        self.db.close()

    # -- experiments ------------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        name = _experiment_name(name)
        clean = {check.check_key(k, "tag key"): check.tag_value(k, v) for k, v in (tags or {}).items()}

        def work(conn: Connection) -> str:
            _name_free(conn, name)
            now = now_ms()
            try:
                number = conn.execute(
                    t.experiments.insert()
                    .values(
                        name=name,
                        artifact_location=artifact_location or "",
                        lifecycle_stage=_ACTIVE,
                        creation_time=now,
                        last_update_time=now,
                    )
                    .returning(t.experiments.c.experiment_id)
                ).scalar_one()
            except IntegrityError:  # another process took the name between check and insert
                raise AlreadyExistsError(
                    f"an experiment named {name!r} already exists; choose another name"
                ) from None
            if not artifact_location:
                conn.execute(
                    update(t.experiments)
                    .where(t.experiments.c.experiment_id == number)
                    .values(artifact_location=join_location(self.artifact_root, str(number)))
                )
            if clean:
                conn.execute(
                    t.experiment_tags.insert(),
                    [{"experiment_id": number, "key": k, "value": v} for k, v in clean.items()],
                )
            return str(number)

        return self.db.write(work)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.db.read(
            lambda conn: rec.load_experiments(conn, [rec.experiment_row(conn, experiment_id)])[0]
        )

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        def work(conn: Connection) -> Experiment | None:
            rows = conn.execute(select(t.experiments).where(t.experiments.c.name == name)).all()
            return rec.load_experiments(conn, rows)[0] if rows else None

        return self.db.read(work)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter: Node | None = None,
        order_by: Sequence[OrderKey] = (),
        page_token: str | None = None,
    ) -> PagedList:
        check_max_results(max_results)
        offset = decode_page_token(page_token)
        subject = _translate.EXPERIMENTS
        source, ordering = _translate.order(subject, order_by, self._dialect)
        stmt = select(t.experiments).select_from(source).where(
            _stage(t.experiments.c.lifecycle_stage, view_type)
        )
        condition = _translate.where(subject, filter, self._dialect)
        if condition is not None:
            stmt = stmt.where(condition)
        stmt = stmt.order_by(*ordering).limit(max_results + 1).offset(offset)

        def work(conn: Connection) -> list[Experiment]:
            return rec.load_experiments(conn, conn.execute(stmt).all())

        found = self.db.read(work)
        more = len(found) > max_results
        return PagedList(found[:max_results], encode_page_token(offset + max_results) if more else None)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        new_name = _experiment_name(new_name)

        def work(conn: Connection) -> None:
            row = rec.experiment_row(conn, experiment_id)
            if row.lifecycle_stage == _DELETED:
                raise InvalidInputError(
                    f"experiment {experiment_id} ({row.name!r}) is deleted; restore it "
                    "before renaming it"
                )
            if new_name != row.name:
                _name_free(conn, new_name)
            try:
                conn.execute(
                    update(t.experiments)
                    .where(t.experiments.c.experiment_id == row.experiment_id)
                    .values(name=new_name, last_update_time=now_ms())
                )
            except IntegrityError:
                raise AlreadyExistsError(
                    f"an experiment named {new_name!r} already exists; choose another name"
                ) from None

        self.db.write(work)

    def delete_experiment(self, experiment_id: str) -> None:
        if str(experiment_id) == str(_migrate.DEFAULT_EXPERIMENT_ID):
            raise InvalidInputError(
                "the Default experiment (id 0) cannot be deleted; delete its runs instead"
            )
        self._set_experiment_stage(experiment_id, _DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_experiment_stage(experiment_id, _ACTIVE)

    def _set_experiment_stage(self, experiment_id: str, stage: str) -> None:
        def work(conn: Connection) -> None:
            number = rec.experiment_row(conn, experiment_id).experiment_id
            conn.execute(
                update(t.experiments)
                .where(t.experiments.c.experiment_id == number)
                .values(lifecycle_stage=stage, last_update_time=now_ms())
            )
            # the experiment's runs follow it, both ways
            conn.execute(
                update(t.runs).where(t.runs.c.experiment_id == number).values(lifecycle_stage=stage)
            )

        self.db.write(work)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        check.check_key(key, "tag key")
        text = check.tag_value(key, value)

        def work(conn: Connection) -> None:
            number = rec.experiment_row(conn, experiment_id).experiment_id
            stmt = rec.upsert(conn, t.experiment_tags)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["experiment_id", "key"], set_={"value": stmt.excluded.value}
                ),
                {"experiment_id": number, "key": key, "value": text},
            )
            conn.execute(
                update(t.experiments)
                .where(t.experiments.c.experiment_id == number)
                .values(last_update_time=now_ms())
            )

        self.db.write(work)

    # -- runs --------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
        parent_run_id: str | None = None,
        run_id: str | None = None,
    ) -> Run:
        new = _NewRun(_given_run_id(run_id) or uuid.uuid4().hex, user_id, start_time, _clean_tags(tags), run_name, parent_run_id)
        return self.db.write_driver(lambda conn: _insert_runs(conn, experiment_id, [new])[0])

    def record_runs(self, experiment_id: str, runs: Sequence[FinishedRun]) -> list[Run]:
        if not runs:
            return []
        news, params, rows, latest = [], [], [], []
        for record in runs:
            run_id = _given_run_id(record.run_id) or uuid.uuid4().hex
            # inserted already over: the run is never seen RUNNING, and nothing needs an update
            news.append(
                _NewRun(
                    run_id, record.user_id, record.start_time, _clean_tags(record.tags),
                    record.run_name, record.parent_run_id, _status(record.status), record.end_time,
                )
            )
            points, clean_params, _ = self._checked_batch(
                run_id, record.metrics, record.params, (), record.metric_points
            )
            params.append(clean_params)
            rows.extend(points[0])
            latest.append(points[1])

        def work(conn: Connection) -> list[Run]:
            created = _insert_runs(conn, experiment_id, news)
            # fresh runs: no state to check and no earlier value to compare with
            param_rows = [
                (new.run_id, k, v) for new, run_params in zip(news, params) for k, v in run_params.items()
            ]
            if param_rows:
                _driver.execute_rows(conn, "insert_params", t.params.insert, rec.KV_COLUMNS, param_rows)
            if rows:
                rec.insert_metrics(conn, rows, sorted(chain.from_iterable(latest)))
            return [
                Run(
                    run.info,
                    RunData(
                        metrics={row[1]: float("nan") if row[2] is None else row[2] for row in run_latest},
                        params=run_params,
                        tags=run.data.tags,
                    ),
                )
                for run, run_params, run_latest in zip(created, params, latest)
            ]

        return self.db.write_driver(work)

    def get_run(self, run_id: str) -> Run:
        run = self.db.read(lambda conn: rec.load_runs(conn, [rec.run_row(conn, run_id)])[0])
        if run.info.status is RunStatus.RUNNING and _killed.reap_runs(self.db, [run]):
            run = self.db.read(lambda conn: rec.load_runs(conn, [rec.run_row(conn, run_id)])[0])
        return run

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        return self.db.write_driver(self._update(run_id, status, end_time, run_name))

    def _update(
        self, run_id: str, status: RunStatus | None, end_time: int | None, run_name: str | None
    ) -> Callable[[Connection], RunInfo]:
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = _status(status).value
        if end_time is not None:
            changes["end_time"] = end_time
        if run_name is not None:
            changes["run_name"] = run_name
        keys = tuple(changes)

        def work(conn: Connection) -> RunInfo:
            if changes:
                # one statement: the UPDATE skips a deleted run and hands back the new row
                row = _driver.execute(
                    conn, ("update_live_run", *keys), lambda: _update_live_run(keys),
                    {**changes, "b_run_id": run_id, "b_deleted": _DELETED},
                ).first()
                if row is not None:
                    return rec.run_info(row)
            row = rec.run_row(conn, run_id)  # unknown run: NotFoundError
            if row.lifecycle_stage == _DELETED:
                raise RunStateError(run_id, f"run {run_id} is deleted; restore it first")
            return rec.run_info(row)

        return work

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        end_time: int,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> RunInfo:
        batch = self._checked_batch(run_id, metrics, params, tags)
        if not (batch[0][0] or batch[1] or batch[2]):
            return self.update_run_info(run_id, status=status, end_time=end_time)
        changes = {"status": _status(status).value, "end_time": end_time}

        def work(conn: Connection) -> RunInfo:
            # ending it first proves the run takes data (live and still running) and locks
            # it, in one statement; when it does not, writable_run says why
            row = _driver.execute(
                conn, "end_running_run", _end_running_run,
                {**changes, "b_run_id": run_id, "b_deleted": _DELETED, "b_running": RunStatus.RUNNING.value,
                 "b_scheduled": RunStatus.SCHEDULED.value},
            ).first()
            if row is None:
                rec.writable_run(conn, run_id)
                raise AssertionError(f"run {run_id} takes data but could not be ended")
            rec.write_batch(conn, run_id, *batch, checked=True)
            return rec.run_info(row)

        return self.db.write_driver(work)

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, _DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, _ACTIVE)

    def _set_run_stage(self, run_id: str, stage: str) -> None:
        def work(conn: Connection) -> None:
            rec.run_row(conn, run_id)
            conn.execute(
                update(t.runs).where(t.runs.c.run_id == run_id).values(lifecycle_stage=stage)
            )

        self.db.write(work)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        rows, clean_params, clean_tags = self._checked_batch(run_id, metrics, params, tags)
        if not (rows[0] or clean_params or clean_tags):
            self.db.read(lambda conn: rec.writable_run(conn, run_id))
            return
        self.db.write_driver(
            lambda conn: rec.write_batch(conn, run_id, rows, clean_params, clean_tags)
        )

    @staticmethod
    def _checked_batch(
        run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag],
        points: Sequence[tuple[str, float, int, int]] = (),
    ) -> tuple[tuple[list[rec.MetricRow], list[rec.MetricRow]], dict[str, str], dict[str, str]]:
        """Everything checked before a transaction starts: a bad item writes nothing."""
        given = [(m.key, m.value, m.timestamp, m.step) for m in metrics]
        rows = rec.metric_rows(run_id, given + list(points) if points else given)
        clean_params: dict[str, str] = {}
        for p in params:
            key, value = check.check_key(p.key, "param key"), check.param_value(p.key, p.value)
            if key in clean_params and clean_params[key] != value:
                from autolog.errors import ParamChangedError

                raise ParamChangedError(run_id, key, clean_params[key], value)
            clean_params[key] = value
        return rows, clean_params, _clean_tags(tags)

    def log_metric_points(
        self, run_id: str, points: Sequence[tuple[str, float, int, int]]
    ) -> None:
        rows = rec.metric_rows(run_id, points)
        if rows[0]:
            self.db.write_driver(lambda conn: rec.write_batch(conn, run_id, rows, {}, {}))
        else:
            self.db.read(lambda conn: rec.writable_run(conn, run_id))

    def delete_tag(self, run_id: str, key: str) -> None:
        def work(conn: Connection) -> None:
            rec.writable_run(conn, run_id)
            deleted = conn.execute(
                t.tags.delete().where(t.tags.c.run_id == run_id, t.tags.c.key == key)
            ).rowcount
            if not deleted:
                raise NotFoundError(f"run {run_id} has no tag {key!r}")

        self.db.write(work)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return self.db.read(lambda conn: rec.metric_history(conn, run_id, key))

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter: Node | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[OrderKey] = (),
        page_token: str | None = None,
    ) -> PagedList:
        check_max_results(max_results)
        offset = decode_page_token(page_token)
        if isinstance(experiment_ids, str):
            experiment_ids = [experiment_ids]
        numbers = [n for n in map(rec.experiment_number, experiment_ids) if n is not None]
        subject = _translate.RUNS
        condition = _translate.where(subject, filter, self._dialect)
        source, ordering = _translate.order(subject, order_by, self._dialect)
        if not numbers:
            return PagedList([], None)
        _killed.reap_experiments(self.db, numbers)
        stmt = select(t.runs).select_from(source).where(
            t.runs.c.experiment_id.in_(numbers), _stage(t.runs.c.lifecycle_stage, run_view_type)
        )
        if condition is not None:
            stmt = stmt.where(condition)
        stmt = stmt.order_by(*ordering).limit(max_results + 1).offset(offset)

        def work(conn: Connection) -> list[Run]:
            rows = conn.execute(stmt).all()
            return rec.load_runs(conn, rows[: max_results + 1])

        found = self.db.read(work)
        more = len(found) > max_results
        return PagedList(found[:max_results], encode_page_token(offset + max_results) if more else None)


def _name_free(conn: Connection, name: str) -> None:
    row = conn.execute(
        select(t.experiments.c.experiment_id, t.experiments.c.lifecycle_stage).where(
            t.experiments.c.name == name
        )
    ).first()
    if row is not None:
        stage = " (deleted; restore or rename it)" if row.lifecycle_stage == _DELETED else ""
        raise AlreadyExistsError(
            f"an experiment named {name!r} already exists with id {row.experiment_id}{stage}; "
            "choose another name"
        )


def _experiment_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"an experiment name must be a non-empty string, got {name!r}")
    if len(name) > 256:
        raise InvalidInputError(
            f"an experiment name has at most 256 characters, got {len(name)}; use a shorter one"
        )
    return name


def _given_run_id(run_id: str | None) -> str | None:
    if run_id is not None and not (isinstance(run_id, str) and _RUN_ID.match(run_id)):
        raise InvalidInputError(
            f"run_id must be 32 lowercase hex characters, got {run_id!r}; "
            "leave it out to get a fresh one"
        )
    return run_id


def _status(status: RunStatus | str) -> RunStatus:
    try:
        return RunStatus(status.upper() if isinstance(status, str) else status)
    except ValueError:
        names = ", ".join(RunStatus.__members__)
        raise InvalidInputError(f"status must be one of {names}, got {status!r}") from None


@dataclass(frozen=True)
class _NewRun:
    run_id: str
    user_id: str
    start_time: int
    tags: dict[str, str]
    run_name: str | None
    parent_run_id: str | None
    status: RunStatus = RunStatus.RUNNING
    end_time: int | None = None


def _clean_tags(tags: Sequence[RunTag]) -> dict[str, str]:
    return {check.check_key(tag.key, "tag key"): check.tag_value(tag.key, tag.value) for tag in tags}


def _insert_runs(conn: Connection, experiment_id: str, news: Sequence[_NewRun]) -> list[Run]:
    """Insert runs (and their tags) into one experiment, in the caller's transaction."""
    experiment = rec.experiment_row(conn, experiment_id)
    if experiment.lifecycle_stage == _DELETED:
        raise InvalidInputError(
            f"experiment {experiment_id} ({experiment.name!r}) is deleted; restore it "
            "or create runs in another experiment"
        )
    values = [
        {
            "run_id": new.run_id,
            "experiment_id": experiment.experiment_id,
            "run_name": new.run_name or "",
            "user_id": new.user_id,
            "status": new.status.value,
            "start_time": new.start_time,
            "end_time": new.end_time,
            "lifecycle_stage": _ACTIVE,
            "artifact_uri": join_location(experiment.artifact_location, new.run_id, "artifacts"),
            "parent_run_id": new.parent_run_id,
        }
        for new in news
    ]
    # the primary key refuses a taken id: no separate look-up on the common path
    try:
        _driver.execute(conn, "insert_run", lambda: _INSERT_RUN, values, column_keys=_RUN_COLUMNS)
    except IntegrityError:
        if len(news) == 1:
            raise AlreadyExistsError(f"a run with id {news[0].run_id} already exists") from None
        raise AlreadyExistsError(
            f"one of the runs {', '.join(new.run_id for new in news)} already exists; "
            "nothing of this batch was written"
        ) from None
    tag_rows = [(new.run_id, k, v) for new in news for k, v in new.tags.items()]
    if tag_rows:
        _driver.execute_rows(conn, "insert_tags", t.tags.insert, rec.KV_COLUMNS, tag_rows)
    experiment_id = str(experiment.experiment_id)
    return [
        Run(
            RunInfo(
                **{**row, "experiment_id": experiment_id, "status": new.status, "lifecycle_stage": LifecycleStage.ACTIVE}
            ),
            RunData(params={}, tags=dict(new.tags)),
        )
        for row, new in zip(values, news)
    ]
