"""Importing MLflow 3.17.2's file and SQLite stores: every count and value, models, registry."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import autolog
from autolog.migrate import import_mlflow
from autolog.core._entities import LifecycleStage, RunStatus, ViewType

#: what each fixture store holds (written by tests/migrate/make_fixtures.py)
COUNTS = {
    "experiments": 2, "runs": 7, "params": 4, "tags": 34, "metric_points": 12, "artifacts": 3,
    "artifact_bytes": 3058, "models": 6, "registered_models": 2, "model_versions": 3, "aliases": 2,
}
RUN_OF_MODEL = {"sk": "sk", "sk_pickle": "sk", "xgb": "xgb", "torch": "torch", "torch_pickle": "torch", "pyfunc": "pyfunc"}


@pytest.fixture
def client(imported, kind) -> autolog.Client:
    uri, _ = imported[kind]
    autolog.set_tracking_uri(uri)
    return autolog.Client(uri)


def test_report_counts_every_kind(imported, kind) -> None:
    _, report = imported[kind]
    assert report.problems == []
    assert dict(report.imported) == COUNTS
    # the Default experiment exists in both stores
    assert report.existing["experiments"] == 1
    assert "stage Production became alias 'production' on version 1" in " ".join(report.notes)


def test_experiments_keep_name_tags_and_lifecycle(client, kind) -> None:
    exp = client.get_experiment_by_name("fixture-exp")
    assert exp.tags == {"team": "vision", "purpose": "import test"}
    assert exp.lifecycle_stage is LifecycleStage.ACTIVE
    archived = client.get_experiment_by_name("archived")
    assert archived.lifecycle_stage is LifecycleStage.DELETED


def test_runs_keep_ids_and_every_field(fx, client, kind) -> None:
    ids = fx.expected[kind]["runs"]
    parent = client.get_run(ids["parent"])
    info = parent.info
    assert (info.run_name, info.user_id, info.status) == ("parent", "ann", RunStatus.FINISHED)
    assert (info.start_time, info.end_time) == (1_700_000_000_000, 1_700_000_010_000)
    assert info.parent_run_id is None
    assert parent.data.params == {"lr": "0.1", "layers": "3"}
    tags = parent.data.tags
    assert tags["stage"] == "search" and tags["mlflow.source.name"] == "train.py"
    assert tags["autolog.import.source"] == fx.source_of(kind)
    for child in ("sk", "xgb", "torch", "pyfunc"):
        run = client.get_run(ids[child])
        assert run.info.parent_run_id == ids["parent"] and run.info.run_name == child
        assert run.info.status is RunStatus.FINISHED
    assert client.get_run(ids["sk"]).data.params == {"C": "1.0"}
    gone = client.get_run(ids["deleted-run"]).info
    assert (gone.lifecycle_stage, gone.status) == (LifecycleStage.DELETED, RunStatus.FAILED)
    old = client.get_run(ids["old"])
    assert old.info.status is RunStatus.KILLED and old.info.lifecycle_stage is LifecycleStage.DELETED
    assert old.info.experiment_id == client.get_experiment_by_name("archived").experiment_id
    every = client.search_runs(
        [e.experiment_id for e in client.search_experiments(view_type="all")], run_view_type=ViewType.ALL
    )
    assert sorted(r.info.run_id for r in every) == sorted(ids.values())


def test_metric_histories_come_whole(fx, client, kind) -> None:
    run_id = fx.expected[kind]["runs"]["parent"]
    loss = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.timestamp, m.value) for m in loss] == [
        (s, 1_700_000_000_000 + 100 * s, 1.0 / (s + 1)) for s in range(5)
    ]
    acc = client.get_metric_history(run_id, "acc")
    assert [m.timestamp for m in acc] == [1_700_000_000_001 + 100 * s for s in range(5)]
    assert math.isnan(client.get_metric_history(run_id, "nan_metric")[0].value)
    assert client.get_run(run_id).data.metrics["loss"] == 0.2


def test_artifacts_come_with_their_contents(fx, client, kind, tmp_path) -> None:
    run_id = fx.expected[kind]["runs"]["parent"]
    local = client.download_artifacts(run_id, "", str(tmp_path))
    assert (tmp_path / "notes" / "readme.txt").read_text() == "hello from the parent\n"
    assert (tmp_path / "data" / "deep" / "blob.txt").read_text() == "x" * 3000
    assert json.loads((tmp_path / "config.json").read_text()) == {"k": [1, 2, 3]}
    assert local == str(tmp_path)


@pytest.mark.parametrize("name", sorted(RUN_OF_MODEL))
def test_models_load_and_predict_like_the_originals(fx, client, kind, name) -> None:
    expected = fx.expected[kind]
    model = expected["models"][name]
    loaded = autolog.load_model(f"runs:/{expected['runs'][RUN_OF_MODEL[name]]}/{model['artifact_path']}")
    frame = pd.DataFrame(expected["inputs"]["data"], columns=expected["inputs"]["columns"])
    data = frame.to_numpy(dtype="float32") if name.startswith("torch") else frame
    predictions = np.asarray(loaded.predict(data))
    want = np.asarray(model["predictions"])
    np.testing.assert_allclose(predictions.reshape(want.shape), want, rtol=1e-6)
    assert loaded.signature is not None
    assert loaded.metadata["mlflow"]["model_id"] == model["model_id"]


def test_registry_versions_tags_aliases_and_stages(fx, client, kind) -> None:
    expected = fx.expected[kind]
    clf = client.get_registered_model("clf")
    assert clf.tags == {"owner": "risk-team"} and clf.description == "the classifier"
    assert clf.aliases == {"champion": 2, "production": 1}
    versions = {v.version: v for v in client.search_model_versions("name = 'clf'")}
    assert sorted(versions) == [1, 2]
    assert versions[2].tags == {"validated": "yes"}
    for v in versions.values():
        assert v.run_id == expected["runs"]["sk"]
        assert v.source == f"runs:/{expected['runs']['sk']}/model"
    frame = pd.DataFrame(expected["inputs"]["data"], columns=expected["inputs"]["columns"])
    assert autolog.load_model("models:/clf@champion").predict(frame).tolist() == expected["models"]["sk"]["predictions"]
    net = client.get_registered_model("net")
    assert net.tags == {"kind": "torch"} and net.latest_version == 1
    assert client.get_model_version("net", 1).source == f"runs:/{expected['runs']['torch']}/net"


def test_a_second_import_adds_nothing(fx, imported, kind) -> None:
    uri, first = imported[kind]
    report = import_mlflow(fx.source_of(kind), to=uri, artifact_map=fx.artifact_map(kind))
    assert sum(report.imported.values()) == 0 and report.problems == []
    existing = dict(report.existing)
    assert existing["runs"] == first.imported["runs"]
    assert existing["experiments"] == 3 and existing["models"] == 6
    assert existing["artifacts"] == 3 and existing["model_versions"] == 3 and existing["aliases"] == 2
    client = autolog.Client(uri)
    assert len(client.search_runs(
        [e.experiment_id for e in client.search_experiments(view_type="all")], run_view_type=ViewType.ALL
    )) == 7


def test_only_named_experiments(fx, tmp_path, kind) -> None:
    report = import_mlflow(fx.source_of(kind), to=str(tmp_path / "t"), experiments=["archived"],
                           artifact_map=fx.artifact_map(kind))
    assert report.imported["runs"] == 1 and report.imported["registered_models"] == 0
    assert any("none of its versions comes from an imported run" in n for n in report.notes)
    with pytest.raises(autolog.errors.InvalidInputError, match="no experiment named or numbered nope; its experiments: .*fixture-exp"):
        import_mlflow(fx.source_of(kind), to=str(tmp_path / "t"), experiments=["nope"])
