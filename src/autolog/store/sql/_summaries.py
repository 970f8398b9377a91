"""The summaries of ``autolog.core._summaries`` computed in the database (``SqlSummaries``).

Run counts and data keys are one aggregate query each. Cutting a metric history into buckets
is the hot one (a chart of a 1,000,000-point history must come back in a fraction of a
second), and the fastest plan differs by engine:

- a short history (at most ``SMALL`` points in range) is read whole and cut in Python by the
  reference ``bucket_points``;
- on SQLite along steps, one aggregate query per bucket walks its slice of the
  (run_id, key, step, ...) index: about 0.25 s of CPU for 1,000,000 points, where a single
  ``GROUP BY bucket`` spends twice as long sorting rows into a temporary B-tree; the
  buckets are split between a few connections that read at once, one per core;
- otherwise (PostgreSQL, which hash-aggregates, or SQLite along timestamps, which no index
  orders) one ``GROUP BY`` on the bucket number.

All three give exactly ``bucket_points``'s answer: NaN points (stored as NULL) are left out,
and the bucket number is the same integer arithmetic.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, func, literal, literal_column, select

from autolog.core._entities import LifecycleStage
from autolog.core._summaries import (
    Activity,
    DataKeys,
    MetricBuckets,
    XAxis,
    bucket_bounds,
    bucket_points,
    check_bucket_args,
)
from autolog.store.sql import _driver
from autolog.store.sql import _records as rec
from autolog.store.sql import _schema as t

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from autolog.store.sql._engine import Database

#: histories up to this many points (in range) are read whole and cut in Python
SMALL = 20_000
#: connections that read the buckets of one long SQLite history side by side
READERS = max(1, min(4, os.cpu_count() or 1))
_ACTIVE = LifecycleStage.ACTIVE.value
_m = t.metrics.c


class SqlSummaries:
    """The summary methods of ``SqlStore`` (which provides ``self.db``)."""

    db: Database

    def experiment_activity(self, experiment_ids: Sequence[str]) -> dict[str, Activity]:
        numbers = {n: eid for eid in experiment_ids if (n := rec.experiment_number(eid)) is not None}
        found = {eid: Activity() for eid in experiment_ids}
        if not numbers:
            return found
        r = t.runs.c
        last = func.max(case((r.end_time > r.start_time, r.end_time), else_=r.start_time))
        stmt = (
            select(r.experiment_id, func.count(), last)
            .where(r.experiment_id.in_(list(numbers)), r.lifecycle_stage == _ACTIVE)
            .group_by(r.experiment_id)
        )
        for number, runs, when in self.db.read(lambda conn: conn.execute(stmt).all()):
            found[numbers[number]] = Activity(runs, when)
        return found

    def run_data_keys(self, experiment_ids: Sequence[str]) -> DataKeys:
        numbers = [n for n in map(rec.experiment_number, experiment_ids) if n is not None]
        if not numbers:
            return DataKeys()
        r = t.runs.c
        live = select(r.run_id).where(r.experiment_id.in_(numbers), r.lifecycle_stage == _ACTIVE)

        def work(conn: Connection) -> DataKeys:
            keys = [
                sorted(conn.execute(select(table.c.key).where(table.c.run_id.in_(live)).distinct()).scalars())
                for table in (t.params, t.latest_metrics, t.tags)
            ]
            return DataKeys(*keys)

        return self.db.read(work)

    def metric_buckets(
        self, run_id: str, key: str, buckets: int, x: XAxis = "step", lo: int | None = None, hi: int | None = None
    ) -> MetricBuckets:
        check_bucket_args(buckets, x, lo, hi)
        column = _m.step if x == "step" else _m.timestamp
        where = [_m.run_id == run_id, _m.key == key, _m.value.is_not(None)]
        if lo is not None:
            where.append(column >= lo)
        if hi is not None:
            where.append(column <= hi)

        def work(conn: Connection) -> MetricBuckets | tuple[int, int]:
            rec.run_row(conn, run_id)
            probe = select(func.count()).select_from(select(literal(1)).where(*where).limit(SMALL + 1).subquery())
            if conn.execute(probe).scalar_one() <= SMALL:
                rows = conn.execute(select(column, _m.value).where(*where))
                return bucket_points(((px, v) for px, v in rows), buckets, x, lo, hi)
            first = lo if lo is not None else conn.execute(select(column).where(*where).order_by(column).limit(1)).scalar_one()
            last = hi if hi is not None else conn.execute(select(column).where(*where).order_by(column.desc()).limit(1)).scalar_one()
            if conn.dialect.name == "sqlite" and x == "step":
                return (first, last)
            return _grouped(conn, where, column, x, buckets, first, last)

        found = self.db.read(work)
        if isinstance(found, MetricBuckets):
            return found
        return _per_bucket(self.db, run_id, key, bucket_bounds(*found, buckets))


def _per_bucket_query() -> Any:
    return select(func.min(_m.step), func.max(_m.step), func.min(_m.value), func.max(_m.value), func.count(_m.value)).where(
        _m.run_id == bindparam("run_id"), _m.key == bindparam("key"), _m.value.is_not(None),
        _m.step >= bindparam("start"), _m.step < bindparam("stop"),
    )


def _per_bucket(db: Database, run_id: str, key: str, bounds: list[tuple[int, int]]) -> MetricBuckets:
    """One aggregate per bucket, the buckets split into contiguous runs read side by side
    (SQLite lets readers run at once, and its driver releases the GIL while a query runs)."""
    from concurrent.futures import ThreadPoolExecutor

    def part(chunk: list[tuple[int, int]]) -> list[Any]:
        def work(conn: Connection) -> list[Any]:
            rows = []
            for start, stop in chunk:
                params = {"run_id": run_id, "key": key, "start": start, "stop": stop}
                row = _driver.execute(conn, "metric_bucket", _per_bucket_query, params).first()
                if row[4]:
                    rows.append(row)
            return rows

        return db.read(work)

    size = -(-len(bounds) // READERS)
    chunks = [bounds[i : i + size] for i in range(0, len(bounds), size)]
    with ThreadPoolExecutor(len(chunks)) as pool:
        parts = list(pool.map(part, chunks))
    result = MetricBuckets("step")
    for rows in parts:
        for row in rows:
            _append(result, row)
    return result


def _grouped(conn: Connection, where: list[Any], column: Any, x: XAxis, buckets: int, first: int, last: int) -> MetricBuckets:
    # integers written into the SQL (they are ints we computed), so that PostgreSQL sees the
    # GROUP BY expression and the selected one as the same expression
    def whole(value: int) -> Any:
        return literal_column(str(int(value)))

    number = ((column - whole(first)) * whole(buckets) // whole(last - first + 1)).label("bucket")
    stmt = (
        select(number, func.min(column), func.max(column), func.min(_m.value), func.max(_m.value), func.count(_m.value))
        .where(*where, column >= first, column <= last)
        .group_by(number)
        .order_by(number)
    )
    result = MetricBuckets(x)
    for row in conn.execute(stmt):
        _append(result, row[1:])
    return result


def _append(result: MetricBuckets, row: Sequence[Any]) -> None:
    x_first, x_last, low, high, count = row
    result.x_first.append(x_first)
    result.x_last.append(x_last)
    result.low.append(float(low))
    result.high.append(float(high))
    result.count.append(count)
