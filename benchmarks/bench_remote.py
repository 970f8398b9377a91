"""Client figures through a tracking server: autolog's remote store against ``autolog server``,
or MLflow's client against ``mlflow server``. Prints one JSON line.

Usage: python bench_remote.py WORKDIR [autolog|mlflow]

Each side runs its own server (one worker, SQLite store on this machine) and talks to it with
its own library, the way a user does (``AUTOLOG_TRACKING_URI`` / ``MLFLOW_TRACKING_URI``):

- log_metric points/s (autolog): ``log_metric`` in a loop for about 5 s, then ``flush()``;
  the clock stops when the server has every point (the background writer sends columnar
  batches of up to 20,000 points);
- log_batch points/s: ``Client.log_batch`` / ``MlflowClient.log_batch`` of 1,000 points per
  call (MLflow's limit per request) for about 5 s;
- a run: ``start_run`` + ``log_params`` (10) + ``log_metrics`` (5) + end, p50 over 100 runs;
- search over N runs (written into the store before the server starts), filtered on a param
  and a metric and ordered by the metric: first page of 100, and every match, p50.

On a busy machine wall times mostly measure the wait for a CPU, so the CPU seconds the
client and the server spent on the log_metric points are reported too (points per CPU
second of each side: on an idle machine with a core for each, the lower one bounds the rate),
and the CPU milliseconds one first-page search costs each side.

Loops are bounded in time and count; the server's process group is always stopped.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _servers import populate, start, stop, tree_cpu_s  # noqa: E402

N_RUNS = int(os.environ.get("BENCH_REMOTE_RUNS", "10000"))
TIME_CAP_S = 5.0
FILTER = "params.model = 'rf' and metrics.acc > 0.1"

workdir = Path(sys.argv[1])
impl = sys.argv[2] if len(sys.argv) > 2 else "autolog"
workdir.mkdir(parents=True, exist_ok=True)
BIN = Path(sys.executable).parent


def p50(fn: Any, repeat: int) -> float:
    return statistics.median(_timed(fn) for _ in range(repeat)) * 1000


def _timed(fn: Any) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def figures(lib: Any, client: Any, metric: Any, server_pid: int) -> dict[str, Any]:
    """Every figure, through ``lib`` (the ``autolog`` or ``mlflow`` module: the same names)."""
    lib.set_experiment("bench")
    results: dict[str, Any] = {}

    def one_run() -> None:
        with lib.start_run():
            lib.log_params({f"p{i}": i for i in range(10)})
            lib.log_metrics({f"m{i}": float(i) for i in range(5)})

    for _ in range(3):
        one_run()
    results["run_10_params_5_metrics_p50_ms"] = p50(one_run, 100)

    with lib.start_run() as run:
        if impl == "autolog":  # MLflow has no batching log_metric to compare with
            results.update(log_metric_rate(lib, client, run.info.run_id, server_pid))
        began, step = time.perf_counter(), 0
        while time.perf_counter() - began < TIME_CAP_S:
            client.log_batch(run.info.run_id, [metric("batch", 0.5, 1, step + i) for i in range(1000)])
            step += 1000
        results["log_batch_1000_points_per_s"] = step / (time.perf_counter() - began)

    eid = client.get_experiment_by_name("search").experiment_id

    def search(limit: int) -> Any:
        return lambda: client.search_runs([eid], FILTER, order_by=["metrics.acc DESC"], max_results=limit)

    assert len(search(100)()) == 100
    client_cpu, server_cpu = time.process_time(), tree_cpu_s(server_pid)
    results["search_first_100_p50_ms"] = p50(search(100), 7)
    results["search_first_100_client_cpu_ms"] = (time.process_time() - client_cpu) / 7 * 1000
    results["search_first_100_server_cpu_ms"] = (tree_cpu_s(server_pid) - server_cpu) / 7 * 1000
    results["search_every_match_p50_ms"] = p50(search(N_RUNS), 3)
    return results


def log_metric_rate(lib: Any, client: Any, run_id: str, server_pid: int) -> dict[str, float]:
    """``log_metric`` in a loop for about TIME_CAP_S, then ``flush()``: points/s until the
    server has them all, and points per CPU second of each side."""
    began, step, log_metric = time.perf_counter(), 0, lib.log_metric
    client_cpu, server_cpu = time.process_time(), tree_cpu_s(server_pid)
    while time.perf_counter() - began < TIME_CAP_S:
        for i in range(step, step + 100_000):
            log_metric("loss", 0.5, step=i)
        step += 100_000
    lib.flush()
    results = {
        "log_metric_points_per_s": step / (time.perf_counter() - began),
        "log_metric_points_per_client_cpu_s": step / (time.process_time() - client_cpu),
        "log_metric_points_per_server_cpu_s": step / (tree_cpu_s(server_pid) - server_cpu),
    }
    assert len(client.get_metric_history(run_id, "loss")) == step
    return results


store_uri = f"sqlite:///{workdir}/remote-{impl}-{os.getpid()}.db"
populate(impl, store_uri, workdir / f"{impl}-artifacts", N_RUNS)
results: dict[str, Any] = {"bench": "remote", "impl": impl, "search_runs": N_RUNS}
proc, port, _ = start(impl, BIN, store_uri, workdir / f"artifacts-{impl}")
try:
    url = f"http://127.0.0.1:{port}"
    if impl == "autolog":
        os.environ["AUTOLOG_TRACKING_URI"] = url
        import autolog
        from autolog.core._entities import Metric

        results.update(figures(autolog, autolog.Client(), Metric, proc.pid))
    else:
        os.environ["MLFLOW_TRACKING_URI"] = url
        import mlflow
        from mlflow.entities import Metric as MlflowMetric

        results.update(figures(mlflow, mlflow.MlflowClient(), MlflowMetric, proc.pid))
finally:
    stop(proc)
print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}))
