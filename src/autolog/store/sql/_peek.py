"""One run's artifact location, read from a local SQLite store without opening it.

Loading a model by ``runs:/`` in a fresh process needs nothing from the tracking store but
the run's artifact URI. Opening the ``SqlStore`` imports SQLAlchemy and checks the schema,
which costs more than loading a small model. For a local database that the built-in store
serves, already at the current schema, this reads the one row read-only with the standard
library's ``sqlite3``. Anything else (another backend or plugin, an older or newer schema, an
unknown run, a database that cannot be read this way) gives None, and the caller opens the
store as usual, which then gives the right answer or error.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse

from autolog.store.sql._engine import DB_FILE, _local_path
from autolog.store.sql.migrations import HEAD


def database_file(uri: str) -> str | None:
    """The SQLite file a directory, ``file://`` or plain ``sqlite:///`` URI names, when it
    exists. (Called for the schemes the built-in store is registered under, through
    ``peek_run_artifact_uri`` in this package.)"""
    from autolog.store._by_uri import uri_scheme

    scheme = uri_scheme(uri)
    if scheme == "file":
        path = os.path.join(_local_path(uri), DB_FILE)
    elif scheme == "sqlite" and uri.startswith("sqlite:///") and "?" not in uri:
        path = os.path.abspath(os.path.expanduser(uri[len("sqlite:///") :]))
    else:
        return None
    return path if os.path.isfile(path) else None


def run_artifact_uri(tracking_uri: str, run_id: str) -> str | None:
    """The artifact URI of run ``run_id``, or None when it cannot be told this way."""
    path = database_file(tracking_uri)
    if path is None:
        return None
    try:
        conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro", uri=True, timeout=5)
        try:
            version = conn.execute("SELECT version_num FROM autolog_alembic_version").fetchone()
            if version is None or version[0] != HEAD:
                return None
            row = conn.execute("SELECT artifact_uri FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row is not None and row[0] else None
