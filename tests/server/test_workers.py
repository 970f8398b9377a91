"""Several uvicorn workers on one PostgreSQL store; writers in several processes lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import start_server, stop_server

WRITER = r"""
import json, sys, httpx
url, run_id, shared, who = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with httpx.Client(base_url=url, timeout=60) as client:
    for batch in range(40):
        metrics = [{"key": f"w{who}", "value": float(i), "timestamp": 1, "step": batch * 100 + i} for i in range(100)]
        for target in (run_id, shared):
            r = client.post("/api/2.0/mlflow/runs/log-batch", json={"run_id": target, "metrics": metrics})
            assert r.status_code == 200, r.text
        r = client.post("/api/2.0/mlflow/runs/log-parameter", json={"run_id": shared, "key": f"p{who}", "value": str(who)})
        assert r.status_code == 200, r.text
print(json.dumps({"done": who}))
"""


@pytest.mark.postgres
@pytest.mark.slow
def test_four_writer_processes_through_three_workers(fresh_postgres_uri: str, tmp_path: Path) -> None:
    server = start_server(fresh_postgres_uri, str(tmp_path / "artifacts"), "--workers", "3")
    try:
        experiment_id = server.api("POST", "experiments/create", {"name": "load"})["experiment_id"]
        shared = server.api("POST", "runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]
        runs = [server.api("POST", "runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"] for _ in range(4)]
        writers = [
            subprocess.Popen([sys.executable, "-c", WRITER, server.url, run_id, shared, str(who)], stdout=subprocess.PIPE, text=True)
            for who, run_id in enumerate(runs)
        ]
        for writer in writers:
            out, _ = writer.communicate(timeout=600)
            assert writer.returncode == 0
            assert json.loads(out)["done"] in range(4)
        for who, run_id in enumerate(runs):
            history = server.api("GET", "metrics/get-history", params={"run_id": run_id, "metric_key": f"w{who}", "max_results": 50_000})["metrics"]
            assert sorted(m["step"] for m in history) == list(range(4000))
        shared_run = server.api("GET", "runs/get", params={"run_id": shared})["run"]
        assert {p["key"] for p in shared_run["data"]["params"]} == {"p0", "p1", "p2", "p3"}
        for who in range(4):
            history = server.api("GET", "metrics/get-history", params={"run_id": shared, "metric_key": f"w{who}", "max_results": 50_000})["metrics"]
            assert len(history) == 4000  # every point once
    finally:
        stop_server(server)
