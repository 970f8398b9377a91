"""Write the MLflow stores the importer tests read, with real MLflow 3.17.2.

    make migrate-fixtures        # or: .venv-mlflow/bin/python tests/migrate/make_fixtures.py

Run with the interpreter of ``.venv-mlflow`` (``make mlflow-venv``; torch==2.13.0 and
xgboost are added there by ``make migrate-fixtures``). It rewrites ``tests/migrate/fixtures/``:

- ``filestore/mlruns``: MLflow's file store (``MLFLOW_ALLOW_FILE_STORE=true``: 3.17.2 refuses
  to write one otherwise), with its registry in the same directory;
- ``sqlite/mlflow.db`` plus ``sqlite/artifacts``: MLflow's SQLite store;
- ``expected.json``: what was written (ids, values, model inputs and the original models'
  predictions), which the tests compare the imported data with.

Both stores hold the same story: an experiment with tags, a parent run with params, tags,
metric histories and artifacts, nested child runs that log an sklearn, an xgboost, a torch and
a pyfunc model with signatures, a deleted run, a deleted experiment, and a registry with tags,
aliases and a stage. Models are tiny, so the committed fixtures stay small.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "fixtures"

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ["GIT_PYTHON_REFRESH"] = "quiet"

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402

#: fixed times (ms) so the expected values are the same on every regeneration
T0 = 1_700_000_000_000


class Doubler(mlflow.pyfunc.PythonModel):
    """A pyfunc python model: doubles its input and adds the offset from its artifact."""

    def load_context(self, context):
        self.offset = float(Path(context.artifacts["offset"]).read_text())

    def predict(self, context, model_input, params=None):
        return np.asarray(model_input, dtype="float64") * 2 + self.offset


def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    y = (X["a"] + X["b"] > 0).astype("int64")
    return X, y


def write_store(kind: str, tracking_uri: str, expected: dict) -> None:
    import torch
    import xgboost as xgb
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    client = MlflowClient(tracking_uri, tracking_uri)
    X, y = data()
    Xs = X.head(5)
    exp_id = client.create_experiment("fixture-exp", tags={"team": "vision", "purpose": "import test"})
    gone_id = client.create_experiment("archived")
    out: dict = {"experiments": {"fixture-exp": exp_id, "archived": gone_id}, "runs": {}, "models": {}}

    parent = client.create_run(exp_id, start_time=T0, tags={"mlflow.user": "ann", "stage": "search"},
                               run_name="parent")
    pid = parent.info.run_id
    client.log_param(pid, "lr", "0.1")
    client.log_param(pid, "layers", "3")
    for step in range(5):
        client.log_metric(pid, "loss", 1.0 / (step + 1), timestamp=T0 + 100 * step, step=step)
        client.log_metric(pid, "acc", 0.5 + step / 10, timestamp=T0 + 100 * step + 1, step=step)
    client.log_metric(pid, "nan_metric", float("nan"), timestamp=T0, step=0)
    client.set_tag(pid, "mlflow.source.name", "train.py")
    client.set_tag(pid, "mlflow.source.type", "LOCAL")
    client.log_text(pid, "hello from the parent\n", "notes/readme.txt")
    client.log_dict(pid, {"k": [1, 2, 3]}, "config.json")
    client.log_text(pid, "x" * 3000, "data/deep/blob.txt")
    client.set_terminated(pid, "FINISHED", end_time=T0 + 10_000)
    out["runs"]["parent"] = pid

    mlflow.set_experiment(experiment_id=exp_id)
    children = {}

    with mlflow.start_run(run_name="sk", nested=True, parent_run_id=pid) as run:
        model = LogisticRegression().fit(X, y)
        mlflow.log_param("C", 1.0)
        signature = infer_signature(X, model.predict(X))
        # MLflow's default sklearn format is skops; the second copy is a cloudpickle
        info = mlflow.sklearn.log_model(model, name="model", signature=signature,
                                        input_example=Xs, registered_model_name="clf")
        pickled = mlflow.sklearn.log_model(model, name="model_pickle", signature=signature,
                                           serialization_format="cloudpickle")
        children["sk"] = run.info.run_id
        out["models"]["sk"] = {"model_id": info.model_id, "predictions": model.predict(Xs).tolist(),
                               "artifact_path": "model"}
        out["models"]["sk_pickle"] = {"model_id": pickled.model_id,
                                      "predictions": model.predict(Xs).tolist(),
                                      "artifact_path": "model_pickle"}

    with mlflow.start_run(run_name="xgb", nested=True, parent_run_id=pid) as run:
        booster = xgb.train({"max_depth": 2, "objective": "binary:logistic"}, xgb.DMatrix(X, label=y), 3)
        preds = booster.predict(xgb.DMatrix(Xs))
        info = mlflow.xgboost.log_model(booster, name="booster", signature=infer_signature(X, preds))
        children["xgb"] = run.info.run_id
        out["models"]["xgb"] = {"model_id": info.model_id, "predictions": preds.tolist(),
                                "artifact_path": "booster"}

    with mlflow.start_run(run_name="torch", nested=True, parent_run_id=pid) as run:
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
        xt = X.to_numpy(dtype="float32")
        with torch.no_grad():
            preds = net(torch.from_numpy(xt[:5])).numpy()
            signature = infer_signature(xt, net(torch.from_numpy(xt)).numpy())
        # MLflow's default torch format is pt2 (torch.export); the second is a pickle
        info = mlflow.pytorch.log_model(net, name="net", signature=signature, input_example=xt[:5])
        pickled = mlflow.pytorch.log_model(net, name="net_pickle", signature=signature,
                                           serialization_format="pickle")
        children["torch"] = run.info.run_id
        out["models"]["torch"] = {"model_id": info.model_id, "predictions": preds.tolist(),
                                  "artifact_path": "net"}
        out["models"]["torch_pickle"] = {"model_id": pickled.model_id, "predictions": preds.tolist(),
                                         "artifact_path": "net_pickle"}

    with mlflow.start_run(run_name="pyfunc", nested=True, parent_run_id=pid) as run:
        offset = HERE / "_offset.txt"
        offset.write_text("0.5")
        try:
            info = mlflow.pyfunc.log_model(name="doubler", python_model=Doubler(),
                                           artifacts={"offset": str(offset)},
                                           signature=infer_signature(Xs, Xs.to_numpy() * 2 + 0.5))
        finally:
            offset.unlink()
        children["pyfunc"] = run.info.run_id
        out["models"]["pyfunc"] = {"model_id": info.model_id,
                                   "predictions": (Xs.to_numpy() * 2 + 0.5).tolist(),
                                   "artifact_path": "doubler"}
    out["runs"].update(children)

    # registry: two more versions of "clf" (one from the xgb run's model, as a second model
    # line would be), tags, an alias and a stage
    client.set_registered_model_tag("clf", "owner", "risk-team")
    v2 = client.create_model_version("clf", f"models:/{out['models']['sk']['model_id']}",
                                     run_id=children["sk"], tags={"validated": "yes"})
    client.set_registered_model_alias("clf", "champion", v2.version)
    client.transition_model_version_stage("clf", 1, "Production")
    client.update_registered_model("clf", description="the classifier")
    client.create_registered_model("net", tags={"kind": "torch"})
    client.create_model_version("net", f"models:/{out['models']['torch']['model_id']}", run_id=children["torch"])

    # a deleted run in the experiment, and a run in an experiment that is deleted afterwards
    gone = client.create_run(exp_id, start_time=T0 + 5, run_name="deleted-run")
    client.log_param(gone.info.run_id, "p", "1")
    client.set_terminated(gone.info.run_id, "FAILED", end_time=T0 + 6)
    client.delete_run(gone.info.run_id)
    old = client.create_run(gone_id, start_time=T0 + 7, run_name="old")
    client.log_metric(old.info.run_id, "m", 3.0, timestamp=T0 + 8, step=0)
    client.set_terminated(old.info.run_id, "KILLED", end_time=T0 + 9)
    client.delete_experiment(gone_id)
    out["runs"]["deleted-run"] = gone.info.run_id
    out["runs"]["old"] = old.info.run_id
    out["inputs"] = Xs.to_dict(orient="split")
    expected[kind] = out


def _shrink(db: Path) -> None:
    """MLflow's ~65 tables take a page each at least: small pages keep the file ~200 KB."""
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA page_size=512")
    conn.execute("VACUUM")
    conn.close()


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "filestore").mkdir(parents=True)
    (OUT / "sqlite").mkdir(parents=True)
    expected: dict = {"mlflow_version": mlflow.__version__}
    os.chdir(OUT / "filestore")
    write_store("filestore", str(OUT / "filestore" / "mlruns"), expected)
    os.chdir(OUT / "sqlite")
    # a SQLite store's default artifact root is ./mlruns under the working directory
    write_store("sqlite", "sqlite:///mlflow.db", expected)
    _shrink(OUT / "sqlite" / "mlflow.db")
    # where the stores were written: their runs record absolute artifact locations
    expected["written_in"] = str(OUT)
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    sys.exit(main())
