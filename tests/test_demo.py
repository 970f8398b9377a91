"""The README's demo runs from a clean directory and leaves the runs it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "docs" / "examples" / "demo.py"


def test_demo_runs_and_records(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        [sys.executable, "-W", "error::autolog.errors.AutologWarning", str(DEMO)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "registered" in done.stdout and "@champion" in done.stdout
    # the default store is ./autolog-runs in the working directory
    assert (tmp_path / "autolog-runs").is_dir()

    import autolog

    autolog.set_tracking_uri(str(tmp_path / "autolog-runs"))
    runs = autolog.search_runs(experiment_names=["demo"])
    names = {run.info.run_name for run in runs}
    assert {"Pipeline", "RandomForestClassifier", "GridSearchCV", "XGBClassifier", "Sequential"} <= names
    torch_run = next(run for run in runs if run.info.run_name == "Sequential")
    history = autolog.Client().get_metric_history(torch_run.info.run_id, "train_loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
