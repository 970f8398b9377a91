"""Reading and writing rows on an open connection: the store's queries, kept out of its API.

Every function takes a SQLAlchemy Connection inside a transaction the caller opened through
``Database.read`` / ``Database.write``, so a retry after "database is locked" reruns it whole.
"""

from __future__ import annotations

import math
from itertools import chain
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, tuple_

from autolog.errors import NotFoundError, ParamChangedError, RunStateError
from autolog.store.sql import _driver
from autolog.store.sql import _schema as t
from autolog.core import _rules as check
from autolog.core._entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunStatus,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlalchemy import Row, Table
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.engine import Connection

    #: the dialect INSERTs that take ON CONFLICT clauses
    Upsert: TypeAlias = "postgresql.Insert | sqlite.Insert"

#: one metric point as stored: (run_id, key, value or None for NaN, timestamp, step, is_nan)
MetricRow = tuple[str, str, "float | None", int, int, bool]
_METRIC_COLUMNS = ("run_id", "key", "value", "timestamp", "step", "is_nan")
#: ids per ``IN (...)`` list, well under SQLite's and PostgreSQL's parameter limits
CHUNK = 5_000


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(conn: Connection, table: Table) -> Upsert:
    """``INSERT`` that can take ON CONFLICT clauses, for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


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


# The per-run statements are built once, with bound parameters: SQLAlchemy then reuses their
# cache keys and compiled forms instead of rebuilding both on every call of a short run.
_RUN_BY_ID = select(t.runs).where(t.runs.c.run_id == bindparam("b_run_id"))
_RUN_STATE = (
    select(t.runs.c.status, t.runs.c.lifecycle_stage)
    .where(t.runs.c.run_id == bindparam("b_run_id"))
    .with_for_update(read=True)
)
#: params read back per statement; one statement is compiled per length up to this
_KEYS_PER_READ = 64
#: the columns of the params and tags tables, in the order rows are handed to the driver
KV_COLUMNS = ("run_id", "key", "value")


def _params_stored(n: int) -> Any:
    return select(t.params.c.key, t.params.c.value).where(
        t.params.c.run_id == bindparam("b_run_id"),
        t.params.c.key.in_([bindparam(f"b_key{i}") for i in range(n)]),
    )


_EXPERIMENT_BY_ID = select(t.experiments).where(
    t.experiments.c.experiment_id == bindparam("b_experiment_id")
)


def run_row(conn: Connection, run_id: str) -> Any:
    row = _driver.execute(conn, "run_by_id", lambda: _RUN_BY_ID, {"b_run_id": run_id}).first()
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
    row = _driver.execute(conn, "run_state", lambda: _RUN_STATE, {"b_run_id": run_id}).first()
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
    metrics: tuple[Sequence[MetricRow], Sequence[MetricRow]],
    params: dict[str, str],
    tags: dict[str, str],
    checked: bool = False,
) -> None:
    """Params (write-once), tags (last wins) and metric points, in the caller's transaction
    (``checked``: the caller has already made sure the run takes data, and locked it)."""
    if not checked:
        writable_run(conn, run_id)
    if params:
        _insert_params(conn, run_id, params)
    if tags:
        _driver.execute_rows(
            conn, "tags_upsert", lambda: _statement(conn, "tags"), KV_COLUMNS,
            [(run_id, k, v) for k, v in sorted(tags.items())],
        )
    if metrics[0]:
        insert_metrics(conn, *metrics)


def _insert_params(conn: Connection, run_id: str, params: dict[str, str]) -> None:
    # insert first, compare after: a concurrent writer's value is then visible (PostgreSQL
    # waits for it at the conflict), so a changed value can never slip through unnoticed
    _driver.execute_rows(
        conn, "params_upsert", lambda: _statement(conn, "params"), KV_COLUMNS,
        [(run_id, k, v) for k, v in sorted(params.items())],
    )
    keys = list(params)
    for part in chunks(keys, _KEYS_PER_READ):
        stored_rows = _driver.execute(
            conn, ("params_stored", len(part)), lambda: _params_stored(len(part)),
            {"b_run_id": run_id, **{f"b_key{i}": key for i, key in enumerate(part)}},
        )
        for key, stored in stored_rows:
            if stored != params[key]:
                raise ParamChangedError(run_id, key, stored, params[key])


def metric_rows(
    run_id: str, points: Iterable[tuple[str, Any, Any, Any]]
) -> tuple[list[MetricRow], list[MetricRow]]:
    """Validate ``(key, value, timestamp, step)`` points into rows (NaN: NULL plus ``is_nan``).

    Returns (every row, the latest row of each key). One pass with the checks of
    ``autolog.core._rules`` behind type fast paths: this is the background writer's
    hot path, and its points were usually validated once already when they were logged.
    """
    rows: list[MetricRow] = []
    append = rows.append
    latest: dict[str, MetricRow] = {}
    keys: set[str] = set()  # each distinct key is checked once per batch
    for key, value, timestamp, step in points:
        if key.__class__ is not str or key not in keys:
            keys.add(check.check_key(key, "metric key"))
        if value.__class__ is not float:
            value = check.metric_value(key, value)
        if timestamp.__class__ is not int:
            timestamp = check.timestamp(key, timestamp)
        if step.__class__ is not int:
            step = check.step(key, step)
        row = (
            (run_id, key, value, timestamp, step, False)
            if value == value
            else (run_id, key, None, timestamp, step, True)
        )
        append(row)
        best = latest.get(key)
        # ties go to the point logged last, as in the reference store
        if best is None or step > best[4] or (step == best[4] and timestamp >= best[3]):
            latest[key] = row
    return rows, [latest[key] for key in sorted(latest)]


def insert_metrics(conn: Connection, rows: Sequence[MetricRow], latest: Sequence[MetricRow]) -> None:
    # Multi-row INSERTs of _ROWS_PER_INSERT points, straight from tuples to the driver: the
    # driver lets other threads run during each statement, so one statement per point would
    # hand the interpreter lock back and forth per point while the training loop keeps
    # logging; and SQLAlchemy's per-row parameter handling would cost more than the insert.
    many, one = _metric_insert_sql(conn.dialect)
    width = len(_METRIC_COLUMNS) * _ROWS_PER_INSERT
    full = len(rows) - len(rows) % _ROWS_PER_INSERT
    if full:
        flat = tuple(chain.from_iterable(rows[:full]))
        conn.exec_driver_sql(many, [flat[i : i + width] for i in range(0, len(flat), width)])
    if full < len(rows):
        conn.exec_driver_sql(one, list(rows[full:]))
    # sorted keys: concurrent writers lock rows in the same order (no PostgreSQL deadlocks)
    _driver.execute_rows(
        conn, "latest_metrics_upsert", lambda: _statement(conn, "latest_metrics"), _METRIC_COLUMNS, latest
    )


#: points per multi-row INSERT: 3,000 parameters, under every SQLite build's limit since 3.32
_ROWS_PER_INSERT = 500
_insert_sql: dict[str, tuple[str, str]] = {}


def _metric_insert_sql(dialect: Any) -> tuple[str, str]:
    """(INSERT of _ROWS_PER_INSERT rows, INSERT of one row) for the metrics table."""
    key = f"{dialect.name}:{dialect.paramstyle}"
    found = _insert_sql.get(key)
    if found is None:
        # inline(): no RETURNING of the generated ids, which PostgreSQL would otherwise add
        compiled = t.metrics.insert().inline().compile(dialect=dialect, column_keys=list(_METRIC_COLUMNS))
        one = str(compiled)
        if (
            not compiled.positional
            or tuple(compiled.positiontup or ()) != _METRIC_COLUMNS
            or not one.endswith(")")
        ):
            raise AssertionError(f"unexpected metric INSERT for the {key} dialect: {one}")
        head, values, group = one.partition(" VALUES ")
        found = _insert_sql[key] = (head + values + ", ".join([group] * _ROWS_PER_INSERT), one)
    return found


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


def experiment_row(conn: Connection, experiment_id: str) -> Any:
    number = experiment_number(experiment_id)
    row = None
    if number is not None:
        row = _driver.execute(
            conn, "experiment_by_id", lambda: _EXPERIMENT_BY_ID, {"b_experiment_id": number}
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
