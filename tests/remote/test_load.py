"""Many clients at once through a server on PostgreSQL with two workers: every point stored
once, also when the server is killed (SIGKILL) in the middle and started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import _free_port
from tests.server.conftest import Server, start_server, stop_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CLIENTS, POINTS = 8, 10_000

#: one training process: a run with POINTS points of "x" (step s has value s), paced by PAUSE
WORKER = """
import os, time
import autolog

points, pause = int(os.environ["POINTS"]), float(os.environ.get("PAUSE", "0"))
autolog.set_experiment(os.environ["EXPERIMENT"])
with autolog.start_run(run_name=os.environ["NAME"]):
    autolog.log_param("worker", os.environ["NAME"])
    for step in range(points):
        autolog.log_metric("x", float(step), step=step)
        if pause and step % 250 == 0:
            time.sleep(pause)
"""


def start_clients(url: str, spool: Path, experiment: str, pause: float = 0.0) -> list[subprocess.Popen[str]]:
    env = {
        **os.environ, "AUTOLOG_TRACKING_URI": url, "AUTOLOG_SPOOL_DIR": str(spool), "AUTOLOG_MODE": "auto",
        "EXPERIMENT": experiment, "POINTS": str(POINTS), "PAUSE": str(pause),
    }
    return [
        subprocess.Popen([sys.executable, "-c", WORKER], env={**env, "NAME": f"w{i}"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for i in range(CLIENTS)
    ]


def wait_all(clients: list[subprocess.Popen[str]]) -> None:
    for client in clients:
        _, err = client.communicate(timeout=600)
        assert client.returncode == 0, err


def check_every_point_once(server: Server, experiment: str) -> None:
    found = server.api("GET", "experiments/get-by-name", params={"experiment_name": experiment})
    runs = server.api("POST", "runs/search", {"experiment_ids": [found["experiment"]["experiment_id"]], "max_results": 100})["runs"]
    assert sorted(r["info"]["run_name"] for r in runs) == [f"w{i}" for i in range(CLIENTS)]
    for run in runs:
        assert run["info"]["status"] == "FINISHED", run["info"]
        history = server.api("GET", "metrics/get-history", params={
            "run_id": run["info"]["run_id"], "metric_key": "x", "max_results": 50000,
        })["metrics"]
        assert [(m["step"], m["value"]) for m in history] == [(s, float(s)) for s in range(POINTS)]


def test_eight_clients_through_two_workers_store_every_point_once(postgres_backed_server: Server, tmp_path: Path) -> None:
    experiment = f"load-{uuid.uuid4().hex[:8]}"
    wait_all(start_clients(postgres_backed_server.url, tmp_path / "spool", experiment))
    check_every_point_once(postgres_backed_server, experiment)
    assert not list((tmp_path / "spool").glob("*/*.db"))  # nothing had to wait


def _left(spool: Path) -> str:
    """What the spool files still hold (for a failure message)."""
    import sqlite3

    lines = []
    for path in sorted(spool.glob("*/*.db")):
        with sqlite3.connect(path) as db:
            ops = db.execute("SELECT path, points, uncertain FROM ops ORDER BY seq").fetchall()
            failed = db.execute("SELECT path, error FROM failed").fetchall()
        lines.append(f"{path.name}: waiting {ops}, refused {failed}")
    return "\n".join(lines)


def _runs_started(server: Server, experiment: str) -> bool:
    found = server.call("GET", "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": experiment})
    if found.status_code != 200:
        return False
    eid = found.json()["experiment"]["experiment_id"]
    return len(server.api("POST", "runs/search", {"experiment_ids": [eid]})["runs"]) == CLIENTS


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (uvicorn's workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def test_server_killed_mid_run_and_restarted_loses_and_doubles_nothing(
    postgres_server: str, _postgres_template: tuple[str, str], tmp_path: Path
) -> None:
    from tests.conftest import _create_database

    template, artifacts = _postgres_template
    store = _create_database(postgres_server, f"killed_{uuid.uuid4().hex[:12]}", template)
    port = _free_port()
    server = start_server(store, artifacts, "--workers", "2", "--port", str(port))
    experiment = f"killed-{uuid.uuid4().hex[:8]}"
    # paced to log for about ten seconds, so that they are still at it when the server is back
    clients = start_clients(server.url, tmp_path / "spool", experiment, pause=0.25)
    try:
        deadline = time.monotonic() + 120
        while not _runs_started(server, experiment):  # every client is logging to the server
            assert time.monotonic() < deadline and all(c.poll() is None for c in clients)
            time.sleep(0.1)
        time.sleep(1)
        assert all(c.poll() is None for c in clients), "the clients finished before the kill"
        for pid in _descendants(server.proc.pid):
            os.kill(pid, signal.SIGKILL)
        server.proc.wait()
        stop_server(server)
        time.sleep(2)  # the clients go on into their spools
        server = start_server(store, artifacts, "--workers", "2", "--port", str(port))
        wait_all(clients)  # each uploads what it spooled, at the latest when it exits
        assert not list((tmp_path / "spool").glob("*/*.db")), _left(tmp_path / "spool")
        check_every_point_once(server, experiment)
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
        stop_server(server)
