"""Logging that loses nothing: offline mode and ``autolog sync``, a server that is not there at
the start, and batches sent twice. Clients are real processes; servers are real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import _free_port
from tests.remote.conftest import clean_server
from tests.server.conftest import AUTOLOG, Server, start_server, stop_server

#: a training script: a run with params, POINTS metric points, a text artifact and a model;
#: with WAIT_FOR set it logs half, waits for that file to exist, then logs the rest
CLIENT = """
import json, os, sys, time
import autolog

class Doubler:
    def predict(self, data):
        return [2 * x for x in data]

points, wait_for = int(os.environ["POINTS"]), os.environ.get("WAIT_FOR")
autolog.set_experiment(os.environ["EXPERIMENT"])
with autolog.start_run(run_name="trained") as run:
    autolog.log_params({"lr": 0.1, "layers": 3})
    for step in range(points):
        if wait_for and step == points // 2:
            autolog.flush()
            while not os.path.exists(wait_for):
                time.sleep(0.05)
        autolog.log_metric("loss", 1.0 / (step + 1), step=step)
    autolog.set_tag("stage", "done")
    autolog.log_text("hello", "notes/hello.txt")
    autolog.log_model(Doubler(), "model", flavor="python")
print(json.dumps({"run_id": run.info.run_id, "experiment_id": run.info.experiment_id}))
"""


def run_client(url: str, spool: Path, experiment: str, points: int = 10_000, **env: str) -> subprocess.Popen[str]:
    here = Path(__file__).resolve()
    full = {
        **os.environ, "AUTOLOG_TRACKING_URI": url, "AUTOLOG_SPOOL_DIR": str(spool),
        "EXPERIMENT": experiment, "POINTS": str(points), "AUTOLOG_MODE": "auto",
        "PYTHONPATH": os.pathsep.join([str(here.parents[1]), str(here.parents[2])]), **env,
    }
    return subprocess.Popen([sys.executable, "-c", CLIENT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full)


def finish(proc: subprocess.Popen[str]) -> tuple[dict[str, str], str]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1]), err


def sync(url: str, spool: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOLOG_SPOOL_DIR": str(spool)}
    return subprocess.run([AUTOLOG, "sync", "--tracking-uri", url, *args], capture_output=True, text=True, env=env, timeout=300)


def stored_run(server: Server, experiment: str) -> dict:  # type: ignore[type-arg]
    """The one run of ``experiment`` on the server, with its whole loss history."""
    found = server.api("GET", "experiments/get-by-name", params={"experiment_name": experiment})
    runs = server.api("POST", "runs/search", {"experiment_ids": [found["experiment"]["experiment_id"]]})["runs"]
    assert len(runs) == 1, runs
    run = runs[0]
    history = server.api("GET", "metrics/get-history", params={
        "run_id": run["info"]["run_id"], "metric_key": "loss", "max_results": 50000,
    })["metrics"]
    run["history"] = [(m["step"], m["value"]) for m in history]
    return run  # type: ignore[no-any-return]


def check_complete(server: Server, experiment: str, run_id: str, points: int = 10_000) -> None:
    run = stored_run(server, experiment)
    assert run["info"]["run_id"] == run_id and run["info"]["status"] == "FINISHED"
    assert run["history"] == [(step, 1.0 / (step + 1)) for step in range(points)]  # each point once
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert params == {"lr": "0.1", "layers": "3"} and tags["stage"] == "done"
    root = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    hello = server.call("GET", f"/api/2.0/mlflow-artifacts/artifacts/{root}/notes/hello.txt")
    assert hello.status_code == 200 and hello.text == "hello"
    listing = server.api("GET", "artifacts/list", params={"run_id": run_id, "path": "model"})
    assert {f["path"] for f in listing["files"]} >= {"model/model.yaml", "model/model.pkl"}


def spool_files(spool: Path) -> list[Path]:
    return sorted(spool.glob("*/*.db"))


def test_offline_mode_logs_to_the_spool_and_sync_uploads_once(server: Server, tmp_path: Path) -> None:
    spool, experiment = tmp_path / "spool", f"offline-{uuid.uuid4().hex[:8]}"
    client = run_client(server.url, spool, experiment, AUTOLOG_MODE="offline")
    ids, _ = finish(client)
    assert len(ids["run_id"]) == 32  # given by the client
    assert ids["experiment_id"] == f"offline:{experiment}"  # found or created at upload
    missing = server.call("GET", "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": experiment})
    assert missing.status_code == 404  # offline means offline: nothing reached the server
    assert len(spool_files(spool)) == 1
    done = sync(server.url, spool)
    assert done.returncode == 0, done.stderr
    assert "10,000 metric points" in done.stdout and "nothing left" in done.stdout
    check_complete(server, experiment, ids["run_id"])
    assert spool_files(spool) == []
    again = sync(server.url, spool)
    assert again.returncode == 0 and "0 requests" in again.stdout
    check_complete(server, experiment, ids["run_id"])
    clean_server(server)


def test_a_spool_left_behind_is_uploaded_by_the_next_process_that_reaches_the_server(server: Server, tmp_path: Path) -> None:
    spool, experiment = tmp_path / "spool", f"left-{uuid.uuid4().hex[:8]}"
    ids, _ = finish(run_client(server.url, spool, experiment, AUTOLOG_MODE="offline"))
    assert len(spool_files(spool)) == 1
    waiter = (
        "import glob, os, sys, time, autolog\n"
        "autolog.search_experiments()  # opens the store: the orphan upload starts\n"
        "deadline = time.monotonic() + 120\n"
        "while glob.glob(os.path.join(sys.argv[1], '*', '*.db')) and time.monotonic() < deadline:\n"
        "    time.sleep(0.1)\n"
    )
    env = {**os.environ, "AUTOLOG_TRACKING_URI": server.url, "AUTOLOG_SPOOL_DIR": str(spool), "AUTOLOG_MODE": "auto"}
    done = subprocess.run([sys.executable, "-c", waiter, str(spool)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert spool_files(spool) == []
    check_complete(server, experiment, ids["run_id"])
    clean_server(server)


def test_a_server_missing_at_the_start_gets_everything_later(tmp_path: Path) -> None:
    spool, experiment = tmp_path / "spool", f"late-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    ids, err = finish(run_client(url, spool, experiment))  # nobody listens there yet
    assert "cannot reach the tracking server" in err and "spool" in err
    assert len(spool_files(spool)) == 1
    server = start_server(str(tmp_path / "store"), None, "--port", str(port))
    try:
        done = sync(url, spool)
        assert done.returncode == 0, done.stderr
        check_complete(server, experiment, ids["run_id"])
        assert spool_files(spool) == []
    finally:
        stop_server(server)


def test_a_server_that_comes_back_mid_run_is_caught_up_by_the_process_itself(tmp_path: Path) -> None:
    spool, experiment = tmp_path / "spool", f"back-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    url, flag = f"http://127.0.0.1:{port}", tmp_path / "server-is-up"
    client = run_client(url, spool, experiment, WAIT_FOR=str(flag))
    deadline = time.monotonic() + 120
    while not spool_files(spool):  # the first half is spooled
        assert client.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    server = start_server(str(tmp_path / "store"), None, "--port", str(port))
    try:
        flag.touch()
        ids, _ = finish(client)
        check_complete(server, experiment, ids["run_id"])  # no `autolog sync` needed
        assert spool_files(spool) == []
    finally:
        stop_server(server)


def test_a_batch_sent_twice_with_dedupe_is_stored_once(server: Server) -> None:
    run_id = uuid.uuid4().hex
    create = {"experiment_id": "0", "run_id": run_id, "start_time": 1}
    first = server.api("POST", "runs/create", create)
    assert server.call("POST", "/api/2.0/mlflow/runs/create", create).status_code == 400  # taken
    again = server.api("POST", "runs/create", {**create, "dedupe": True})
    assert again == first  # the same run, not a second one
    columns = {"run_id": run_id, "metrics": [{"key": "m", "values": [1.0, 2.0, "NaN"], "steps": [0, 1, 2], "timestamps": [5, 5, 5]}]}
    batch = {"run_id": run_id, "metrics": [{"key": "m", "value": 3.0, "step": 3, "timestamp": 6}],
             "params": [{"key": "p", "value": "1"}], "tags": [{"key": "t", "value": "x"}]}
    for _ in range(2):
        assert server.call("POST", "/api/autolog/v1/runs/log-metric-columns", {**columns, "dedupe": True}).status_code == 200
        server.api("POST", "runs/log-batch", {**batch, "dedupe": True})
    finish = {**batch, "metrics": [{"key": "m", "value": 4.0, "step": 4, "timestamp": 7}], "status": "FINISHED", "end_time": 9}
    for _ in range(2):  # our finish: the last batch and the end at once
        answer = server.call("POST", "/api/autolog/v1/runs/finish", {**finish, "dedupe": True})
        assert answer.status_code == 200 and answer.json()["run_info"]["status"] == "FINISHED"
    # a batch that had landed, sent again after the run ended, changes nothing and is no error
    server.api("POST", "runs/log-batch", {**batch, "dedupe": True})
    history = server.api("GET", "metrics/get-history", params={"run_id": run_id, "metric_key": "m"})["metrics"]
    assert [(m["step"], m["value"]) for m in history] == [(0, 1.0), (1, 2.0), (2, "NaN"), (3, 3.0), (4, 4.0)]
    refused = server.call("POST", "/api/2.0/mlflow/runs/log-batch", {**batch, "params": [{"key": "p", "value": "2"}], "dedupe": True})
    assert refused.status_code == 400  # dedupe never hides a real conflict
    httpx.post(f"{server.url}/api/2.0/mlflow/runs/delete", json={"run_id": run_id})


def test_autolog_sync_without_a_server_says_so_and_keeps_the_spool(tmp_path: Path) -> None:
    spool, experiment = tmp_path / "spool", f"kept-{uuid.uuid4().hex[:8]}"
    url = f"http://127.0.0.1:{_free_port()}"
    finish(run_client(url, spool, experiment, points=100, AUTOLOG_MODE="offline"))
    done = sync(url, spool)
    assert done.returncode == 1
    assert "cannot reach the tracking server" in done.stderr and "stay in the spool" in done.stderr
    assert len(spool_files(spool)) == 1


@pytest.mark.parametrize("mode", ["online"])
def test_online_mode_refuses_to_start_without_the_server(tmp_path: Path, mode: str) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    proc = run_client(url, tmp_path / "spool", "x", points=10, AUTOLOG_MODE=mode)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "cannot reach the tracking server" in err
    assert not (tmp_path / "spool").exists()
