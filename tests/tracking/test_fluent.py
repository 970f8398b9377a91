"""The fluent API from the outside, on the in-memory store and the default SQLite directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import autolog
from autolog.errors import InvalidInputError, NotFoundError, ParamChangedError, RunStateError
from autolog.core import _tags


@pytest.fixture(params=["memory", "sqlite-dir"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on ``memory:`` and on the default store (a directory: SQLite + files)."""
    if request.param == "memory":
        monkeypatch.setenv("AUTOLOG_TRACKING_URI", "memory:")
    return autolog.get_tracking_uri()


def run_script(code: str, uri: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOLOG_TRACKING_URI": uri}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# -- runs --------------------------------------------------------------------------------------
def test_context_manager_finishes_the_run(backend: str) -> None:
    with autolog.start_run() as run:
        assert autolog.active_run() is run
        assert run.info.status == autolog.RunStatus.RUNNING
    assert autolog.active_run() is None
    ended = autolog.get_run(run.info.run_id)
    assert ended.info.status == autolog.RunStatus.FINISHED
    assert ended.info.end_time is not None and ended.info.end_time >= ended.info.start_time


def test_exception_inside_marks_failed_and_propagates_unchanged(backend: str) -> None:
    error = KeyError("boom")
    with pytest.raises(KeyError) as caught:
        with autolog.start_run() as run:
            raise error
    assert caught.value is error
    assert autolog.get_run(run.info.run_id).info.status == autolog.RunStatus.FAILED
    assert autolog.active_run() is None


def test_run_ids_names_and_description(backend: str) -> None:
    with autolog.start_run(description="first try") as generated:
        pass
    with autolog.start_run(run_name="baseline", tags={"team": "vision"}) as named:
        pass
    assert re.fullmatch(r"[0-9a-f]{32}", generated.info.run_id)
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", generated.info.run_name)
    run = autolog.get_run(generated.info.run_id)
    assert run.data.tags[_tags.NOTE] == "first try"
    assert run.data.tags[_tags.RUN_NAME] == generated.info.run_name
    run = autolog.get_run(named.info.run_id)
    assert run.info.run_name == "baseline"
    assert run.data.tags["team"] == "vision"


def test_system_tags(backend: str) -> None:
    import getpass
    import platform
    import socket

    with autolog.start_run() as run:
        pass
    tags = autolog.get_run(run.info.run_id).data.tags
    assert run.info.user_id == getpass.getuser() == tags[_tags.USER]
    assert tags[_tags.HOST] == socket.gethostname()
    assert tags[_tags.PID] == str(os.getpid())
    assert tags[_tags.PYTHON_VERSION] == platform.python_version()
    assert tags[_tags.AUTOLOG_VERSION] == autolog.__version__
    assert tags[_tags.SOURCE_NAME]
    assert tags[_tags.ENTRY_POINT]


def test_git_commit_and_dirty_flag_inside_a_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    script = repo / "train.py"
    script.write_text(
        "import autolog\n" "with autolog.start_run() as run:\n" "    print(run.info.run_id)\n"
    )
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "train.py"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "train"], cwd=repo, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    uri = str(tmp_path / "runs")
    env = {**os.environ, "AUTOLOG_TRACKING_URI": uri}

    def train() -> dict[str, str]:
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return autolog.Client(uri).get_run(done.stdout.strip()).data.tags

    tags = train()
    assert tags[_tags.GIT_COMMIT] == head
    assert tags[_tags.GIT_DIRTY] == "false"
    assert tags[_tags.SOURCE_NAME] == str(script)
    assert "train.py" in tags[_tags.ENTRY_POINT]
    script.write_text(script.read_text() + "# edited\n")
    assert train()[_tags.GIT_DIRTY] == "true"


def test_second_run_without_nested_is_an_error(backend: str) -> None:
    with autolog.start_run() as outer:
        with pytest.raises(RunStateError, match=outer.info.run_id) as caught:
            autolog.start_run()
        assert "nested=True" in str(caught.value)
        assert autolog.active_run() is outer


def test_nested_runs_record_their_parent(backend: str) -> None:
    with autolog.start_run() as parent:
        with autolog.start_run(nested=True) as child:
            assert autolog.active_run() is child
            with autolog.start_run(nested=True) as grandchild:
                pass
        assert autolog.active_run() is parent
    child_run = autolog.get_run(child.info.run_id)
    assert child_run.info.parent_run_id == parent.info.run_id
    assert child_run.data.tags[_tags.PARENT_RUN_ID] == parent.info.run_id
    assert autolog.get_run(grandchild.info.run_id).info.parent_run_id == child.info.run_id
    assert autolog.get_run(parent.info.run_id).info.parent_run_id is None


def test_failure_in_nested_block_ends_children_then_parent(backend: str) -> None:
    with pytest.raises(ZeroDivisionError):
        with autolog.start_run() as parent:
            autolog.start_run(nested=True)  # never ended by the user
            1 / 0
    assert autolog.active_run() is None
    children = autolog.search_runs(
        filter_string=f"tags.`{_tags.PARENT_RUN_ID}` = '{parent.info.run_id}'"
    )
    assert [r.info.status for r in children] == [autolog.RunStatus.FAILED]


def test_end_run(backend: str) -> None:
    autolog.end_run()  # nothing active: nothing happens
    run = autolog.start_run()
    autolog.end_run(status="KILLED")
    assert autolog.active_run() is None
    assert autolog.get_run(run.info.run_id).info.status == autolog.RunStatus.KILLED
    with pytest.raises(InvalidInputError, match="DONE"):
        autolog.start_run()
        autolog.end_run("DONE")


def test_last_active_run(backend: str) -> None:
    assert autolog.last_active_run() is None
    with autolog.start_run() as run:
        autolog.log_metric("m", 1.0)
        assert autolog.last_active_run().data.metrics == {"m": 1.0}
    last = autolog.last_active_run()
    assert last.info.run_id == run.info.run_id
    assert last.info.status == autolog.RunStatus.FINISHED


def test_resume_a_finished_run(backend: str) -> None:
    with autolog.start_run() as first:
        autolog.log_param("lr", 0.1)
    with autolog.start_run(run_id=first.info.run_id, tags={"resumed": "yes"}) as again:
        assert again.info.run_id == first.info.run_id
        assert again.info.status == autolog.RunStatus.RUNNING
        autolog.log_metric("later", 2.0)
        with pytest.raises(ParamChangedError):
            autolog.log_param("lr", 0.2)
    run = autolog.get_run(first.info.run_id)
    assert run.info.status == autolog.RunStatus.FINISHED
    assert run.data.metrics == {"later": 2.0}
    assert run.data.tags["resumed"] == "yes"
    with pytest.raises(NotFoundError, match="0" * 32):
        autolog.start_run(run_id="0" * 32)


def test_logging_without_an_active_run_starts_one(backend: str) -> None:
    autolog.log_metric("loss", 0.5)
    run = autolog.active_run()
    assert run is not None
    autolog.end_run()
    assert autolog.get_run(run.info.run_id).data.metrics == {"loss": 0.5}


def test_each_thread_has_its_own_stack(backend: str) -> None:
    seen: dict[str, object] = {}

    def work() -> None:
        seen["before"] = autolog.active_run()
        with autolog.start_run() as run:  # no "already active" error: the main run is not ours
            autolog.log_param("thread", "yes")
            seen["run"] = run
            seen["active"] = autolog.active_run()

    with autolog.start_run() as main:
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        assert autolog.active_run() is main
    assert seen["before"] is None
    assert seen["active"] is seen["run"]
    other = autolog.get_run(seen["run"].info.run_id)  # type: ignore[attr-defined]
    assert other.info.parent_run_id is None
    assert other.data.params == {"thread": "yes"}
    assert autolog.get_run(main.info.run_id).data.params == {}


# -- run data ----------------------------------------------------------------------------------
def test_params_metrics_tags(backend: str) -> None:
    with autolog.start_run() as run:
        assert autolog.log_param("lr", 0.01) == 0.01
        autolog.log_params({"layers": 3, "act": "relu"})
        autolog.log_param("lr", 0.01)  # the same value again is fine
        autolog.log_metric("loss", 1.0, step=0)
        autolog.log_metric("loss", 0.5, step=1, timestamp=1_700_000_000_000)
        autolog.log_metrics({"acc": 0.9, "f1": 0.8}, step=1)
        autolog.set_tag("stage", "dev")
        autolog.set_tags({"stage": "prod", "owner": "ana"})
        autolog.set_tag("temp", "x")
        autolog.delete_tag("temp")
    data = autolog.get_run(run.info.run_id).data
    assert data.params == {"lr": "0.01", "layers": "3", "act": "relu"}
    assert data.metrics == {"loss": 0.5, "acc": 0.9, "f1": 0.8}
    assert data.tags["stage"] == "prod" and data.tags["owner"] == "ana"
    assert "temp" not in data.tags
    history = autolog.Client().get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5)]
    assert history[1].timestamp == 1_700_000_000_000


def test_changed_param_is_refused_at_the_call(backend: str) -> None:
    with autolog.start_run() as run:
        autolog.log_param("lr", 0.1)
        with pytest.raises(ParamChangedError) as caught:
            autolog.log_param("lr", 0.2)
        assert "'0.1'" in str(caught.value) and "'0.2'" in str(caught.value)
        assert caught.value.run_id == run.info.run_id
        with pytest.raises(ParamChangedError):
            autolog.log_params({"other": 1, "lr": 0.3})
    assert autolog.get_run(run.info.run_id).data.params["lr"] == "0.1"


def test_logging_to_a_run_ended_elsewhere_is_refused(backend: str) -> None:
    run = autolog.start_run()
    autolog.Client().set_terminated(run.info.run_id)
    with pytest.raises(RunStateError, match=run.info.run_id):
        autolog.log_metric("m", 1.0)


# -- tracking URI and experiments ------------------------------------------------------------------
def test_tracking_uri_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert autolog.get_tracking_uri() == os.environ["AUTOLOG_TRACKING_URI"]
    monkeypatch.delenv("AUTOLOG_TRACKING_URI")
    monkeypatch.chdir(tmp_path)
    assert autolog.get_tracking_uri() == str(tmp_path / "autolog-runs")
    autolog.set_tracking_uri("relative/runs")
    assert autolog.get_tracking_uri() == str(tmp_path / "relative" / "runs")
    autolog.set_tracking_uri("memory:")
    assert autolog.get_tracking_uri() == "memory:"
    with pytest.raises(InvalidInputError):
        autolog.set_tracking_uri("")


def test_set_tracking_uri_sends_runs_there(tmp_path: Path) -> None:
    autolog.set_tracking_uri(tmp_path / "elsewhere")
    with autolog.start_run() as run:
        autolog.log_metric("m", 1.0)
    assert autolog.Client(str(tmp_path / "elsewhere")).get_run(run.info.run_id).data.metrics == {
        "m": 1.0
    }


def test_experiments(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with autolog.start_run() as default_run:
        pass
    default = autolog.get_experiment_by_name("Default")
    assert default is not None and default_run.info.experiment_id == default.experiment_id

    experiment = autolog.set_experiment("mnist")
    assert experiment.name == "mnist"
    assert autolog.set_experiment("mnist").experiment_id == experiment.experiment_id
    with autolog.start_run() as run:
        pass
    assert run.info.experiment_id == experiment.experiment_id
    assert autolog.get_experiment(experiment.experiment_id).name == "mnist"
    assert autolog.set_experiment(experiment_id=default.experiment_id).name == "Default"
    names = {e.name for e in autolog.search_experiments()}
    assert {"Default", "mnist"} <= names
    assert [e.name for e in autolog.search_experiments(filter_string="name = 'mnist'")] == ["mnist"]

    autolog.Client().delete_experiment(experiment.experiment_id)
    with pytest.raises(InvalidInputError, match="deleted"):
        autolog.set_experiment("mnist")
    with pytest.raises(InvalidInputError):
        autolog.set_experiment()


def test_experiment_from_environment(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLOG_EXPERIMENT_NAME", "from-env")
    with autolog.start_run() as run:
        pass
    assert autolog.get_experiment(run.info.experiment_id).name == "from-env"


# -- artifacts ---------------------------------------------------------------------------------
def test_artifacts(backend: str, tmp_path: Path) -> None:
    local = tmp_path / "report.txt"
    local.write_text("hello")
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    with autolog.start_run() as run:
        autolog.log_artifact(local)
        autolog.log_artifact(str(local), artifact_path="docs")
        autolog.log_artifacts(folder, artifact_path="tree")
        autolog.log_text("some notes", "notes/readme.md")
        autolog.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        autolog.log_dict({"a": 1, "b": [1, 2]}, "config.yaml")
        root = autolog.get_artifact_uri()
        assert autolog.get_artifact_uri("docs/report.txt") == root.rstrip("/") + "/docs/report.txt"
    client = autolog.Client()
    run_id = run.info.run_id
    top = {f.path: f for f in client.list_artifacts(run_id)}
    assert set(top) == {"report.txt", "docs", "tree", "notes", "config.json", "config.yaml"}
    assert top["docs"].is_dir and not top["report.txt"].is_dir
    assert top["report.txt"].file_size == 5
    assert [f.path for f in client.list_artifacts(run_id, "tree/sub")] == ["tree/sub/b.txt"]
    out = Path(client.download_artifacts(run_id, "config.json", str(tmp_path / "out")))
    assert json.loads(out.read_text()) == {"a": 1, "b": [1, 2]}
    import yaml

    config = Path(client.download_artifacts(run_id, "config.yaml", str(tmp_path / "out")))
    assert yaml.safe_load(config.read_text()) == {"a": 1, "b": [1, 2]}
    tree = Path(client.download_artifacts(run_id, "tree", str(tmp_path / "tree-copy")))
    assert (tree / "sub" / "b.txt").read_text() == "b"
    notes = Path(client.download_artifacts(run_id, "notes/readme.md", str(tmp_path / "n")))
    assert notes.read_text() == "some notes"


def test_artifact_errors(backend: str, tmp_path: Path) -> None:
    with autolog.start_run():
        with pytest.raises(InvalidInputError, match="missing"):
            autolog.log_artifact(tmp_path / "nope.txt")
        with pytest.raises(InvalidInputError, match="log_artifacts"):
            autolog.log_artifact(tmp_path)
        with pytest.raises(InvalidInputError):
            autolog.log_text("x", "../escape.txt")
        with pytest.raises(TypeError):
            autolog.log_text(b"bytes", "x.txt")  # type: ignore[arg-type]
    assert not (tmp_path.parent / "escape.txt").exists()


def test_log_figure(backend: str, tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    try:
        with autolog.start_run() as run:
            autolog.log_figure(figure, "plots/curve.png")
            autolog.log_figure(figure, "plots/curve.svg")
            with pytest.raises(InvalidInputError, match="extension"):
                autolog.log_figure(figure, "plots/curve")
            with pytest.raises(TypeError, match="matplotlib"):
                autolog.log_figure("not a figure", "x.png")
    finally:
        plt.close(figure)
    client = autolog.Client()
    png = Path(client.download_artifacts(run.info.run_id, "plots/curve.png", str(tmp_path)))
    assert png.read_bytes().startswith(b"\x89PNG")
    svg = Path(client.download_artifacts(run.info.run_id, "plots/curve.svg", str(tmp_path)))
    assert "<svg" in svg.read_text()


# -- search ------------------------------------------------------------------------------------
def test_search_runs(backend: str) -> None:
    for lr, acc in [(0.1, 0.7), (0.01, 0.9), (0.001, 0.8)]:
        with autolog.start_run():
            autolog.log_param("lr", lr)
            autolog.log_metric("acc", acc)
    autolog.set_experiment("other")
    with autolog.start_run():
        autolog.log_metric("acc", 1.0)

    autolog.set_experiment("Default")
    runs = autolog.search_runs(order_by=["metrics.acc DESC"])
    assert [r.data.metrics["acc"] for r in runs] == [0.9, 0.8, 0.7]
    top = autolog.search_runs(
        filter_string="params.lr != '0.1'", order_by=["metrics.acc ASC"], max_results=1
    )
    assert [r.data.params["lr"] for r in top] == ["0.001"]
    both = autolog.search_runs(experiment_names=["Default", "other"])
    assert len(both) == 4
    with pytest.raises(NotFoundError, match="nope"):
        autolog.search_runs(experiment_names=["nope"])
    with pytest.raises(InvalidInputError):
        autolog.search_runs(output_format="csv")  # type: ignore[arg-type]


def test_search_runs_as_pandas(backend: str) -> None:
    pd = pytest.importorskip("pandas")
    with autolog.start_run() as run:
        autolog.log_param("lr", 0.1)
        autolog.log_metric("acc", 0.5)
    frame = autolog.search_runs(output_format="pandas")
    assert list(frame.columns[:6]) == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert {"metrics.acc", "params.lr", f"tags.{_tags.RUN_NAME}"} <= set(frame.columns)
    row = frame.iloc[0]
    assert row["run_id"] == run.info.run_id
    assert row["status"] == "FINISHED"
    assert row["metrics.acc"] == 0.5 and row["params.lr"] == "0.1"
    assert isinstance(row["start_time"], pd.Timestamp)
    empty = autolog.search_runs(filter_string="metrics.acc > 1", output_format="pandas")
    assert len(empty) == 0 and "run_id" in empty.columns


# -- interpreter exit --------------------------------------------------------------------------
EXIT_SCRIPT = """
import autolog
run = autolog.start_run()
print(run.info.run_id, flush=True)
for step in range(1000):
    autolog.log_metric("loss", 1.0 / (step + 1), step=step)
{ending}
"""


@pytest.mark.parametrize(
    ("ending", "status"),
    [
        ("", "FINISHED"),
        ("raise SystemExit(0)", "FINISHED"),
        ("raise RuntimeError('crash')", "FAILED"),
    ],
)
def test_exit_ends_the_run_after_writing_everything(
    tmp_path: Path, ending: str, status: str
) -> None:
    uri = str(tmp_path / "runs")
    done = run_script(EXIT_SCRIPT.format(ending=ending), uri)
    run_id = done.stdout.split()[0]
    if status == "FAILED":
        assert "RuntimeError: crash" in done.stderr  # the user's traceback is still printed
    client = autolog.Client(uri)
    run = client.get_run(run_id)
    assert run.info.status.value == status
    assert len(client.get_metric_history(run_id, "loss")) == 1000
