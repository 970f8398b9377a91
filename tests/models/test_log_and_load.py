"""log_model into runs, load_model from every kind of URI, and the pickle trust warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.errors import InvalidInputError, NotFoundError, UntrustedPickleWarning
from autolog.models import _load
from autolog.store import open_artifact_store
from autolog.core._tags import LOGGED_MODELS


class Tripler:
    def predict(self, data: list[int]) -> list[int]:
        return [3 * x for x in data]


def test_log_model_starts_a_run_when_none_is_active() -> None:
    assert autolog.active_run() is None
    info = autolog.log_model(Tripler(), "model", metadata={"stage": "dev"})
    run = autolog.active_run()
    assert run is not None and info.run_id == run.info.run_id
    assert info.model_uri == f"runs:/{run.info.run_id}/model"
    assert info.artifact_path == "model"
    names = {f.path for f in autolog.Client().list_artifacts(run.info.run_id, "model")}
    assert names == {"model/model.yaml", "model/model.pkl", "model/requirements.txt"}

    loaded = autolog.load_model(info.model_uri)
    assert loaded.predict([1, 2]) == [3, 6]
    assert loaded.run_id == run.info.run_id
    assert loaded.metadata == {"stage": "dev"}
    assert loaded.model_uri == info.model_uri


def test_log_model_uses_the_active_run_and_records_its_history() -> None:
    with autolog.start_run() as run:
        first = autolog.log_model(Tripler(), "a")
        second = autolog.log_model(lambda xs: xs, "nested/b")
    assert first.run_id == second.run_id == run.info.run_id
    history = json.loads(autolog.get_run(run.info.run_id).data.tags[LOGGED_MODELS])
    assert [h["artifact_path"] for h in history] == ["a", "nested/b"]
    assert history[0]["flavors"] == ["python"]
    assert history[0]["model_size_bytes"] == first.model_size_bytes
    assert autolog.load_model(f"runs:/{run.info.run_id}/nested/b").predict([7]) == [7]


def test_a_name_already_used_in_the_run_is_refused() -> None:
    with autolog.start_run():
        autolog.log_model(Tripler(), "model")
        with pytest.raises(InvalidInputError, match="already has artifacts under 'model'"):
            autolog.log_model(Tripler(), "model")


@pytest.mark.parametrize("uri", ["runs:/", "runs:/abc", "runs://abc/"])
def test_malformed_runs_uris_show_the_expected_form(uri: str) -> None:
    with pytest.raises(InvalidInputError, match=r"runs:/<run_id>/<artifact path>"):
        autolog.load_model(uri)


def test_an_unknown_run_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        autolog.load_model("runs:/0123456789abcdef0123456789abcdef/model")


def test_file_uris_and_paths_load_the_same_model(tmp_path: Path) -> None:
    autolog.save_model(Tripler(), tmp_path / "m")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # local files: no trust warning
        assert autolog.load_model(f"file://{tmp_path / 'm'}").predict([1]) == [3]
        assert autolog.load_model(str(tmp_path / "m")).predict([1]) == [3]


def test_a_model_logged_in_one_process_predicts_in_a_fresh_one() -> None:
    log = textwrap.dedent(
        """
        import autolog

        class Shout:  # defined in __main__: cloudpickle stores it by value
            def predict(self, data):
                return [s.upper() + "!" for s in data]

        print(autolog.log_model(Shout(), "model").model_uri)
        autolog.end_run()
        """
    )
    made = subprocess.run([sys.executable, "-c", log], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    uri = made.stdout.strip().splitlines()[-1]
    use = f"import autolog; print(autolog.load_model({uri!r}).predict(['hi', 'there']))"
    used = subprocess.run([sys.executable, "-c", use], capture_output=True, text=True, timeout=120)
    assert used.returncode == 0, used.stderr
    assert used.stdout.strip() == "['HI!', 'THERE!']"


@pytest.fixture
def remote_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A pickle-based model under a memory:// artifact URI, and a process that has not warned yet."""
    monkeypatch.setattr(_load, "_pickle_warned", False)
    monkeypatch.delenv(_load.TRUST_ENV, raising=False)
    autolog.save_model(Tripler(), tmp_path / "m")
    uri = f"memory://autolog-models/{uuid.uuid4().hex}/model"
    open_artifact_store(uri).log_artifacts(str(tmp_path / "m"))
    return uri


def test_a_remote_pickle_warns_once_per_process(remote_model: str) -> None:
    with pytest.warns(UntrustedPickleWarning, match=r"loading memory://.* runs code: its 'python' flavor is stored as 'pickle'.*trust=True.*AUTOLOG_TRUST_PICKLES=1") as caught:
        loaded = autolog.load_model(remote_model)
    assert len(caught) == 1
    assert loaded.predict([2]) == [6]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        autolog.load_model(remote_model)


@pytest.mark.parametrize("opt_in", ["argument", "environment"])
def test_trusting_pickles_silences_the_warning(remote_model: str, opt_in: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kwargs: dict[str, Any] = {}
    if opt_in == "argument":
        kwargs["trust"] = True
    else:
        monkeypatch.setenv(_load.TRUST_ENV, "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert autolog.load_model(remote_model, **kwargs).predict([1]) == [3]


def test_a_downloaded_model_is_removed_when_no_longer_used(remote_model: str) -> None:
    import gc

    loaded = autolog.load_model(remote_model, trust=True)
    path = loaded.path
    assert (path / "model.yaml").is_file()
    del loaded
    gc.collect()
    assert not path.exists()


_FRESH_LOAD = """
import sys
import autolog
print(autolog.load_model(sys.argv[1]).predict([1, 2]), "sqlalchemy" in sys.modules)
"""


@pytest.mark.parametrize("kind", ["directory", "sqlite"])
def test_a_fresh_process_loads_runs_uris_without_opening_the_store(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local SQLite store at the current schema is read with the standard library: the
    run's artifact location is all runs:/ needs, and SQLAlchemy is not imported for it."""
    tracking = str(tmp_path / "runs") if kind == "directory" else f"sqlite:///{tmp_path / 'db' / 'runs.db'}"
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", tracking)
    (tmp_path / "tripler.py").write_text(
        "class Tripler:\n    def predict(self, data):\n        return [3 * x for x in data]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # importable here and in the child process
    from tripler import Tripler as Importable

    with autolog.start_run():
        uri = autolog.log_model(Importable(), "model").model_uri
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", _FRESH_LOAD, uri], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert out.split() == ["[3,", "6]", "False"]


def test_the_store_is_opened_whenever_a_direct_read_cannot_tell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from autolog.store._by_uri import forget_store
    from autolog.store.sql import _peek

    tracking = str(tmp_path / "runs")
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", tracking)
    with autolog.start_run() as run:
        autolog.log_model(Tripler(), "model")
    run_id = run.info.run_id
    expected = autolog.get_run(run_id).info.artifact_uri
    assert _peek.run_artifact_uri(tracking, run_id) == expected
    assert _peek.run_artifact_uri(tracking, "0" * 32) is None  # the store says NotFound
    assert _peek.run_artifact_uri("memory:", run_id) is None
    assert _peek.run_artifact_uri("postgresql://u@127.0.0.1:1/x", run_id) is None
    assert _peek.run_artifact_uri(str(tmp_path / "never-created"), run_id) is None
    forget_store(tracking)
    db = sqlite3.connect(tmp_path / "runs" / "autolog.db")
    with db:
        db.execute("UPDATE autolog_alembic_version SET version_num = 'zzzz'")
    db.close()
    assert _peek.run_artifact_uri(tracking, run_id) is None  # another schema: ask the store
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "autolog.db").write_bytes(b"not a database at all" * 100)
    assert _peek.run_artifact_uri(str(tmp_path / "garbage"), run_id) is None
