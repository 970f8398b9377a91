"""The SQL tracking store: SQLite (embedded default) and PostgreSQL through SQLAlchemy Core.

``SqlStore`` is imported on first use: ``_peek`` reads a local database with the standard
library alone, and must not pay for SQLAlchemy by importing this package."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog.store.sql._store import SqlStore

__all__ = ["SqlStore", "peek_run_artifact_uri"]


def peek_run_artifact_uri(uri: str, run_id: str) -> str | None:
    """A run's artifact URI read from a local SQLite store without opening it (None when it
    cannot be told so); the shortcut ``runs:/`` URIs take in a fresh process."""
    from autolog.store.sql import _peek

    return _peek.run_artifact_uri(uri, run_id)


def __getattr__(name: str) -> Any:
    if name == "SqlStore":
        from autolog.store.sql._store import SqlStore

        return SqlStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
