"""Command-line figures: wall time of ``autolog runs list`` (first page) over 10,000 runs.

Usage: python bench_cli.py WORKDIR
Creates 10,000 runs (5 params, 3 metrics each) once under WORKDIR, then times the whole
``autolog runs list`` process, interpreter start included; prints one JSON line.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ENV, emit  # noqa: E402

RUNS = 10_000
workdir = Path(sys.argv[1])
store = workdir / "cli-10k"
marker = store / ".complete"

if not marker.exists():
    import autolog
    from autolog.core._entities import Metric, Param, RunTag

    autolog.set_tracking_uri(str(store))
    backend = autolog.Client().store
    experiment = backend.get_experiment_by_name("Default")
    assert experiment is not None
    now = int(time.time() * 1000)
    for i in range(RUNS):
        run = backend.create_run(
            experiment.experiment_id, "bench", now + i, [RunTag("autolog.runName", f"run-{i}")],
            run_name=f"run-{i}", run_id=uuid.uuid4().hex,
        )
        backend.log_batch(
            run.info.run_id,
            metrics=[Metric(f"m{k}", i * 0.001 + k, now + i, 0) for k in range(3)],
            params=[Param(f"p{k}", str(i % (k + 7))) for k in range(5)],
        )
        backend.update_run_info(run.info.run_id, status=autolog.RunStatus.FINISHED, end_time=now + i + 5)
    marker.write_text("ok")

autolog_bin = str(Path(sys.executable).with_name("autolog"))
# bytecode caching on, as on a user's machine (ENV drops PYTHONDONTWRITEBYTECODE)
env = {**ENV, "AUTOLOG_TRACKING_URI": str(store)}
subprocess.run([autolog_bin, "runs", "list"], check=True, capture_output=True, env=env)  # writes bytecode
times = []
for _ in range(7):
    start = time.perf_counter()
    subprocess.run([autolog_bin, "runs", "list"], check=True, capture_output=True, env=env)
    times.append(time.perf_counter() - start)
start = time.perf_counter()
subprocess.run([sys.executable, "-c", "pass"], check=True, env=ENV)
bare = time.perf_counter() - start
emit(
    {
        "bench": "cli",
        "runs": RUNS,
        "runs_list_first_page_ms": round(statistics.median(times) * 1000, 1),
        "bare_interpreter_ms": round(bare * 1000, 1),
    }
)
