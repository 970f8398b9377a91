"""Project-run figures: what ``autolog run`` adds to running a project's command directly.

Usage: python bench_projects.py WORKDIR [autolog|mlflow] [FIGURE ...]

- noop: a project whose command starts Python and does nothing. ``autolog run`` of it
  (env-manager local) against running the command itself: the fixed cost of recording a run
  (the launcher's interpreter, the tracking store, the output artifact).
- logging: a project whose script logs a param and a metric (into a run of its own when run
  directly; into the project's run under ``autolog run``), the usual shape of a project.
- virtualenv: the second ``autolog run --env-manager virtualenv`` of a project (the first
  built the environment; the second finds it by its hash), the whole command.
- ray: on a local single-node head, from ``autolog.projects.run(backend="ray")`` to the first
  line of the command (upload, runtime env, job start); the first submission, and the median
  of three later ones (Ray keeps the uploaded package by its hash).

Commands are alternated (the command itself, then ``autolog run`` of it) and medians taken.
With ``mlflow`` the same MLproject runs under ``mlflow run --env-manager local`` (MLflow has no
ray backend, and its virtualenv manager installs Pythons with pyenv: not compared).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ENV, run_figures  # noqa: E402

REPEAT = 9
RAY_LATER = 3


def _env(workdir: Path) -> dict[str, str]:
    env = {
        **ENV,
        "AUTOLOG_TRACKING_URI": str(workdir / "runs"),
        "AUTOLOG_CACHE_DIR": str(workdir / "cache"),
        "MLFLOW_TRACKING_URI": f"sqlite:///{workdir / 'mlflow.db'}",
        # `python` in the project's command: this interpreter, for both tools
        "PATH": os.path.dirname(sys.executable) + os.pathsep + ENV.get("PATH", ""),
    }
    env.pop("AUTOLOG_RUN_ID", None)
    return env


def _project(workdir: Path, name: str, script: str, python_env: str | None = None) -> Path:
    root = workdir / name
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.py").write_text(script)
    spec = f"name: {name}\n"
    if python_env is not None:
        spec += "python_env: python_env.yaml\n"
        (root / "python_env.yaml").write_text(python_env)
    spec += "entry_points:\n  main:\n    parameters: {n: {type: int, default: 1}}\n    command: python main.py {n}\n"
    (root / "MLproject").write_text(spec)
    return root


def _overhead(impl: str, workdir: Path, root: Path, *options: str) -> tuple[float, float, float]:
    """(median wall seconds of the command itself, of ``<tool> run`` of it, and the median
    CPU seconds ``<tool> run`` adds: user + system of every process, which a busy machine
    changes far less than wall time)."""
    env = _env(workdir)
    tool = "mlflow" if impl == "mlflow" else "autolog"
    direct = [sys.executable, "main.py", "1"]
    launched = [str(Path(sys.executable).with_name(tool)), "run", str(root), *options]
    if tool == "mlflow":
        launched += ["--env-manager", "local"]

    def wall(command: list[str]) -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=root)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    wall(direct), wall(launched)  # bytecode written, the store and its experiment created
    direct_runs, launched_runs = [], []
    for _ in range(REPEAT):
        direct_runs.append(wall(direct))
        launched_runs.append(wall(launched))
    cpu_added = statistics.median(b[1] for b in launched_runs) - statistics.median(a[1] for a in direct_runs)
    return (
        statistics.median(a[0] for a in direct_runs),
        statistics.median(b[0] for b in launched_runs),
        cpu_added,
    )


def noop(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    direct, launched, cpu = _overhead(impl, workdir, _project(workdir, "noop", "import sys\n"))
    results["noop_command_ms"] = round(direct * 1000, 1)
    results["noop_run_overhead_ms"] = round((launched - direct) * 1000, 1)
    results["noop_run_cpu_added_ms"] = round(cpu * 1000, 1)


def logging(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    module = "mlflow" if impl == "mlflow" else "autolog"
    script = f"import sys, {module}\n{module}.log_param('n', sys.argv[1])\n{module}.log_metric('m', 1.0)\n"
    direct, launched, cpu = _overhead(impl, workdir, _project(workdir, "logging", script))
    results["logging_command_ms"] = round(direct * 1000, 1)
    results["logging_run_overhead_ms"] = round((launched - direct) * 1000, 1)
    results["logging_run_cpu_added_ms"] = round(cpu * 1000, 1)


def virtualenv(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    if impl == "mlflow":
        return
    root = _project(workdir, "venv", "import sys, six\n", "dependencies:\n  - six\n")
    _, second, _ = _overhead(impl, workdir, root, "--env-manager", "virtualenv")
    results["virtualenv_second_run_s"] = round(second, 3)


def ray(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    if impl == "mlflow":
        return
    try:
        import ray  # noqa: F401
    except ImportError:
        return
    import autolog
    import autolog.projects
    from autolog.testing import local_ray_head

    os.environ.update({k: v for k, v in _env(workdir).items() if k.startswith("AUTOLOG_")})
    autolog.set_tracking_uri(os.environ["AUTOLOG_TRACKING_URI"])
    root = _project(workdir, "timed", "import time\nprint('start', repr(time.time()), flush=True)\n")
    latencies = []
    with local_ray_head(num_cpus=2) as address:
        for _ in range(1 + RAY_LATER):
            submitted = time.time()
            done = autolog.projects.run(str(root), backend="ray", backend_config={"address": address})
            line = next(x for x in done.logs().splitlines() if x.startswith("start "))
            latencies.append(float(line.split()[1]) - submitted)
    results["ray_submit_to_start_first_s"] = round(latencies[0], 2)
    results["ray_submit_to_start_s"] = round(statistics.median(latencies[1:]), 2)


if __name__ == "__main__":
    run_figures([noop, logging, virtualenv, ray])
