"""A run handed to this process by ``autolog run`` (AUTOLOG_RUN_ID): start_run() and the first
autologged training call resume it instead of starting new runs."""

from __future__ import annotations

import os
import threading

import pytest

import autolog
from autolog.tracking import _fluent


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> str:
    """A RUNNING run created by 'the launcher' (this process), handed over through the env."""
    client = autolog.Client()
    experiment = client.create_experiment("projects")
    run = client.create_run(experiment, run_name="project-run")
    monkeypatch.setenv("AUTOLOG_RUN_ID", run.info.run_id)
    return run.info.run_id


def test_start_run_resumes_the_handed_run_once(handed: str) -> None:
    with autolog.start_run() as run:
        assert run.info.run_id == handed and run.info.run_name == "project-run"
        autolog.log_param("alpha", 0.5)
    assert "AUTOLOG_RUN_ID" not in os.environ  # its subprocesses start runs of their own
    with autolog.start_run() as other:
        assert other.info.run_id != handed
    assert autolog.get_run(handed).data.params == {"alpha": "0.5"}


def test_logging_without_a_run_goes_into_the_handed_run(handed: str) -> None:
    autolog.log_metric("loss", 0.25)
    assert autolog.active_run().info.run_id == handed  # type: ignore[union-attr]
    autolog.end_run()
    run = autolog.get_run(handed)
    assert run.data.metrics == {"loss": 0.25} and run.info.experiment_id != "0"


def test_resume_waits_until_the_launcher_has_created_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher holds a pipe open while it creates the run; start_run() waits for it."""
    client = autolog.Client()
    run_id = "0123456789abcdef0123456789abcdef"
    read, write = os.pipe()
    monkeypatch.setenv("AUTOLOG_RUN_ID", run_id)
    monkeypatch.setenv("AUTOLOG_RUN_GATE", f"{read}:{os.fstat(read).st_ino}")
    order: list[str] = []

    def launcher() -> None:
        client._create_run("0", None, None, "late", None, run_id=run_id)
        order.append("created")
        os.close(write)

    thread = threading.Timer(0.2, launcher)
    thread.start()
    with autolog.start_run() as run:
        order.append("resumed")
        assert run.info.run_id == run_id and run.info.run_name == "late"
    thread.join()
    assert order == ["created", "resumed"]


def test_a_gate_that_is_not_the_pipe_is_ignored(handed: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A subprocess inherits the variables but not the fd: whatever has that number now is
    left alone."""
    with open(tmp_path / "data.txt", "w+") as other:
        other.write("keep me")
        other.flush()
        other.seek(0)
        monkeypatch.setenv("AUTOLOG_RUN_GATE", f"{other.fileno()}:1")
        with autolog.start_run() as run:
            assert run.info.run_id == handed
        assert other.read() == "keep me"


def test_autologged_training_logs_into_the_handed_run_and_nests_the_next(handed: str) -> None:
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    autolog.enable(log_models=False)
    try:
        LogisticRegression(max_iter=300).fit(X, y)
        LogisticRegression(C=0.5, max_iter=300).fit(X, y)
    finally:
        autolog.disable()
    assert _fluent.handed_over_run() is None
    run = autolog.get_run(handed)
    assert run.info.status == autolog.RunStatus.RUNNING  # left open like a user's run
    assert run.data.params["C"] == "1.0" and run.info.run_name == "project-run"
    autolog.end_run()
    experiment = autolog.get_experiment(run.info.experiment_id)
    children = autolog.search_runs(
        [experiment.experiment_id], filter_string=f"tags.autolog.parentRunId = '{handed}'"
    )
    assert [c.data.params["C"] for c in children] == ["0.5"]  # type: ignore[union-attr]
