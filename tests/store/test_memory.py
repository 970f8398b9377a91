"""MemoryStore: the conformance suite, plus what is particular to ``memory:``."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from autolog.errors import InvalidInputError
from autolog.store import open_store
from autolog.store._by_uri import forget_store
from autolog.store.memory import MemoryStore
from autolog.testing import StoreConformance
from autolog.core._entities import Metric, RunStatus, ViewType


class TestMemoryStore(StoreConformance):
    @pytest.fixture
    def store(self) -> Iterator[MemoryStore]:
        store = MemoryStore.from_uri("memory:")
        yield store
        store.close()


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    store = MemoryStore.from_uri("memory:")
    yield store
    store.close()


def test_opened_by_scheme_through_the_registry() -> None:
    store = open_store("memory:registry-test")
    try:
        assert isinstance(store, MemoryStore)
        assert open_store("memory:registry-test") is store
    finally:
        forget_store("memory:registry-test")


def test_from_uri_refuses_other_schemes() -> None:
    with pytest.raises(InvalidInputError, match="memory:"):
        MemoryStore.from_uri("sqlite:///x.db")


def test_default_experiment_exists(store: MemoryStore) -> None:
    default = store.get_experiment("0")
    assert default.name == "Default"
    assert store.get_experiment_by_name("Default") == default
    assert [e.experiment_id for e in store.search_experiments()] == ["0"]


def test_default_experiment_cannot_be_deleted(store: MemoryStore) -> None:
    with pytest.raises(InvalidInputError, match="Default"):
        store.delete_experiment("0")


def test_artifact_roots_live_in_a_private_directory_removed_on_close() -> None:
    store = MemoryStore.from_uri("memory:")
    run = store.create_run("0", "u", 0)
    uri = run.info.artifact_uri
    assert os.path.isabs(uri)
    assert uri.endswith(f"/0/{run.info.run_id}/artifacts")
    root = uri.split("/0/")[0]
    os.makedirs(uri)
    assert os.path.isdir(root)
    store.close()
    assert not os.path.exists(root)


def test_stores_are_independent() -> None:
    one, two = MemoryStore.from_uri("memory:"), MemoryStore.from_uri("memory:")
    try:
        one.create_run("0", "u", 0)
        assert len(one.search_runs(["0"])) == 1
        assert len(two.search_runs(["0"])) == 0
    finally:
        one.close()
        two.close()


def test_run_id_must_be_hex(store: MemoryStore) -> None:
    with pytest.raises(InvalidInputError, match="32 lowercase hex"):
        store.create_run("0", "u", 0, run_id="../escape")


def test_duplicate_run_id_is_refused(store: MemoryStore) -> None:
    rid = store.create_run("0", "u", 0).info.run_id
    with pytest.raises(InvalidInputError, match=rid):
        store.create_run("0", "u", 0, run_id=rid)


def test_no_runs_in_a_deleted_experiment(store: MemoryStore) -> None:
    eid = store.create_experiment("gone")
    store.delete_experiment(eid)
    with pytest.raises(InvalidInputError, match="deleted"):
        store.create_run(eid, "u", 0)


def test_status_given_as_text(store: MemoryStore) -> None:
    rid = store.create_run("0", "u", 0).info.run_id
    info = store.update_run_info(rid, "finished")  # type: ignore[arg-type]
    assert info.status is RunStatus.FINISHED
    with pytest.raises(InvalidInputError, match="RUNNING"):
        store.update_run_info(rid, "done")  # type: ignore[arg-type]


def test_same_step_and_timestamp_last_logged_wins(store: MemoryStore) -> None:
    rid = store.create_run("0", "u", 0).info.run_id
    store.log_batch(rid, metrics=[Metric("m", 1.0, 5, 1), Metric("m", 2.0, 5, 1)])
    assert store.get_run(rid).data.metrics["m"] == 2.0
    assert [m.value for m in store.get_metric_history(rid, "m")] == [1.0, 2.0]


def test_view_type_accepts_mlflow_values(store: MemoryStore) -> None:
    rid = store.create_run("0", "u", 0).info.run_id
    store.delete_run(rid)
    assert len(store.search_runs(["0"], run_view_type=2)) == 1  # type: ignore[arg-type]
    assert len(store.search_runs(["0"], run_view_type="active")) == 0  # type: ignore[arg-type]
    assert len(store.search_runs(["0"], run_view_type=ViewType.ALL)) == 1
