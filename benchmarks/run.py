"""Run every benchmark and print a table of figures, MLflow side by side where installed.

    python benchmarks/run.py [--only NAME ...] [--json]

MLflow is the reference, never our dependency: point MLFLOW_PYTHON at an interpreter of an
environment that has it (e.g. a venv with ``pip install mlflow==3.17.2``), or leave it out.
Figures are medians of repeated runs on this machine; compare within one run, as ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ENV, HERE, mlflow_python, run_json  # noqa: E402


def import_time(python: str, module: str, repeat: int = 15) -> float:
    """Median ms that ``import module`` adds to a bare interpreter start."""

    def wall(code: str) -> float:
        subprocess.run([python, "-c", code], check=True, env=ENV)  # write bytecode once
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([python, "-c", code], check=True, env=ENV)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    return (wall(f"import {module}") - wall("pass")) * 1000


BENCHES = {
    "tracking": HERE / "bench_tracking.py",
    "models": HERE / "bench_models.py",
    "autologging": HERE / "bench_autologging.py",
    "serve": HERE / "bench_serve.py",
    "server": HERE / "bench_server.py",
    "remote": HERE / "bench_remote.py",
    "cli": HERE / "bench_cli.py",
    "system_metrics": HERE / "bench_system_metrics.py",
    "import_mlflow": HERE / "bench_import.py",
    "ui": HERE / "bench_ui.py",
    "projects": HERE / "bench_projects.py",
}
#: the benchmarks whose scripts also run MLflow's equivalent (their second argument "mlflow")
WITH_REFERENCE = {"tracking", "models", "autologging", "serve", "server", "remote", "system_metrics", "ui", "projects"}
#: the ones that measure MLflow from our interpreter (one browser measures both web UIs; the
#: script starts MLflow's server from the MLFLOW_PYTHON environment)
REFERENCE_FROM_OURS = {"ui"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=None, help="benchmarks to run: import, " + ", ".join(BENCHES))
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    wanted = set(args.only or ["import", *BENCHES])
    reference = mlflow_python()
    rows: list[tuple[str, str, object, object]] = []

    if "import" in wanted:
        ours = import_time(sys.executable, "autolog")
        theirs = import_time(reference, "mlflow", repeat=3) if reference else None
        rows.append(("import", "import adds (ms)", round(ours, 1), None if theirs is None else round(theirs)))

    with tempfile.TemporaryDirectory() as tmp:
        for name, script in BENCHES.items():
            if name not in wanted or not script.exists():
                continue
            ours = run_json(sys.executable, script, f"{tmp}/{name}-autolog", "autolog")
            theirs = (
                run_json(sys.executable if name in REFERENCE_FROM_OURS else reference, script, f"{tmp}/{name}-mlflow", "mlflow")
                if reference and name in WITH_REFERENCE
                else {}
            )
            for key, value in ours.items():
                if key == "impl":
                    continue
                rows.append((name, key, _round(value), _round(theirs.get(key))))

    if args.json:
        print(json.dumps([dict(zip(("bench", "figure", "autolog", "mlflow"), r)) for r in rows]))
        return
    print(f"| bench | figure | autolog | mlflow {'(' + reference + ')' if reference else '(not installed)'} |")
    print("|---|---|---|---|")
    for bench, key, ours, theirs in rows:
        print(f"| {bench} | {key} | {ours} | {'' if theirs is None else theirs} |")


def _round(value: object) -> object:
    if isinstance(value, float):
        return round(value, 3) if abs(value) < 100 else round(value)
    return value


if __name__ == "__main__":
    main()
