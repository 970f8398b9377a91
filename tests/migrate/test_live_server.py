"""Importing from a live ``mlflow server`` (MLflow 3.17.2 in ``.venv-mlflow``) over its REST API.

Skipped when ``.venv-mlflow`` is absent (``make mlflow-venv`` creates it); under CI, where
``make test`` creates it first, its absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import autolog
from autolog.migrate import import_mlflow

MLFLOW = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "mlflow"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mlflow_server(fx, tmp_path) -> Iterator[str]:
    """An MLflow server on loopback over a copy of the SQLite fixture store."""
    if not MLFLOW.exists():
        message = f"MLflow 3.17.2 is not installed at {MLFLOW.parent.parent}; run `make mlflow-venv`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path / "store"
    shutil.copytree(fx.root / "sqlite", root)
    old, new = str(Path(fx.expected["written_in"]) / "sqlite"), str(root)
    with sqlite3.connect(root / "mlflow.db") as conn:  # the copy's artifacts are here now
        for table, column in (("runs", "artifact_uri"), ("experiments", "artifact_location"),
                              ("logged_models", "artifact_location"), ("model_versions", "storage_location")):
            conn.execute(f"UPDATE {table} SET {column} = replace({column}, ?, ?)", (old, new))
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen(
        [str(MLFLOW), "server", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start: {(tmp_path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_import_from_a_live_mlflow_server(fx, mlflow_server, tmp_path) -> None:
    target = str(tmp_path / "target")
    report = import_mlflow(mlflow_server, to=target)
    assert report.problems == []
    assert report.imported["runs"] == 7 and report.imported["metric_points"] == 12
    assert report.imported["artifacts"] == 3 and report.imported["models"] == 6
    assert report.imported["model_versions"] == 3 and report.imported["aliases"] == 2
    expected = fx.expected["sqlite"]
    client = autolog.Client(target)
    loss = client.get_metric_history(expected["runs"]["parent"], "loss")
    assert [(m.step, m.value) for m in loss] == [(s, 1.0 / (s + 1)) for s in range(5)]
    autolog.set_tracking_uri(target)
    frame = pd.DataFrame(expected["inputs"]["data"], columns=expected["inputs"]["columns"])
    predictions = autolog.load_model("models:/clf@champion").predict(frame)
    assert np.asarray(predictions).tolist() == expected["models"]["sk"]["predictions"]
    net = autolog.load_model("models:/net/1").predict(frame.to_numpy(dtype="float32"))
    np.testing.assert_allclose(np.asarray(net), expected["models"]["torch"]["predictions"], rtol=1e-6)
    again = import_mlflow(mlflow_server, to=target)
    assert sum(again.imported.values()) == 0 and again.problems == []
