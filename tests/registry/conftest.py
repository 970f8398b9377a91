"""A fresh tracking store per test on each backend: memory, SQLite, PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

import autolog


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def tracking_uri(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The current tracking URI, set for the fluent API and every Client in the test."""
    if request.param == "memory":
        uri = f"memory:{uuid.uuid4().hex}"
    elif request.param == "sqlite":
        uri = str(tmp_path_factory.mktemp("registry"))
    else:
        # a database of its own: runs and models never leak into other tests
        uri = request.getfixturevalue("fresh_postgres_uri")
    autolog.set_tracking_uri(uri)
    yield uri


@pytest.fixture
def client(tracking_uri: str) -> autolog.Client:
    return autolog.Client(tracking_uri)


@pytest.fixture
def model_uri(tracking_uri: str) -> str:
    """A small python-flavor model logged into a run of the current store."""
    with autolog.start_run():
        info = autolog.log_model(_Doubler(), "model", flavor="python")
    return info.model_uri


class _Doubler:
    def predict(self, data: list[float]) -> list[float]:
        return [2 * x for x in data]
