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
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

N_RUNS = int(os.environ.get("BENCH_REMOTE_RUNS", "10000"))
TIME_CAP_S = 5.0
FILTER = "params.model = 'rf' and metrics.acc > 0.1"

workdir = Path(sys.argv[1])
impl = sys.argv[2] if len(sys.argv) > 2 else "autolog"
workdir.mkdir(parents=True, exist_ok=True)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def populate(store_uri: str) -> None:
    """N finished runs in the experiment "search", written straight into the store."""
    if impl == "mlflow":
        from mlflow.entities import Metric, Param
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        mlflow_store = SqlAlchemyStore(store_uri, str(workdir / "mlflow-artifacts"))
        experiment_id = mlflow_store.create_experiment("search")
        for i in range(N_RUNS):
            run = mlflow_store.create_run(experiment_id, "bench", i, [], "r")
            mlflow_store.log_batch(run.info.run_id, [Metric("acc", i / N_RUNS, 1, 0)], [Param("model", "rf" if i % 2 else "lr")], [])
        return
    from autolog.core._entities import Metric, Param, RunStatus
    from autolog.core._store import FinishedRun
    from autolog.store import open_store

    store = open_store(store_uri)
    eid = store.create_experiment("search")
    records = [
        FinishedRun("bench", i, i + 1, RunStatus.FINISHED, params=[Param("model", "rf" if i % 2 else "lr")],
                    metrics=[Metric("acc", i / N_RUNS, 1, 0)])
        for i in range(N_RUNS)
    ]
    for start in range(0, N_RUNS, 2000):
        store.record_runs(eid, records[start : start + 2000])
    store.close()


def start(store_uri: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    artifacts = str(workdir / f"artifacts-{impl}")
    if impl == "mlflow":
        command = [str(BIN / "mlflow"), "server", "--backend-store-uri", store_uri, "--artifacts-destination",
                   artifacts, "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    else:
        command = [str(BIN / "autolog"), "server", "--backend-store-uri", store_uri, "--artifacts-destination",
                   artifacts, "--port", str(port)]
    env = {**ENV, "PATH": f"{BIN}{os.pathsep}{ENV.get('PATH', '')}"}
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                if answer.status == 200:
                    return proc, url
        except OSError:
            pass
        time.sleep(0.02)
    stop(proc)
    raise RuntimeError("the server did not answer /health")


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and every process below it (Linux /proc)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        fields = stats.get(current)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
        todo.extend(children.get(current, []))
    return total / os.sysconf("SC_CLK_TCK")


def p50(fn: Any, repeat: int) -> float:
    return statistics.median(_timed(fn) for _ in range(repeat)) * 1000


def _timed(fn: Any) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def bench_autolog(url: str, server_pid: int) -> dict[str, Any]:
    os.environ["AUTOLOG_TRACKING_URI"] = url
    import autolog
    from autolog.core._entities import Metric

    client = autolog.Client()
    autolog.set_experiment("bench")
    results: dict[str, Any] = {}

    def one_run() -> None:
        with autolog.start_run():
            autolog.log_params({f"p{i}": i for i in range(10)})
            autolog.log_metrics({f"m{i}": float(i) for i in range(5)})

    for _ in range(3):
        one_run()
    results["run_10_params_5_metrics_p50_ms"] = p50(one_run, 100)

    with autolog.start_run() as run:
        began, step, log_metric = time.perf_counter(), 0, autolog.log_metric
        client_cpu, server_cpu = time.process_time(), cpu_s(server_pid)
        while time.perf_counter() - began < TIME_CAP_S:
            for i in range(step, step + 100_000):
                log_metric("loss", 0.5, step=i)
            step += 100_000
        autolog.flush()
        results["log_metric_points_per_s"] = step / (time.perf_counter() - began)
        results["log_metric_points_per_client_cpu_s"] = step / (time.process_time() - client_cpu)
        results["log_metric_points_per_server_cpu_s"] = step / (cpu_s(server_pid) - server_cpu)
        assert len(client.get_metric_history(run.info.run_id, "loss")) == step

        began, step = time.perf_counter(), 0
        while time.perf_counter() - began < TIME_CAP_S:
            client.log_batch(run.info.run_id, [Metric("batch", 0.5, 1, step + i) for i in range(1000)])
            step += 1000
        results["log_batch_1000_points_per_s"] = step / (time.perf_counter() - began)

    eid = client.get_experiment_by_name("search").experiment_id  # type: ignore[union-attr]

    def search(limit: int) -> Any:
        return lambda: client.search_runs([eid], FILTER, order_by=["metrics.acc DESC"], max_results=limit)

    assert len(search(100)()) == 100
    client_cpu, server_cpu = time.process_time(), cpu_s(server_pid)
    results["search_first_100_p50_ms"] = p50(search(100), 7)
    results["search_first_100_client_cpu_ms"] = (time.process_time() - client_cpu) / 7 * 1000
    results["search_first_100_server_cpu_ms"] = (cpu_s(server_pid) - server_cpu) / 7 * 1000
    results["search_every_match_p50_ms"] = p50(search(N_RUNS), 3)
    return results


def bench_mlflow(url: str) -> dict[str, Any]:
    os.environ["MLFLOW_TRACKING_URI"] = url
    import mlflow
    from mlflow.entities import Metric

    client = mlflow.MlflowClient()
    mlflow.set_experiment("bench")
    results: dict[str, Any] = {}

    def one_run() -> None:
        with mlflow.start_run():
            mlflow.log_params({f"p{i}": i for i in range(10)})
            mlflow.log_metrics({f"m{i}": float(i) for i in range(5)})

    for _ in range(3):
        one_run()
    results["run_10_params_5_metrics_p50_ms"] = p50(one_run, 100)

    with mlflow.start_run() as run:
        began, step = time.perf_counter(), 0
        while time.perf_counter() - began < TIME_CAP_S:
            client.log_batch(run.info.run_id, [Metric("batch", 0.5, 1, step + i) for i in range(1000)])
            step += 1000
        results["log_batch_1000_points_per_s"] = step / (time.perf_counter() - began)

    eid = client.get_experiment_by_name("search").experiment_id  # type: ignore[union-attr]

    def search(limit: int) -> Any:
        return lambda: client.search_runs([eid], FILTER, order_by=["metrics.acc DESC"], max_results=limit)

    assert len(search(100)()) == 100
    results["search_first_100_p50_ms"] = p50(search(100), 7)
    results["search_every_match_p50_ms"] = p50(search(N_RUNS), 3)
    return results


store_uri = f"sqlite:///{workdir}/remote-{impl}-{os.getpid()}.db"
populate(store_uri)
results: dict[str, Any] = {"bench": "remote", "impl": impl, "search_runs": N_RUNS}
proc, url = start(store_uri)
try:
    results.update(bench_autolog(url, proc.pid) if impl == "autolog" else bench_mlflow(url))
finally:
    stop(proc)
print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}))
