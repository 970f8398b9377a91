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
    local = HERE.parent / ".venv-mlflow" / "bin" / "python"  # make mlflow-venv
    if local.exists():
        return str(local)
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


def run_figures(figures: list[Callable[[str, Path, dict[str, Any]], None]]) -> None:
    """The command line of a script of figure functions: ``WORKDIR [autolog|mlflow] [NAME ...]``
    (optional names pick figures, e.g. ``sklearn_fit``); prints the results as one JSON line."""
    workdir = Path(sys.argv[1])
    impl = sys.argv[2] if len(sys.argv) > 2 else "autolog"
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"impl": impl}
    only = set(sys.argv[3:])
    for figure in figures:
        if not only or figure.__name__ in only:
            figure(impl, workdir, results)
    emit(results)


def torch_mlp(epochs: int = 5) -> tuple[Callable[[], list[float]], int, list[float]]:
    """The small MLP the torch figures train on the CPU: ``(loop, steps_per_epoch, opens)``.

    ``loop()`` builds the model and an Adam optimizer (which opens an autologged run) and
    trains ``epochs`` epochs (a train and a validation DataLoader pass each); it returns the
    process CPU seconds of each epoch and appends the CPU seconds of building the optimizer to
    ``opens``. Torch runs one thread: the figures compare per-step costs, not parallelism.
    """
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(4096 + 1024, 20, generator=generator)
    y = (X[:, 0] + X[:, 1] > 0).long()
    train = DataLoader(TensorDataset(X[:4096], y[:4096]), batch_size=64, shuffle=True)
    val = DataLoader(TensorDataset(X[4096:], y[4096:]), batch_size=256)
    opens: list[float] = []

    def loop() -> list[float]:
        model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
        start = time.process_time()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        criterion = nn.CrossEntropyLoss()
        opens.append(time.process_time() - start)
        times = []
        for _ in range(epochs):
            start = time.process_time()
            model.train()
            for xb, yb in train:
                optimizer.zero_grad()
                criterion(model(xb), yb).backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                for xb, yb in val:
                    criterion(model(xb), yb)
            times.append(time.process_time() - start)
        return times

    return loop, len(train), opens
