"""An interrupted import resumes, a dry run writes nothing, broken items are reported."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

import autolog
from autolog.migrate import import_mlflow
from autolog.core._entities import ViewType


class _Interrupt:
    """A progress bar that stops the import (like Ctrl-C) in the middle of copying artifacts."""

    def __init__(self, total: int, label: str) -> None:
        pass

    def advance(self, n: int) -> None:
        raise KeyboardInterrupt

    def close(self) -> None:
        pass


def _files(root) -> list[str]:
    """Every file under ``root`` but the database's own (whose journal a read may touch)."""
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
        if not f.startswith("autolog.db")
    )


def _all_runs(uri: str) -> list:
    client = autolog.Client(uri)
    ids = [e.experiment_id for e in client.search_experiments(view_type="all")]
    return client.search_runs(ids, run_view_type=ViewType.ALL)


def test_an_interrupted_import_resumes(fx, kind, tmp_path) -> None:
    target = str(tmp_path / "target")
    with pytest.raises(KeyboardInterrupt):
        import_mlflow(fx.source_of(kind), to=target, artifact_map=fx.artifact_map(kind), progress=_Interrupt)
    # stopped inside the parent run's artifacts: the runs of its batch are whole, the
    # runs after it are not there yet
    assert 0 < len(_all_runs(target)) < 7
    report = import_mlflow(fx.source_of(kind), to=target, artifact_map=fx.artifact_map(kind))
    assert report.problems == []
    assert report.existing["runs"] + report.imported["runs"] == 7 and report.existing["runs"] > 0
    # the file being copied when it stopped had landed; the others come now
    assert (report.existing["artifacts"], report.imported["artifacts"]) == (1, 2)
    assert report.existing["models"] + report.imported["models"] == 6
    assert len(_all_runs(target)) == 7
    again = import_mlflow(fx.source_of(kind), to=target, artifact_map=fx.artifact_map(kind))
    assert sum(again.imported.values()) == 0


def test_a_dry_run_writes_nothing(fx, kind, tmp_path) -> None:
    target = tmp_path / "target"
    report = import_mlflow(fx.source_of(kind), to=str(target), artifact_map=fx.artifact_map(kind), dry_run=True)
    assert not target.exists()
    assert report.dry_run and report.problems == []
    assert report.imported["runs"] == 7 and report.imported["models"] == 6
    assert report.imported["model_versions"] == 3 and report.imported["artifacts"] == 3
    # into an existing store: counts what is missing, changes nothing
    import_mlflow(fx.source_of(kind), to=str(target), artifact_map=fx.artifact_map(kind), experiments=["archived"])
    before = _files(target)
    report = import_mlflow(fx.source_of(kind), to=str(target), artifact_map=fx.artifact_map(kind), dry_run=True)
    assert (report.imported["runs"], report.existing["runs"]) == (6, 1)
    assert len(_all_runs(str(target))) == 1 and _files(target) == before


def test_broken_file_store_items_are_reported_and_the_rest_imported(fx, tmp_path) -> None:
    root = fx.copy(tmp_path)
    mlruns = root / "filestore" / "mlruns"
    ids = fx.expected["filestore"]["runs"]
    experiment = mlruns / fx.expected["filestore"]["experiments"]["fixture-exp"]
    (experiment / ids["xgb"] / "meta.yaml").write_text("run_id: [unclosed\n")
    skops = next(experiment.glob("models/*/artifacts/model.skops"))
    skops.unlink()
    (mlruns / "123").mkdir()
    (mlruns / "123" / "meta.yaml").write_text(": not yaml :\n  - [")
    report = import_mlflow(str(mlruns), to=str(tmp_path / "t"), artifact_map=fx.artifact_map("filestore", root))
    problems = {(p.kind, os.path.basename(p.item)): p.reason for p in report.problems}
    assert "unreadable run" in problems[("run", ids["xgb"])]
    assert "unreadable meta.yaml" in problems[("experiment", "123")]
    assert report.imported["runs"] == 6
    assert any("model.skops' is missing" in n and "kept as plain artifacts" in n for n in report.notes)
    # the model that did not convert is still there, as MLflow's files
    client = autolog.Client(str(tmp_path / "t"))
    listed = [f.path for f in client.list_artifacts(ids["sk"], "model")]
    assert "model/MLmodel" in listed and "model/model.yaml" not in listed


def test_an_unknown_schema_and_missing_tables_are_reported(fx, tmp_path) -> None:
    root = fx.copy(tmp_path)
    db = root / "sqlite" / "mlflow.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
        conn.execute("DROP TABLE model_version_tags")
    report = import_mlflow(f"sqlite:///{db}", to=str(tmp_path / "t"), artifact_map=fx.artifact_map("sqlite", root))
    assert any("schema revision ffffffffffff is not one this importer was checked against" in n for n in report.notes)
    assert [p.kind for p in report.problems] == ["registered_model"]
    assert "model_version_tags" in report.problems[0].reason
    assert report.imported["runs"] == 7 and report.imported["models"] == 6


def test_not_a_store_is_refused_before_anything_is_written(tmp_path) -> None:
    with pytest.raises(autolog.errors.InvalidInputError, match="is not an MLflow store"):
        import_mlflow(str(tmp_path), to=str(tmp_path / "t"))
    assert not (tmp_path / "t").exists()
    db = tmp_path / "other.db"
    sqlite3.connect(db).execute("CREATE TABLE x (a)").connection.close()
    with pytest.raises(autolog.errors.InvalidInputError, match="not an MLflow tracking database"):
        import_mlflow(str(db), to=str(tmp_path / "t"))


def test_cli_prints_the_report_and_json(fx, tmp_path) -> None:
    command = [sys.executable, "-m", "autolog.cli", "import-mlflow", fx.source_of("sqlite"), "--to", str(tmp_path / "t"),
               "--map-artifacts", f"{fx.expected['written_in']}={fx.root}"]
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["imported"]["runs"] == 7 and report["problems"] == []
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "already there" in again.stdout and "everything was imported" in again.stdout
    bad = subprocess.run([*command[:-2], "--map-artifacts", "nonsense"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "--map-artifacts takes OLD=NEW" in bad.stderr


def test_a_deleted_experiment_is_reopened_only_for_new_runs(fx, tmp_path) -> None:
    target = str(tmp_path / "t")
    source = fx.source_of("sqlite")
    import_mlflow(source, to=target, artifact_map=fx.artifact_map("sqlite"), experiments=["archived"])
    client = autolog.Client(target)
    archived = client.get_experiment_by_name("archived")
    assert archived.lifecycle_stage.value == "deleted"
    again = import_mlflow(source, to=target, artifact_map=fx.artifact_map("sqlite"), experiments=["archived"])
    assert sum(again.imported.values()) == 0
    assert client.get_experiment(archived.experiment_id).last_update_time == archived.last_update_time
