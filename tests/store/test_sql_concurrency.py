"""Several processes, each with several threads, writing to one store at once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolog.store.sql import SqlStore

PROCESSES, THREADS, POINTS, BATCH = 4, 4, 2_000, 50

_WRITER = """
import json, sys, threading
from autolog.store.sql import SqlStore
from autolog.core._entities import Metric, Param, RunTag
uri, own, shared, proc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
threads, points, batch = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
store = SqlStore.from_uri(uri)
errors = []

def work(thread):
    try:
        for start in range(0, points, batch):
            steps = range(start, min(start + batch, points))
            mine = [Metric(f"t{thread}", float(s), 1_000 + s, s) for s in steps]
            store.log_batch(own, mine, [Param(f"p{thread}", "x")], [RunTag("last", str(start))])
            # every writer of every process also appends to one metric of one shared run
            point = proc * 1_000_000 + thread * 10_000 + start
            store.log_batch(shared, [Metric("shared", float(point), point, point)])
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")

workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
for w in workers: w.start()
for w in workers: w.join()
print(json.dumps(errors))
"""

_PARAM_RACE = """
import sys
from autolog.errors import ParamChangedError
from autolog.store.sql import SqlStore
from autolog.core._entities import Param
store = SqlStore.from_uri(sys.argv[1])
try:
    store.log_batch(sys.argv[2], params=[Param("winner", sys.argv[3])])
    print("won")
except ParamChangedError as exc:
    print("refused", exc.old, exc.new)
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "runs")
    return str(request.getfixturevalue("fresh_postgres_uri"))


@pytest.fixture
def store(uri: str) -> Iterator[SqlStore]:
    store = SqlStore.from_uri(uri)
    yield store
    store.close()


def _start(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
def test_processes_and_threads_lose_nothing(uri: str, store: SqlStore) -> None:
    own = [store.create_run("0", "u", 0).info.run_id for _ in range(PROCESSES)]
    shared = store.create_run("0", "u", 0).info.run_id
    procs = [
        _start(_WRITER, uri, own[i], shared, str(i), str(THREADS), str(POINTS), str(BATCH))
        for i in range(PROCESSES)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert json.loads(out) == [], "a writer failed"
        assert "locked" not in err and "busy" not in err

    for run_id in own:
        run = store.get_run(run_id)
        assert run.data.metrics == {f"t{i}": float(POINTS - 1) for i in range(THREADS)}
        assert run.data.params == {f"p{i}": "x" for i in range(THREADS)}
        for i in range(THREADS):
            history = store.get_metric_history(run_id, f"t{i}")
            assert [m.step for m in history] == list(range(POINTS))
    history = store.get_metric_history(shared, "shared")
    assert len(history) == PROCESSES * THREADS * (POINTS // BATCH)
    assert len({m.value for m in history}) == len(history)
    assert store.get_run(shared).data.metrics["shared"] == max(m.value for m in history)


def test_param_race_between_processes_has_one_winner(uri: str, store: SqlStore) -> None:
    run_id = store.create_run("0", "u", 0).info.run_id
    procs = [_start(_PARAM_RACE, uri, run_id, f"value-{i}") for i in range(PROCESSES)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * PROCESSES, [err for _, err in outputs]
    results = sorted(out.split()[0] for out, _ in outputs)
    assert results == ["refused"] * (PROCESSES - 1) + ["won"]
    stored = store.get_run(run_id).data.params["winner"]
    winner = next(i for i, (out, _) in enumerate(outputs) if out.startswith("won"))
    assert stored == f"value-{winner}"
    assert all(out.split()[1] == stored for out, _ in outputs if out.startswith("refused"))


_FORKED = """
import os, sys
from autolog.store.sql import SqlStore
from autolog.core._entities import Metric, RunStatus
store = SqlStore.from_uri(sys.argv[1])
experiment = store.create_experiment("forked")
before = store.create_run(experiment, "parent", 1).info.run_id
store.finish_run(before, RunStatus.FINISHED, 2, metrics=[Metric("m", 1.0, 1, 0)])
pid = os.fork()
if pid == 0:
    # the child writes through the same store object: it must open its own connection
    try:
        child = store.create_run(experiment, "child", 3).info.run_id
        store.finish_run(child, RunStatus.FINISHED, 4, metrics=[Metric("m", 2.0, 1, 0)])
        os._exit(0)
    except BaseException as exc:
        print("child failed:", type(exc).__name__, exc, flush=True)
        os._exit(1)
_, status = os.waitpid(pid, 0)
after = store.create_run(experiment, "parent", 5).info.run_id
store.finish_run(after, RunStatus.FINISHED, 6, metrics=[Metric("m", 3.0, 1, 0)])
runs = SqlStore.from_uri(sys.argv[1]).search_runs([experiment], None)
print(os.waitstatus_to_exitcode(status), sorted(r.data.metrics["m"] for r in runs))
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork here")
def test_a_forked_process_writes_through_its_own_connection(tmp_path: Path) -> None:
    """SQLite writes share one held connection per process: after fork, parent and child
    each keep writing, and nothing is lost or corrupted."""
    out = subprocess.run(
        [sys.executable, "-c", _FORKED, str(tmp_path / "store")],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    assert out.strip().splitlines()[-1] == "0 [1.0, 2.0, 3.0]", out
