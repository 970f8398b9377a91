"""Real ``autolog server`` processes on loopback for the remote store, on SQLite and PostgreSQL.

A server per test module (starting one takes a second or two); ``clean_server`` frees every
name a test used afterwards (experiments renamed away, registered models deleted), so each
test sees the fresh-store behaviour the conformance suites expect.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.server.conftest import Server, server, start_server, stop_server  # noqa: F401

# ``server`` (from tests/server): a server per module on a SQLite store, artifacts under it


@pytest.fixture(autouse=True)
def _fresh_links(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no open connection pool, link or spool; the mode is 'online'
    unless the test sets AUTOLOG_MODE itself."""
    from autolog.store.rest._link import forget_links

    monkeypatch.setenv("AUTOLOG_MODE", "online")
    forget_links()
    yield
    forget_links()


@pytest.fixture(scope="module")
def postgres_backed_server(postgres_server: str, _postgres_template: tuple[str, str]) -> Iterator[Server]:
    """A server on a PostgreSQL database of its own with 2 workers; artifacts under the root
    the database's Default experiment uses."""
    from tests.conftest import _create_database

    template, artifacts = _postgres_template
    uri = _create_database(postgres_server, f"remote_{uuid.uuid4().hex[:12]}", template)
    running = start_server(uri, artifacts, "--workers", "2")
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(params=["sqlite", "postgres"])
def any_server(request: pytest.FixtureRequest) -> Server:
    name = "server" if request.param == "sqlite" else "postgres_backed_server"
    found: Server = request.getfixturevalue(name)
    return found


def clean_server(server: Server) -> None:
    """Free the names a test used: experiments renamed to unique names and deleted with their
    runs, registered models deleted."""
    found = server.api("POST", "experiments/search", {"view_type": "ALL", "max_results": 50000})
    for experiment in found.get("experiments", []):
        eid = experiment["experiment_id"]
        if eid != "0" and not experiment["name"].startswith("used-"):
            if experiment["lifecycle_stage"] == "deleted":  # it keeps its name, refuses renames
                server.api("POST", "experiments/restore", {"experiment_id": eid})
            server.api("POST", "experiments/update", {"experiment_id": eid, "new_name": f"used-{uuid.uuid4().hex}"})
            server.api("POST", "experiments/delete", {"experiment_id": eid})  # and its runs
    models = server.api("GET", "registered-models/search", params={"max_results": 1000})
    for model in models.get("registered_models", []):
        server.api("DELETE", "registered-models/delete", {"name": model["name"]})
