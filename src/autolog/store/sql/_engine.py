"""Opening a SQL database: tracking URIs, engines, SQLite settings, retries when busy.

SQLite and PostgreSQL share every query; the differences live here:

- SQLite runs in WAL mode (readers never wait for the writer) with ``synchronous=NORMAL``
  (durable at checkpoints, never corrupt) and foreign keys on. Write transactions start with
  ``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of both reading and then
  failing to upgrade; threads of one process queue on a Python lock first, so the busy
  handler only arbitrates between processes. A write that still meets "database is locked"
  is retried with backoff, so the message never reaches the user.
- PostgreSQL is reached through psycopg 3; deadlocks and serialization failures are retried.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlparse

from autolog.errors import AutologError, InvalidInputError, StoreError
from autolog.store._by_uri import uri_scheme

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine, URL

T = TypeVar("T")

#: how long SQLite waits for another process's write lock before the retry loop takes over
BUSY_TIMEOUT_MS = 5_000
#: how long a write keeps retrying a locked database before giving up with StoreError
RETRY_SECONDS = 120.0
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock detected
ARTIFACT_ROOT_ENV = "AUTOLOG_ARTIFACT_ROOT"
DB_FILE = "autolog.db"


@dataclass(frozen=True)
class Target:
    """Where a tracking URI points: the database URL and the default artifact root."""

    uri: str  # as the user wrote it
    display: str  # the same, with any password hidden (for messages)
    url: URL
    artifact_root: str

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def resolve(uri: str) -> Target:
    """Parse a tracking URI (a directory, ``file://``, ``sqlite:///``, ``postgresql://``)."""
    from sqlalchemy.engine import URL, make_url

    scheme = uri_scheme(uri)
    if scheme == "file":
        directory = _local_path(uri)
        if os.path.isfile(directory):
            raise InvalidInputError(
                f"tracking URI {uri!r} names a file, expected a directory (autolog keeps "
                f"{DB_FILE} and artifacts/ inside it); for a database file use sqlite:///{directory}"
            )
        os.makedirs(directory, exist_ok=True)
        url = URL.create("sqlite", database=os.path.join(directory, DB_FILE))
        return Target(uri, uri, url, _artifact_root(os.path.join(directory, "artifacts")))
    if scheme == "sqlite":
        database = make_url(uri).database
        if not database or database == ":memory:" or database.startswith("file:"):
            raise InvalidInputError(
                f"tracking URI {uri!r} names no database file; use sqlite:///path/to/file.db "
                "(several threads and processes share it), or 'memory:' for a throwaway store"
            )
        path = os.path.abspath(os.path.expanduser(database))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        url = URL.create("sqlite", database=path)
        root = os.path.join(os.path.dirname(path), "autolog-artifacts")
        return Target(uri, uri, url, _artifact_root(root))
    if scheme == "postgresql":
        url = make_url(uri)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        display = url.render_as_string(hide_password=True)
        if url.drivername != uri.split(":", 1)[0]:
            display = display.replace(url.drivername, uri.split(":", 1)[0], 1)
        return Target(uri, display, url, _artifact_root(os.path.abspath("autolog-artifacts")))
    raise InvalidInputError(
        f"the SQL store opens sqlite:///, postgresql:// and directory URIs, got {uri!r}"
    )


def _local_path(uri: str) -> str:
    if uri.startswith("file:"):
        uri = unquote(urlparse(uri).path)
    return os.path.abspath(os.path.expanduser(uri))


def _artifact_root(default: str) -> str:
    root = os.environ.get(ARTIFACT_ROOT_ENV) or default
    if uri_scheme(root) != "file":
        return root.rstrip("/")  # s3://bucket/prefix and friends stay URIs
    return _local_path(root)


def join_location(root: str, *parts: str) -> str:
    """``root/parts...``: a local path for local roots, a URI for the others."""
    if uri_scheme(root) == "file":
        return os.path.join(root, *parts)
    return "/".join([root.rstrip("/"), *parts])


# -- engines ----------------------------------------------------------------------------------


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # the driver must not issue BEGIN/COMMIT by itself: the "begin" hook below does
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # switching a new file to WAL takes an exclusive lock once; others may hold it then
        _retry(lambda: cursor.execute("PRAGMA journal_mode = WAL"), "sqlite")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # checkpoints (the only fsyncs with synchronous=NORMAL) every ~40 MB of WAL instead of
        # every 4 MB: big metric batches then pay for them far less often
        cursor.execute("PRAGMA wal_autocheckpoint = 10000")
        cursor.execute("PRAGMA journal_size_limit = 67108864")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
    from autolog.store.sql._translate import sqlite_ilike

    dbapi_connection.create_function("autolog_ilike", 2, sqlite_ilike, deterministic=True)


def _on_sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("autolog_write", False)
    # straight to the driver: a statement through SQLAlchemy costs more than the BEGIN itself
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # type: ignore[union-attr]


def _is_retryable(exc: BaseException, dialect: str) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if dialect == "sqlite":
        import sqlite3

        if not isinstance(exc, OperationalError) and not isinstance(orig, sqlite3.OperationalError):
            return False
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    return getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES


def _retry(attempt: Callable[[], T], dialect: str, display: str = "the database") -> T:
    deadline = time.monotonic() + RETRY_SECONDS
    delay = 0.002
    while True:
        try:
            return attempt()
        except Exception as exc:
            if not _is_retryable(exc, dialect):
                raise
            if time.monotonic() > deadline:
                raise StoreError(
                    f"{display} stayed locked by another writer for {RETRY_SECONDS:.0f} s; "
                    "check for a process holding a long transaction, then try again"
                ) from exc
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.25)


class Database:
    """An engine plus the transaction helpers every query goes through."""

    def __init__(self, target: Target) -> None:
        from sqlalchemy import create_engine, event

        self.target = target
        if target.is_sqlite:
            self.engine: Engine = create_engine(
                target.url,
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
                pool_size=4,
                max_overflow=60,
                pool_timeout=RETRY_SECONDS,
            )
            event.listen(self.engine, "connect", _on_sqlite_connect)
            event.listen(self.engine, "begin", _on_sqlite_begin)
        else:
            # positional parameters, like SQLite's: the metric insert hands tuples to the driver
            self.engine = create_engine(target.url, pool_pre_ping=True, paramstyle="format")
        self.dialect: str = self.engine.dialect.name
        self._write_lock: threading.Lock | None = threading.Lock() if target.is_sqlite else None
        self._held: Connection | None = None
        self._held_pid = 0

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a read transaction (one consistent snapshot)."""

        def attempt() -> T:
            with self.engine.connect() as conn:
                if self.dialect == "postgresql":  # SQLite's read transactions are snapshots already
                    conn.execution_options(isolation_level="REPEATABLE READ")
                return work(conn)

        return self._guard(lambda: _retry(attempt, self.dialect, self.target.display))

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retried whole if the database is busy."""
        if self._write_lock is not None:
            return self._sqlite_write(work, driver=False)

        def attempt() -> T:
            with self.engine.connect() as conn:
                conn.execution_options(autolog_write=True)
                with conn.begin():
                    return work(conn)

        return self._guard(lambda: _retry(attempt, self.dialect, self.target.display))

    def write_driver(self, work: Callable[[Any], T]) -> T:
        """``write`` for work that runs only driver SQL (``exec_driver_sql`` and ``dialect``
        are all it may use on the connection it gets): the run lifecycle and the background
        writer's batches. On SQLite the transaction then goes straight through the driver,
        whose own per-statement cost is a fraction of SQLAlchemy's around it."""
        if self._write_lock is None:
            return self.write(work)
        return self._sqlite_write(work, driver=True)

    def _sqlite_write(self, work: Callable[[Any], T], driver: bool) -> T:
        assert self._write_lock is not None
        with self._write_lock:
            return self._guard(lambda: _retry(lambda: self._held_write(work, driver), self.dialect, self.target.display))

    def _held_write(self, work: Callable[[Any], T], driver: bool) -> T:
        """SQLite: writes are one at a time anyway (the write lock), so they share one held
        connection; a pool checkout, check-in and reset per transaction cost more than the
        small transactions of a run's life. A connection that failed is dropped, and one
        inherited through ``fork`` is never used."""
        conn = self._held
        if conn is None or self._held_pid != os.getpid():
            conn = self.engine.connect()
            conn.execution_options(autolog_write=True)
            self._held, self._held_pid = conn, os.getpid()
        try:
            if not driver:
                with conn.begin():
                    return work(conn)
            raw = _DriverConnection(conn.connection.driver_connection, self.engine.dialect)
            raw.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                result = work(raw)
            except BaseException:
                try:
                    raw.exec_driver_sql("ROLLBACK")
                except Exception:  # the original error says more; the connection is dropped
                    pass
                raise
            raw.exec_driver_sql("COMMIT")
            return result
        except AutologError:
            raise  # refused by our own checks: the connection is fine
        except BaseException:
            self._drop_held()
            raise

    def _drop_held(self) -> None:
        conn, self._held = self._held, None
        if conn is not None and self._held_pid == os.getpid():
            try:
                conn.close()
            except Exception:  # closing a broken connection: nothing more to do
                pass

    def _guard(self, call: Callable[[], T]) -> T:
        from sqlalchemy.exc import DBAPIError

        try:
            return call()
        except DBAPIError as exc:
            raise StoreError(f"the tracking database at {self.target.display} failed: {exc.orig}") from exc

    def close(self) -> None:
        if self._write_lock is not None:
            with self._write_lock:
                self._drop_held()
        self.engine.dispose()


class _DriverConnection:
    """What driver-SQL work may call (``Database.write_driver``), straight on a sqlite3
    connection in autocommit mode. Driver errors are raised as SQLAlchemy's, like
    ``Connection.exec_driver_sql`` does, so retries and error messages stay the same."""

    def __init__(self, raw: Any, dialect: Any) -> None:
        self._raw = raw
        self.dialect = dialect

    def exec_driver_sql(self, sql: str, params: Any = None) -> _Rows:
        import sqlite3

        try:
            if isinstance(params, list):
                cursor = self._raw.executemany(sql, params)
            else:
                cursor = self._raw.execute(sql, params if params is not None else ())
        except sqlite3.Error as exc:
            from sqlalchemy.exc import DBAPIError

            raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
        return _Rows(cursor)


class _Rows:
    """A driver cursor's rows, read as SQLAlchemy's results are: ``first()``, iteration, and
    columns as attributes."""

    _types: dict[tuple[str, ...], Any] = {}

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def _row_type(self) -> Any:
        names = tuple(column[0] for column in self._cursor.description)
        found = self._types.get(names)
        if found is None:
            from collections import namedtuple

            found = self._types[names] = namedtuple("Row", names, rename=True)
        return found

    def first(self) -> Any:
        row = self._cursor.fetchone()
        if row is None:
            return None
        self._cursor.close()
        return self._row_type()._make(row)

    def __iter__(self) -> Any:
        if self._cursor.description is None:
            return iter(())
        make = self._row_type()._make
        return (make(row) for row in self._cursor)
