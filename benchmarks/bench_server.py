"""Tracking-server figures, ``autolog server`` or ``mlflow server`` on SQLite. Prints one JSON line.

Usage: python bench_server.py WORKDIR [autolog|mlflow]

Both servers run one worker on a SQLite store on this machine, and are driven over plain
HTTP (keep-alive, ``http.client``) with MLflow's REST API, so both sides do the same work:

- log_batch points/s: batches of 1,000 metric points (MLflow's per-request limit) for 5 s;
  autolog also with its columnar endpoint (100,000 points per request);
- a run: create + 10 params + 5 metrics (one log-batch) + end, p50 over 100 runs;
- search_runs over N runs (created in the store before the server starts), filtered on a
  param and ordered by a metric, first page of 100, p50;
- start to first answer: process start to the first 200 from /health;
- server RSS (the whole process tree) after the load, and its peak while a 200 MB artifact
  goes up and comes back down through the artifact proxy (timed each way).

Request loops are bounded in count and time; the server's process group is always stopped.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _servers import populate, start, stop, tree_rss  # noqa: E402

N_RUNS = int(os.environ.get("BENCH_SERVER_RUNS", "10000"))
ARTIFACT_MB = 200
TIME_CAP_S = 5.0

workdir = Path(sys.argv[1])
impl = sys.argv[2] if len(sys.argv) > 2 else "autolog"
workdir.mkdir(parents=True, exist_ok=True)
BIN = Path(sys.executable).parent


class Http:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, doc: Any = None, body: Any = None) -> Any:
        headers = {}
        if doc is not None:
            body = json.dumps(doc).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data) if data[:1] in (b"{", b"[") else data

    def api(self, method: str, endpoint: str, doc: Any = None) -> Any:
        return self.call(method, f"/api/2.0/mlflow/{endpoint}", doc)


def log_batch_rate(client: Http, run_id: str) -> float:
    points, step = 0, 0
    began = time.perf_counter()
    while time.perf_counter() - began < TIME_CAP_S:
        metrics = [{"key": "loss", "value": 0.5, "timestamp": 1, "step": step + i} for i in range(1000)]
        client.api("POST", "runs/log-batch", {"run_id": run_id, "metrics": metrics})
        points += 1000
        step += 1000
    return points / (time.perf_counter() - began)


def columnar_rate(client: Http, run_id: str) -> float:
    points, step = 0, 0
    began = time.perf_counter()
    while time.perf_counter() - began < TIME_CAP_S:
        body = {"run_id": run_id, "metrics": [{"key": "col", "values": [0.5] * 100_000, "steps": list(range(step, step + 100_000)), "timestamps": [1] * 100_000}]}
        client.call("POST", "/api/autolog/v1/runs/log-metric-columns", body)
        points += 100_000
        step += 100_000
    return points / (time.perf_counter() - began)


def one_run(client: Http, experiment_id: str) -> float:
    began = time.perf_counter()
    run_id = client.api("POST", "runs/create", {"experiment_id": experiment_id, "start_time": 1})["run"]["info"]["run_id"]
    client.api("POST", "runs/log-batch", {
        "run_id": run_id,
        "params": [{"key": f"p{i}", "value": str(i)} for i in range(10)],
        "metrics": [{"key": f"m{i}", "value": i, "timestamp": 1, "step": 0} for i in range(5)],
    })
    client.api("POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 2})
    return time.perf_counter() - began


def search(client: Http, experiment_id: str) -> float:
    began = time.perf_counter()
    found = client.api("POST", "runs/search", {
        "experiment_ids": [experiment_id], "filter": "params.model = 'rf' and metrics.acc > 0.1",
        "order_by": ["metrics.acc DESC"], "max_results": 100,
    })
    assert len(found["runs"]) == 100
    return time.perf_counter() - began


def artifact_round_trip(client: Http, proc: subprocess.Popen[bytes], path: Path) -> dict[str, float]:
    peak = [tree_rss(proc.pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        began = time.perf_counter()
        with open(path, "rb") as handle:
            client.conn.request("PUT", "/api/2.0/mlflow-artifacts/artifacts/bench/big.bin", body=handle,
                                headers={"Content-Length": str(path.stat().st_size)})
            response = client.conn.getresponse()
            response.read()
            assert response.status == 200, response.status
        up = time.perf_counter() - began
        began = time.perf_counter()
        client.conn.request("GET", "/api/2.0/mlflow-artifacts/artifacts/bench/big.bin")
        response = client.conn.getresponse()
        size = 0
        while block := response.read(1 << 20):
            size += len(block)
        down = time.perf_counter() - began
        assert size == path.stat().st_size
    finally:
        done.set()
        sampler.join()
    return {"artifact_200mb_up_s": up, "artifact_200mb_down_s": down, "rss_peak_mb_artifact": peak[0] / 2**20}


store_uri = f"sqlite:///{workdir}/server-{impl}-{os.getpid()}.db"
artifacts = workdir / f"artifacts-{impl}-{os.getpid()}"
search_experiment = populate(impl, store_uri, workdir / f"{impl}-artifacts", N_RUNS)
big = workdir / "big.bin"
if not big.exists() or big.stat().st_size != ARTIFACT_MB * 2**20:
    with open(big, "wb") as handle:
        for _ in range(ARTIFACT_MB):
            handle.write(os.urandom(2**20))

results: dict[str, Any] = {"bench": "server", "impl": impl, "search_runs": N_RUNS}
proc, port, started = start(impl, BIN, store_uri, artifacts)
try:
    results["start_to_first_answer_s"] = started
    client = Http(port)
    experiment_id = client.api("POST", "experiments/create", {"name": "bench"})["experiment_id"]
    for _ in range(3):
        one_run(client, experiment_id)
    results["run_10_params_5_metrics_p50_ms"] = statistics.median(one_run(client, experiment_id) for _ in range(100)) * 1000
    run_id = client.api("POST", "runs/create", {"experiment_id": experiment_id, "start_time": 1})["run"]["info"]["run_id"]
    results["log_batch_points_per_s"] = log_batch_rate(client, run_id)
    if impl == "autolog":
        results["columnar_points_per_s"] = columnar_rate(client, run_id)
    search(client, search_experiment)
    results["search_filtered_ordered_p50_ms"] = statistics.median(search(client, search_experiment) for _ in range(7)) * 1000
    results["rss_mb_after_load"] = tree_rss(proc.pid) / 2**20
    results.update(artifact_round_trip(client, proc, big))
finally:
    stop(proc)

print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}))
