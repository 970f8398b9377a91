"""Project-run figures: what ``autolog run`` adds to running a project's command directly.

Usage: python bench_projects.py WORKDIR [autolog|mlflow]

- ``noop``: a project whose command starts Python and does nothing. ``autolog run`` of it
  (env-manager local) against running the command itself: the fixed cost of recording a run
  (the launcher's interpreter, the tracking store, the output artifact).
- ``logs``: a project whose script logs a param and a metric (into a run of its own when run
  directly; into the project's run under ``autolog run``), the usual shape of a project.
- ``virtualenv``: the second ``autolog run --env-manager virtualenv`` of a project (the first
  built the environment; the second finds it by its hash).
- ``ray``: on a local single-node head, from ``autolog.projects.run(backend="ray")`` to the
  first line of the command (upload, runtime env, job start); the first submission and the
  median of later ones (Ray caches the uploaded package by its hash).

Commands are alternated (direct, ``autolog run``) and medians taken. MLflow's ``mlflow run``
of the same MLproject is measured with ``mlflow`` (local env only; it has no ray backend).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ENV, emit  # noqa: E402

REPEAT = 9
workdir = Path(sys.argv[1])
impl = sys.argv[2] if len(sys.argv) > 2 else "autolog"
tool = "mlflow" if impl == "mlflow" else "autolog"
workdir.mkdir(parents=True, exist_ok=True)
env = {
    **ENV,
    "AUTOLOG_TRACKING_URI": str(workdir / "runs"),
    "AUTOLOG_CACHE_DIR": str(workdir / "cache"),
    "MLFLOW_TRACKING_URI": f"sqlite:///{workdir / 'mlflow.db'}",
}
env.pop("AUTOLOG_RUN_ID", None)


def project(name: str, script: str, env_file: str | None = None) -> Path:
    root = workdir / name
    root.mkdir(exist_ok=True)
    (root / "main.py").write_text(script)
    spec = "name: %s\n%sentry_points:\n  main:\n    parameters: {n: {type: int, default: 1}}\n" \
           "    command: python main.py {n}\n" % (name, "python_env: python_env.yaml\n" if env_file else "")
    (root / "MLproject").write_text(spec)
    if env_file:
        (root / "python_env.yaml").write_text(env_file)
    return root


def wall(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=cwd)
    return time.perf_counter() - start


def overhead(root: Path, *options: str) -> tuple[float, float]:
    """(median seconds of the command itself, median seconds of `<tool> run` of it)."""
    direct_cmd = [sys.executable, "main.py", "1"]
    run_cmd = [str(Path(sys.executable).with_name(tool)), "run", str(root), *options]
    if tool == "mlflow":
        run_cmd += ["--env-manager", "local"] if "--env-manager" not in options else []
    wall(direct_cmd, root), wall(run_cmd, root)  # bytecode written, store created
    direct, launched = [], []
    for _ in range(REPEAT):
        direct.append(wall(direct_cmd, root))
        launched.append(wall(run_cmd, root))
    return statistics.median(direct), statistics.median(launched)


logging_script = (
    "import sys, mlflow\nmlflow.log_param('n', sys.argv[1])\nmlflow.log_metric('m', 1.0)\n"
    if tool == "mlflow"
    else "import sys, autolog\nautolog.log_param('n', sys.argv[1])\nautolog.log_metric('m', 1.0)\n"
)
result: dict[str, object] = {"bench": "projects", "impl": impl}
noop_direct, noop_run = overhead(project("noop", "import sys\n"))
result["noop_command_ms"] = round(noop_direct * 1000, 1)
result["noop_run_overhead_ms"] = round((noop_run - noop_direct) * 1000, 1)
logs_direct, logs_run = overhead(project("logs", logging_script))
result["logging_command_ms"] = round(logs_direct * 1000, 1)
result["logging_run_overhead_ms"] = round((logs_run - logs_direct) * 1000, 1)

if tool == "autolog":
    venv_project = project("venv", "import sys, six\n", "dependencies:\n  - six\n")
    _, second = overhead(venv_project, "--env-manager", "virtualenv")
    result["virtualenv_second_run_s"] = round(second, 3)
    try:
        import ray  # noqa: F401
    except ImportError:
        ray = None
    if ray is not None:
        import autolog
        import autolog.projects
        from autolog.testing import local_ray_head

        os.environ.update({k: v for k, v in env.items() if k.startswith("AUTOLOG_")})
        autolog.set_tracking_uri(env["AUTOLOG_TRACKING_URI"])
        timed = project("timed", "import time\nprint('start', repr(time.time()), flush=True)\n")
        latencies = []
        with local_ray_head(num_cpus=2) as address:
            for _ in range(4):
                submitted = time.time()
                done = autolog.projects.run(str(timed), backend="ray", backend_config={"address": address})
                started = next(float(x.split()[1]) for x in done.logs().splitlines() if x.startswith("start "))
                latencies.append(started - submitted)
        result["ray_submit_to_start_first_s"] = round(latencies[0], 2)
        result["ray_submit_to_start_s"] = round(statistics.median(latencies[1:]), 2)
emit(result)
