"""The web UI's data endpoints (/api/autolog/ui/*) through a real server on the seeded store."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from typing import Any

import httpx

from tests.server.conftest import AUTOLOG, Server

UI = "/api/autolog/ui"


def test_experiments_with_run_counts_and_search(ui_server: Server, seeded: dict[str, Any]) -> None:
    found = ui_server.call("GET", f"{UI}/experiments").json()["experiments"]
    churn = next(e for e in found if e["experiment_id"] == seeded["experiment_id"])
    assert churn["name"] == "churn" and churn["runs"] >= 10 and churn["last_activity"] >= churn["creation_time"]
    assert [e["name"] for e in ui_server.call("GET", f"{UI}/experiments", params={"q": "CHUR"}).json()["experiments"]] == ["churn"]


def test_runs_page_sends_only_the_chosen_columns(ui_server: Server, seeded: dict[str, Any]) -> None:
    body = {
        "experiment_ids": [seeded["experiment_id"]], "filter": "params.model = 'mlp'", "order_by": ["metrics.acc DESC"],
        "max_results": 2, "columns": {"metrics": ["acc"], "params": ["lr"]},
    }
    page = ui_server.call("POST", f"{UI}/runs", json=body).json()
    assert [r["run_name"] for r in page["runs"]] == ["deep", "wide"]
    first = page["runs"][0]
    assert first["metrics"] == {"acc": 0.91} and first["params"] == {"lr": "0.02"} and first["tags"] == {}
    assert first["source"].endswith("seed.py") and first["status"] == "FINISHED" and page["next_offset"] == 2
    rest = ui_server.call("POST", f"{UI}/runs", json={**body, "offset": 2}).json()
    assert [r["run_name"] for r in rest["runs"]] == ["baseline"] and rest["next_offset"] is None
    trials = ui_server.call("POST", f"{UI}/runs", json={"experiment_ids": [seeded["experiment_id"]], "filter": "run_name LIKE 'trial-%'"}).json()
    assert {r["parent_run_id"] for r in trials["runs"]} == {seeded["runs"]["search"]}


def test_a_bad_filter_answers_400_with_the_column(ui_server: Server, seeded: dict[str, Any]) -> None:
    bad = ui_server.call("POST", f"{UI}/runs", json={"experiment_ids": [seeded["experiment_id"]], "filter": "metrics.acc >"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert re.search(r"at column \d+", bad.json()["message"])


def test_run_keys_for_the_column_picker(ui_server: Server, seeded: dict[str, Any]) -> None:
    keys = ui_server.call("GET", f"{UI}/run-keys", params={"experiment_ids": seeded["experiment_id"]}).json()
    assert {"lr", "depth", "model", "layers", "payload"} <= set(keys["params"])
    assert {"acc", "loss", "system/cpu_utilization_percentage"} <= set(keys["metrics"])
    assert "team" in keys["tags"] and keys["params"] == sorted(keys["params"])


def test_metric_series_in_buckets(ui_server: Server, seeded: dict[str, Any]) -> None:
    run_id = seeded["runs"]["trial-0"]
    whole = ui_server.call("GET", f"{UI}/metric-series", params={"run_id": run_id, "key": "loss"}).json()
    assert whole["points"] == 200 and whole["x_first"] == list(range(200)) and whole["high"] is None
    cut = ui_server.call("GET", f"{UI}/metric-series", params={"run_id": run_id, "key": "loss", "buckets": 10, "lo": 50, "hi": 149}).json()
    assert cut["points"] == 100 and cut["x_first"] == list(range(50, 150, 10)) and cut["x_last"] == list(range(59, 150, 10))
    assert all(lo <= hi for lo, hi in zip(cut["low"], cut["high"]))
    history = ui_server.api("GET", "metrics/get-history", params={"run_id": run_id, "metric_key": "loss"})["metrics"]
    assert max(cut["high"]) == max(m["value"] for m in history if 50 <= m["step"] <= 149)
    by_time = ui_server.call("GET", f"{UI}/metric-series", params={"run_id": run_id, "key": "loss", "x": "timestamp"}).json()
    assert by_time["x"] == "timestamp" and by_time["points"] == 200
    for params in ({"x": "wall"}, {"buckets": 0}, {"lo": 5, "hi": 1}):
        bad = ui_server.call("GET", f"{UI}/metric-series", params={"run_id": run_id, "key": "loss", **params})
        assert bad.status_code == 400, params
    assert ui_server.call("GET", f"{UI}/metric-series", params={"run_id": "0" * 32, "key": "loss"}).status_code == 404


def test_a_long_history_costs_one_bucket_per_pixel(ui_server: Server, seeded: dict[str, Any]) -> None:
    run = ui_server.api("POST", "runs/create", {"experiment_id": seeded["experiment_id"], "run_name": "long"})["run"]
    run_id = run["info"]["run_id"]
    n = 60_000
    values = [math.sin(i / 100) for i in range(n)]
    values[12_345] = 99.0
    ui_server.call("POST", "/api/autolog/v1/runs/log-metric-columns", json={"run_id": run_id, "metrics": [{"key": "m", "values": values}]})
    answer = ui_server.call("GET", f"{UI}/metric-series", params={"run_id": run_id, "key": "m", "buckets": 800})
    doc = answer.json()
    assert doc["points"] == n and len(doc["x_first"]) == 800 and max(doc["high"]) == 99.0
    assert len(answer.content) < 100_000


def test_model_directory_described(ui_server: Server, seeded: dict[str, Any]) -> None:
    doc = ui_server.call("GET", f"{UI}/model", params={"run_id": seeded["runs"]["artifacts"], "path": "model"}).json()
    assert doc["format"] == "autolog" and "sklearn" in doc["flavors"]
    assert any(r.startswith("scikit-learn==") for r in doc["requirements"])
    assert doc["signature"]["inputs"] and doc["input_example"]["data"] == [[0.1, 1.0], [0.4, 0.5]]
    missing = ui_server.call("GET", f"{UI}/model", params={"run_id": seeded["runs"]["artifacts"], "path": "plots"})
    assert missing.status_code == 404
    climbing = ui_server.call("GET", f"{UI}/model", params={"run_id": seeded["runs"]["artifacts"], "path": "../../.."})
    assert climbing.status_code == 400


def test_autolog_ui_serves_the_pages_and_says_where(seeded: dict[str, Any]) -> None:
    proc = subprocess.Popen([AUTOLOG, "ui", "--store", seeded["uri"], "--port", "0"], stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"autolog: web UI on (http://127\.0\.0\.1:\d+)", line)
        assert found, line
        for _ in range(200):
            try:
                page = httpx.get(found.group(1) + "/", timeout=5)
                break
            except httpx.TransportError:
                import time

                time.sleep(0.05)
        assert page.status_code == 200 and "/static/app.js" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr is not None:
            proc.stderr.close()
    assert sys.executable
