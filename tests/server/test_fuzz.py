"""Schemathesis generates requests from the served OpenAPI document: none may get a 500."""

from __future__ import annotations

import pytest

from tests.server.conftest import Server

schemathesis = pytest.importorskip("schemathesis")


def test_openapi_document_lists_the_api(server: Server) -> None:
    doc = server.client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/2.0/mlflow/runs/log-batch", "/api/2.0/mlflow/registered-models/alias",
                 "/api/2.0/mlflow-artifacts/artifacts/{path}", "/api/autolog/v1/runs/log-metric-columns"):
        assert path in doc["paths"], path


@pytest.mark.slow
def test_fuzzing_finds_no_server_error(server: Server) -> None:
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")
    failures = []
    for operation in schema.get_all_operations():
        op = operation.ok()

        strategy = op.as_strategy()

        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def check(case: object) -> None:
            response = case.call(base_url=server.url)  # type: ignore[attr-defined]
            if response.status_code >= 500:
                failures.append((op.label, response.status_code, response.text[:300]))

        check()
    assert failures == []
