"""Import figures: ``autolog import-mlflow`` of 1,000 MLflow runs from a SQLite MLflow store.

Usage: python bench_import.py WORKDIR
Each run has 10 params, 3 tags and 5 metrics x 100 steps (500,000 points in all). The MLflow
store is made once under WORKDIR from the SQLite fixture MLflow 3.17.2 wrote
(tests/migrate/fixtures: MLflow's real schema), its rows written directly with sqlite3,
which takes a second where MLflow's client would take minutes. Times the whole import into a
fresh autolog directory (median of 3; its CPU time too) and a second import that finds
everything there; prints one JSON line.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit  # noqa: E402

RUNS, PARAMS, METRICS, STEPS = 1000, 10, 5, 100
SCHEMA = Path(__file__).resolve().parents[1] / "tests" / "migrate" / "fixtures" / "sqlite" / "mlflow.db"
workdir = Path(sys.argv[1])
source = workdir / "mlflow-1000" / "mlflow.db"


def make_store() -> None:
    source.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SCHEMA, source)
    conn = sqlite3.connect(source)
    artifacts = source.parent / "artifacts"
    cursor = conn.execute(
        "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace)"
        " VALUES ('bench', ?, 'active', 0, 0, 'default')", (str(artifacts),),
    )
    experiment = cursor.lastrowid
    t0 = 1_700_000_000_000
    runs, params, tags, metrics, latest = [], [], [], [], []
    for i in range(RUNS):
        run_id = uuid.uuid4().hex
        runs.append((run_id, f"run-{i}", "LOCAL", "", "", "bench", "FINISHED", t0 + i, t0 + i + 5000, "",
                     "active", f"{artifacts}/{run_id}/artifacts", experiment))
        params += [(f"p{k}", str(i * k), run_id) for k in range(PARAMS)]
        tags += [("mlflow.runName", f"run-{i}", run_id), ("mlflow.user", "bench", run_id), ("team", "t", run_id)]
        for k in range(METRICS):
            metrics += [(f"m{k}", step * 0.01 + k, t0 + step, step, 0, run_id) for step in range(STEPS)]
            latest.append((f"m{k}", (STEPS - 1) * 0.01 + k, t0 + STEPS - 1, STEPS - 1, 0, run_id))
    conn.executemany(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,"
        " start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", runs,
    )
    conn.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
    conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
    conn.executemany("INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)", metrics)
    conn.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)", latest)
    conn.commit()
    conn.close()


if not source.exists():
    make_store()

from autolog.migrate import import_mlflow  # noqa: E402

uri = f"sqlite:///{source}"
times, cpu = [], []
for attempt in range(3):
    target = workdir / f"import-target-{attempt}"
    shutil.rmtree(target, ignore_errors=True)
    start, start_cpu = time.perf_counter(), time.process_time()
    report = import_mlflow(uri, to=str(target), experiments=["bench"])
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
    assert report.imported["runs"] == RUNS and report.imported["metric_points"] == RUNS * METRICS * STEPS, report.format()
start = time.perf_counter()
again = import_mlflow(uri, to=str(target), experiments=["bench"])
second = time.perf_counter() - start
assert sum(again.imported.values()) == 0
best = statistics.median(times)
emit({
    "impl": "autolog",
    "import 1,000 runs x (10 params, 5 x 100 points) s": best,
    # the import is one thread: on a busy machine its CPU time says what it costs alone
    "import, CPU time s": statistics.median(cpu),
    "import: metric points/s": RUNS * METRICS * STEPS / best,
    "second import, nothing new s": second,
})
