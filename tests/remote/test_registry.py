"""The registry tests (tests/registry) through a real server, on SQLite and PostgreSQL.

The same test functions run here with ``tracking_uri`` naming the server: registering from a
run logged through it, models:/ URIs loaded through its artifact proxy, aliases, history,
search, and register_model from several processes at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import autolog
from tests.registry.conftest import client, model_uri  # noqa: F401  (on the tracking_uri below)
from tests.registry.test_concurrent import test_concurrent_register_model  # noqa: F401
from tests.registry.test_registry import *  # noqa: F401,F403
from tests.remote.conftest import clean_server
from tests.server.conftest import Server


@pytest.fixture
def tracking_uri(any_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # models come through the network here: loading their pickles would warn (rightly)
    monkeypatch.setenv("AUTOLOG_TRUST_PICKLES", "1")
    autolog.set_tracking_uri(any_server.url)
    yield any_server.url
    clean_server(any_server)
