"""A typical MLflow tutorial, in MLflow's documented style, run by MLflow 3.17.2's own client.

Run by tests/server/test_mlflow_client.py in .venv-mlflow against a real ``autolog server``
(MLFLOW_TRACKING_URI set by the test). Prints one JSON line with what it saw, for the test
to compare with what autolog's store holds.
"""

import json
import os
import sys
import tempfile

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

mlflow.set_experiment("iris-tutorial")

X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
params = {"C": 0.5, "max_iter": 300, "solver": "lbfgs"}

with mlflow.start_run(run_name="baseline") as run:
    mlflow.log_params(params)
    mlflow.set_tag("stage", "tutorial")
    model = LogisticRegression(**params).fit(X_train, y_train)
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    accuracy = float(model.score(X_test, y_test))
    mlflow.log_metrics({"accuracy": accuracy, "n_test": float(len(X_test))})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "notes.txt")
        with open(path, "w") as handle:
            handle.write("trained on iris\n")
        mlflow.log_artifact(path, artifact_path="reports")
    mlflow.log_dict({"classes": [0, 1, 2]}, "meta/classes.json")
    signature = infer_signature(X_train, model.predict(X_train))
    info = mlflow.sklearn.log_model(
        model, name="model", signature=signature, input_example=X_train.iloc[:2],
        registered_model_name="iris-classifier",
    )

client = MlflowClient()
client.set_registered_model_alias("iris-classifier", "champion", info.registered_model_version)

# register the same model a second time, from the run, as tutorials also do
second = mlflow.register_model(f"runs:/{run.info.run_id}/model", "iris-classifier")

found = mlflow.search_runs(
    experiment_names=["iris-tutorial"], filter_string="metrics.accuracy > 0.5",
    order_by=["metrics.accuracy DESC"],
)
history = client.get_metric_history(run.info.run_id, "loss")
artifacts = sorted(a.path for a in client.list_artifacts(run.info.run_id))
report = client.download_artifacts(run.info.run_id, "reports/notes.txt", tempfile.mkdtemp())

loaded = mlflow.pyfunc.load_model("models:/iris-classifier@champion")
predictions = loaded.predict(X_test.iloc[:5])
expected = model.predict(X_test.iloc[:5])
loaded_again = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")

json.dump(
    {
        "run_id": run.info.run_id,
        "experiment_id": run.info.experiment_id,
        "accuracy": accuracy,
        "model_id": info.model_id,
        "model_uri": info.model_uri,
        "registered_version": str(info.registered_model_version),
        "second_version": str(second.version),
        "search_run_ids": list(found["run_id"]),
        "history": [[m.step, m.value] for m in history],
        "artifacts": artifacts,
        "report": open(report).read(),
        "predictions_match": bool(np.array_equal(np.asarray(predictions), expected)),
        "run_model_matches": bool(np.array_equal(loaded_again.predict(X_test.iloc[:5]), expected)),
        "alias_version": client.get_model_version_by_alias("iris-classifier", "champion").version,
    },
    sys.stdout,
)
print()
