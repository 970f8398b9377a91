"""Several processes and threads writing one SQLite store at once; a killed writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import autolog

PROCESSES, THREADS, POINTS = 4, 4, 10_000

WORKER = """
import sys, threading, autolog

uri, run_id, worker = sys.argv[1], sys.argv[2], sys.argv[3]
client = autolog.Client(uri)
go = threading.Barrier({threads})

def log(thread):
    go.wait()  # all threads of this process start together
    key = f"w{{worker}}_t{{thread}}"
    for step in range({points}):
        client.log_metric(run_id, key, float(step), step=step)
    client.set_tag(run_id, key, "done")

threads = [threading.Thread(target=log, args=(i,)) for i in range({threads})]
for t in threads:
    t.start()
for t in threads:
    t.join()
client.flush()
print("ok", flush=True)
"""


def spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_processes_and_threads_write_one_sqlite_store_at_once(tmp_path: Path) -> None:
    uri = str(tmp_path / "shared")
    client = autolog.Client(uri)
    run_id = client.create_run(client.create_experiment("concurrency")).info.run_id
    code = WORKER.format(threads=THREADS, points=POINTS)
    workers = [spawn(code, uri, run_id, str(w)) for w in range(PROCESSES)]
    outputs = [w.communicate(timeout=120) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert out.strip() == "ok"
        assert "locked" not in err.lower()
    run = client.get_run(run_id)
    keys = [f"w{w}_t{t}" for w in range(PROCESSES) for t in range(THREADS)]
    assert all(run.data.tags[key] == "done" for key in keys)
    assert {k: run.data.metrics[k] for k in keys} == {k: float(POINTS - 1) for k in keys}
    for key in keys:
        history = client.get_metric_history(run_id, key)
        assert [m.step for m in history] == list(range(POINTS)), key


KILLED = """
import os, sys, time, autolog

autolog.set_tracking_uri(sys.argv[1])
run = autolog.start_run()
for step in range(20_000):
    autolog.log_metric("flushed", float(step), step=step)
autolog.log_param("lr", 0.1)
autolog.set_tag("stage", "before-kill")
autolog.flush()
print(run.info.run_id, flush=True)
for step in range(1_000):
    autolog.log_metric("after", float(step), step=step)  # may or may not survive the kill
time.sleep(60)
"""


@pytest.mark.slow
def test_sigkill_after_flush_loses_nothing_that_was_flushed(tmp_path: Path) -> None:
    uri = str(tmp_path / "runs")
    process = spawn(KILLED, uri)
    try:
        assert process.stdout is not None
        run_id = process.stdout.readline().strip()
        assert run_id, process.stderr.read() if process.stderr else ""
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    client = autolog.Client(uri)
    run = client.get_run(run_id)
    assert run.data.params == {"lr": "0.1"}
    assert run.data.tags["stage"] == "before-kill"
    history = client.get_metric_history(run_id, "flushed")
    assert [m.step for m in history] == list(range(20_000))
    # the run was never ended: it is not shown as finished
    assert run.info.status in (autolog.RunStatus.RUNNING, autolog.RunStatus.KILLED)
