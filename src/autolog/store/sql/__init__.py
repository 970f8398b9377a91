"""The SQL tracking store: SQLite (embedded default) and PostgreSQL through SQLAlchemy Core.

``SqlStore`` is imported on first use: ``_peek`` reads a local database with the standard
library alone, and must not pay for SQLAlchemy by importing this package."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog.store.sql._store import SqlStore

__all__ = ["SqlStore"]


def __getattr__(name: str) -> Any:
    if name == "SqlStore":
        from autolog.store.sql._store import SqlStore

        return SqlStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
