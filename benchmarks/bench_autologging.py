"""Autologging figures (issue: autologging). Run by benchmarks/run.py; prints one JSON line.

Usage: python bench_autologging.py WORKDIR [autolog|mlflow] [FIGURE ...]
Each figure times the same training plain and autologged in one process, alternating, and
reports medians and their ratio. Times are the process's CPU time (all threads, autolog's
background writer included), which a busy shared machine disturbs far less than wall time. The MLflow variant runs MLflow's own autolog for the same
library where it has one (it has none for plain PyTorch loops: those figures are left out).

- xgboost: ``XGBClassifier.fit`` and ``xgboost.train`` on 50,000 x 20 rows, 100 rounds with a
  10,000-row eval set, models on
- torch: a small MLP trained for 5 epochs on the CPU (train + val DataLoader), per-step time
  of the epochs; the run's start (the optimizer's construction) and end (model logging) are
  reported on their own
- sklearn: ``LogisticRegression`` on 1,000 x 20 and a ``GridSearchCV`` of 3 candidates x 3
  folds, models on, in wall time with the autologged timing ending after ``flush()`` (the run
  complete on disk, background writes included); the fit after ``enable()`` + ``disable()``
  against a process that never enabled; ``enable()`` itself in fresh interpreters. BLAS runs
  one thread for these: on a busy machine its idle threads spin, and a plain fit then swings
  between 2 and 70 ms, which would hide (or invent) any overhead. The search is also timed
  with the library's default threads.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run_figures, torch_mlp  # noqa: E402

REPEAT = 7
TORCH_REPEAT = 12


def _alternate(plain: Callable[[], Any], logged: Callable[[], Any], on: Callable[[], None], off: Callable[[], None]) -> tuple[float, float]:
    """Median CPU seconds of ``plain`` and ``logged``, run in turns (drift hits both alike)."""
    import statistics

    plain_times, logged_times = [], []
    plain()  # warm-up: imports, thread pools, first allocations
    for _ in range(REPEAT):
        start = time.process_time()
        plain()
        plain_times.append(time.process_time() - start)
        on()
        start = time.process_time()
        logged()
        logged_times.append(time.process_time() - start)
        off()
    return statistics.median(plain_times), statistics.median(logged_times)


def _switch(impl: str, flavor: str, workdir: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    if impl == "mlflow":
        import importlib

        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{workdir}/mlflow-{flavor}.db")
        module = importlib.import_module(f"mlflow.{flavor}")
        return (lambda: module.autolog(silent=True)), (lambda: module.autolog(disable=True))
    import autolog

    autolog.set_tracking_uri(str(workdir / f"autolog-{flavor}"))
    return (lambda: autolog.enable(flavors=[flavor])), autolog.disable


def xgboost_figures(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    import numpy as np
    import xgboost as xgb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60_000, 20)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] - X[:, 2] + rng.normal(scale=0.5, size=60_000) > 0).astype(int)
    Xt, yt, Xv, yv = X[:50_000], y[:50_000], X[50_000:], y[50_000:]
    dtrain, dvalid = xgb.DMatrix(Xt, label=yt), xgb.DMatrix(Xv, label=yv)
    on, off = _switch(impl, "xgboost", workdir)

    def fit() -> None:
        xgb.XGBClassifier(n_estimators=100, max_depth=4, n_jobs=1).fit(Xt, yt, eval_set=[(Xv, yv)], verbose=False)

    def train() -> None:
        xgb.train({"objective": "binary:logistic", "max_depth": 4, "nthread": 1}, dtrain, 100,
                  evals=[(dvalid, "valid")], verbose_eval=False)

    plain, logged = _alternate(fit, fit, on, off)
    results["xgboost_fit_100_rounds_plain_ms"] = plain * 1000
    results["xgboost_fit_100_rounds_autolog_ms"] = logged * 1000
    results["xgboost_fit_added_ms"] = (logged - plain) * 1000
    results["xgboost_fit_ratio"] = logged / plain
    plain, logged = _alternate(train, train, on, off)
    results["xgboost_train_100_rounds_plain_ms"] = plain * 1000
    results["xgboost_train_100_rounds_autolog_ms"] = logged * 1000
    results["xgboost_train_added_ms"] = (logged - plain) * 1000
    results["xgboost_train_ratio"] = logged / plain


def torch_figures(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    if impl == "mlflow":
        return  # MLflow autologs Lightning only; a plain loop gets nothing to compare with
    import statistics

    import autolog

    on, disable = _switch(impl, "torch", workdir)
    # CPU seconds of each of the 5 epochs; building the model and optimizer, which opens the
    # run, is reported separately (``opens``)
    loop, steps_per_epoch, opens = torch_mlp()
    plain_times: list[float] = []
    logged_times: list[float] = []
    logged_opens, ends = [], []
    loop()
    # epochs are the samples (a differing step costs ~50 us against a noise of ~20 us per
    # step between whole loops): 60 of each, plain and logged loops taking turns
    for _ in range(TORCH_REPEAT):
        plain_times.extend(loop())
        on()
        logged_times.extend(loop())
        logged_opens.append(opens[-1])
        start = time.process_time()
        autolog.end_run()  # the run's end: pending epoch data and the model
        ends.append(time.process_time() - start)
        disable()
    plain_s, logged_s = statistics.median(plain_times), statistics.median(logged_times)
    results["torch_mlp_step_plain_us"] = plain_s / steps_per_epoch * 1e6
    results["torch_mlp_step_autolog_us"] = logged_s / steps_per_epoch * 1e6
    results["torch_mlp_step_ratio"] = logged_s / plain_s
    results["torch_run_start_ms"] = statistics.median(logged_opens) * 1000
    results["torch_run_end_with_model_ms"] = statistics.median(ends) * 1000


# -- sklearn -----------------------------------------------------------------------------------
SKLEARN_REPEAT = {"autolog": 15, "mlflow": 3}


def _sklearn_data() -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 20))
    y = (X[:, 0] + X[:, 1] - X[:, 2] + rng.normal(scale=0.5, size=1000) > 0).astype(int)
    return X, y


def _sklearn_switch(impl: str, workdir: Path) -> tuple[Callable[[], None], Callable[[], None], Callable[[], None]]:
    """(enable, disable, flush) with models, signatures, examples, datasets and plots on."""
    if impl == "mlflow":
        import mlflow
        import mlflow.sklearn

        mlflow.set_tracking_uri(f"sqlite:///{workdir}/mlflow-sklearn.db")

        def flush() -> None:
            flush_async = getattr(mlflow, "flush_async_logging", None)
            if flush_async is not None:
                flush_async()

        return (
            lambda: mlflow.sklearn.autolog(log_models=True, log_input_examples=True, silent=True),
            lambda: mlflow.sklearn.autolog(disable=True),
            flush,
        )
    import autolog

    autolog.set_tracking_uri(str(workdir / "autolog-sklearn"))
    return lambda: autolog.enable(flavors=["sklearn"]), autolog.disable, autolog.flush


def _wall_alternate(
    work: Callable[[], Any], on: Callable[[], None], off: Callable[[], None], flush: Callable[[], None], repeat: int
) -> tuple[float, float]:
    """Median wall seconds of ``work()`` plain and autologged (``work(); flush()``), in turns."""
    import statistics

    plain_times, logged_times = [], []
    work()
    on()
    work()
    flush()
    off()
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        plain_times.append(time.perf_counter() - start)
        on()
        start = time.perf_counter()
        work()
        flush()
        logged_times.append(time.perf_counter() - start)
        off()
    return statistics.median(plain_times), statistics.median(logged_times)


def _one_blas_thread() -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def sklearn_fit(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    """LogisticRegression 1,000 x 20, models on: added wall ms against max(15, 2x pickle)."""
    import pickle
    import statistics

    from sklearn.linear_model import LogisticRegression

    X, y = _sklearn_data()
    on, off, flush = _sklearn_switch(impl, workdir)
    with _one_blas_thread():
        plain, logged = _wall_alternate(lambda: LogisticRegression().fit(X, y), on, off, flush, SKLEARN_REPEAT[impl])
    model = LogisticRegression().fit(X, y)
    pickles = []
    for _ in range(101):
        start = time.perf_counter()
        pickle.dumps(model)
        pickles.append(time.perf_counter() - start)
    pickle_ms = statistics.median(pickles) * 1000
    results["sklearn_fit_plain_ms"] = plain * 1000
    results["sklearn_fit_autolog_ms"] = logged * 1000
    results["sklearn_fit_added_ms"] = (logged - plain) * 1000
    results["sklearn_fit_pickle_ms"] = pickle_ms
    results["sklearn_fit_allowed_ms"] = max(15.0, 2 * pickle_ms)


def sklearn_gridsearch(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    """GridSearchCV, 3 candidates x cv=3, models on: autologged / plain (target < 1.2)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = _sklearn_data()
    on, off, flush = _sklearn_switch(impl, workdir)

    def search() -> None:
        GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, cv=3).fit(X, y)

    repeat = max(3, SKLEARN_REPEAT[impl] // 2)
    with _one_blas_thread():
        plain, logged = _wall_alternate(search, on, off, flush, repeat)
    results["sklearn_gridsearch_plain_ms"] = plain * 1000
    results["sklearn_gridsearch_autolog_ms"] = logged * 1000
    results["sklearn_gridsearch_ratio"] = logged / plain
    plain, logged = _wall_alternate(search, on, off, flush, repeat)
    results["sklearn_gridsearch_default_threads_plain_ms"] = plain * 1000
    results["sklearn_gridsearch_default_threads_ratio"] = logged / plain


def sklearn_disabled(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    """The fit after enable() + disable() against the same fit before any enable (ratio)."""
    import statistics

    from sklearn.linear_model import LogisticRegression

    X, y = _sklearn_data()
    on, off, _ = _sklearn_switch(impl, workdir)

    def batch() -> float:
        """Median wall seconds of one fit over a batch of 21."""
        times = []
        for _ in range(21):
            start = time.perf_counter()
            LogisticRegression().fit(X, y)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    with _one_blas_thread():
        for _ in range(3):  # warm-up: caches, allocator, CPU frequency
            batch()
        never = statistics.median(batch() for _ in range(3))
        on()
        off()
        after = statistics.median(batch() for _ in range(3))
    results["sklearn_fit_never_enabled_ms"] = never * 1000
    results["sklearn_fit_after_disable_ms"] = after * 1000
    results["sklearn_disabled_ratio"] = after / never


def enable_ms(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    """``enable()`` in a fresh interpreter (bytecode cached), median of 10: with no ML library
    imported yet (the import hooks only), and after ``import sklearn.linear_model`` (patching)."""
    import json
    import statistics
    import subprocess

    from _common import ENV

    call = "import mlflow; f = lambda: mlflow.autolog(silent=True)" if impl == "mlflow" else "import autolog; f = autolog.enable"
    for label, before in (("enable_ms", ""), ("enable_after_sklearn_import_ms", "import sklearn.linear_model; ")):
        code = (
            f"import sys, time, json; {before}{call}; t = time.perf_counter(); f(); "
            "d = time.perf_counter() - t; "
            "ml = sorted(m for m in ('sklearn', 'xgboost', 'torch', 'pandas') if m in sys.modules); "
            "print(json.dumps([d, ml]))"
        )
        env = {**ENV, "AUTOLOG_TRACKING_URI": str(workdir / "autolog-enable"), "MLFLOW_TRACKING_URI": f"sqlite:///{workdir}/mlflow-enable.db"}
        subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)  # bytecode
        times, imported = [], []
        for _ in range(10):
            out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
            seconds, imported = json.loads(out.stdout.strip().splitlines()[-1])
            times.append(seconds)
        results[label] = statistics.median(times) * 1000
        if not before:
            results["ml_libraries_imported_after_enable"] = ",".join(imported) or "none"


FIGURES = [xgboost_figures, torch_figures, sklearn_fit, sklearn_gridsearch, sklearn_disabled, enable_ms]


if __name__ == "__main__":
    run_figures(FIGURES)
