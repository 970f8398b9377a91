"""The SQL tracking store: SQLite (embedded default) and PostgreSQL through SQLAlchemy Core."""

from autolog.store.sql._store import SqlStore

__all__ = ["SqlStore"]
