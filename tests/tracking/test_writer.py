"""The background writer: everything queued lands, and failures reach the user."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import autolog
from autolog.errors import BackgroundWriteError, ParamChangedError, RunStateError
from autolog.tracking import _writer
from autolog.core._entities import Param, RunStatus


@pytest.fixture(params=["memory", "sqlite-dir"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "memory":
        monkeypatch.setenv("AUTOLOG_TRACKING_URI", "memory:")
    return autolog.get_tracking_uri()


def end_behind_our_back(run_id: str) -> None:
    """End a run the way another process would: straight in the store."""
    autolog.Client().store.update_run_info(run_id, status=RunStatus.FINISHED, end_time=1)


def wait_for_background_failure() -> None:
    deadline = time.monotonic() + 30
    while not _writer.writer().failures:
        assert time.monotonic() < deadline, "the writer never reported the failed write"
        time.sleep(0.01)


def test_many_points_in_big_batches_all_land(backend: str) -> None:
    with autolog.start_run() as run:
        for step in range(50_000):
            autolog.log_metric("loss", 1.0 / (step + 1), step=step)
        autolog.log_params({f"p{i}": i for i in range(100)})
        autolog.flush()
        history = autolog.Client().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(50_000))
    assert history[-1].value == 1.0 / 50_000
    assert len(autolog.get_run(run.info.run_id).data.params) == 100


def test_reading_in_the_same_process_sees_queued_writes(backend: str) -> None:
    with autolog.start_run() as run:
        autolog.log_metric("m", 1.0)
        autolog.log_param("p", "x")
        autolog.set_tag("t", "y")
        seen = autolog.get_run(run.info.run_id)  # no flush: the read drains
        assert seen.data.metrics == {"m": 1.0} and seen.data.params == {"p": "x"}
        assert seen.data.tags["t"] == "y"
        assert len(autolog.search_runs(filter_string="metrics.m = 1")) == 1
        assert len(autolog.Client().get_metric_history(run.info.run_id, "m")) == 1


def test_failure_is_raised_at_flush_with_the_cause_and_the_data(backend: str) -> None:
    run = autolog.start_run()
    end_behind_our_back(run.info.run_id)
    for step in range(10):
        autolog.log_metric("m", float(step), step=step)
    with pytest.raises(BackgroundWriteError) as caught:
        autolog.flush()
    error = caught.value
    assert isinstance(error.__cause__, RunStateError)
    assert run.info.run_id in str(error) and "10 metric points" in str(error)
    failure = error.failures[0]  # type: ignore[attr-defined]
    assert failure.run_id == run.info.run_id
    assert [m.value for m in failure.metrics] == [float(s) for s in range(10)]
    autolog.flush()  # reported once, not forever


def test_failure_is_raised_at_the_next_logging_call(backend: str) -> None:
    run = autolog.start_run()
    end_behind_our_back(run.info.run_id)
    autolog.log_metric("m", 1.0)
    wait_for_background_failure()  # the writer thread wakes on its own timer
    with pytest.raises(BackgroundWriteError) as caught:
        autolog.log_metric("m", 2.0)
    assert isinstance(caught.value.__cause__, RunStateError)


def test_a_param_changed_elsewhere_is_reported(backend: str) -> None:
    run = autolog.start_run()
    autolog.Client().store.log_batch(run.info.run_id, params=[Param("lr", "0.1")])
    autolog.log_param("lr", 0.5)  # this process never logged lr: only the store can tell
    with pytest.raises(BackgroundWriteError) as caught:
        autolog.flush()
    assert isinstance(caught.value.__cause__, ParamChangedError)
    assert caught.value.failures[0].params == [Param("lr", "0.5")]  # type: ignore[attr-defined]
    autolog.end_run()
    assert autolog.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_end_run_ends_the_run_then_reports_a_failed_write(backend: str) -> None:
    run = autolog.start_run()
    autolog.log_metric("ok", 1.0)
    autolog.flush()
    autolog.Client().store.log_batch(run.info.run_id, params=[Param("lr", "0.1")])
    autolog.log_param("lr", 0.5)
    with pytest.raises(BackgroundWriteError):
        autolog.end_run()
    assert autolog.active_run() is None
    ended = autolog.get_run(run.info.run_id)
    assert ended.info.status == RunStatus.FINISHED
    assert ended.data.metrics == {"ok": 1.0}


def test_end_run_writes_its_last_batch_and_everything_else_queued(backend: str) -> None:
    with autolog.start_run() as parent:
        autolog.log_metric("outer", 1.0)
        with autolog.start_run(nested=True) as child:
            autolog.log_param("p", "x")
            autolog.log_metric("inner", 2.0, step=3)
            autolog.set_tag("t", "y")
            autolog.Client().log_metric(parent.info.run_id, "outer_again", 0.5)  # another run's
        store = autolog.Client().store  # reads straight from the store: no drain on the way
        ended = store.get_run(child.info.run_id)
        assert ended.info.status == RunStatus.FINISHED and ended.info.end_time is not None
        assert ended.data.params == {"p": "x"} and ended.data.tags["t"] == "y"
        assert ended.data.metrics == {"inner": 2.0}
        assert store.get_run(parent.info.run_id).data.metrics == {"outer": 1.0, "outer_again": 0.5}
    assert store.get_run(parent.info.run_id).info.status == RunStatus.FINISHED


def test_context_manager_keeps_the_users_exception(
    backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ValueError, match="user error"):
        with autolog.start_run() as run:
            autolog.Client().store.log_batch(run.info.run_id, params=[Param("lr", "0.1")])
            autolog.log_param("lr", 0.5)
            raise ValueError("user error")
    assert autolog.get_run(run.info.run_id).info.status == RunStatus.FAILED
    assert "could not end run" in caplog.text


def test_threads_share_one_writer(backend: str) -> None:
    with autolog.start_run() as run:
        run_id = run.info.run_id
        client = autolog.Client()

        def work(thread: int) -> None:
            for step in range(2_000):
                client.log_metric(run_id, f"t{thread}", float(step), step=step)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for i in range(8):
        assert len(client.get_metric_history(run_id, f"t{i}")) == 2_000
    assert [t.name for t in threading.enumerate()].count("autolog-writer") <= 1


def test_interpreter_exit_writes_what_a_client_queued(tmp_path: Path) -> None:
    uri = str(tmp_path / "runs")
    code = (
        "import sys, autolog\n"
        "client = autolog.Client(sys.argv[1])\n"
        "run_id = client.create_run(client.create_experiment('e')).info.run_id\n"
        "for step in range(5000):\n"
        "    client.log_metric(run_id, 'm', float(step), step=step)\n"
        "print(run_id)\n"  # no flush, no end: exit must write the queue
    )
    done = subprocess.run(
        [sys.executable, "-c", code, uri], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    history = autolog.Client(uri).get_metric_history(done.stdout.strip(), "m")
    assert [m.step for m in history] == list(range(5000))
