"""The library against a server with nothing changed but the tracking URI: the fluent API,
Client, autologging a real sklearn fit, and models loaded by runs:/ in a fresh process."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import autolog
from tests.remote.conftest import clean_server
from tests.server.conftest import Server


@pytest.fixture
def remote(any_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The server as the tracking URI, through the environment, in a fresh experiment."""
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", any_server.url)
    monkeypatch.setenv("AUTOLOG_TRUST_PICKLES", "1")  # models arrive through the network here
    autolog.set_experiment(f"remote-{uuid.uuid4().hex[:8]}")
    yield any_server
    clean_server(any_server)


class Doubler:
    def predict(self, data: list[float]) -> list[float]:
        return [2 * x for x in data]


def test_fluent_api_and_client(remote: Server, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with autolog.start_run(run_name="parent", tags={"team": "vision"}) as parent:
        autolog.log_params({"lr": 0.01, "epochs": 3})
        for step in range(100):
            autolog.log_metric("loss", 1.0 / (step + 1), step=step)
        autolog.log_metric("odd", math.nan)
        autolog.log_metric("huge", math.inf)
        autolog.log_dict({"layers": [64, 32]}, "config.yaml")
        autolog.log_artifact(str(tmp_path / "notes.txt"), "docs")
        with autolog.start_run(run_name="child", nested=True) as child:
            autolog.log_metric("acc", 0.9)
    run = autolog.get_run(parent.info.run_id)
    assert run.info.status.value == "FINISHED" and run.info.run_name == "parent"
    assert run.data.params == {"lr": "0.01", "epochs": "3"}
    assert run.data.metrics["loss"] == 0.01 and math.isnan(run.data.metrics["odd"])
    assert run.data.metrics["huge"] == math.inf
    assert run.data.tags["team"] == "vision" and run.data.tags["autolog.user"]
    assert run.info.artifact_uri.startswith(remote.url + "/api/2.0/mlflow-artifacts/artifacts/")
    client = autolog.Client()
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(100)]
    assert {f.path for f in client.list_artifacts(run.info.run_id)} == {"config.yaml", "docs"}
    local = client.download_artifacts(run.info.run_id, "docs/notes.txt", str(tmp_path / "down"))
    assert Path(local).read_text() == "hello"
    assert autolog.get_run(child.info.run_id).info.parent_run_id == parent.info.run_id
    found = autolog.search_runs(filter_string="metrics.acc > 0.5 OR params.lr = '0.01'", order_by=["run_name"])
    assert [r.info.run_name for r in found] == ["child", "parent"]
    frame = autolog.search_runs(output_format="pandas", order_by=["metrics.loss ASC"])
    assert list(frame["run_id"]) == [parent.info.run_id, child.info.run_id]
    assert autolog.last_active_run().info.run_id == parent.info.run_id  # type: ignore[union-attr]


def test_runs_uri_loads_in_a_fresh_process(remote: Server) -> None:
    with autolog.start_run():
        info = autolog.log_model(Doubler(), "model", flavor="python")
    script = "import autolog, json; print(json.dumps(autolog.load_model(%r).predict([1.5, 2])))" % info.model_uri
    env = {**os.environ, "AUTOLOG_TRACKING_URI": remote.url, "AUTOLOG_TRUST_PICKLES": "1"}
    here = Path(__file__).resolve()  # the pickled Doubler is found by its module, from tests/
    env["PYTHONPATH"] = os.pathsep.join([str(here.parents[1]), str(here.parents[2]), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [3.0, 4.0]


def test_sklearn_autolog_and_a_search(remote: Server) -> None:
    pytest.importorskip("sklearn")
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    from autolog.testing import autologged, flavor_runs

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    with autologged("sklearn"):
        model = LogisticRegression(C=0.5).fit(X, y)
        [run] = flavor_runs("sklearn")
        assert run.info.status.value == "FINISHED" and run.data.params["C"] == "0.5"
        assert run.data.metrics["training_accuracy_score"] == pytest.approx(model.score(X, y))
        assert {f.path for f in autolog.Client().list_artifacts(run.info.run_id)} >= {"model"}
        loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, cv=3).fit(X, y)
    children = autolog.search_runs(filter_string="params.C IN ('0.1', '1.0', '10.0')")
    assert len(children) == 3 and all(r.info.parent_run_id for r in children)


