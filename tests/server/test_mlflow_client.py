"""MLflow 3.17.2's own client against a real ``autolog server``: a typical tutorial, unchanged.

The tutorial (tests/server/mlflow_tutorial.py) runs in .venv-mlflow (``make mlflow-venv``)
with MLFLOW_TRACKING_URI pointing at the server; then this test reads the same store with
autolog itself and checks that everything MLflow logged is there, and loads the registered
model with autolog.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.server.conftest import Server, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
MLFLOW_PYTHON = ROOT / ".venv-mlflow" / "bin" / "python"
TUTORIAL = Path(__file__).with_name("mlflow_tutorial.py")


def mlflow_python() -> str:
    if not MLFLOW_PYTHON.exists():
        message = f"MLflow 3.17.2 is not installed at {MLFLOW_PYTHON}; run `make mlflow-venv`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(MLFLOW_PYTHON)


def run_tutorial(server: Server, workdir: Path) -> dict:  # type: ignore[type-arg]
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("AUTOLOG_", "MLFLOW_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update({"MLFLOW_TRACKING_URI": server.url, "GIT_PYTHON_REFRESH": "quiet"})
    result = subprocess.run(
        [mlflow_python(), str(TUTORIAL)], cwd=workdir, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def check_store(server: Server, seen: dict) -> None:  # type: ignore[type-arg]
    import autolog
    from autolog.store._by_uri import forget_store

    client = autolog.Client(server.store_uri)
    try:
        run = client.get_run(seen["run_id"])
        assert run.info.run_name == "baseline"
        assert run.info.status.value == "FINISHED"
        assert run.data.params == {"C": "0.5", "max_iter": "300", "solver": "lbfgs"}
        assert run.data.tags["stage"] == "tutorial"
        assert run.data.metrics["accuracy"] == pytest.approx(seen["accuracy"])
        history = client.get_metric_history(seen["run_id"], "loss")
        assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)]
        assert seen["history"] == [[s, 1.0 / (s + 1)] for s in range(5)]
        # artifacts landed under the server's root, in the run's own directory
        names = sorted(f.path for f in client.list_artifacts(seen["run_id"]))
        assert names == ["meta", "reports"] == seen["artifacts"]
        assert seen["report"] == "trained on iris\n"
        assert seen["search_run_ids"] == [seen["run_id"]]
        # the registry: two versions, the alias on the first
        version = client.get_model_version_by_alias("iris-classifier", "champion")
        assert (version.version, version.run_id) == (1, seen["run_id"])
        assert client.get_registered_model("iris-classifier").latest_version == 2
        assert seen["predictions_match"] and seen["run_model_matches"]
        assert seen["alias_version"] == "1"
        # the version's source is the logged model's directory in the store's artifact root
        assert os.path.isfile(os.path.join(version.source, "MLmodel"))
        assert os.path.realpath(version.source).startswith(os.path.realpath(server.artifacts))
    finally:
        forget_store(server.store_uri)


@pytest.mark.slow
def test_mlflow_tutorial_against_sqlite(tmp_path: Path) -> None:
    store = tmp_path / "store"
    server = start_server(str(store), None)
    server.artifacts = str(store / "artifacts")
    try:
        seen = run_tutorial(server, tmp_path)
        check_store(server, seen)
    finally:
        stop_server(server)


@pytest.mark.slow
@pytest.mark.postgres
def test_mlflow_tutorial_against_postgres(fresh_postgres_uri: str, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    server = start_server(fresh_postgres_uri, str(artifacts), "--workers", "2")
    try:
        seen = run_tutorial(server, tmp_path)
        check_store(server, seen)
    finally:
        stop_server(server)
