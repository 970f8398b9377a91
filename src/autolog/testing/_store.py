"""StoreConformance: the behaviour every tracking Store backend must show, as a pytest class.

Subclass it and provide a ``store`` fixture that returns a fresh, empty store::

    class TestMyStore(StoreConformance):
        @pytest.fixture
        def store(self):
            store = MyStore.from_uri("mystore://...")
            yield store
            store.close()

It talks to the store only through the ``Store`` interface, and builds filters with
``parse_filter`` / ``parse_order_by``, so it checks exactly what the tracking API relies on.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from autolog.errors import AlreadyExistsError, InvalidInputError, NotFoundError, ParamChangedError, RunStateError
from autolog.core._store import Store
from autolog.core._entities import (
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from autolog.core._search import parse_filter, parse_order_by
from autolog.testing._summaries import SummaryConformance

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_ALL = ViewType.ALL

# The runs the search tests look at (``searchable`` fixture); run names on the left.
#   alpha-run FINISHED 1000..2000  acc 0.9 loss 0.3  model rf       lr 0.1   team Vision (team.lead)
#   beta      RUNNING  2000..      acc 0.7 loss NaN  model RF       lr 0.01  team nlp ("val loss")
#   gamma_3   FAILED   3000..3500          loss inf  model xgb
#   delta%    KILLED   4000..4500  acc 0.9 loss 0.1  model rf_large          team vision
_SEARCH_RUNS: dict[str, dict[str, Any]] = {
    "alpha": dict(
        name="alpha-run", start=1000, end=2000, status=RunStatus.FINISHED,
        metrics={"acc": 0.9, "loss": 0.3},
        params={"model": "rf", "lr": "0.1"},
        tags={"team": "Vision", "team.lead": "ann"},
    ),
    "beta": dict(
        name="beta", start=2000, end=None, status=RunStatus.RUNNING,
        metrics={"acc": 0.7, "loss": math.nan, "val loss": 1.5},
        params={"model": "RF", "lr": "0.01"},
        tags={"team": "nlp"},
    ),
    "gamma": dict(
        name="gamma_3", start=3000, end=3500, status=RunStatus.FAILED,
        metrics={"loss": math.inf},
        params={"model": "xgb"},
        tags={},
    ),
    "delta": dict(
        name="delta%", start=4000, end=4500, status=RunStatus.KILLED,
        metrics={"acc": 0.9, "loss": 0.1},
        params={"model": "rf_large"},
        tags={"team": "vision"},
    ),
}  # fmt: skip


class StoreConformance(SummaryConformance):
    """The store conformance suite; subclasses provide the ``store`` fixture."""

    # -- fixtures and helpers ----------------------------------------------------------------
    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError("a StoreConformance subclass must define a `store` fixture")

    @pytest.fixture
    def experiment_id(self, store: Store) -> str:
        return store.create_experiment("conformance")

    @staticmethod
    def new_run(store: Store, experiment_id: str, start_time: int = 1000, **kwargs: Any) -> Run:
        kwargs.setdefault("user_id", "tester")
        return store.create_run(experiment_id, start_time=start_time, **kwargs)

    @staticmethod
    def search(
        store: Store,
        experiment_ids: Sequence[str],
        filter: str | None = None,
        order_by: Sequence[str] = (),
        **kwargs: Any,
    ) -> list[Run]:
        return list(
            store.search_runs(
                experiment_ids, parse_filter(filter), order_by=parse_order_by(order_by), **kwargs
            )
        )

    @pytest.fixture
    def searchable(self, store: Store, experiment_id: str) -> dict[str, str]:
        """The runs of the table above; returns {short name: run_id}."""
        ids = {}
        for short, spec in _SEARCH_RUNS.items():
            run = self.new_run(store, experiment_id, spec["start"], run_name=spec["name"])
            rid = run.info.run_id
            store.log_batch(
                rid,
                metrics=[Metric(k, v, spec["start"], 0) for k, v in spec["metrics"].items()],
                params=[Param(k, v) for k, v in spec["params"].items()],
                tags=[RunTag(k, v) for k, v in spec["tags"].items()],
            )
            if spec["status"] is not RunStatus.RUNNING:
                store.update_run_info(rid, spec["status"], end_time=spec["end"])
            ids[short] = rid
        return ids

    def names(self, runs: Sequence[Run], ids: dict[str, str]) -> list[str]:
        by_id = {v: k for k, v in ids.items()}
        return [by_id[r.info.run_id] for r in runs]

    # -- experiments -------------------------------------------------------------------------
    def test_create_and_get_experiment(self, store: Store) -> None:
        eid = store.create_experiment("exp-a", tags={"team": "vision"})
        assert isinstance(eid, str)
        exp = store.get_experiment(eid)
        assert (exp.experiment_id, exp.name, exp.tags) == (eid, "exp-a", {"team": "vision"})
        assert exp.lifecycle_stage is LifecycleStage.ACTIVE
        assert exp.artifact_location
        assert store.get_experiment_by_name("exp-a") == exp
        assert store.get_experiment_by_name("no such experiment") is None

    def test_experiment_ids_are_distinct(self, store: Store) -> None:
        ids = {store.create_experiment(f"exp-{i}") for i in range(5)}
        assert len(ids) == 5

    def test_duplicate_experiment_name_is_refused(self, store: Store) -> None:
        eid = store.create_experiment("taken")
        # AlreadyExistsError (an InvalidInputError): the server answers RESOURCE_ALREADY_EXISTS
        with pytest.raises(AlreadyExistsError, match="taken"):
            store.create_experiment("taken")
        store.delete_experiment(eid)
        with pytest.raises(AlreadyExistsError, match="taken"):
            store.create_experiment("taken")

    def test_unknown_experiment(self, store: Store) -> None:
        for call in (
            lambda: store.get_experiment("987654"),
            lambda: store.rename_experiment("987654", "x"),
            lambda: store.delete_experiment("987654"),
            lambda: store.restore_experiment("987654"),
            lambda: store.set_experiment_tag("987654", "k", "v"),
            lambda: store.create_run("987654", "u", 0),
        ):
            with pytest.raises(NotFoundError):
                call()

    def test_rename_experiment(self, store: Store) -> None:
        eid = store.create_experiment("old")
        store.create_experiment("other")
        store.rename_experiment(eid, "new")
        assert store.get_experiment(eid).name == "new"
        assert store.get_experiment_by_name("old") is None
        assert store.get_experiment_by_name("new").experiment_id == eid  # type: ignore[union-attr]
        with pytest.raises(InvalidInputError, match="other"):
            store.rename_experiment(eid, "other")
        assert store.get_experiment(eid).name == "new"

    def test_set_experiment_tag(self, store: Store) -> None:
        eid = store.create_experiment("tagged")
        store.set_experiment_tag(eid, "owner", "ann")
        store.set_experiment_tag(eid, "owner", "bob")
        assert store.get_experiment(eid).tags == {"owner": "bob"}

    def test_delete_and_restore_experiment_takes_its_runs_along(self, store: Store) -> None:
        eid = store.create_experiment("doomed")
        rid = self.new_run(store, eid).info.run_id
        store.delete_experiment(eid)
        assert store.get_experiment(eid).lifecycle_stage is LifecycleStage.DELETED
        assert store.get_run(rid).info.lifecycle_stage is LifecycleStage.DELETED
        assert self.search(store, [eid]) == []
        assert [
            r.info.run_id for r in self.search(store, [eid], run_view_type=ViewType.DELETED_ONLY)
        ] == [rid]
        store.restore_experiment(eid)
        assert store.get_experiment(eid).lifecycle_stage is LifecycleStage.ACTIVE
        assert store.get_run(rid).info.lifecycle_stage is LifecycleStage.ACTIVE
        assert [r.info.run_id for r in self.search(store, [eid])] == [rid]

    def test_search_experiments(self, store: Store) -> None:
        a = store.create_experiment("search-a", tags={"team": "x"})
        b = store.create_experiment("search-b", tags={"team": "y"})
        c = store.create_experiment("search-c", tags={"team": "x"})
        store.delete_experiment(c)

        def ids(filter: str | None = None, **kwargs: Any) -> list[str]:
            found = store.search_experiments(
                filter=parse_filter(filter, kind="experiments"), **kwargs
            )
            return [e.experiment_id for e in found if e.name.startswith("search-")]

        assert sorted(ids()) == sorted([a, b])
        assert ids(view_type=ViewType.DELETED_ONLY) == [c]
        assert sorted(ids(view_type=ViewType.ALL)) == sorted([a, b, c])
        assert sorted(ids("tags.team = 'x'", view_type=ViewType.ALL)) == sorted([a, c])
        assert ids("name LIKE '%-b'") == [b]
        assert ids("attributes.name IN ('search-a', 'search-c')") == [a]
        names = parse_order_by(["name DESC"], kind="experiments")
        assert ids("name LIKE 'search-%'", order_by=names) == [b, a]
        names = parse_order_by(["attributes.name ASC"], kind="experiments")
        first = store.search_experiments(
            filter=parse_filter("name LIKE 'search-%'", kind="experiments"),
            order_by=names,
            max_results=1,
        )
        assert [e.experiment_id for e in first] == [a] and first.token
        second = store.search_experiments(
            filter=parse_filter("name LIKE 'search-%'", kind="experiments"),
            order_by=names,
            max_results=1,
            page_token=first.token,
        )
        assert [e.experiment_id for e in second] == [b] and second.token is None

    # -- logged models (MLflow 3's; a store without them raises StoreError) ----------------------
    def test_logged_models(self, store: Store, experiment_id: str) -> None:
        from autolog.core._logged_model_store import LoggedModelStore

        if not isinstance(store, LoggedModelStore):
            pytest.skip("this store does not keep logged models")
        run_id = store.create_run(experiment_id, "u", 0).info.run_id
        model = store.create_logged_model(
            experiment_id, "clf", source_run_id=run_id, model_type="sklearn", tags={"a": "1"}, params={"p": "2"}
        )
        assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
        assert (model.status, model.source_run_id, model.tags, model.params) == ("PENDING", run_id, {"a": "1"}, {"p": "2"})
        assert model.artifact_location.rstrip("/").endswith(f"models/{model.model_id}/artifacts")
        assert store.finalize_logged_model(model.model_id, "READY").status == "READY"
        store.set_logged_model_tags(model.model_id, {"b": "2"})
        store.delete_logged_model_tag(model.model_id, "a")
        assert store.get_logged_model(model.model_id).tags == {"b": "2"}
        with pytest.raises(NotFoundError):
            store.delete_logged_model_tag(model.model_id, "a")
        with pytest.raises(InvalidInputError):
            store.finalize_logged_model(model.model_id, "DONE")
        other = store.create_logged_model(experiment_id, "second")
        # both, oldest first (two created within one millisecond may come in either order)
        assert {m.model_id for m in store.list_logged_models([experiment_id])} == {model.model_id, other.model_id}
        assert store.list_logged_models(["987654"]) == []
        store.delete_logged_model(model.model_id)
        with pytest.raises(NotFoundError):
            store.get_logged_model(model.model_id)
        assert [m.model_id for m in store.list_logged_models([experiment_id])] == [other.model_id]
        with pytest.raises(NotFoundError):
            store.get_logged_model("m-" + "0" * 32)
        with pytest.raises(NotFoundError):
            store.get_logged_model("../etc")
        with pytest.raises(NotFoundError):
            store.create_logged_model("987654", "x")
        with pytest.raises(NotFoundError):
            store.create_logged_model(experiment_id, "x", source_run_id="0" * 32)

    # -- runs ----------------------------------------------------------------------------------
    def test_create_and_get_run(self, store: Store, experiment_id: str) -> None:
        run = store.create_run(
            experiment_id, "ann", 1234, tags=[RunTag("k", "v")], run_name="first"
        )
        info = run.info
        assert _HEX32.match(info.run_id)
        assert (info.experiment_id, info.user_id, info.start_time) == (experiment_id, "ann", 1234)
        assert (info.run_name, info.status, info.end_time) == ("first", RunStatus.RUNNING, None)
        assert info.lifecycle_stage is LifecycleStage.ACTIVE
        assert info.parent_run_id is None
        assert run.data.tags["k"] == "v"
        assert store.get_run(info.run_id) == run

    def test_create_run_with_given_id(self, store: Store, experiment_id: str) -> None:
        rid = "0123456789abcdef0123456789abcdef"
        assert self.new_run(store, experiment_id, run_id=rid).info.run_id == rid
        assert store.get_run(rid).info.run_id == rid

    def test_parent_run_id_round_trip(self, store: Store, experiment_id: str) -> None:
        parent = self.new_run(store, experiment_id).info.run_id
        child = self.new_run(store, experiment_id, parent_run_id=parent).info.run_id
        assert store.get_run(child).info.parent_run_id == parent
        found = self.search(store, [experiment_id], f"attributes.run_id = '{child}'")
        assert found[0].info.parent_run_id == parent

    def test_artifact_uri_differs_per_run(self, store: Store, experiment_id: str) -> None:
        uris = {self.new_run(store, experiment_id).info.artifact_uri for _ in range(3)}
        assert len(uris) == 3 and all(uris)

    def test_update_run_info(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        info = store.update_run_info(rid, RunStatus.FINISHED, end_time=5000, run_name="renamed")
        assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, 5000, "renamed")
        assert store.get_run(rid).info == info
        # None leaves a field as it was
        info = store.update_run_info(rid, RunStatus.FAILED)
        assert (info.status, info.end_time, info.run_name) == (RunStatus.FAILED, 5000, "renamed")

    def test_unknown_run_id(self, store: Store) -> None:
        rid = "f" * 32
        for call in (
            lambda: store.get_run(rid),
            lambda: store.update_run_info(rid, RunStatus.FINISHED),
            lambda: store.delete_run(rid),
            lambda: store.restore_run(rid),
            lambda: store.log_batch(rid, params=[Param("p", "1")]),
            lambda: store.delete_tag(rid, "k"),
            lambda: store.get_metric_history(rid, "m"),
        ):
            with pytest.raises(NotFoundError, match=rid):
                call()

    def test_delete_and_restore_run(self, store: Store, experiment_id: str) -> None:
        keep = self.new_run(store, experiment_id, 1000).info.run_id
        gone = self.new_run(store, experiment_id, 2000).info.run_id
        store.delete_run(gone)
        assert store.get_run(gone).info.lifecycle_stage is LifecycleStage.DELETED

        def ids(view: ViewType) -> list[str]:
            return [r.info.run_id for r in self.search(store, [experiment_id], run_view_type=view)]

        assert ids(ViewType.ACTIVE_ONLY) == [keep]
        assert ids(ViewType.DELETED_ONLY) == [gone]
        assert ids(ViewType.ALL) == [gone, keep]
        with pytest.raises(RunStateError, match=gone):
            store.log_batch(gone, params=[Param("p", "1")])
        store.restore_run(gone)
        assert ids(ViewType.ACTIVE_ONLY) == [gone, keep]
        store.log_batch(gone, params=[Param("p", "1")])

    def test_returned_runs_are_snapshots(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(rid, [Metric("m", 1.0, 1, 0)], [Param("p", "1")], [RunTag("t", "a")])
        before = store.get_run(rid)
        store.log_batch(rid, [Metric("m", 2.0, 2, 1)], [Param("q", "2")], [RunTag("t", "b")])
        store.update_run_info(rid, RunStatus.FINISHED, end_time=9)
        assert before.data.metrics == {"m": 1.0}
        assert before.data.params == {"p": "1"}
        assert before.data.tags["t"] == "a"
        assert before.info.status is RunStatus.RUNNING

    # -- log_batch -----------------------------------------------------------------------------
    def test_log_batch_round_trip(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(
            rid,
            metrics=[Metric("acc", 0.5, 10, 0), Metric("loss/train", 2.0, 10, 0)],
            params=[Param("lr", "0.1"), Param("model", "rf")],
            tags=[RunTag("team", "vision")],
        )
        data = store.get_run(rid).data
        assert data.metrics == {"acc": 0.5, "loss/train": 2.0}
        assert data.params == {"lr": "0.1", "model": "rf"}
        assert data.tags["team"] == "vision"

    def test_params_are_write_once(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(rid, params=[Param("lr", "0.1")])
        store.log_batch(rid, params=[Param("lr", "0.1")])  # the same value again is fine
        with pytest.raises(ParamChangedError) as caught:
            store.log_batch(rid, params=[Param("lr", "0.2")])
        assert (caught.value.old, caught.value.new) == ("0.1", "0.2")
        assert "0.1" in str(caught.value) and "0.2" in str(caught.value)
        assert store.get_run(rid).data.params == {"lr": "0.1"}

    def test_conflicting_params_in_one_batch(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        with pytest.raises(ParamChangedError):
            store.log_batch(rid, params=[Param("lr", "0.1"), Param("lr", "0.2")])
        assert store.get_run(rid).data.params == {}

    def test_log_batch_is_all_or_nothing(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(rid, params=[Param("lr", "0.1")], tags=[RunTag("t", "old")])
        before = store.get_run(rid).data
        with pytest.raises(ParamChangedError):
            store.log_batch(
                rid,
                metrics=[Metric("acc", 0.9, 1, 0)],
                params=[Param("new", "x"), Param("lr", "0.5")],
                tags=[RunTag("t", "new"), RunTag("u", "1")],
            )
        not_a_number: Any = "high"
        with pytest.raises(TypeError):
            store.log_batch(
                rid,
                metrics=[Metric("acc", 0.9, 1, 0), Metric("bad", not_a_number, 1, 0)],
                params=[Param("new", "x")],
            )
        with pytest.raises(ValueError):
            store.log_batch(rid, metrics=[Metric("acc", 0.9, 1, 0)], tags=[RunTag("", "x")])
        assert store.get_run(rid).data == before
        assert store.get_metric_history(rid, "acc") == []

    @pytest.mark.parametrize("key", ["", "/abs", "a/../b", "..", "tab\there", "x" * 251])
    def test_bad_keys_are_refused(self, store: Store, experiment_id: str, key: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        for batch in (
            {"metrics": [Metric(key, 1.0, 1, 0)]},
            {"params": [Param(key, "v")]},
            {"tags": [RunTag(key, "v")]},
        ):
            with pytest.raises(ValueError):
                store.log_batch(rid, **batch)
        assert store.get_run(rid).data.params == {}
        assert store.get_run(rid).data.metrics == {}

    def test_tags_overwrite_and_delete(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(rid, tags=[RunTag("t", "1"), RunTag("keep", "k")])
        store.log_batch(rid, tags=[RunTag("t", "2")])
        assert store.get_run(rid).data.tags["t"] == "2"
        store.delete_tag(rid, "t")
        tags = store.get_run(rid).data.tags
        assert "t" not in tags and tags["keep"] == "k"
        with pytest.raises(NotFoundError):
            store.delete_tag(rid, "t")

    def test_finished_run_takes_no_data(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.update_run_info(rid, RunStatus.FINISHED, end_time=2000)
        for batch in (
            {"metrics": [Metric("m", 1.0, 1, 0)]},
            {"params": [Param("p", "v")]},
            {"tags": [RunTag("t", "v")]},
        ):
            with pytest.raises(RunStateError, match=rid):
                store.log_batch(rid, **batch)
        assert store.get_run(rid).data.params == {}
        # resuming the run (status back to RUNNING) makes it writable again
        store.update_run_info(rid, RunStatus.RUNNING)
        store.log_batch(rid, params=[Param("p", "v")])
        assert store.get_run(rid).data.params == {"p": "v"}

    def test_finish_run_writes_the_last_batch_and_ends(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(rid, params=[Param("p", "1")])
        info = store.finish_run(
            rid, RunStatus.FINISHED, 2000,
            metrics=[Metric("m", 0.5, 1500, 3)], params=[Param("q", "2")], tags=[RunTag("t", "v")],
        )
        assert (info.status, info.end_time) == (RunStatus.FINISHED, 2000)
        run = store.get_run(rid)
        assert run.info.status is RunStatus.FINISHED and run.info.end_time == 2000
        assert run.data.params == {"p": "1", "q": "2"}
        assert run.data.metrics == {"m": 0.5} and run.data.tags["t"] == "v"
        assert [(m.step, m.value) for m in store.get_metric_history(rid, "m")] == [(3, 0.5)]
        # with nothing to write it only ends (a finished run may be given another status)
        assert store.finish_run(rid, RunStatus.KILLED, 3000).status is RunStatus.KILLED

    def test_finish_run_with_a_refused_batch_ends_nothing(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(rid, params=[Param("p", "1")])
        with pytest.raises(ParamChangedError):
            store.finish_run(rid, RunStatus.FINISHED, 2000, metrics=[Metric("m", 1.0, 1, 0)], params=[Param("p", "2")])
        run = store.get_run(rid)
        assert run.info.status is RunStatus.RUNNING and run.info.end_time is None
        assert run.data.metrics == {} and run.data.params == {"p": "1"}
        store.update_run_info(rid, RunStatus.FINISHED, end_time=2000)
        with pytest.raises(RunStateError, match=rid):
            store.finish_run(rid, RunStatus.FINISHED, 3000, tags=[RunTag("t", "v")])
        assert store.get_run(rid).info.end_time == 2000
        with pytest.raises(NotFoundError):
            store.finish_run("0" * 32, RunStatus.FINISHED, 3000, params=[Param("p", "1")])

    def test_record_runs_writes_finished_runs_whole(self, store: Store, experiment_id: str) -> None:
        from autolog.core._store import FinishedRun

        parent = self.new_run(store, experiment_id).info.run_id
        records = [
            FinishedRun(
                user_id="tester", start_time=1000 + i, end_time=2000 + i, status=RunStatus.FINISHED,
                tags=[RunTag("rank", str(i))], params=[Param("C", str(10**i))],
                metrics=[Metric("score", i / 10, 2000, 0), Metric("nan", math.nan, 2000, 0)],
                run_name=f"child-{i}", parent_run_id=parent,
            )
            for i in range(3)
        ]
        written = store.record_runs(experiment_id, records)
        assert len({run.info.run_id for run in written}) == 3
        for i, run in enumerate(written):
            assert _HEX32.match(run.info.run_id)
            stored = store.get_run(run.info.run_id)
            for seen in (run, stored):
                assert seen.info.status is RunStatus.FINISHED
                assert (seen.info.start_time, seen.info.end_time) == (1000 + i, 2000 + i)
                assert (seen.info.run_name, seen.info.parent_run_id) == (f"child-{i}", parent)
                assert seen.info.experiment_id == experiment_id and seen.info.user_id == "tester"
                assert seen.data.params == {"C": str(10**i)} and seen.data.tags["rank"] == str(i)
                assert seen.data.metrics["score"] == i / 10 and math.isnan(seen.data.metrics["nan"])
            assert stored.info.artifact_uri == run.info.artifact_uri
        found = self.search(store, [experiment_id], "tags.rank = '2' and params.C = '100'")
        assert [r.info.run_id for r in found] == [written[2].info.run_id]
        assert store.record_runs(experiment_id, []) == []

    def test_record_runs_keeps_given_ids_points_and_unended_runs(self, store: Store, experiment_id: str) -> None:
        from autolog.core._store import FinishedRun

        kept, running = "a" * 32, "b" * 32
        written = store.record_runs(experiment_id, [
            FinishedRun(user_id="ann", start_time=1, end_time=2, status=RunStatus.FAILED,
                        params=[Param("p", "1")], metrics=[Metric("m", 1.0, 5, 3)], run_id=kept,
                        metric_points=[("m", 2.0, 6, 4), ("n", math.nan, 7, 0)]),
            FinishedRun(user_id="ann", start_time=3, end_time=None, status=RunStatus.RUNNING,
                        run_id=running),
        ])
        assert [run.info.run_id for run in written] == [kept, running]
        assert store.get_run(kept).info.status is RunStatus.FAILED
        assert store.get_metric_history(kept, "m") == [Metric("m", 1.0, 5, 3), Metric("m", 2.0, 6, 4)]
        assert math.isnan(store.get_run(kept).data.metrics["n"])
        unended = store.get_run(running).info
        assert (unended.status, unended.end_time) == (RunStatus.RUNNING, None)
        with pytest.raises(InvalidInputError, match="already exists"):
            store.record_runs(experiment_id, [
                FinishedRun(user_id="ann", start_time=1, end_time=2, status=RunStatus.FINISHED,
                            run_id=kept, params=[Param("p", "2")]),
            ])
        assert store.get_run(kept).data.params == {"p": "1"}
        with pytest.raises(InvalidInputError, match="32 lowercase hex"):
            store.record_runs(experiment_id, [
                FinishedRun(user_id="ann", start_time=1, end_time=2, status=RunStatus.FINISHED,
                            run_id="not-an-id"),
            ])

    def test_record_runs_refuses_a_deleted_experiment(self, store: Store, experiment_id: str) -> None:
        from autolog.core._store import FinishedRun

        store.delete_experiment(experiment_id)
        record = FinishedRun(user_id="tester", start_time=1, end_time=2, status=RunStatus.FINISHED)
        with pytest.raises(InvalidInputError, match="deleted"):
            store.record_runs(experiment_id, [record])
        assert self.search(store, [experiment_id], run_view_type=_ALL) == []

    def test_nan_and_inf_round_trip(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        values = {"nan": math.nan, "pos": math.inf, "neg": -math.inf, "tiny": 5e-324}
        store.log_batch(rid, metrics=[Metric(k, v, 1, 0) for k, v in values.items()])
        metrics = store.get_run(rid).data.metrics
        assert math.isnan(metrics["nan"])
        assert (metrics["pos"], metrics["neg"], metrics["tiny"]) == (math.inf, -math.inf, 5e-324)
        history = {k: store.get_metric_history(rid, k) for k in values}
        assert math.isnan(history["nan"][0].value)
        assert history["pos"][0].value == math.inf and history["neg"][0].value == -math.inf

    def test_log_metric_points_follows_log_batch_rules(
        self, store: Store, experiment_id: str
    ) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_metric_points(rid, [("m", 1.0, 10, 0), ("m", math.nan, 20, 1), ("n", 2, 30, 0)])
        store.log_metric_points(rid, [])
        history = store.get_metric_history(rid, "m")
        assert [(p.step, p.timestamp) for p in history] == [(0, 10), (1, 20)]
        assert math.isnan(history[1].value)
        assert store.get_run(rid).data.metrics["n"] == 2.0
        # a bad point refuses the whole call: nothing of it lands
        bad: list[Any] = [("k", 1.0, 1, 0), ("k", "high", 2, 1)]  # wrongly typed on purpose
        with pytest.raises(TypeError):
            store.log_metric_points(rid, bad)
        assert store.get_metric_history(rid, "k") == []
        store.update_run_info(rid, RunStatus.FINISHED, end_time=2000)
        with pytest.raises(RunStateError, match=rid):
            store.log_metric_points(rid, [("m", 1.0, 40, 2)])
        with pytest.raises(NotFoundError):
            store.log_metric_points("0" * 32, [("m", 1.0, 40, 2)])

    def test_metric_history_and_latest_value(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        # (value, timestamp, step), logged out of order over several batches
        store.log_batch(rid, metrics=[Metric("m", 3.0, 100, 3), Metric("m", 1.0, 300, 1)])
        store.log_batch(rid, metrics=[Metric("m", 2.0, 50, 2), Metric("m", 0.0, 10, 0)])
        assert store.get_run(rid).data.metrics["m"] == 3.0  # highest step wins over later time
        store.log_batch(rid, metrics=[Metric("m", 3.5, 200, 3)])
        assert store.get_run(rid).data.metrics["m"] == 3.5  # same step: latest timestamp wins
        store.log_batch(rid, metrics=[Metric("m", 9.0, 150, 3)])
        assert store.get_run(rid).data.metrics["m"] == 3.5  # same step, older timestamp
        history = store.get_metric_history(rid, "m")
        assert [(m.step, m.timestamp, m.value) for m in history] == [
            (0, 10, 0.0),
            (1, 300, 1.0),
            (2, 50, 2.0),
            (3, 100, 3.0),
            (3, 150, 9.0),
            (3, 200, 3.5),
        ]
        assert all(m.key == "m" for m in history)
        assert store.get_metric_history(rid, "never logged") == []

    def test_metric_history_keeps_every_point(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(rid, metrics=[Metric("m", float(i), 1000 + i, i) for i in range(1000)])
        history = store.get_metric_history(rid, "m")
        assert [m.value for m in history] == [float(i) for i in range(1000)]
        assert store.get_run(rid).data.metrics["m"] == 999.0

    def test_concurrent_batches_all_land(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        errors: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                for i in range(25):
                    store.log_batch(
                        rid,
                        metrics=[Metric(f"w{worker}", float(i), i, i)],
                        params=[Param(f"w{worker}.{i}", str(i))],
                    )
            except BaseException as exc:  # reported below, with the failing worker's error
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        run = store.get_run(rid)
        assert len(run.data.params) == 100
        assert run.data.metrics == {f"w{w}": 24.0 for w in range(4)}
        assert all(len(store.get_metric_history(rid, f"w{w}")) == 25 for w in range(4))

    # -- search_runs ---------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("filter", "expected"),
        [
            (None, {"alpha", "beta", "gamma", "delta"}),
            ("metrics.acc = 0.9", {"alpha", "delta"}),
            ("metrics.acc != 0.9", {"beta"}),
            ("metrics.acc < 0.9", {"beta"}),
            ("metrics.acc <= 0.9", {"alpha", "beta", "delta"}),
            ("metrics.acc > 0.7", {"alpha", "delta"}),
            ("metrics.acc >= 0.7", {"alpha", "beta", "delta"}),
            ("metrics.acc IN (0.7, 0.8)", {"beta"}),
            ("metrics.acc NOT IN (0.7, 0.8)", {"alpha", "delta"}),
            ("metrics.loss > 0", {"alpha", "gamma", "delta"}),  # NaN is not > 0
            ("metrics.loss <= 0.3", {"alpha", "delta"}),
            ("metrics.loss != 0.3", {"beta", "gamma", "delta"}),  # NaN != 0.3
            ("metrics.loss = inf", {"gamma"}),
            ("metrics.loss > 1e308", {"gamma"}),
            ("metrics.loss < inf", {"alpha", "delta"}),
            ("metrics.loss > -inf", {"alpha", "gamma", "delta"}),
            ('metrics."val loss" < 2', {"beta"}),
            ("metrics.`val loss` >= 1.5", {"beta"}),
            ("params.model = 'rf'", {"alpha"}),
            ("params.model != 'rf'", {"beta", "gamma", "delta"}),
            ("params.model LIKE 'rf%'", {"alpha", "delta"}),
            ("params.model ILIKE 'rf%'", {"alpha", "beta", "delta"}),
            ("params.model LIKE 'r_'", {"alpha"}),
            ("params.model ILIKE 'R_'", {"alpha", "beta"}),
            ("params.model LIKE '%'", {"alpha", "beta", "gamma", "delta"}),
            ("params.model IN ('rf', 'xgb')", {"alpha", "gamma"}),
            ("params.model NOT IN ('rf', 'xgb')", {"beta", "delta"}),
            ("params.lr < '0.1'", {"beta"}),  # text compares as text
            ("params.lr >= '0.1'", {"alpha"}),
            ("tags.team = 'vision'", {"delta"}),
            ("tags.team ILIKE 'VISION'", {"alpha", "delta"}),
            ("tags.team LIKE 'vision'", {"delta"}),
            ("tags.team != 'nlp'", {"alpha", "delta"}),
            ("tags.team NOT IN ('nlp')", {"alpha", "delta"}),
            ("tags.`team.lead` = 'ann'", {"alpha"}),
            ("tags.team.lead = 'ann'", {"alpha"}),
            ("attributes.status = 'FINISHED'", {"alpha"}),
            ("status IN ('FAILED', 'KILLED')", {"gamma", "delta"}),
            ("status != 'RUNNING'", {"alpha", "gamma", "delta"}),
            ("run_name = 'beta'", {"beta"}),
            ("attributes.run_name LIKE 'alpha%'", {"alpha"}),
            ("run_name LIKE 'delta\\%'", {"delta"}),
            ("run_name LIKE 'gamma\\_3'", {"gamma"}),
            ("run_name LIKE '%\\_%'", {"gamma"}),
            ("attributes.start_time >= 2000 AND attributes.start_time < 4000", {"beta", "gamma"}),
            ("attributes.end_time > 0", {"alpha", "gamma", "delta"}),  # beta has no end_time
            ("attributes.user_id = 'tester'", {"alpha", "beta", "gamma", "delta"}),
            ("metrics.acc > 0.8 OR params.model = 'xgb'", {"alpha", "gamma", "delta"}),
            (
                "params.model = 'xgb' OR metrics.acc > 0.8 AND tags.team = 'vision'",
                {"gamma", "delta"},
            ),
            ("(params.model = 'xgb' OR metrics.acc > 0.8) AND tags.team = 'vision'", {"delta"}),
            ("metrics.acc > 0.8 and (tags.team = 'Vision' or tags.team = 'nlp')", {"alpha"}),
            ("metrics.missing > 0", set()),
            ("metrics.missing != 1", set()),
            ("params.missing NOT IN ('a')", set()),
            ("tags.missing != 'x'", set()),
        ],
    )
    def test_search_filter(
        self,
        store: Store,
        experiment_id: str,
        searchable: dict[str, str],
        filter: str | None,
        expected: set[str],
    ) -> None:
        assert set(self.names(self.search(store, [experiment_id], filter), searchable)) == expected

    def test_search_returns_whole_runs(
        self, store: Store, experiment_id: str, searchable: dict[str, str]
    ) -> None:
        [run] = self.search(store, [experiment_id], "params.model = 'rf'")
        assert run == store.get_run(searchable["alpha"])

    def test_search_by_run_id(
        self, store: Store, experiment_id: str, searchable: dict[str, str]
    ) -> None:
        alpha, gamma = searchable["alpha"], searchable["gamma"]
        found = self.search(store, [experiment_id], f"attributes.run_id = '{alpha}'")
        assert self.names(found, searchable) == ["alpha"]
        found = self.search(store, [experiment_id], f"run_id IN ('{alpha}', '{gamma}')")
        assert set(self.names(found, searchable)) == {"alpha", "gamma"}

    @pytest.mark.parametrize(
        ("order_by", "expected"),
        [
            ((), ["delta", "gamma", "beta", "alpha"]),  # start_time DESC
            (["metrics.acc DESC"], ["delta", "alpha", "beta", "gamma"]),
            (["metrics.acc ASC"], ["beta", "delta", "alpha", "gamma"]),
            (
                ["metrics.acc DESC", "attributes.start_time ASC"],
                ["alpha", "delta", "beta", "gamma"],
            ),
            (["metrics.loss"], ["delta", "alpha", "gamma", "beta"]),  # NaN after numbers
            (["metrics.loss DESC"], ["gamma", "alpha", "delta", "beta"]),
            (["params.model"], ["beta", "alpha", "delta", "gamma"]),  # code point order
            (["params.model DESC"], ["gamma", "delta", "alpha", "beta"]),
            (["params.lr DESC"], ["alpha", "beta", "delta", "gamma"]),
            (["tags.team ASC", "metrics.acc DESC"], ["alpha", "beta", "delta", "gamma"]),
            (["tags.team DESC"], ["delta", "beta", "alpha", "gamma"]),
            (["run_name"], ["alpha", "beta", "delta", "gamma"]),
            (["attributes.end_time DESC"], ["delta", "gamma", "alpha", "beta"]),
            (["attributes.end_time ASC"], ["alpha", "gamma", "delta", "beta"]),
            (["status"], ["gamma", "alpha", "delta", "beta"]),  # FAILED FINISHED KILLED RUNNING
        ],
    )
    def test_order_by(
        self,
        store: Store,
        experiment_id: str,
        searchable: dict[str, str],
        order_by: list[str],
        expected: list[str],
    ) -> None:
        found = self.search(store, [experiment_id], order_by=order_by)
        assert self.names(found, searchable) == expected

    def test_ties_order_by_run_id(self, store: Store, experiment_id: str) -> None:
        ids = [self.new_run(store, experiment_id, 5000).info.run_id for _ in range(5)]
        found = self.search(store, [experiment_id])
        assert [r.info.run_id for r in found] == sorted(ids)

    def test_pages_cover_every_run_once(self, store: Store, experiment_id: str) -> None:
        for i in range(11):
            rid = self.new_run(store, experiment_id, 1000 + i % 4).info.run_id
            store.log_batch(rid, metrics=[Metric("m", float(i % 3), 0, 0)])
        for filter, order_by in [(None, ()), ("metrics.m >= 1", ["metrics.m DESC"])]:
            everything = self.search(store, [experiment_id], filter, order_by)
            pages: list[Run] = []
            token: str | None = None
            while True:
                page = store.search_runs(
                    [experiment_id],
                    parse_filter(filter),
                    max_results=3,
                    order_by=parse_order_by(order_by),
                    page_token=token,
                )
                assert 0 < len(page) <= 3
                pages.extend(page)
                token = page.token
                if token is None:
                    break
            assert [r.info.run_id for r in pages] == [r.info.run_id for r in everything]
        assert store.search_runs([experiment_id], max_results=11).token is None
        assert len(store.search_runs([experiment_id], max_results=10)) == 10

    def test_max_results_and_page_token_are_checked(self, store: Store, experiment_id: str) -> None:
        self.new_run(store, experiment_id)
        assert len(store.search_runs([experiment_id], max_results=50_000)) == 1
        with pytest.raises(InvalidInputError, match="max_results"):
            store.search_runs([experiment_id], max_results=50_001)
        with pytest.raises(InvalidInputError, match="max_results"):
            store.search_runs([experiment_id], max_results=0)
        with pytest.raises(InvalidInputError, match="previous page"):
            store.search_runs([experiment_id], page_token="not a token")

    def test_search_by_experiment_ids(self, store: Store) -> None:
        e1, e2, e3 = (store.create_experiment(f"ids-{i}") for i in range(3))
        r1 = self.new_run(store, e1, 1).info.run_id
        r2 = self.new_run(store, e2, 2).info.run_id
        self.new_run(store, e3, 3)
        assert [r.info.run_id for r in self.search(store, [e1])] == [r1]
        assert [r.info.run_id for r in self.search(store, [e1, e2])] == [r2, r1]
        found = self.search(store, [e1, e2], f"attributes.experiment_id = '{e2}'")
        assert [r.info.run_id for r in found] == [r2]

    def test_search_compares_the_latest_metric_value(
        self, store: Store, experiment_id: str
    ) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(rid, metrics=[Metric("acc", 0.9, 1, 0), Metric("acc", 0.1, 2, 1)])
        assert self.search(store, [experiment_id], "metrics.acc > 0.5") == []
        assert len(self.search(store, [experiment_id], "metrics.acc = 0.1")) == 1
        # an older point logged later does not become the latest value
        store.log_batch(rid, metrics=[Metric("acc", 0.95, 3, 0)])
        assert self.search(store, [experiment_id], "metrics.acc > 0.5") == []

    def test_search_text_with_quotes_and_non_ascii(self, store: Store, experiment_id: str) -> None:
        rid = self.new_run(store, experiment_id).info.run_id
        store.log_batch(
            rid,
            params=[Param("note", "it's \"fine\"")],
            tags=[RunTag("city", "Zürich"), RunTag("team", "Équipe")],
        )
        for filter in (
            "params.note = 'it''s \"fine\"'",
            "params.note = 'it\\'s \"fine\"'",
            "tags.city = 'Zürich'",
            "tags.city LIKE 'Z_rich'",
            "tags.team ILIKE 'équipe'",
            "tags.team ILIKE '%QUIPE'",
        ):
            assert [r.info.run_id for r in self.search(store, [experiment_id], filter)] == [rid]
        assert self.search(store, [experiment_id], "tags.team LIKE 'équipe'") == []
