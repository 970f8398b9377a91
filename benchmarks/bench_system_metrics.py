"""System-metrics figures (issue: system metrics). Run by benchmarks/run.py; prints one JSON line.

Usage: python bench_system_metrics.py WORKDIR [autolog|mlflow] [FIGURE ...]

- sampler_cost: the CPU time sampling costs, per sample and extrapolated to one minute at the
  default interval (10 s), as a share of one core. Measured honestly rather than at 10 s (where
  a minute holds 6 samples, too few to time): one run sampled every 20 ms for a few hundred
  samples, the CPU clocks of the sampler thread and of the background writer thread (which
  stores the points; nothing else is logged meanwhile) read before and after, divided by the
  samples taken. A sample costs the same whatever the interval (the same /proc reads and the
  same 8 points), so the per-minute figure is 6 x that. MLflow's monitor thread is measured
  the same way (its writes happen in that thread).
- run start / end added: ``start_run`` + ``end_run`` with sampling against without (the
  thread's start, psutil's first import excluded by a warm-up run, the last sample at the end).
- torch: the small MLP of bench_autologging (5 epochs, train + val DataLoader, CPU) inside a
  run, with sampling on and off, alternating, per-step CPU time of the whole process (all
  threads, the sampler's included); at the default interval and at 0.1 s (100 x as often).
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run_figures, torch_mlp  # noqa: E402

STRESS_INTERVAL_S = 0.02
STRESS_SECONDS = 6.0
DEFAULT_INTERVAL_S = 10.0
TORCH_REPEAT = 12


def _thread_cpu(name: str) -> float:
    """CPU seconds used so far by the live thread called ``name`` (Linux: its own clock)."""
    thread = next(t for t in threading.enumerate() if t.name == name)
    assert thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the sampler produced no points in 60 s")
        time.sleep(0.005)


def sampler_cost(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    os.environ["AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL" if impl == "autolog" else
               "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL"] = str(STRESS_INTERVAL_S)
    if impl == "mlflow":
        cpu_per_sample = _mlflow_sampler_cost(workdir)
    else:
        cpu_per_sample = _autolog_sampler_cost(workdir, results)
    per_minute = cpu_per_sample * 60 / DEFAULT_INTERVAL_S
    results["sampler_cpu_per_sample_us"] = cpu_per_sample * 1e6
    results["sampler_cpu_per_minute_at_10s_ms"] = per_minute * 1000
    results["sampler_share_of_one_core_at_10s_percent"] = per_minute / 60 * 100


def _autolog_sampler_cost(workdir: Path, results: dict[str, Any]) -> float:
    import autolog
    from autolog.tracking.system_metrics import _monitor

    autolog.set_tracking_uri(str(workdir / "autolog-sampler"))
    with autolog.start_run(log_system_metrics=True):  # warm-up: imports, first samples
        pass
    run = autolog.start_run(log_system_metrics=True)
    target = _monitor._runs[run.info.run_id]
    _wait_until(lambda: target.points >= 2)
    points, sampler, writer = target.points, _thread_cpu("autolog-system-metrics"), _thread_cpu("autolog-writer")
    time.sleep(STRESS_SECONDS)
    samples = target.points - points
    spent = _thread_cpu("autolog-system-metrics") - sampler
    autolog.flush()  # the writer's share: storing the points of those samples
    spent_writing = _thread_cpu("autolog-writer") - writer
    autolog.end_run()
    results["stress_samples"] = samples
    results["writer_cpu_per_sample_us"] = spent_writing / samples * 1e6
    return (spent + spent_writing) / samples


def _mlflow_sampler_cost(workdir: Path) -> float:
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(f"sqlite:///{workdir}/mlflow-sampler.db")
    key = "system/cpu_utilization_percentage"
    with mlflow.start_run(log_system_metrics=True):  # warm-up
        time.sleep(0.5)
    with mlflow.start_run(log_system_metrics=True) as run:
        client = MlflowClient()
        _wait_until(lambda: len(client.get_metric_history(run.info.run_id, key)) >= 2)
        before = len(client.get_metric_history(run.info.run_id, key))
        spent = _thread_cpu("SystemMetricsMonitor")
        time.sleep(STRESS_SECONDS)
        spent = _thread_cpu("SystemMetricsMonitor") - spent
        samples = len(client.get_metric_history(run.info.run_id, key)) - before
    return spent / samples


def run_start_end(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    if impl == "mlflow":
        return  # MLflow's start_run itself costs ~100x ours: the difference would be noise
    import autolog

    os.environ["AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL"] = str(DEFAULT_INTERVAL_S)
    autolog.set_tracking_uri(str(workdir / "autolog-startend"))
    timings: dict[bool, tuple[list[float], list[float]]] = {False: ([], []), True: ([], [])}
    for sampled in (False, True):  # warm-up
        with autolog.start_run(log_system_metrics=sampled):
            pass
    for _ in range(25):
        for sampled in (False, True):
            start = time.perf_counter()
            autolog.start_run(log_system_metrics=sampled)
            middle = time.perf_counter()
            autolog.end_run()
            timings[sampled][0].append(middle - start)
            timings[sampled][1].append(time.perf_counter() - middle)
    for index, what in enumerate(("start", "end")):
        plain, sampled = (statistics.median(timings[s][index]) for s in (False, True))
        results[f"run_{what}_added_ms"] = (sampled - plain) * 1000


def torch_overhead(impl: str, workdir: Path, results: dict[str, Any]) -> None:
    if impl == "mlflow":
        return  # the figure is about our sampler; MLflow's costs more per sample (above)
    import autolog

    autolog.set_tracking_uri(str(workdir / "autolog-torch"))
    loop, steps_per_epoch, _ = torch_mlp()
    loop()
    for interval, label in ((DEFAULT_INTERVAL_S, "10s"), (0.1, "0_1s")):
        os.environ["AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL"] = str(interval)
        plain: list[float] = []
        sampled: list[float] = []
        for _ in range(TORCH_REPEAT):  # epochs are the samples: 60 per side, in turns
            with autolog.start_run():
                plain.extend(loop())
            with autolog.start_run(log_system_metrics=True):
                sampled.extend(loop())
        ratio = statistics.median(sampled) / statistics.median(plain)
        results[f"torch_mlp_step_ratio_sampling_every_{label}"] = ratio
    results["torch_mlp_step_plain_us"] = statistics.median(plain) / steps_per_epoch * 1e6


FIGURES = [sampler_cost, run_start_end, torch_overhead]


if __name__ == "__main__":
    run_figures(FIGURES)
