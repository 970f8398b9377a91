"""Tracking-core figures (issue: tracking core). Run by benchmarks/run.py; prints one JSON line.

Usage: python bench_tracking.py WORKDIR [autolog|mlflow]
Each figure uses a fresh store under WORKDIR; the MLflow variant runs the equivalent calls
against MLflow's SQLite store so the two can be put side by side.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, median_time  # noqa: E402

workdir = Path(sys.argv[1])
impl = sys.argv[2] if len(sys.argv) > 2 else "autolog"
workdir.mkdir(parents=True, exist_ok=True)
counter = iter(range(1_000_000))

if impl == "mlflow":
    import mlflow as lib

    def fresh_store() -> None:
        lib.set_tracking_uri(f"sqlite:///{workdir}/mlflow-{next(counter)}.db")
        lib.set_experiment("bench")

    flush = lambda: None  # noqa: E731  (MLflow writes synchronously)
else:
    import autolog as lib

    def fresh_store() -> None:
        lib.set_tracking_uri(str(workdir / f"autolog-{next(counter)}"))
        lib.set_experiment("bench")

    flush = lib.flush

results: dict[str, float] = {}

# -- log_metric in a loop, all points persisted ------------------------------------------
n_points = 300 if impl == "mlflow" else 300_000
fresh_store()
lib.start_run()
start = time.perf_counter()
for i in range(n_points):
    lib.log_metric("loss", 1.0 / (i + 1), step=i)
flush()
elapsed = time.perf_counter() - start
run_id = lib.active_run().info.run_id
lib.end_run()
history = lib.MlflowClient().get_metric_history(run_id, "loss") if impl == "mlflow" else \
    lib.Client().get_metric_history(run_id, "loss")
assert len(history) == n_points, (len(history), n_points)
results["log_metric_points_per_s"] = n_points / elapsed

# -- 100 params one by one ------------------------------------------------------------------
def hundred_params() -> None:
    for i in range(100):
        lib.log_param(f"p{i}", i)

fresh_store()
times = []
for _ in range(5):
    lib.start_run()
    start = time.perf_counter()
    hundred_params()
    times.append(time.perf_counter() - start)
    lib.end_run()
results["log_param_x100_ms"] = sorted(times)[len(times) // 2] * 1000

# -- 1,000 runs x (10 params + 5 metrics) -----------------------------------------------------
n_runs = 100 if impl == "mlflow" else 1000
fresh_store()
start = time.perf_counter()
for r in range(n_runs):
    with lib.start_run():
        lib.log_params({f"p{i}": r * 10 + i for i in range(10)})
        lib.log_metrics({f"m{i}": float(r + i) for i in range(5)})
flush()
results["runs_1000_s"] = (time.perf_counter() - start) * (1000 / n_runs)
results["runs_measured"] = n_runs

# -- search_runs over 10,000 runs: param filter, metric order, top 10 ------------------------
n_search = 1000 if impl == "mlflow" else 10_000
fresh_store()
if impl == "mlflow":
    client = lib.MlflowClient()
    exp = lib.get_experiment_by_name("bench").experiment_id
    from mlflow.entities import Metric, Param

    for r in range(n_search):
        run = client.create_run(exp)
        client.log_batch(run.info.run_id, metrics=[Metric("acc", (r * 7919 % 1000) / 1000, 0, 0)],
                         params=[Param("model", "rf" if r % 2 else "lr"), Param("depth", str(r % 10))])
        client.set_terminated(run.info.run_id)
else:
    for r in range(n_search):
        with lib.start_run():
            lib.log_params({"model": "rf" if r % 2 else "lr", "depth": r % 10})
            lib.log_metric("acc", (r * 7919 % 1000) / 1000)
    lib.flush()


def search() -> None:
    found = lib.search_runs(filter_string="params.model = 'rf' AND params.depth = '3'",
                            order_by=["metrics.acc DESC"], max_results=10,
                            **({"output_format": "list"}))
    assert len(found) == 10, len(found)


search()  # warm caches: first query compiles statements
results["search_ms"] = median_time(search, repeat=15) * 1000
results["search_runs_in_store"] = n_search

emit({"impl": impl, **results})
