"""Reading and writing rows on an open connection: the store's queries, kept out of its API.

Every function takes a SQLAlchemy Connection inside a transaction the caller opened through
``Database.read`` / ``Database.write``, so a retry after "database is locked" reruns it whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_

from autolog.errors import NotFoundError, ParamChangedError, RunStateError
from autolog.store.sql import _schema as t
from autolog.tracking import _validation as check
from autolog.tracking._entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunStatus,
)

if TYPE_CHECKING:
    from sqlalchemy import Insert, Row, Table
    from sqlalchemy.engine import Connection

#: one metric point as stored: (run_id, key, value or None for NaN, timestamp, step, is_nan)
MetricRow = tuple[str, str, "float | None", int, int, bool]
_METRIC_COLUMNS = ("run_id", "key", "value", "timestamp", "step", "is_nan")
#: ids per ``IN (...)`` list, well under SQLite's and PostgreSQL's parameter limits
CHUNK = 5_000


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(conn: Connection, table: Table) -> Insert:
    """``INSERT`` that can take ON CONFLICT clauses, for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)  # type: ignore[no-any-return]


# -- runs -------------------------------------------------------------------------------------


def run_info(row: Row[Any]) -> RunInfo:
    return RunInfo(
        run_id=row.run_id,
        experiment_id=str(row.experiment_id),
        run_name=row.run_name,
        user_id=row.user_id,
        status=RunStatus(row.status),
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=LifecycleStage(row.lifecycle_stage),
        parent_run_id=row.parent_run_id,
    )


def run_row(conn: Connection, run_id: str) -> Row[Any]:
    row = conn.execute(select(t.runs).where(t.runs.c.run_id == run_id)).first()
    if row is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    return row


def load_runs(conn: Connection, rows: Sequence[Row[Any]]) -> list[Run]:
    """Runs with their latest metrics, params and tags: three queries per page, not per run."""
    ids = [row.run_id for row in rows]
    metrics: dict[str, dict[str, float]] = {i: {} for i in ids}
    params: dict[str, dict[str, str]] = {i: {} for i in ids}
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    lm = t.latest_metrics.c
    for part in chunks(ids):
        for run_id, key, value, is_nan in conn.execute(
            select(lm.run_id, lm.key, lm.value, lm.is_nan).where(lm.run_id.in_(part))
        ):
            metrics[run_id][key] = math.nan if is_nan else value
        for table, found in ((t.params, params), (t.tags, tags)):
            for run_id, key, value in conn.execute(
                select(table.c.run_id, table.c.key, table.c.value).where(table.c.run_id.in_(part))
            ):
                found[run_id][key] = value
    return [
        Run(run_info(row), RunData(metrics[row.run_id], params[row.run_id], tags[row.run_id]))
        for row in rows
    ]


def writable_run(conn: Connection, run_id: str) -> None:
    """Raise unless the run exists, is active and still running; hold it until commit."""
    r = t.runs.c
    row = conn.execute(
        select(r.status, r.lifecycle_stage).where(r.run_id == run_id).with_for_update(read=True)
    ).first()
    if row is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    if row.lifecycle_stage == LifecycleStage.DELETED.value:
        raise RunStateError(run_id, f"run {run_id} is deleted; restore it before logging to it")
    if RunStatus(row.status).is_terminated:
        raise RunStateError(
            run_id,
            f"run {run_id} is {row.status}; a finished run takes no more data. "
            "Start a new run, or resume this one with start_run(run_id=...)",
        )


def write_batch(
    conn: Connection,
    run_id: str,
    metrics: Sequence[MetricRow],
    params: dict[str, str],
    tags: dict[str, str],
) -> None:
    """Params (write-once), tags (last wins) and metric points, in the caller's transaction."""
    writable_run(conn, run_id)
    if params:
        _insert_params(conn, run_id, params)
    if tags:
        conn.execute(
            _statement(conn, "tags"),
            [{"run_id": run_id, "key": k, "value": v} for k, v in sorted(tags.items())],
        )
    if metrics:
        _insert_metrics(conn, metrics)


def _insert_params(conn: Connection, run_id: str, params: dict[str, str]) -> None:
    # insert first, compare after: a concurrent writer's value is then visible (PostgreSQL
    # waits for it at the conflict), so a changed value can never slip through unnoticed
    conn.execute(
        _statement(conn, "params"),
        [{"run_id": run_id, "key": k, "value": v} for k, v in sorted(params.items())],
    )
    keys = list(params)
    for part in chunks(keys):
        for key, stored in conn.execute(
            select(t.params.c.key, t.params.c.value).where(
                t.params.c.run_id == run_id, t.params.c.key.in_(part)
            )
        ):
            if stored != params[key]:
                raise ParamChangedError(run_id, key, stored, params[key])


def metric_rows(run_id: str, metrics: Sequence[Metric]) -> list[MetricRow]:
    """Validate metric points into rows: NaN becomes NULL plus ``is_nan``.

    One pass, no objects per point: this is the hot path of the background writer.
    """
    check_key, value_of, timestamp_of, step_of = (
        check.check_key,
        check.metric_value,
        check.timestamp,
        check.step,
    )
    rows: list[MetricRow] = []
    append = rows.append
    for m in metrics:
        key = check_key(m.key, "metric key")
        value = value_of(key, m.value)
        if value != value:
            append((run_id, key, None, timestamp_of(key, m.timestamp), step_of(key, m.step), True))
        else:
            append((run_id, key, value, timestamp_of(key, m.timestamp), step_of(key, m.step), False))
    return rows


def _insert_metrics(conn: Connection, rows: Sequence[MetricRow]) -> None:
    # the driver's executemany straight from tuples: SQLAlchemy's per-row parameter handling
    # would cost more than SQLite's insert itself
    conn.exec_driver_sql(_metric_insert_sql(conn.dialect), rows)  # type: ignore[arg-type]
    latest: dict[str, MetricRow] = {}
    for row in rows:
        best = latest.get(row[1])
        # ties go to the point logged last, as in the reference store
        if best is None or (row[4], row[3]) >= (best[4], best[3]):
            latest[row[1]] = row
    # sorted keys: concurrent writers lock rows in the same order (no PostgreSQL deadlocks)
    conn.execute(
        _statement(conn, "latest_metrics"),
        [dict(zip(_METRIC_COLUMNS, latest[key])) for key in sorted(latest)],
    )


_insert_sql: dict[str, str] = {}
_statements: dict[tuple[str, str], Any] = {}


def _statement(conn: Connection, name: str) -> Any:
    """The upsert for ``name`` on this dialect, built once (statements are immutable)."""
    found = _statements.get((conn.dialect.name, name))
    if found is not None:
        return found
    if name == "params":  # write-once: the caller compares what is stored afterwards
        stmt = upsert(conn, t.params).on_conflict_do_nothing(index_elements=["run_id", "key"])
    elif name == "tags":
        stmt = upsert(conn, t.tags)
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_id", "key"], set_={"value": stmt.excluded.value}
        )
    else:  # latest_metrics: replaced only by a point with a later (step, timestamp)
        stmt = upsert(conn, t.latest_metrics)
        lm = t.latest_metrics.c
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_id", "key"],
            set_={
                "value": stmt.excluded.value,
                "timestamp": stmt.excluded.timestamp,
                "step": stmt.excluded.step,
                "is_nan": stmt.excluded.is_nan,
            },
            where=tuple_(stmt.excluded.step, stmt.excluded.timestamp)
            >= tuple_(lm.step, lm.timestamp),
        )
    _statements[(conn.dialect.name, name)] = stmt
    return stmt


def _metric_insert_sql(dialect: Any) -> str:
    key = f"{dialect.name}:{dialect.paramstyle}"
    sql = _insert_sql.get(key)
    if sql is None:
        compiled = t.metrics.insert().compile(dialect=dialect, column_keys=list(_METRIC_COLUMNS))
        if not compiled.positional or tuple(compiled.positiontup or ()) != _METRIC_COLUMNS:
            raise AssertionError(f"the {key} dialect must use positional parameters")
        sql = _insert_sql[key] = str(compiled)
    return sql


def metric_history(conn: Connection, run_id: str, key: str) -> list[Metric]:
    run_row(conn, run_id)
    m = t.metrics.c
    rows = conn.execute(
        select(m.value, m.timestamp, m.step, m.is_nan)
        .where(m.run_id == run_id, m.key == key)
        .order_by(m.step, m.timestamp, m.id)
    )
    return [
        Metric(key, math.nan if is_nan else value, timestamp, step)
        for value, timestamp, step, is_nan in rows
    ]


# -- experiments ------------------------------------------------------------------------------


def load_experiments(conn: Connection, rows: Iterable[Row[Any]]) -> list[Experiment]:
    rows = list(rows)
    ids = [row.experiment_id for row in rows]
    tags: dict[int, dict[str, str]] = {i: {} for i in ids}
    et = t.experiment_tags.c
    for part in chunks(ids):
        for experiment_id, key, value in conn.execute(
            select(et.experiment_id, et.key, et.value).where(et.experiment_id.in_(part))
        ):
            tags[experiment_id][key] = value
    return [
        Experiment(
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_location=row.artifact_location,
            lifecycle_stage=LifecycleStage(row.lifecycle_stage),
            tags=tags[row.experiment_id],
            creation_time=row.creation_time,
            last_update_time=row.last_update_time,
        )
        for row in rows
    ]


def experiment_row(conn: Connection, experiment_id: str) -> Row[Any]:
    number = experiment_number(experiment_id)
    row = None
    if number is not None:
        row = conn.execute(
            select(t.experiments).where(t.experiments.c.experiment_id == number)
        ).first()
    if row is None:
        raise NotFoundError(f"no experiment with id {experiment_id!r}")
    return row


def experiment_number(experiment_id: Any) -> int | None:
    """The integer key of an experiment id ("3" -> 3); None for what cannot be one."""
    text = str(experiment_id)
    if not text.isascii() or not text.isdigit() or len(text) > 18 or text != str(int(text)):
        return None  # "03" is not experiment "3": ids are compared as strings elsewhere
    return int(text)
