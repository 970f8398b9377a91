"""Shared helpers for the benchmark scripts: timing, medians, running the MLflow equivalent."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def median_time(fn: Callable[[], Any], repeat: int = 7, setup: Callable[[], Any] | None = None) -> float:
    """Median seconds of ``fn()`` over ``repeat`` runs (``setup`` runs untimed before each)."""
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def mlflow_python() -> str | None:
    """The interpreter of an environment with MLflow installed (the reference), if any.

    Set ``MLFLOW_PYTHON`` to point at it; MLflow is never a dependency of autolog itself.
    """
    candidate = os.environ.get("MLFLOW_PYTHON")
    if candidate and Path(candidate).exists():
        return candidate
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return None
    return sys.executable


#: subprocess environment: bytecode caching on, as on a user's machine (some environments set
#: PYTHONDONTWRITEBYTECODE, which makes every import recompile and every figure meaningless)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_json(python: str, script: Path, *args: str, cwd: str | None = None) -> dict[str, Any]:
    """Run a benchmark script in a fresh interpreter; it prints one JSON object last."""
    out = subprocess.run(
        [python, str(script), *args], check=True, capture_output=True, text=True, cwd=cwd, env=ENV
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result))
