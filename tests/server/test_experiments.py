"""Experiments through a real server: MLflow's paths, shapes and error codes."""

from __future__ import annotations

import uuid

from tests.server.conftest import Server


def _name() -> str:
    return f"exp-{uuid.uuid4().hex[:8]}"


def test_create_get_by_id_and_name(server: Server) -> None:
    name = _name()
    created = server.api("POST", "experiments/create", {"name": name, "tags": [{"key": "team", "value": "risk"}]})
    experiment_id = created["experiment_id"]
    assert isinstance(experiment_id, str)
    got = server.api("GET", "experiments/get", params={"experiment_id": experiment_id})["experiment"]
    assert got["name"] == name
    assert got["lifecycle_stage"] == "active"
    assert got["tags"] == [{"key": "team", "value": "risk"}]
    # artifacts go through this server's proxy
    assert got["artifact_location"] == f"mlflow-artifacts:/{experiment_id}"
    by_name = server.api("GET", "experiments/get-by-name", params={"experiment_name": name})["experiment"]
    assert by_name == got


def test_errors_are_mlflow_shaped(server: Server) -> None:
    name = _name()
    server.api("POST", "experiments/create", {"name": name})
    again = server.call("POST", "/api/2.0/mlflow/experiments/create", {"name": name})
    assert again.status_code == 400
    assert again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    missing = server.call("GET", "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": "nope-" + name})
    assert missing.status_code == 404
    assert missing.json() == {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Could not find experiment with name 'nope-{name}'"}
    no_name = server.call("POST", "/api/2.0/mlflow/experiments/create", {})
    assert (no_name.status_code, no_name.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    unknown = server.call("GET", "/api/2.0/mlflow/no-such-thing")
    assert unknown.status_code == 404 and unknown.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    for body in (b"{not json", b"[1, 2]", b'"text"'):
        bad = server.call("POST", "/api/2.0/mlflow/experiments/create", content=body)
        assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE", bad.text


def test_rename_delete_restore_tag_and_search(server: Server) -> None:
    name = _name()
    experiment_id = server.api("POST", "experiments/create", {"name": name})["experiment_id"]
    server.api("POST", "experiments/update", {"experiment_id": experiment_id, "new_name": name + "-b"})
    server.api("POST", "experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "k", "value": "v"})
    found = server.api("POST", "experiments/search", {"filter": f"name = '{name}-b'"})["experiments"]
    assert [e["experiment_id"] for e in found] == [experiment_id]
    assert found[0]["tags"] == [{"key": "k", "value": "v"}]
    server.api("POST", "experiments/delete", {"experiment_id": experiment_id})
    active = server.api("GET", "experiments/search", params={"filter": f"name = '{name}-b'"})
    assert active.get("experiments", []) == []
    deleted = server.api("POST", "experiments/search", {"filter": f"name = '{name}-b'", "view_type": "DELETED_ONLY"})
    assert [e["lifecycle_stage"] for e in deleted["experiments"]] == ["deleted"]
    server.api("POST", "experiments/restore", {"experiment_id": experiment_id})
    assert server.api("GET", "experiments/get", params={"experiment_id": experiment_id})["experiment"]["lifecycle_stage"] == "active"


def test_search_pages(server: Server) -> None:
    prefix = _name()
    for i in range(5):
        server.api("POST", "experiments/create", {"name": f"{prefix}-{i}"})
    seen, token = [], None
    while True:
        body = {"filter": f"name LIKE '{prefix}-%'", "max_results": 2, "order_by": ["name ASC"]}
        if token:
            body["page_token"] = token
        page = server.api("POST", "experiments/search", body)
        seen += [e["name"] for e in page["experiments"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == [f"{prefix}-{i}" for i in range(5)]
