"""The store conformance suite through a real ``autolog server``: RestStore on SQLite and on
PostgreSQL (two uvicorn workers) behind it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autolog.store.rest import RestStore
from autolog.testing import StoreConformance
from tests.remote.conftest import clean_server
from tests.server.conftest import Server


class TestRemoteSqlite(StoreConformance):
    @pytest.fixture
    def store(self, server: Server) -> Iterator[RestStore]:
        yield RestStore.from_uri(server.url)
        clean_server(server)


@pytest.mark.postgres
class TestRemotePostgres(StoreConformance):
    @pytest.fixture
    def store(self, postgres_backed_server: Server) -> Iterator[RestStore]:
        yield RestStore.from_uri(postgres_backed_server.url)
        clean_server(postgres_backed_server)
