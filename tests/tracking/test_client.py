"""Client: the explicit, run-id-taking API, on the in-memory store and the default store."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import autolog
from autolog import Client, Metric, Param, RunStatus, RunTag, ViewType
from autolog.errors import InvalidInputError, NotFoundError, ParamChangedError, RunStateError
from autolog.core import _tags


@pytest.fixture(params=["memory", "sqlite-dir"])
def client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Client:
    if request.param == "memory":
        monkeypatch.setenv("AUTOLOG_TRACKING_URI", "memory:")
    return Client()


@pytest.fixture
def experiment_id(client: Client) -> str:
    return client.create_experiment("exp")


def test_client_uses_the_current_tracking_uri(tmp_path: Path) -> None:
    assert Client().tracking_uri == autolog.get_tracking_uri()
    assert Client(str(tmp_path)).tracking_uri == str(tmp_path)
    assert "Client(tracking_uri=" in repr(Client())


def test_experiment_lifecycle(client: Client) -> None:
    exp_id = client.create_experiment("first", tags={"team": "nlp"})
    experiment = client.get_experiment(exp_id)
    assert experiment.name == "first" and experiment.tags == {"team": "nlp"}
    assert client.get_experiment_by_name("first") == experiment
    assert client.get_experiment_by_name("missing") is None
    with pytest.raises(InvalidInputError):
        client.create_experiment("first")
    with pytest.raises(InvalidInputError):
        client.create_experiment("")

    client.rename_experiment(exp_id, "renamed")
    assert client.get_experiment(exp_id).name == "renamed"
    client.set_experiment_tag(exp_id, "stage", "dev")
    assert client.get_experiment(exp_id).tags["stage"] == "dev"

    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage.value == "deleted"
    assert "renamed" not in {e.name for e in client.search_experiments()}
    assert "renamed" in {e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)}
    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage.value == "active"
    with pytest.raises(NotFoundError):
        client.get_experiment("987654")


def test_search_experiments_pages(client: Client) -> None:
    for name in ("a", "b", "c"):
        client.create_experiment(name)
    page = client.search_experiments(
        max_results=2, order_by=["name ASC"], filter_string="name LIKE '_'"
    )
    assert [e.name for e in page] == ["a", "b"]
    rest = client.search_experiments(
        max_results=2, order_by=["name ASC"], filter_string="name LIKE '_'", page_token=page.token
    )
    assert [e.name for e in rest] == ["c"] and rest.token is None


def test_run_lifecycle(client: Client, experiment_id: str) -> None:
    run = client.create_run(experiment_id, tags={"k": "v"}, run_name="named")
    assert run.info.status == RunStatus.RUNNING and run.info.run_name == "named"
    assert run.data.tags["k"] == "v" and run.data.tags[_tags.RUN_NAME] == "named"
    assert _tags.USER in run.data.tags and _tags.HOST in run.data.tags
    run_id = run.info.run_id

    client.update_run(run_id, name="renamed")
    assert client.get_run(run_id).info.run_name == "renamed"
    client.set_terminated(run_id, "FAILED", end_time=run.info.start_time + 5)
    ended = client.get_run(run_id)
    assert ended.info.status == RunStatus.FAILED and ended.info.end_time == run.info.start_time + 5
    with pytest.raises(InvalidInputError, match="unknown run status"):
        client.set_terminated(run_id, "OOPS")

    client.delete_run(run_id)
    assert client.search_runs([experiment_id]) == []
    assert [
        r.info.run_id for r in client.search_runs([experiment_id], run_view_type="deleted")
    ] == [run_id]
    client.restore_run(run_id)
    assert [r.info.run_id for r in client.search_runs(experiment_id)] == [run_id]
    with pytest.raises(NotFoundError, match="f" * 32):
        client.get_run("f" * 32)


def test_logging_through_the_client(client: Client, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    assert client.log_param(run_id, "lr", 0.1) == 0.1
    client.log_metric(run_id, "loss", 1.0, step=0)
    client.log_metric(run_id, "loss", 0.5, timestamp=1_700_000_000_000, step=1)
    client.log_metric(run_id, "nan", float("nan"))
    client.log_metric(run_id, "inf", float("-inf"))
    client.set_tag(run_id, "t", "v")
    client.set_tag(run_id, "gone", "x")
    client.delete_tag(run_id, "gone")
    client.flush()
    run = client.get_run(run_id)
    assert run.data.params == {"lr": "0.1"}
    assert run.data.metrics["loss"] == 0.5
    assert math.isnan(run.data.metrics["nan"]) and run.data.metrics["inf"] == -math.inf
    assert run.data.tags["t"] == "v" and "gone" not in run.data.tags
    history = client.get_metric_history(run_id, "loss")
    assert [(m.key, m.value, m.step) for m in history] == [("loss", 1.0, 0), ("loss", 0.5, 1)]
    assert history[1].timestamp == 1_700_000_000_000
    with pytest.raises(ParamChangedError):
        client.log_param(run_id, "lr", 0.2)


def test_log_batch_is_synchronous_and_all_or_nothing(client: Client, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 1_700_000_000_000, 3)],
        params=[Param("p", "1")],
        tags=[RunTag("t", "x")],
    )
    data = client.store.get_run(run_id).data  # straight from the store: nothing was queued
    assert data.metrics == {"m": 1.0} and data.params == {"p": "1"} and data.tags["t"] == "x"

    with pytest.raises(TypeError, match="'bad'"):
        client.log_batch(run_id, metrics=[Metric("ok", 1.0, 0), Metric("bad", "x", 0)])  # type: ignore[arg-type]
    with pytest.raises(ParamChangedError):
        client.log_batch(run_id, metrics=[Metric("ok", 1.0, 0)], params=[Param("p", "2")])
    assert "ok" not in client.get_run(run_id).data.metrics


def test_writes_to_ended_deleted_or_unknown_runs_are_refused(
    client: Client, experiment_id: str
) -> None:
    finished = client.create_run(experiment_id).info.run_id
    client.set_terminated(finished)
    deleted = client.create_run(experiment_id).info.run_id
    client.delete_run(deleted)
    unknown = "a" * 32
    for call in (
        lambda run_id: client.log_metric(run_id, "m", 1.0),
        lambda run_id: client.log_param(run_id, "p", 1),
        lambda run_id: client.set_tag(run_id, "t", "v"),
        lambda run_id: client.log_text(run_id, "x", "x.txt"),
        lambda run_id: client.log_batch(run_id, metrics=[Metric("m", 1.0, 0)]),
    ):
        with pytest.raises(RunStateError, match=f"{finished} is FINISHED"):
            call(finished)
        with pytest.raises(RunStateError, match=f"{deleted} is deleted"):
            call(deleted)
        with pytest.raises(NotFoundError, match=unknown):
            call(unknown)


def test_a_run_ended_by_another_client_is_seen(client: Client, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "m", 1.0)
    client.set_terminated(run_id)
    # resuming makes it writable again
    client.update_run(run_id, status="RUNNING")
    client.log_metric(run_id, "m", 2.0, step=1)
    assert client.get_run(run_id).data.metrics == {"m": 2.0}


def test_artifacts(client: Client, experiment_id: str, tmp_path: Path) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    (tmp_path / "model.bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x.txt").write_text("x")
    client.log_artifact(run_id, tmp_path / "model.bin", "weights")
    client.log_artifacts(run_id, tmp_path / "dir")
    client.log_text(run_id, "héllo", "t/hello.txt")
    client.log_dict(run_id, {"n": 1}, "meta.yml")
    entries = client.list_artifacts(run_id)
    assert sorted((e.path, e.is_dir) for e in entries) == [
        ("meta.yml", False),
        ("t", True),
        ("weights", True),
        ("x.txt", False),
    ]
    assert client.list_artifacts(run_id, "weights")[0].file_size == 3
    target = client.download_artifacts(run_id, "t/hello.txt", str(tmp_path / "dl"))
    assert Path(target).read_text(encoding="utf-8") == "héllo"
    everything = Path(client.download_artifacts(run_id, "", str(tmp_path / "all")))
    assert (everything / "weights" / "model.bin").read_bytes() == b"\x00\x01\x02"
    with pytest.raises(InvalidInputError, match="existing directory"):
        client.log_artifacts(run_id, tmp_path / "model.bin")


def test_search_runs_paging_and_filters(client: Client, experiment_id: str) -> None:
    ids = []
    for i in range(5):
        run_id = client.create_run(experiment_id, start_time=1_000 + i).info.run_id
        client.log_metric(run_id, "score", float(i))
        client.log_param(run_id, "even", str(i % 2 == 0))
        ids.append(run_id)
    client.set_terminated(ids[0])
    first = client.search_runs(experiment_id, max_results=2, order_by=["metrics.score DESC"])
    assert [r.data.metrics["score"] for r in first] == [4.0, 3.0]
    second = client.search_runs(
        experiment_id, max_results=2, order_by=["metrics.score DESC"], page_token=first.token
    )
    assert [r.data.metrics["score"] for r in second] == [2.0, 1.0]
    picked = client.search_runs(
        [experiment_id],
        "params.even = 'True' AND (metrics.score >= 4 OR attributes.status = 'FINISHED')",
    )
    assert sorted(r.data.metrics["score"] for r in picked) == [0.0, 4.0]
    assert [
        r.info.run_id
        for r in client.search_runs(experiment_id, order_by=["attributes.start_time ASC"])
    ] == ids
    with pytest.raises(InvalidInputError):
        client.search_runs(experiment_id, max_results=0)
    with pytest.raises(InvalidInputError):
        client.search_runs(experiment_id, "metrics.score >>> 3")
