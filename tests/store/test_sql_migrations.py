"""Schema versions: new databases at head, outdated ones refused, ``autolog db`` upgrades."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from autolog.errors import SchemaOutdatedError, StoreError
from autolog.store.sql import SqlStore, _migrate
from autolog.store.sql import _schema as t

FIRST = "0001"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/db/autolog.db"
    return str(request.getfixturevalue("empty_postgres_uri"))


@pytest.fixture
def empty_postgres_uri(postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database with no tables at all (not from the template at head)."""
    import uuid

    import psycopg

    monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    admin = postgres_server.replace("+psycopg", "") + "/postgres"
    name = f"empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{postgres_server}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _run_alembic(uri: str, command: str, revision: str) -> None:
    """Move a database to ``revision`` with the real revisions, as an older autolog left it."""
    from alembic import command as commands
    from alembic.config import Config

    db = _migrate.open_database(uri)

    def work(conn: sa.Connection) -> None:
        config = Config()
        config.set_main_option("script_location", _migrate.SCRIPT_LOCATION)
        config.set_main_option("version_table", _migrate.VERSION_TABLE)
        config.attributes["connection"] = conn
        getattr(commands, command)(config, revision)

    try:
        db.write(work)
    finally:
        db.close()


def _autolog(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console script (the one pip installs), in a fresh process."""
    script = Path(sys.executable).with_name("autolog")
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120)


def _execute(uri: str, sql: str) -> None:
    db = _migrate.open_database(uri)
    try:
        db.write(lambda conn: conn.execute(sa.text(sql)))
    finally:
        db.close()


def test_new_database_is_created_at_head_with_default_experiment(uri: str) -> None:
    store = SqlStore.from_uri(uri)
    try:
        assert store.db.read(_migrate.current_revision) == (True, _migrate.head_revision())
        default = store.get_experiment("0")
        assert default.name == "Default"
        assert default.artifact_location.endswith(os.sep + "0")
        assert store.create_experiment("next") == "1"
    finally:
        store.close()


def test_schema_definitions_match_the_migrated_database(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = SqlStore.from_uri(f"sqlite:///{tmp_path}/autolog.db")
    try:
        diff = store.db.read(
            lambda conn: compare_metadata(MigrationContext.configure(conn), t.metadata)
        )
    finally:
        store.close()
    version_table = [d for d in diff if d[0] == "remove_table" and d[1].name == _migrate.VERSION_TABLE]
    assert [d for d in diff if d not in version_table] == []


def test_outdated_schema_is_refused_with_the_upgrade_command(uri: str) -> None:
    _run_alembic(uri, "upgrade", FIRST)
    assert FIRST != _migrate.head_revision(), "needs a revision after the first one"
    with pytest.raises(SchemaOutdatedError) as caught:
        SqlStore.from_uri(uri)
    assert caught.value.current == FIRST
    assert caught.value.head == _migrate.head_revision()
    assert "autolog db upgrade " in str(caught.value)
    assert caught.value.uri in str(caught.value)


def test_autolog_db_upgrade_brings_an_outdated_database_to_head(uri: str) -> None:
    _run_alembic(uri, "upgrade", FIRST)
    db = _migrate.open_database(uri)
    now = 1_700_000_000_000
    db.write(
        lambda conn: conn.execute(
            t.experiments.insert().values(
                experiment_id=0, name="Default", artifact_location="/kept/0",
                lifecycle_stage="active", creation_time=now, last_update_time=now,
            )
        )
    )
    db.close()

    before = _autolog("db", "current", uri)
    assert before.returncode == 0, before.stderr
    assert before.stdout.startswith(FIRST) and "autolog db upgrade" in before.stdout

    done = _autolog("db", "upgrade", uri)
    assert done.returncode == 0, done.stderr
    assert f"from schema revision {FIRST} to {_migrate.head_revision()}" in done.stdout

    store = SqlStore.from_uri(uri)
    try:
        assert store.get_experiment("0").artifact_location == "/kept/0"  # data survived
        assert store.db.read(_migrate.current_revision)[1] == _migrate.head_revision()
    finally:
        store.close()
    again = _autolog("db", "upgrade", uri)
    assert again.returncode == 0 and "already at schema revision" in again.stdout


def test_downgraded_to_nothing_is_outdated_then_upgraded(tmp_path: Path) -> None:
    uri = str(tmp_path / "runs")
    SqlStore.from_uri(uri).close()
    _run_alembic(uri, "downgrade", "base")  # the version table stays, empty; no tables
    db = _migrate.open_database(uri)
    assert db.read(_migrate.current_revision) == (True, None)
    db.close()
    # an empty version table and no tables: a database nobody wrote to yet, created on open
    store = SqlStore.from_uri(uri)
    assert store.get_experiment("0").name == "Default"
    store.close()


def test_missing_version_row_is_refused(tmp_path: Path) -> None:
    uri = str(tmp_path / "runs")
    SqlStore.from_uri(uri).close()
    _execute(uri, f"DELETE FROM {_migrate.VERSION_TABLE}")
    with pytest.raises(StoreError, match="version row .* is missing"):
        SqlStore.from_uri(uri)
    failed = _autolog("db", "upgrade", uri)
    assert failed.returncode == 1
    assert "is missing" in failed.stderr and len(failed.stderr.strip().splitlines()) == 1


def test_revision_from_a_newer_autolog_is_refused(tmp_path: Path) -> None:
    uri = str(tmp_path / "runs")
    SqlStore.from_uri(uri).close()
    _execute(uri, f"UPDATE {_migrate.VERSION_TABLE} SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer autolog"):
        SqlStore.from_uri(uri)


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/other.db"
    _execute(uri, "CREATE TABLE experiments (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreError, match="did not create it"):
        SqlStore.from_uri(uri)


def test_db_command_errors_and_usage(tmp_path: Path) -> None:
    wrong = _autolog("db", "upgrade", "memory:")
    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1
    assert "sqlite:///" in wrong.stderr
    assert _autolog("db", "frobnicate").returncode == 2
    assert _autolog("db").returncode == 2


def test_processes_opening_a_new_database_at_once_create_it_once(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/shared.db"
    code = (
        "import sys; from autolog.store.sql import SqlStore; "
        "s = SqlStore.from_uri(sys.argv[1]); print(s.get_experiment('0').name); s.close()"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, uri], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, results
    assert all(out.strip() == "Default" for out, _ in results)
    store = SqlStore.from_uri(uri)
    try:
        assert [e.name for e in store.search_experiments()] == ["Default"]
    finally:
        store.close()


def test_head_constant_matches_the_newest_revision() -> None:
    # opening a store trusts migrations.HEAD to skip importing alembic; it must not go stale
    from autolog.store.sql.migrations import HEAD

    assert HEAD == _migrate.head_revision()


def test_opening_an_up_to_date_store_does_not_import_alembic(tmp_path: Path) -> None:
    code = (
        "import sys, autolog.store as s; "
        f"s.open_store({str(tmp_path / 'runs')!r}); print('alembic' in sys.modules)"
    )
    # the first process creates the schema, which needs alembic; the next one only opens it
    first = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    again = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert (first.stdout.strip(), again.stdout.strip()) == ("True", "False")
