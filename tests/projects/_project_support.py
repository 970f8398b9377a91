"""Helpers for project-run tests: the example project, the CLI, git repositories, polling."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import autolog

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "iris-project"
AUTOLOG = str(Path(sys.executable).with_name("autolog"))


def autolog_run(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``autolog run ARGS`` in a subprocess (the tracking URI and cache come from the env)."""
    return subprocess.run(
        [AUTOLOG, "run", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def runs(experiment: str = "Default") -> list[autolog.Run]:
    """Every run of ``experiment`` in the current tracking store, oldest first."""
    found = autolog.get_experiment_by_name(experiment)
    if found is None:
        return []
    return list(autolog.Client().search_runs([found.experiment_id], order_by=["attributes.start_time ASC"]))


def write_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def copy_example(target: Path) -> Path:
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def wait_for(condition: Callable[[], object], what: str, timeout: float = 120) -> None:
    """Poll ``condition`` until it is true (bounded: fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


# a project whose entry point logs a param, says it is ready, then waits to be cancelled
SLEEPER = {
    "sleep.py": (
        "import os, sys, time, autolog\n"
        "autolog.log_param('started', 'yes')\n"
        "autolog.flush()\n"
        "open(sys.argv[-1] if len(sys.argv) > 1 else 'pid.txt', 'w').write(str(os.getpid()))\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n"
    ),
}
