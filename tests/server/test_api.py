"""Runs, metrics, the registry, logged models and our additions through a real server."""

from __future__ import annotations

import math
import uuid

import pytest

from tests.server.conftest import Server


def new_run(server: Server, **extra: object) -> str:
    experiment_id = server.api("POST", "experiments/create", {"name": f"e-{uuid.uuid4().hex[:8]}"})["experiment_id"]
    body = {"experiment_id": experiment_id, "start_time": 1000, "user_id": "ann", **extra}
    return server.api("POST", "runs/create", body)["run"]["info"]["run_id"]  # type: ignore[no-any-return]


def test_run_lifecycle_and_data(server: Server) -> None:
    run_id = new_run(server, run_name="first", tags=[{"key": "team", "value": "risk"}])
    server.api("POST", "runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
    server.api("POST", "runs/log-metric", {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 5, "step": 1})
    server.api("POST", "runs/log-metric", {"run_uuid": run_id, "key": "loss", "value": "NaN", "timestamp": 6, "step": 2})
    server.api("POST", "runs/log-batch", {
        "run_id": run_id,
        "metrics": [{"key": "acc", "value": 0.9, "timestamp": 7, "step": 0}],
        "params": [{"key": "depth", "value": "3"}],
        "tags": [{"key": "note", "value": "ok"}],
    })
    server.api("POST", "runs/set-tag", {"run_id": run_id, "key": "gone", "value": "x"})
    server.api("POST", "runs/delete-tag", {"run_id": run_id, "key": "gone"})
    run = server.api("GET", "runs/get", params={"run_id": run_id})["run"]
    assert run["info"]["run_name"] == "first" and run["info"]["status"] == "RUNNING"
    assert run["info"]["artifact_uri"].startswith("mlflow-artifacts:/")
    assert {p["key"]: p["value"] for p in run["data"]["params"]} == {"lr": "0.1", "depth": "3"}
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["team"] == "risk" and tags["note"] == "ok" and "gone" not in tags
    assert {m["key"]: m["value"] for m in run["data"]["metrics"]} == {"loss": "NaN", "acc": 0.9}
    history = server.api("GET", "metrics/get-history", params={"run_id": run_id, "metric_key": "loss"})["metrics"]
    assert [(m["step"], m["value"]) for m in history] == [(1, 0.5), (2, "NaN")]
    info = server.api("POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 2000})["run_info"]
    assert (info["status"], info["end_time"]) == ("FINISHED", 2000)
    refused = server.call("POST", "/api/2.0/mlflow/runs/log-metric", {"run_id": run_id, "key": "late", "value": 1, "timestamp": 1})
    assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_STATE"
    server.api("POST", "runs/delete", {"run_id": run_id})
    assert server.api("GET", "runs/get", params={"run_id": run_id})["run"]["info"]["lifecycle_stage"] == "deleted"
    server.api("POST", "runs/restore", {"run_id": run_id})
    missing = server.call("GET", "/api/2.0/mlflow/runs/get", params={"run_id": "0" * 32})
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_a_changed_param_is_refused_and_the_batch_writes_nothing(server: Server) -> None:
    run_id = new_run(server)
    server.api("POST", "runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
    bad = server.call("POST", "/api/2.0/mlflow/runs/log-batch", json={
        "run_id": run_id, "params": [{"key": "lr", "value": "0.2"}],
        "metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": 0}],
    })
    assert bad.status_code == 400 and "lr" in bad.json()["message"]
    assert server.api("GET", "runs/get", params={"run_id": run_id})["run"]["data"]["metrics"] == []


def test_search_runs_with_or_parentheses_order_and_pages(server: Server) -> None:
    experiment_id = server.api("POST", "experiments/create", {"name": f"s-{uuid.uuid4().hex[:8]}"})["experiment_id"]
    ids = []
    for i in range(6):
        run_id = server.api("POST", "runs/create", {"experiment_id": experiment_id, "start_time": i})["run"]["info"]["run_id"]
        server.api("POST", "runs/log-batch", {
            "run_id": run_id, "metrics": [{"key": "acc", "value": i / 10, "timestamp": 1, "step": 0}],
            "params": [{"key": "model", "value": "rf" if i % 2 else "lr"}],
        })
        ids.append(run_id)
    body = {
        "experiment_ids": [experiment_id],
        "filter": "(params.model = 'rf' AND metrics.acc > 0.2) OR metrics.acc < 0.1",
        "order_by": ["metrics.acc DESC"], "max_results": 2,
    }
    first = server.api("POST", "runs/search", body)
    assert [r["info"]["run_id"] for r in first["runs"]] == [ids[5], ids[3]]
    rest = server.api("POST", "runs/search", {**body, "page_token": first["next_page_token"]})
    assert [r["info"]["run_id"] for r in rest["runs"]] == [ids[0]] and "next_page_token" not in rest
    ours = server.call("POST", "/api/autolog/v1/runs/search", json=body).json()
    assert ours["runs"] == first["runs"]
    bad = server.call("POST", "/api/2.0/mlflow/runs/search", json={"experiment_ids": [experiment_id], "filter": "metrics.acc >"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_columnar_metric_batch(server: Server) -> None:
    run_id = new_run(server)
    n = 50_000
    body = {"run_id": run_id, "metrics": [
        {"key": "loss", "values": [1.0 / (i + 1) for i in range(n)]},
        {"key": "lr", "values": [0.1, "NaN"], "steps": [10, 20], "timestamps": [1, 2]},
    ]}
    answer = server.call("POST", "/api/autolog/v1/runs/log-metric-columns", json=body)
    assert answer.status_code == 200 and answer.json() == {"points": n + 2}
    history = server.api("GET", "metrics/get-history", params={"run_id": run_id, "metric_key": "loss", "max_results": 50_000})["metrics"]
    assert len(history) == n and history[-1]["step"] == n - 1
    lr = server.api("GET", "metrics/get-history", params={"run_id": run_id, "metric_key": "lr"})["metrics"]
    assert [(m["step"], m["timestamp"], m["value"]) for m in lr] == [(10, 1, 0.1), (20, 2, "NaN")]
    ragged = server.call("POST", "/api/autolog/v1/runs/log-metric-columns", json={
        "run_id": run_id, "metrics": [{"key": "x", "values": [1, 2], "steps": [1]}]})
    assert ragged.status_code == 400 and "same length" in ragged.json()["message"]


def test_registry_versions_aliases_and_history(server: Server) -> None:
    run_id = new_run(server)
    name = f"model-{uuid.uuid4().hex[:8]}"
    created = server.api("POST", "registered-models/create", {"name": name, "description": "d"})
    assert created["registered_model"]["name"] == name
    again = server.call("POST", "/api/2.0/mlflow/registered-models/create", json={"name": name})
    assert again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    source = f"mlflow-artifacts:/0/{run_id}/artifacts/model"
    v1 = server.api("POST", "model-versions/create", {"name": name, "source": source, "run_id": run_id})["model_version"]
    v2 = server.api("POST", "model-versions/create", {"name": name, "source": source})["model_version"]
    assert (v1["version"], v2["version"], v1["status"]) == ("1", "2", "READY")
    assert v1["source"] == source  # mapped under the root and back
    server.api("POST", "registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
    server.api("POST", "registered-models/alias", {"name": name, "alias": "champion", "version": "2"})
    by_alias = server.api("GET", "registered-models/alias", params={"name": name, "alias": "champion"})["model_version"]
    assert by_alias["version"] == "2" and by_alias["aliases"] == ["champion"]
    model = server.api("GET", "registered-models/get", params={"name": name})["registered_model"]
    assert model["aliases"] == [{"alias": "champion", "version": "2"}]
    assert [v["version"] for v in model["latest_versions"]] == ["2"]
    assert server.api("GET", "model-versions/get-download-uri", params={"name": name, "version": "1"}) == {"artifact_uri": source}
    found = server.api("GET", "model-versions/search", params={"filter": f"name = '{name}' AND version >= 2"})
    assert [v["version"] for v in found["model_versions"]] == ["2"]
    listed = server.api("GET", "registered-models/search", params={"filter": f"name LIKE '{name}%'"})
    assert [m["name"] for m in listed["registered_models"]] == [name]
    server.api("POST", "model-versions/set-tag", {"name": name, "version": "1", "key": "k", "value": "v"})
    server.api("PATCH", "model-versions/update", {"name": name, "version": "1", "description": "first"})
    got = server.api("GET", "model-versions/get", params={"name": name, "version": "1"})["model_version"]
    assert got["tags"] == [{"key": "k", "value": "v"}] and got["description"] == "first"
    events = server.call("GET", "/api/autolog/v1/registered-models/events", params={"name": name}).json()["events"]
    moves = [(e["kind"], e["alias"], e["previous_version"], e["version"]) for e in events if e["kind"].startswith("alias")]
    assert moves == [("alias_set", "champion", None, 1), ("alias_set", "champion", 1, 2)]
    stage = server.call("POST", "/api/2.0/mlflow/model-versions/transition-stage", json={"name": name, "version": "1", "stage": "Production"})
    assert stage.status_code == 400 and "alias" in stage.json()["message"]
    server.api("DELETE", "registered-models/alias", {"name": name, "alias": "champion"})
    server.api("DELETE", "model-versions/delete", {"name": name, "version": "2"})
    server.api("DELETE", "registered-models/delete", {"name": name})
    assert server.call("GET", "/api/2.0/mlflow/registered-models/get", params={"name": name}).status_code == 404


def test_logged_models(server: Server) -> None:
    run_id = new_run(server)
    experiment_id = server.api("GET", "runs/get", params={"run_id": run_id})["run"]["info"]["experiment_id"]
    model = server.api("POST", "logged-models", {
        "experiment_id": experiment_id, "name": "clf", "source_run_id": run_id,
        "tags": [{"key": "a", "value": "1"}], "params": [{"key": "p", "value": "2"}],
    })["model"]
    model_id = model["info"]["model_id"]
    assert model["info"]["status"] == "LOGGED_MODEL_PENDING"
    assert model["info"]["artifact_uri"] == f"mlflow-artifacts:/{experiment_id}/models/{model_id}/artifacts"
    assert model["data"]["params"] == [{"key": "p", "value": "2"}]
    upload = server.call("PUT", f"/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/models/{model_id}/artifacts/MLmodel", content=b"flavors: {}\n")
    assert upload.status_code == 200
    done = server.api("PATCH", f"logged-models/{model_id}", {"status": "LOGGED_MODEL_READY"})["model"]
    assert done["info"]["status"] == "LOGGED_MODEL_READY"
    server.api("PATCH", f"logged-models/{model_id}/tags", {"tags": [{"key": "b", "value": "2"}]})
    server.api("DELETE", f"logged-models/{model_id}/tags/a")
    got = server.api("GET", f"logged-models/{model_id}")["model"]
    assert got["info"]["tags"] == [{"key": "b", "value": "2"}]
    files = server.api("GET", f"logged-models/{model_id}/artifacts/directories")["files"]
    assert files == [{"path": "MLmodel", "is_dir": False, "file_size": 12}]
    found = server.api("POST", "logged-models/search", {"experiment_ids": [experiment_id], "filter": "name = 'clf'"})
    assert [m["info"]["model_id"] for m in found["models"]] == [model_id]
    version = server.api("POST", "model-versions/create", {"name": _registered(server), "source": f"models:/{model_id}", "model_id": model_id})
    assert version["model_version"]["source"] == model["info"]["artifact_uri"]
    assert version["model_version"]["run_id"] == run_id
    server.api("DELETE", f"logged-models/{model_id}")
    assert server.call("GET", f"/api/2.0/mlflow/logged-models/{model_id}").status_code == 404


def _registered(server: Server) -> str:
    name = f"lm-{uuid.uuid4().hex[:8]}"
    server.api("POST", "registered-models/create", {"name": name})
    return name


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinite_metrics_round_trip_as_strict_json(server: Server, value: float) -> None:
    run_id = new_run(server)
    text = "Infinity" if value > 0 else "-Infinity"
    server.api("POST", "runs/log-metric", {"run_id": run_id, "key": "m", "value": text, "timestamp": 1})
    answer = server.call("GET", "/api/2.0/mlflow/runs/get", params={"run_id": run_id})
    assert "Infinity" in answer.text and answer.json()["run"]["data"]["metrics"] == [{"key": "m", "value": text}]
