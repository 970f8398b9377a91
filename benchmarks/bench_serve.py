"""Scoring-server figures (issue: registry/CLI/serving). Prints one JSON line.

Usage: python bench_serve.py WORKDIR [autolog|mlflow]

Logs a LogisticRegression (4 float columns, fitted on a DataFrame, with a column signature),
starts the server on 127.0.0.1 and measures 1-row ``dataframe_split`` requests:

- p50/p99 latency on one keep-alive connection;
- requests/s with 4 concurrent keep-alive clients, each its own process (as real clients are;
  the headline figure), and with 4 client threads in one process (whose GIL then caps it).

``autolog`` serves with ``autolog serve`` (and again with ``--no-fast-path``, where every request
builds a DataFrame); ``mlflow`` runs ``mlflow models serve --env-manager local`` (uvicorn, one
worker) in an environment that has MLflow. Request loops are bounded in count and in time; the
server's whole process group is terminated at the end.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

BODY = json.dumps({"dataframe_split": {"columns": list("abcd"), "data": [[0.9, 0.1, 0.2, 0.3]]}}).encode()
HEADERS = {"Content-Type": "application/json"}
WARMUP, LATENCY_REQUESTS = 200, 2000
CLIENTS, PER_CLIENT = 4, 2500
TIME_CAP_S = 60.0  # every request loop stops here whatever its count


def call(conn: http.client.HTTPConnection) -> None:
    conn.request("POST", "/invocations", body=BODY, headers=HEADERS)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{response.status}: {data[:500]!r}")


def client_process(port: int, count: int) -> None:
    """One client: warm up, say ready, wait for 'go' on stdin, then time ``count`` requests."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(50):
        call(conn)
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()  # CLOCK_MONOTONIC: comparable between processes
    deadline = start + TIME_CAP_S
    done = 0
    while done < count and time.perf_counter() < deadline:
        call(conn)
        done += 1
    end = time.perf_counter()
    conn.close()
    print(json.dumps({"start": start, "end": end, "done": done}), flush=True)


if len(sys.argv) > 1 and sys.argv[1] == "--client":
    client_process(int(sys.argv[2]), int(sys.argv[3]))
    sys.exit(0)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit  # noqa: E402

workdir = Path(sys.argv[1])
impl = sys.argv[2] if len(sys.argv) > 2 else "autolog"
workdir.mkdir(parents=True, exist_ok=True)
# no bytecode writes suppressed, as on a user's machine
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def latency(port: int) -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(WARMUP):
        call(conn)
    times: list[float] = []
    deadline = time.perf_counter() + TIME_CAP_S
    while len(times) < LATENCY_REQUESTS and time.perf_counter() < deadline:
        start = time.perf_counter()
        call(conn)
        times.append(time.perf_counter() - start)
    conn.close()
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.99)] * 1000


def throughput_processes(port: int) -> float:
    clients = [
        subprocess.Popen(
            [sys.executable, __file__, "--client", str(port), str(PER_CLIENT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=ENV,
        )
        for _ in range(CLIENTS)
    ]
    try:
        for c in clients:
            assert c.stdout is not None
            if c.stdout.readline().strip() != "ready":
                raise RuntimeError("a client process failed to start")
        for c in clients:
            assert c.stdin is not None
            c.stdin.write("go\n")
            c.stdin.flush()
        results = [json.loads(c.communicate(timeout=TIME_CAP_S + 30)[0]) for c in clients]
    finally:
        for c in clients:
            if c.poll() is None:
                c.kill()
                c.wait()
    elapsed = max(r["end"] for r in results) - min(r["start"] for r in results)
    return sum(r["done"] for r in results) / elapsed


def throughput_threads(port: int) -> float:
    done = [0] * CLIENTS
    deadline = time.perf_counter() + TIME_CAP_S

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while done[i] < PER_CLIENT and time.perf_counter() < deadline:
            call(conn)
            done[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - start)


def wait_ready(port: int, proc: subprocess.Popen[Any], limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/ping")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /ping within {limit_s} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_members(pgid: int) -> list[int]:
    """Processes of process group ``pgid`` other than its leader (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != pgid:
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                found.append(int(entry))
    return found


def stop(proc: subprocess.Popen[Any]) -> None:
    """Terminate the server's process group, workers first so that their parent reaps them."""
    members = _group_members(proc.pid) if proc.poll() is None and Path("/proc").is_dir() else []
    if members:
        for pid in members:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=15)  # a launcher (mlflow models serve) exits once its worker has
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def measure(command: list[str], env: dict[str, str], port: int | None) -> dict[str, float]:
    """Start the server (its own process group), measure, and always terminate it."""
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )
    try:
        assert proc.stderr is not None
        if port is None:  # autolog serve --port 0 says which port it took
            line = proc.stderr.readline()
            found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if not found:
                raise RuntimeError(line + proc.stderr.read())
            port = int(found.group(1))
        # drain the server's stderr so that a chatty server never blocks on a full pipe
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        wait_ready(port, proc)
        p50, p99 = latency(port)
        processes = throughput_processes(port)
        threads = throughput_threads(port)
    finally:
        stop(proc)
    return {
        "p50_ms_1row": round(p50, 3),
        "p99_ms_1row": round(p99, 3),
        "requests_per_s_4_clients": round(processes),
        "requests_per_s_4_client_threads": round(threads),
    }


import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

X = pd.DataFrame(np.random.default_rng(0).random((200, 4)), columns=list("abcd"))
model = LogisticRegression().fit(X, X["a"] > 0.5)
bin_dir = Path(sys.executable).parent
results: dict[str, Any] = {"bench": "serve", "impl": impl}

if impl == "mlflow":
    import mlflow
    from mlflow.models import infer_signature

    uri = f"sqlite:///{workdir}/serve-mlflow-{os.getpid()}.db"
    mlflow.set_tracking_uri(uri)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model", signature=infer_signature(X, model.predict(X)))
    port = free_port()
    # MLflow starts uvicorn through the shell: it must be on PATH
    env = {**ENV, "MLFLOW_TRACKING_URI": uri, "PATH": f"{bin_dir}{os.pathsep}{ENV.get('PATH', '')}"}
    command = [
        str(bin_dir / "mlflow"), "models", "serve", "-m", info.model_uri, "--env-manager", "local",
        "-p", str(port), "-h", "127.0.0.1",
    ]
    results.update(measure(command, env, port))
else:
    import autolog

    store = str(workdir / f"serve-{os.getpid()}")
    autolog.set_tracking_uri(store)
    info = autolog.log_model(model, "model", signature=autolog.infer_signature(X, model.predict(X)))
    autolog.end_run()
    env = {**ENV, "AUTOLOG_TRACKING_URI": store}
    command = [str(bin_dir / "autolog"), "serve", info.model_uri, "--port", "0"]
    results.update(measure(command, env, None))
    general = measure([*command, "--no-fast-path"], env, None)
    results.update({f"no_fast_path_{k}": v for k, v in general.items()})

emit(results)
