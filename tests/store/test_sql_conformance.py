"""The store conformance suite on SQLite (a file per test) and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autolog.store.sql import SqlStore
from autolog.testing import StoreConformance


class TestSqliteStore(StoreConformance):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SqlStore]:
        store = SqlStore.from_uri(f"sqlite:///{tmp_path}/autolog.db")
        yield store
        store.close()


@pytest.mark.postgres
class TestPostgresStore(StoreConformance):
    @pytest.fixture
    def store(self, fresh_postgres_uri: str) -> Iterator[SqlStore]:
        store = SqlStore.from_uri(fresh_postgres_uri)
        yield store
        store.close()
