"""Model figures (issue: models). Run by benchmarks/run.py; prints one JSON line.

Usage: python bench_models.py WORKDIR [autolog|mlflow]
- log_model of a fitted LogisticRegression (pickle only)
- load_model + first predict in a fresh process, minus `import sklearn.linear_model` alone
  (from a runs:/ URI and from a model directory path), and against unpickling the same
  model file by hand; the commands take turns, 11 runs each
- load_model + predict in a warm process
- predict overhead over the native model: 1 row (us) and 10,000 rows (%)
- infer_signature on a 10,000 x 20 DataFrame
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, median_time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

workdir = Path(sys.argv[1])
impl = sys.argv[2] if len(sys.argv) > 2 else "autolog"
workdir.mkdir(parents=True, exist_ok=True)

rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(1000, 20)), columns=[f"f{i}" for i in range(20)])
y = (X["f0"] + X["f1"] > 0).astype(int)
model = LogisticRegression(max_iter=200).fit(X, y)
results: dict[str, float] = {}

if impl == "mlflow":
    import mlflow
    import mlflow.sklearn

    mlflow.set_tracking_uri(f"sqlite:///{workdir}/mlflow.db")
    mlflow.set_experiment("bench")
    infer_signature = mlflow.models.infer_signature
    signature = infer_signature(X, model.predict(X))

    def log() -> str:
        with mlflow.start_run():
            return mlflow.sklearn.log_model(model, name="model", signature=signature).model_uri

    load = mlflow.pyfunc.load_model
    load_code = "import mlflow.pyfunc as m, pandas as pd, sys; " \
                "m.load_model(sys.argv[1]).predict(pd.read_json(sys.argv[2]))"
    repeat_log = 3
else:
    import autolog

    autolog.set_tracking_uri(str(workdir / "runs"))
    autolog.set_experiment("bench")
    infer_signature = autolog.infer_signature
    signature = infer_signature(X, model.predict(X))

    def log() -> str:
        with autolog.start_run():
            return autolog.log_model(model, "model", signature=signature, formats=["pickle"]).model_uri

    load = autolog.load_model
    load_code = "import autolog, pandas as pd, sys; " \
                "autolog.load_model(sys.argv[1]).predict(pd.read_json(sys.argv[2]))"
    repeat_log = 15

uris: list[str] = []
results["log_model_ms"] = median_time(lambda: uris.append(log()), repeat=repeat_log) * 1000
uri = uris[-1]

# -- fresh process: load + first predict, against importing sklearn alone --------------------
row_json = str(workdir / "row.json")
X.iloc[:1].to_json(row_json)


env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "AUTOLOG_TRACKING_URI": str(workdir / "runs"),
       "MLFLOW_TRACKING_URI": f"sqlite:///{workdir}/mlflow.db"}


def walls(commands: dict[str, list[str]], repeat: int = 7) -> dict[str, float]:
    """Median wall time of each command, the commands taking turns so that a noisy moment
    on a shared machine falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, args in commands.items():
            start = time.perf_counter()
            subprocess.run(args, check=True, cwd=workdir, env=env)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


commands = {
    "base": [sys.executable, "-c", "import sklearn.linear_model, pandas"],
    "cold": [sys.executable, "-c", load_code, uri, row_json],  # runs:/ URI: goes through the store
}
if impl == "autolog":  # a model directory on disk: no tracking store involved
    local_dir = str(workdir / "model-dir")
    autolog.save_model(model, local_dir, signature=signature, formats=["pickle"])
    commands["cold_path"] = [sys.executable, "-c", load_code, local_dir, row_json]
    # the same work with no library in between: what autolog itself adds
    commands["plain_pickle"] = [
        sys.executable, "-c",
        "import pickle, pandas as pd, sys; "
        "pickle.load(open(sys.argv[1], 'rb')).predict(pd.read_json(sys.argv[2]))",
        os.path.join(local_dir, "model.pkl"), row_json,
    ]
fresh = walls(commands, repeat=11)
results["fresh_load_predict_extra_ms"] = (fresh["cold"] - fresh["base"]) * 1000
if "cold_path" in fresh:
    results["fresh_load_predict_path_extra_ms"] = (fresh["cold_path"] - fresh["base"]) * 1000
    results["fresh_load_predict_over_pickle_ms"] = (fresh["cold"] - fresh["plain_pickle"]) * 1000
    results["fresh_load_predict_path_over_pickle_ms"] = (fresh["cold_path"] - fresh["plain_pickle"]) * 1000

# -- warm process -----------------------------------------------------------------------
one = X.iloc[:1]
load(uri).predict(one)  # first load pays imports
results["warm_load_predict_ms"] = median_time(lambda: load(uri).predict(one), repeat=15) * 1000

# -- predict overhead --------------------------------------------------------------------
loaded = load(uri)
loaded.predict(one)
n = 2000
native_1 = median_time(lambda: [model.predict(one) for _ in range(n)], repeat=5) / n
wrapped_1 = median_time(lambda: [loaded.predict(one) for _ in range(n)], repeat=5) / n
results["predict_1row_overhead_us"] = (wrapped_1 - native_1) * 1e6
big = pd.DataFrame(rng.normal(size=(10_000, 20)), columns=X.columns)
native_big = median_time(lambda: model.predict(big), repeat=21)
wrapped_big = median_time(lambda: loaded.predict(big), repeat=21)
results["predict_10k_overhead_pct"] = (wrapped_big / native_big - 1) * 100

# -- infer_signature ---------------------------------------------------------------------
frame = pd.DataFrame(rng.normal(size=(10_000, 20)), columns=[f"c{i}" for i in range(20)])
results["infer_signature_10kx20_ms"] = median_time(lambda: infer_signature(frame), repeat=21) * 1000

emit({"impl": impl, **results})
