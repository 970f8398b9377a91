"""Web UI figures (issue: the web UI), measured in Debian's Chromium through Playwright.

Usage: python bench_ui.py WORKDIR [autolog|mlflow]

Both sides run in this (autolog's) interpreter, which has Playwright; ``mlflow`` starts
``mlflow server`` from the environment of ``MLFLOW_PYTHON`` (``make mlflow-venv``), so both
UIs are measured by the same Chromium build, on the same data, written straight into each
one's SQLite store:

- an experiment of 10,000 finished runs, 10 params and 5 metrics each;
- a run with one metric of 1,000,000 points;
- 10 runs with a metric of 100,000 points each.

Figures (medians of REPEAT page loads after a first one, each in a fresh browser context, from
the start of the navigation until the thing is on screen; ``*_first_ms`` is that first load, on
a server that has cached nothing):

- ``runs_table_ms``: the first page of runs visible (the newest run's name);
- ``runs_table_by_metric_ms``: the same, sorted by a metric (the best run's name first);
- ``chart_1m_ms``: the run page's chart of the 1M-point metric drawn;
- ``compare_10x100k_ms``: one chart overlaying the 10 runs' 100,000-point metric drawn;
- ``chart_1m_payload_kb``: the bytes the chart of the 1M-point metric fetched from the API.

Every wait is bounded (TIMEOUT_S); a figure the UI never reaches is reported as null.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ENV, emit  # noqa: E402

RUNS, PARAMS, METRICS = 10_000, 10, 5
BIG = 1_000_000
COMPARE_RUNS, COMPARE_POINTS = 10, 100_000
#: page loads measured after the first; MLflow's take up to minutes each here, so fewer
REPEAT = {"autolog": 5, "mlflow": 2}
#: the longest wait for one page (MLflow's 1M-point chart takes about a minute)
TIMEOUT_S = {"autolog": 60, "mlflow": 240}
CHROMIUM = os.environ.get("AUTOLOG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
T0 = 1_700_000_000_000


def metric_values(i: int) -> list[float]:
    rng = random.Random(i)
    return [rng.random() * 0.9 for _ in range(METRICS)]


def series(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [math.exp(-i / (n / 4)) + 0.05 * rng.random() for i in range(n)]


# -- data ---------------------------------------------------------------------------------------
def seed_autolog(root: Path) -> dict[str, Any]:
    from autolog.core._entities import Metric, Param, RunStatus, RunTag
    from autolog.core._store import FinishedRun
    from autolog.store import open_store

    store = open_store(str(root / "store"))
    eid = store.create_experiment("bench", None, {})
    batch = []
    for i in range(RUNS):
        values = metric_values(i)
        if i == RUNS // 2:
            values[0] = 0.99  # the best run by m0
        batch.append(FinishedRun(
            "bench", T0 + i * 1000, T0 + i * 1000 + 500, RunStatus.FINISHED,
            tags=[RunTag("autolog.source.name", "train.py")],
            params=[Param(f"p{j}", str((i * (j + 1)) % 97)) for j in range(PARAMS)],
            metrics=[Metric(f"m{j}", v, T0 + i * 1000, 0) for j, v in enumerate(values)],
            run_name="best-run" if i == RUNS // 2 else f"run-{i:05d}",
        ))
        if len(batch) == 1000:
            store.record_runs(eid, batch)
            batch = []
    other = store.create_experiment("curves", None, {})

    def long_run(name: str, key: str, n: int, seed: int) -> str:
        run_id = store.create_run(other, "bench", T0, run_name=name).info.run_id
        values = series(n, seed)
        for start in range(0, n, 200_000):
            store.log_metric_points(run_id, [(key, values[k], T0 + k * 10, k) for k in range(start, min(n, start + 200_000))])
        store.update_run_info(run_id, RunStatus.FINISHED, end_time=T0 + n * 10)
        return run_id

    big = long_run("big", "big", BIG, 1)
    compare = [long_run(f"c{k}", "m", COMPARE_POINTS, 10 + k) for k in range(COMPARE_RUNS)]
    store.close()
    return {"experiment_id": eid, "curves_id": other, "big": big, "compare": compare}


def seed_mlflow(root: Path, mlflow_python: str) -> dict[str, Any]:
    """MLflow's own client creates the schema and the experiments; rows go in with SQL."""
    db = root / "mlflow.db"
    uri = f"sqlite:///{db}"
    code = (
        "import mlflow, sys; mlflow.set_tracking_uri(sys.argv[1]); c = mlflow.MlflowClient();"
        "print(c.create_experiment('bench'), c.create_experiment('curves'))"
    )
    out = subprocess.run([mlflow_python, "-c", code, uri], check=True, capture_output=True, text=True, env=ENV).stdout
    eid, other = out.split()[-2:]
    con = sqlite3.connect(db)

    def add_run(experiment: str, name: str, start: int, end: int) -> str:
        run_id = uuid.uuid4().hex
        con.execute(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
            "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
            "VALUES (?, ?, 'LOCAL', 'train.py', '', 'bench', 'FINISHED', ?, ?, '', 'active', ?, ?)",
            (run_id, name, start, end, str(root / "mlartifacts" / run_id), int(experiment)),
        )
        con.execute("INSERT INTO tags (key, value, run_uuid) VALUES ('mlflow.runName', ?, ?)", (name, run_id))
        con.execute("INSERT INTO tags (key, value, run_uuid) VALUES ('mlflow.source.name', 'train.py', ?)", (run_id,))
        return run_id

    def add_metrics(run_id: str, rows: list[tuple[str, float, int, int]]) -> None:
        con.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)",
            [(k, v, ts, run_id, step) for k, v, ts, step in rows],
        )
        last: dict[str, tuple[str, float, int, int]] = {}
        for row in rows:
            last[row[0]] = row
        con.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)",
            [(k, v, ts, step, run_id) for k, v, ts, step in last.values()],
        )

    for i in range(RUNS):
        values = metric_values(i)
        if i == RUNS // 2:
            values[0] = 0.99
        run_id = add_run(eid, "best-run" if i == RUNS // 2 else f"run-{i:05d}", T0 + i * 1000, T0 + i * 1000 + 500)
        con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                        [(f"p{j}", str((i * (j + 1)) % 97), run_id) for j in range(PARAMS)])
        add_metrics(run_id, [(f"m{j}", v, T0 + i * 1000, 0) for j, v in enumerate(values)])

    def long_run(name: str, key: str, n: int, seed: int) -> str:
        run_id = add_run(other, name, T0, T0 + n * 10)
        values = series(n, seed)
        add_metrics(run_id, [(key, values[k], T0 + k * 10, k) for k in range(n)])
        return run_id

    big = long_run("big", "big", BIG, 1)
    compare = [long_run(f"c{k}", "m", COMPARE_POINTS, 10 + k) for k in range(COMPARE_RUNS)]
    con.commit()
    con.close()
    return {"uri": uri, "experiment_id": eid, "curves_id": other, "big": big, "compare": compare}


# -- servers -----------------------------------------------------------------------------------
def start(command: list[str], pattern: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            import threading

            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return proc, found.group(1)
    stop(proc)
    raise RuntimeError("the server did not start:\n" + "".join(seen[-20:]))


def stop(proc: subprocess.Popen[str]) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- measuring ---------------------------------------------------------------------------------
def timed(browser: Any, url: str, ready: str, api_prefix: str | None, timeout_s: float) -> tuple[float | None, int]:
    """ms from the start of navigation until ``ready`` (a JS predicate) holds; API bytes."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    received = [0]
    if api_prefix:
        def count(response: Any) -> None:
            if api_prefix in response.url:
                try:
                    received[0] += len(response.body())
                except Exception:  # noqa: BLE001 - a cancelled response has no body
                    pass
        page.on("response", count)
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function(ready, timeout=timeout_s * 1000, polling="raf")
        elapsed = (time.perf_counter() - start) * 1000
    except Exception as exc:  # noqa: BLE001 - a UI that never gets there has no figure
        print(f"not reached: {url}: {type(exc).__name__}", file=sys.stderr)
        elapsed = None
    finally:
        if api_prefix:
            page.wait_for_timeout(300)
        context.close()
    return elapsed, received[0]


def median(browser: Any, url: str, ready: str, api_prefix: str | None, impl: str) -> tuple[float | None, float | None, int]:
    """(median of the warm loads, the first load, API bytes of a load)."""
    timeout = TIMEOUT_S[impl]
    first, _ = timed(browser, url, ready, api_prefix, timeout)  # a fresh server: nothing cached yet
    if first is None:
        return None, None, 0
    found = [timed(browser, url, ready, api_prefix, timeout) for _ in range(REPEAT[impl])]
    times = [t for t, _ in found if t is not None]
    return (statistics.median(times) if len(times) == len(found) else None), first, found[-1][1]


def visible_text(text: str, selector: str = "body") -> str:
    return f"() => [...document.querySelectorAll({json.dumps(selector)})].some((e) => e.textContent.trim() === {json.dumps(text)} && e.offsetParent !== null)"


def measure(base: str, impl: str, data: dict[str, Any]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    eid, big, compare = data["experiment_id"], data["big"], data["compare"]
    if impl == "autolog":
        pages = {
            "runs_table_ms": (f"{base}/#/experiments/{eid}", visible_text(f"run-{RUNS - 1:05d}", "table.runs a"), None),
            "runs_table_by_metric_ms": (f"{base}/#/experiments/{eid}?order=metrics.%60m0%60+DESC&col=metrics.m0",
                                        "() => document.querySelector('table.runs tbody td.c-name a')?.textContent === 'best-run'", None),
            "chart_1m_ms": (f"{base}/#/runs/{big}", "() => document.querySelector(\".chart[data-key='big']\")?.dataset.points === '1000000'", "/metric-series"),
            "compare_10x100k_ms": (f"{base}/#/compare?runs={','.join(compare)}&metric=m",
                                   "() => document.querySelector('.compare-chart')?.dataset.points === '1000000'", None),
        }
    else:
        runs_json = json.dumps(compare).replace(" ", "")
        pages = {
            "runs_table_ms": (f"{base}/#/experiments/{eid}/runs", visible_text(f"run-{RUNS - 1:05d}", "a"), None),
            "runs_table_by_metric_ms": (f"{base}/#/experiments/{eid}/runs?orderByKey=metrics.%60m0%60&orderByAsc=false",
                                        visible_text("best-run", "a"), None),
            # the run page's model metrics tab draws a Plotly line per metric
            "chart_1m_ms": (f"{base}/#/experiments/{data['curves_id']}/runs/{big}/model-metrics",
                            "() => document.querySelector('.js-plotly-plot .scatterlayer path.js-line') !== null", "/metrics/get-history"),
            # the metric page its compare view links to ("Plot chart"), one trace per run
            "compare_10x100k_ms": (f"{base}/#/metric?runs={runs_json}&metric=%22m%22&experiments=[%22{data['curves_id']}%22]"
                                   "&plot_metric_keys=%5B%22m%22%5D&x_axis=step",
                                   "() => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace path.js-line').length >= 10", None),
        }
    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, (url, ready, api) in pages.items():
                elapsed, first, payload = median(browser, url, ready, api, impl)
                print(f"{impl} {name}: first {first} ms, then {elapsed} ms, {payload} API bytes", file=sys.stderr, flush=True)
                results[name] = None if elapsed is None else round(elapsed)
                results[name.replace("_ms", "_first_ms")] = None if first is None else round(first)
                if name == "chart_1m_ms":
                    results["chart_1m_payload_kb"] = round(payload / 1024, 1) if elapsed is not None else None
        finally:
            browser.close()
    return results


def main() -> None:
    workdir = Path(sys.argv[1])
    impl = sys.argv[2] if len(sys.argv) > 2 else "autolog"
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**ENV}
    if impl == "mlflow":
        from _common import mlflow_python as find

        mlflow_python = find()
        if not mlflow_python:
            raise SystemExit("set MLFLOW_PYTHON to the interpreter of an environment with mlflow==3.17.2")
        data = seed_mlflow(workdir, mlflow_python)
        port = free_port()
        command = [str(Path(mlflow_python).with_name("mlflow")), "server", "--backend-store-uri", data["uri"],
                   "--default-artifact-root", str(workdir / "mlartifacts"), "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        proc, base = start(command, r"(?i)(?:Uvicorn running on|Listening at:?|Application startup complete)(.*)", env)
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/health")
    else:
        data = seed_autolog(workdir)
        proc, base = start([str(Path(sys.executable).with_name("autolog")), "server", "--backend-store-uri", str(workdir / "store"), "--port", "0"],
                           r"(http://127\.0\.0\.1:\d+)", env)
        _wait(base + "/health")
    try:
        results = {"impl": impl, **measure(base, impl, data)}
    finally:
        stop(proc)
    emit(results)


def _wait(url: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} never answered")


if __name__ == "__main__":
    main()
