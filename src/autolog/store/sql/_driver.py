"""The small statements every run makes, compiled once and run as driver SQL.

``Connection.execute`` of a Core statement pays for cache-key generation, parameter processing
and result set-up on every call. For the few-row statements of a run's life (create it, write
its last batch, end it) that costs several times the database work, and it is paid inside the
user's training call. These statements are compiled once per dialect into SQL with positional
parameters and run through ``exec_driver_sql``, which still wraps driver errors in
SQLAlchemy's exceptions (the retry and error handling of ``_engine`` see the same types).

Only statements whose columns need no type conversion belong here (strings, integers, floats,
booleans), since bind and result processors are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql import Executable

_compiled: dict[tuple[str, Hashable], tuple[str, tuple[str, ...]]] = {}


def compiled(conn: Connection, key: Hashable, build: Callable[[], Executable], column_keys: Sequence[str] | None = None) -> tuple[str, tuple[str, ...]]:
    """(SQL, parameter names in order) of the statement ``build()`` makes, for this dialect."""
    dialect = conn.dialect
    found = _compiled.get((dialect.name, key))
    if found is None:
        statement: Any = build()
        done = statement.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        if not done.positional or done.positiontup is None:
            raise AssertionError(f"the {dialect.name} dialect did not compile {key!r} to positional SQL")
        found = _compiled[(dialect.name, key)] = (str(done), tuple(done.positiontup))
    return found


def execute(
    conn: Connection,
    key: Hashable,
    build: Callable[[], Executable],
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    column_keys: Sequence[str] | None = None,
) -> Any:
    """Run the statement ``build()`` makes (compiled once per dialect and ``key``) with
    ``params``: one mapping, or a non-empty list of them (executemany)."""
    sql, names = compiled(conn, key, build, column_keys)
    if isinstance(params, Mapping):
        return conn.exec_driver_sql(sql, tuple([params[name] for name in names]))
    return conn.exec_driver_sql(sql, [tuple([row[name] for name in names]) for row in params])


def execute_rows(
    conn: Connection,
    key: Hashable,
    build: Callable[[], Executable],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """executemany of ``rows``, tuples of ``columns`` values, through the statement ``build()``
    makes (compiled with ``columns`` as its parameters)."""
    sql, names = compiled(conn, key, build, columns)
    if names != tuple(columns):
        order = [columns.index(name) for name in names]
        rows = [tuple([row[i] for i in order]) for row in rows]
    conn.exec_driver_sql(sql, list(rows))
