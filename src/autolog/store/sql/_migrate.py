"""Schema versions: create a new database at head, refuse an outdated one, upgrade on request.

Alembic is configured in code (no ini file), with the script location inside this installed
package, so ``autolog db upgrade`` works from a wheel. Creating and upgrading happen under a
lock held in the database itself (SQLite's write lock, a PostgreSQL advisory lock), so several
processes opening a new database at once create it exactly once.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from autolog.core._clock import now_ms
from autolog.errors import SchemaOutdatedError, StoreError
from autolog.store.sql import _schema as t
from autolog.store.sql._engine import Database, join_location
from autolog.store.sql.migrations import HEAD

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection

VERSION_TABLE = "autolog_alembic_version"
SCRIPT_LOCATION = os.path.join(os.path.dirname(__file__), "migrations")
DEFAULT_EXPERIMENT_ID = 0
DEFAULT_EXPERIMENT_NAME = "Default"
# any constant works: it only has to be the same in every autolog process
_PG_LOCK_KEY = 0x6175746F6C6F67  # "autolog"


@functools.lru_cache(maxsize=8)
def _scripts(location: str) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(location)


def head_revision(location: str = SCRIPT_LOCATION) -> str:
    head = _scripts(location).get_current_head()
    assert head is not None, f"no alembic revisions in {location}"
    return head


def _known(revision: str, location: str) -> bool:
    from alembic.util import CommandError

    try:
        return _scripts(location).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(conn: Connection) -> tuple[bool, str | None]:
    """(whether the version table exists, the revision it records)."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table(VERSION_TABLE):
        return False, None
    row = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    return True, None if row is None else str(row[0])


def _recorded_revision(conn: Connection) -> str | None:
    """The revision the version table records, or None when it cannot be read at all."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    # a savepoint keeps PostgreSQL's transaction usable when the table does not exist
    try:
        with conn.begin_nested():
            row = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    except DBAPIError:
        return None
    return None if row is None else str(row[0])


def open_database(uri: str) -> Database:
    """The database a tracking URI names, without looking at its schema (for ``autolog db``)."""
    from autolog.store.sql._engine import resolve

    return Database(resolve(uri))


def _state(conn: Connection) -> tuple[bool, str | None, bool]:
    """(version table exists, recorded revision, the experiments table exists)."""
    from sqlalchemy import inspect

    versioned, current = current_revision(conn)
    return versioned, current, inspect(conn).has_table(t.experiments.name)


def _refuse_unusable(
    db: Database, state: tuple[bool, str | None, bool], location: str
) -> None:
    """Raise for databases that no upgrade can fix."""
    versioned, current, has_tables = state
    if not versioned and has_tables:
        raise StoreError(
            f"the database at {db.target.display} has an 'experiments' table but no "
            f"{VERSION_TABLE} table: autolog did not create it. Give autolog a database of "
            "its own"
        )
    if versioned and current is None and has_tables:
        raise StoreError(
            f"the schema version row of {db.target.display} is missing ({VERSION_TABLE} is "
            "empty) although its tables exist, so no upgrade path is known; restore the "
            "database from a backup"
        )
    if current is not None and not _known(current, location):
        raise StoreError(
            f"the tracking database at {db.target.display} has schema revision {current}, "
            f"which this autolog (head {head_revision(location)}) does not know: a newer "
            "autolog wrote it. Upgrade autolog (pip install -U autolog)"
        )


def check(db: Database, location: str = SCRIPT_LOCATION) -> bool:
    """Raise if the database cannot be used as it is; True if it has no autolog schema yet.

    An older schema raises SchemaOutdatedError, whose message names ``autolog db upgrade``.
    """
    if location == SCRIPT_LOCATION and db.read(_recorded_revision) == HEAD:
        return False  # up to date: alembic is not even imported
    state = db.read(_state)
    versioned, current, has_tables = state
    head = head_revision(location)
    if current == head:
        return False
    _refuse_unusable(db, state, location)
    if not versioned or (current is None and not has_tables):
        return True  # new and empty: the caller creates the schema
    raise SchemaOutdatedError(db.target.display, current, head)


def upgrade(
    db: Database, default_artifact_location: str, location: str = SCRIPT_LOCATION
) -> tuple[str | None, str]:
    """Bring the schema to head and make sure the Default experiment exists.

    Returns (revision before, revision after). Safe to run while other processes open the
    same database: they wait for the lock, then find it at head.
    """

    def work(conn: Connection) -> tuple[str | None, str]:
        from alembic import command
        from alembic.config import Config
        from sqlalchemy import text

        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        state = _state(conn)
        _refuse_unusable(db, state, location)
        config = Config()
        config.set_main_option("script_location", location)
        config.set_main_option("version_table", VERSION_TABLE)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        _ensure_default_experiment(conn, default_artifact_location)
        return state[1], head_revision(location)

    return db.write(work)


def _ensure_default_experiment(conn: Connection, artifact_root: str) -> None:
    from sqlalchemy import select

    found = conn.execute(
        select(t.experiments.c.experiment_id).where(
            t.experiments.c.experiment_id == DEFAULT_EXPERIMENT_ID
        )
    ).first()
    if found is not None:
        return
    now = now_ms()
    conn.execute(
        t.experiments.insert().values(
            experiment_id=DEFAULT_EXPERIMENT_ID,
            name=DEFAULT_EXPERIMENT_NAME,
            artifact_location=join_location(artifact_root, str(DEFAULT_EXPERIMENT_ID)),
            lifecycle_stage="active",
            creation_time=now,
            last_update_time=now,
        )
    )
