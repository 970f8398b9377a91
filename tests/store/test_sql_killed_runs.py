"""Runs whose process died without ending them are read, and persisted, as KILLED."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from autolog.store._liveness import is_process_gone, this_host
from autolog.store.sql import SqlStore
from autolog.store.sql import _schema as t
from autolog.core import _tags
from autolog.core._entities import RunStatus, RunTag
from autolog.core._search import parse_filter

_CHILD = """
import os, sys, time
from autolog.store._liveness import this_host
from autolog.store.sql import SqlStore
from autolog.core._entities import RunTag
store = SqlStore.from_uri(sys.argv[1])
tags = [RunTag("autolog.host", this_host()), RunTag("autolog.pid", str(os.getpid()))]
run = store.create_run("0", "someone", int(time.time() * 1000), tags=tags)
print(run.info.run_id, flush=True)
time.sleep(600)
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


def _stored_status(uri: str, run_id: str) -> tuple[str, int | None]:
    """The row as it is in the database, read by a store of its own."""
    other = SqlStore.from_uri(uri)
    try:
        row = other.db.read(
            lambda conn: conn.execute(
                sa.select(t.runs.c.status, t.runs.c.end_time).where(t.runs.c.run_id == run_id)
            ).one()
        )
    finally:
        other.close()
    return row.status, row.end_time


def _spawn_run(uri: str) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, uri], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    run_id = child.stdout.readline().strip()
    if not run_id:
        child.kill()
        raise AssertionError(child.communicate()[1])
    return child, run_id


def test_sigkilled_process_leaves_a_killed_run(uri: str, store: SqlStore) -> None:
    child, run_id = _spawn_run(uri)
    try:
        assert store.get_run(run_id).info.status is RunStatus.RUNNING  # alive: untouched
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
    before = int(time.time() * 1000)

    run = store.get_run(run_id)
    assert run.info.status is RunStatus.KILLED
    assert run.info.end_time is not None and run.info.end_time >= before
    assert _stored_status(uri, run_id) == ("KILLED", run.info.end_time)


def test_search_reports_and_persists_killed_runs(uri: str, store: SqlStore) -> None:
    child, run_id = _spawn_run(uri)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)

    found = store.search_runs(["0"], parse_filter("status = 'KILLED'"))
    assert [r.info.run_id for r in found] == [run_id]
    assert store.search_runs(["0"], parse_filter("status = 'RUNNING'")) == []
    assert _stored_status(uri, run_id)[0] == "KILLED"


def test_runs_that_cannot_be_judged_stay_running(store: SqlStore) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    cases = {
        "other host": [RunTag(_tags.HOST, this_host() + "-elsewhere"), RunTag(_tags.PID, str(gone.pid))],
        "this process": [RunTag(_tags.HOST, this_host()), RunTag(_tags.PID, str(os.getpid()))],
        "no pid": [RunTag(_tags.HOST, this_host())],
        "bad pid": [RunTag(_tags.HOST, this_host()), RunTag(_tags.PID, "twelve")],
    }
    now = int(time.time() * 1000)
    ids = {name: store.create_run("0", "u", now, tags=tags).info.run_id for name, tags in cases.items()}
    assert {r.info.status for r in store.search_runs(["0"])} == {RunStatus.RUNNING}
    assert {store.get_run(i).info.status for i in ids.values()} == {RunStatus.RUNNING}


def test_a_finished_run_keeps_its_status(store: SqlStore) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    tags = [RunTag(_tags.HOST, this_host()), RunTag(_tags.PID, str(gone.pid))]
    run = store.create_run("0", "u", int(time.time() * 1000), tags=tags)
    store.update_run_info(run.info.run_id, status=RunStatus.FINISHED, end_time=123)
    again = store.get_run(run.info.run_id)
    assert (again.info.status, again.info.end_time) == (RunStatus.FINISHED, 123)


# -- is_process_gone ----------------------------------------------------------------------------


def test_a_reaped_process_is_gone_a_live_one_is_not() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not is_process_gone(this_host(), child.pid)
    finally:
        child.kill()
        child.wait()
    assert is_process_gone(this_host(), child.pid)


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads Linux's /proc")
def test_a_killed_unreaped_child_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _state(child.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _state(child.pid) == "Z"  # still in the process table, as a zombie
        assert is_process_gone(this_host(), child.pid)
    finally:
        child.wait()


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads Linux's /proc")
def test_a_pid_reused_by_a_newer_process_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        now = int(time.time() * 1000)
        # the run started ten minutes before this process did: the pid is someone else's now
        assert is_process_gone(this_host(), child.pid, started_by_ms=now - 600_000)
        assert not is_process_gone(this_host(), child.pid, started_by_ms=now)
    finally:
        child.kill()
        child.wait()


def test_other_hosts_and_this_process_are_never_gone() -> None:
    assert not is_process_gone(this_host(), os.getpid(), started_by_ms=0)
    assert not is_process_gone("another-host.example", 999_999_999)
    assert not is_process_gone(this_host(), 0)
    assert not is_process_gone(this_host(), -5)


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return text[text.rfind(")") + 2 :].split()[0]
