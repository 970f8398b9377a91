"""Where a SQL store keeps things, how SQLite is set up, and how it copes with a busy file."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolog.errors import InvalidInputError, StoreError
from autolog.store import open_store
from autolog.store._by_uri import forget_store
from autolog.store.sql import SqlStore, _engine
from autolog.core._entities import Metric


@pytest.fixture(autouse=True)
def _no_root_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOLOG_ARTIFACT_ROOT", raising=False)


def _locations(store: SqlStore) -> tuple[str, str, str]:
    experiment = store.get_experiment(store.create_experiment("e"))
    run = store.create_run(experiment.experiment_id, "u", 0)
    return store.get_experiment("0").artifact_location, experiment.artifact_location, run.info.artifact_uri


def test_a_directory_holds_the_database_and_the_artifacts(tmp_path: Path) -> None:
    store = SqlStore.from_uri(str(tmp_path / "runs"))
    try:
        default, experiment, run = _locations(store)
    finally:
        store.close()
    assert (tmp_path / "runs" / "autolog.db").is_file()
    assert default == str(tmp_path / "runs" / "artifacts" / "0")
    assert experiment == str(tmp_path / "runs" / "artifacts" / "1")
    assert run.startswith(experiment + os.sep) and run.endswith(os.sep + "artifacts")

    same = SqlStore.from_uri(f"file://{tmp_path}/runs")  # the same directory as a URI
    try:
        assert sorted(e.name for e in same.search_experiments()) == ["Default", "e"]
    finally:
        same.close()


def test_sqlite_file_keeps_artifacts_beside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = SqlStore.from_uri("sqlite:///x/y.db")  # relative to the working directory
    try:
        default, experiment, _ = _locations(store)
    finally:
        store.close()
    assert (tmp_path / "x" / "y.db").is_file()
    assert default == str(tmp_path / "x" / "autolog-artifacts" / "0")
    assert experiment == str(tmp_path / "x" / "autolog-artifacts" / "1")


def test_artifact_root_variable_overrides_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", "s3://bucket/team/")
    store = SqlStore.from_uri(str(tmp_path / "runs"))
    try:
        default, experiment, run = _locations(store)
    finally:
        store.close()
    assert (default, experiment) == ("s3://bucket/team/0", "s3://bucket/team/1")
    assert run.startswith("s3://bucket/team/1/") and run.endswith("/artifacts")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", "shared-artifacts")
    store = SqlStore.from_uri(str(tmp_path / "other"))
    try:
        assert store.get_experiment("0").artifact_location == str(tmp_path / "shared-artifacts" / "0")
    finally:
        store.close()


@pytest.mark.postgres
def test_postgres_default_artifact_root_is_the_working_directory(
    fresh_postgres_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTOLOG_ARTIFACT_ROOT")
    monkeypatch.chdir(tmp_path)
    plain = fresh_postgres_uri.replace("postgresql+psycopg://", "postgresql://")
    store = open_store(plain)  # the registry's entry point, psycopg chosen for a bare scheme
    try:
        assert isinstance(store, SqlStore)
        experiment = store.get_experiment(store.create_experiment("e"))
        assert experiment.artifact_location == str(tmp_path / "autolog-artifacts" / experiment.experiment_id)
    finally:
        forget_store(plain)


def test_every_sql_scheme_opens_through_the_registry(tmp_path: Path) -> None:
    for uri in (str(tmp_path / "a"), f"file://{tmp_path}/b", f"sqlite:///{tmp_path}/c.db"):
        try:
            assert isinstance(open_store(uri), SqlStore)
        finally:
            forget_store(uri)


@pytest.mark.parametrize("uri", ["sqlite://", "sqlite:///:memory:", "mysql://h/db"])
def test_unusable_uris_are_refused(uri: str) -> None:
    with pytest.raises(InvalidInputError):
        SqlStore.from_uri(uri)


def test_a_file_is_not_a_tracking_directory(tmp_path: Path) -> None:
    (tmp_path / "runs.db").write_text("")
    with pytest.raises(InvalidInputError, match="names a file, expected a directory"):
        SqlStore.from_uri(str(tmp_path / "runs.db"))


def test_passwords_stay_out_of_messages() -> None:
    target = _engine.resolve("postgresql://ann:s3cret@db.internal:5432/tracking")
    assert "s3cret" not in target.display
    assert target.display.startswith("postgresql://ann:")
    assert target.url.drivername == "postgresql+psycopg"


# -- SQLite settings and locking ----------------------------------------------------------------


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore.from_uri(str(tmp_path / "runs"))
    yield store
    store.close()


def test_sqlite_connections_use_wal_and_friends(sqlite_store: SqlStore) -> None:
    def pragmas(conn: object) -> dict[str, object]:
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        return {n: conn.exec_driver_sql(f"PRAGMA {n}").scalar() for n in names}  # type: ignore[attr-defined]

    assert sqlite_store.db.read(pragmas) == {
        "journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": _engine.BUSY_TIMEOUT_MS,
    }  # fmt: skip


def _hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Another connection takes the database's write lock and keeps it a while."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE experiments SET last_update_time = 1 WHERE experiment_id = 0")
        taken.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    return holder


def test_a_write_outlasting_the_busy_timeout_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_engine, "BUSY_TIMEOUT_MS", 50)
    store = SqlStore.from_uri(str(tmp_path / "runs"))
    try:
        run_id = store.create_run("0", "u", 0).info.run_id
        holder = _hold_write_lock(tmp_path / "runs" / "autolog.db", 1.0)
        assert store.get_run(run_id).info.run_id == run_id  # WAL: readers are not blocked
        store.log_batch(run_id, [Metric("m", 1.0, 0, 0)])  # waits well past 50 ms, no error
        holder.join()
        assert store.get_run(run_id).data.metrics == {"m": 1.0}
    finally:
        store.close()


def test_a_lock_held_too_long_is_a_clear_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_engine, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(_engine, "RETRY_SECONDS", 0.3)
    store = SqlStore.from_uri(str(tmp_path / "runs"))
    try:
        run_id = store.create_run("0", "u", 0).info.run_id
        holder = _hold_write_lock(tmp_path / "runs" / "autolog.db", 2.0)
        with pytest.raises(StoreError, match="stayed locked by another writer"):
            store.log_batch(run_id, [Metric("m", 1.0, 0, 0)])
        holder.join()
        assert store.get_run(run_id).data.metrics == {}
    finally:
        store.close()
