"""Tracking servers for the benchmarks: ``autolog server`` or ``mlflow server`` started on a
free port, stopped with its whole process group, a store filled for searches, and what the
server's process tree costs (resident memory, CPU seconds) from Linux's /proc."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from _common import ENV


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(impl: str, bin_dir: Path, store_uri: str, artifacts: Path) -> tuple[subprocess.Popen[bytes], int, float]:
    """A one-worker server of ``impl`` ("autolog" or "mlflow", from ``bin_dir``): the process,
    its port, and the seconds from its start to its first answer on /health."""
    port = free_port()
    if impl == "mlflow":
        command = [str(bin_dir / "mlflow"), "server", "--backend-store-uri", store_uri, "--artifacts-destination",
                   str(artifacts), "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    else:
        command = [str(bin_dir / "autolog"), "server", "--backend-store-uri", store_uri, "--artifacts-destination",
                   str(artifacts), "--port", str(port)]
    env = {**ENV, "PATH": f"{bin_dir}{os.pathsep}{ENV.get('PATH', '')}"}
    began = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    deadline = began + 180
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port, time.perf_counter() - began
        except OSError:
            pass
        time.sleep(0.01)
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


def populate(impl: str, store_uri: str, artifacts: Path, n_runs: int) -> str:
    """``n_runs`` finished runs in a new experiment "search", written straight into the store
    (a param ``model``, rf or lr, and a metric ``acc``); returns the experiment's id."""
    if impl == "mlflow":
        from mlflow.entities import Metric, Param
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        mlflow_store = SqlAlchemyStore(store_uri, str(artifacts))
        experiment_id = mlflow_store.create_experiment("search")
        for i in range(n_runs):
            run = mlflow_store.create_run(experiment_id, "bench", i, [], "r")
            mlflow_store.log_batch(run.info.run_id, [Metric("acc", i / n_runs, 1, 0)], [Param("model", "rf" if i % 2 else "lr")], [])
        return str(experiment_id)
    from autolog.core._entities import Metric as AutologMetric
    from autolog.core._entities import Param as AutologParam
    from autolog.core._entities import RunStatus
    from autolog.core._store import FinishedRun
    from autolog.store import open_store

    store = open_store(store_uri)
    eid = store.create_experiment("search")
    records = [
        FinishedRun("bench", i, i + 1, RunStatus.FINISHED, params=[AutologParam("model", "rf" if i % 2 else "lr")],
                    metrics=[AutologMetric("acc", i / n_runs, 1, 0)])
        for i in range(n_runs)
    ]
    for start_at in range(0, n_runs, 2000):
        store.record_runs(eid, records[start_at : start_at + 2000])
    store.close()
    return eid


def _tree(pid: int) -> list[tuple[int, list[str]]]:
    """(pid, /proc/<pid>/stat fields after the command name) of ``pid`` and its descendants."""
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
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in stats:
            found.append((current, stats[current]))
        todo += children.get(current, [])
    return found


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every process below it."""
    total = 0
    for current, _ in _tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) spent so far by ``pid`` and every process below it."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in _tree(pid))
    return ticks / os.sysconf("SC_CLK_TCK")
