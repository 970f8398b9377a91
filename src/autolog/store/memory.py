"""``memory:``, a complete Store kept in process memory, for tests and throwaway sessions.

Everything lives in plain dicts behind one lock; nothing survives the process. Run artifact
roots are local directories inside a private temporary directory that is removed when the
store is closed, collected, or the interpreter exits. Search uses the reference semantics in
``autolog.core._search`` (``matches`` / ``sort_runs``), which the SQL stores match.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from autolog.core._clock import now_ms
from autolog.errors import AlreadyExistsError, InvalidInputError, NotFoundError, ParamChangedError, RunStateError
from autolog.core._store import Store
from autolog.store._memory_logged_models import MemoryLoggedModels
from autolog.store._memory_registry import MemoryRegistry
from autolog.core import _rules as check
from autolog.core._entities import (
    Experiment,
    LifecycleStage,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from autolog.core._search import (
    Node,
    OrderKey,
    matches,
    paginate,
    sort_experiments,
    sort_runs,
)

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")




@dataclass
class _ExperimentRecord:
    experiment_id: str
    name: str
    artifact_location: str
    creation_time: int
    last_update_time: int
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)

    def snapshot(self) -> Experiment:
        return Experiment(
            self.experiment_id,
            self.name,
            self.artifact_location,
            self.lifecycle_stage,
            dict(self.tags),
            self.creation_time,
            self.last_update_time,
        )


@dataclass
class _RunRecord:
    info: RunInfo  # frozen; replaced whole on every change
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    history: dict[str, list[Metric]] = field(default_factory=dict)
    latest: dict[str, Metric] = field(default_factory=dict)

    def snapshot(self) -> Run:
        metrics = {key: m.value for key, m in self.latest.items()}
        return Run(self.info, RunData(metrics, dict(self.params), dict(self.tags)))


class MemoryStore(MemoryRegistry, MemoryLoggedModels, Store):
    """A thread-safe in-memory Store; ``MemoryStore.from_uri("memory:")`` is a fresh one."""

    def __init__(self, uri: str = "memory:") -> None:
        self.uri = uri
        self._lock = threading.RLock()
        self._root = tempfile.mkdtemp(prefix="autolog-memory-")
        # removes the artifact directory at close(), garbage collection or interpreter exit
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._root, ignore_errors=True)
        self._experiments: dict[str, _ExperimentRecord] = {}
        self._runs: dict[str, _RunRecord] = {}
        self._next_experiment_id = 0
        self.create_experiment(DEFAULT_EXPERIMENT_NAME)

    @classmethod
    def from_uri(cls, uri: str) -> MemoryStore:
        if not uri.startswith("memory:"):
            raise InvalidInputError(f"MemoryStore opens 'memory:' URIs, got {uri!r}")
        return cls(uri)

    def close(self) -> None:
        self._cleanup()

    # -- experiments ------------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        name = self._check_experiment_name(name)
        checked_tags = {
            check.check_key(k, "tag key"): check.tag_value(k, v) for k, v in (tags or {}).items()
        }
        with self._lock:
            self._check_name_free(name)
            experiment_id = str(self._next_experiment_id)
            self._next_experiment_id += 1
            now = now_ms()
            self._experiments[experiment_id] = _ExperimentRecord(
                experiment_id,
                name,
                (artifact_location or os.path.join(self._root, experiment_id)).rstrip("/"),
                now,
                now,
                tags=checked_tags,
            )
            return experiment_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._lock:
            return self._experiment(experiment_id).snapshot()

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self._lock:
            for record in self._experiments.values():
                if record.name == name:
                    return record.snapshot()
        return None

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter: Node | None = None,
        order_by: Sequence[OrderKey] = (),
        page_token: str | None = None,
    ) -> PagedList:
        view_type = ViewType.coerce(view_type)
        with self._lock:
            found = [
                snapshot
                for record in self._experiments.values()
                if _in_view(record.lifecycle_stage, view_type)
                and matches(filter, snapshot := record.snapshot())
            ]
        return paginate(sort_experiments(found, order_by), max_results, page_token)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        new_name = self._check_experiment_name(new_name)
        with self._lock:
            record = self._experiment(experiment_id)
            if record.lifecycle_stage is LifecycleStage.DELETED:
                raise InvalidInputError(
                    f"experiment {experiment_id} ({record.name!r}) is deleted; restore it "
                    "before renaming it"
                )
            if new_name != record.name:
                self._check_name_free(new_name)
            record.name = new_name
            record.last_update_time = now_ms()

    def delete_experiment(self, experiment_id: str) -> None:
        with self._lock:
            record = self._experiment(experiment_id)
            if experiment_id == DEFAULT_EXPERIMENT_ID:
                raise InvalidInputError(
                    "the Default experiment (id 0) cannot be deleted; delete its runs instead"
                )
            self._set_experiment_stage(record, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        with self._lock:
            self._set_experiment_stage(self._experiment(experiment_id), LifecycleStage.ACTIVE)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        check.check_key(key, "tag key")
        text = check.tag_value(key, value)
        with self._lock:
            record = self._experiment(experiment_id)
            record.tags[key] = text
            record.last_update_time = now_ms()

    # -- runs --------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
        parent_run_id: str | None = None,
        run_id: str | None = None,
    ) -> Run:
        checked_tags = {
            check.check_key(t.key, "tag key"): check.tag_value(t.key, t.value) for t in tags
        }
        if run_id is not None and not (isinstance(run_id, str) and _RUN_ID.match(run_id)):
            raise InvalidInputError(
                f"run_id must be 32 lowercase hex characters, got {run_id!r}; "
                "leave it out to get a fresh one"
            )
        with self._lock:
            experiment = self._experiment(experiment_id)
            if experiment.lifecycle_stage is LifecycleStage.DELETED:
                raise InvalidInputError(
                    f"experiment {experiment_id} ({experiment.name!r}) is deleted; restore it "
                    "or create runs in another experiment"
                )
            if run_id is None:
                run_id = uuid.uuid4().hex
            elif run_id in self._runs:
                raise AlreadyExistsError(f"a run with id {run_id} already exists")
            info = RunInfo(
                run_id=run_id,
                experiment_id=experiment_id,
                run_name=run_name or "",
                user_id=user_id,
                status=RunStatus.RUNNING,
                start_time=start_time,
                end_time=None,
                artifact_uri=f"{experiment.artifact_location}/{run_id}/artifacts",
                parent_run_id=parent_run_id,
            )
            record = _RunRecord(info, tags=checked_tags)
            self._runs[run_id] = record
            return record.snapshot()

    def get_run(self, run_id: str) -> Run:
        with self._lock:
            return self._run(run_id).snapshot()

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        new_status = None if status is None else _coerce_status(status)
        with self._lock:
            record = self._run(run_id)
            if record.info.lifecycle_stage is LifecycleStage.DELETED:
                raise RunStateError(run_id, f"run {run_id} is deleted; restore it first")
            changes: dict[str, object] = {}
            if new_status is not None:
                changes["status"] = new_status
            if end_time is not None:
                changes["end_time"] = end_time
            if run_name is not None:
                changes["run_name"] = run_name
            record.info = _replace(record.info, **changes)
            return record.info

    def delete_run(self, run_id: str) -> None:
        with self._lock:
            record = self._run(run_id)
            record.info = _replace(record.info, lifecycle_stage=LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        with self._lock:
            record = self._run(run_id)
            record.info = _replace(record.info, lifecycle_stage=LifecycleStage.ACTIVE)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        # validate everything before touching the run, so a bad item leaves no trace
        new_metrics = [
            Metric(
                check.check_key(m.key, "metric key"),
                check.metric_value(m.key, m.value),
                check.timestamp(m.key, m.timestamp),
                check.step(m.key, m.step),
            )
            for m in metrics
        ]
        new_params = [
            (check.check_key(p.key, "param key"), check.param_value(p.key, p.value)) for p in params
        ]
        new_tags = [
            (check.check_key(t.key, "tag key"), check.tag_value(t.key, t.value)) for t in tags
        ]
        with self._lock:
            record = self._writable_run(run_id)
            pending: dict[str, str] = {}
            for key, value in new_params:
                old = record.params.get(key, pending.get(key))
                if old is not None and old != value:
                    raise ParamChangedError(run_id, key, old, value)
                pending[key] = value
            # nothing below can fail
            record.params.update(pending)
            record.tags.update(new_tags)
            for metric in new_metrics:
                record.history.setdefault(metric.key, []).append(metric)
                latest = record.latest.get(metric.key)
                if latest is None or (metric.step, metric.timestamp) >= (
                    latest.step,
                    latest.timestamp,
                ):
                    record.latest[metric.key] = metric

    def delete_tag(self, run_id: str, key: str) -> None:
        with self._lock:
            record = self._writable_run(run_id)
            if key not in record.tags:
                raise NotFoundError(f"run {run_id} has no tag {key!r}")
            del record.tags[key]

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        with self._lock:
            points = list(self._run(run_id).history.get(key, ()))
        # stable: points logged with the same step and timestamp keep their logging order
        points.sort(key=lambda m: (m.step, m.timestamp))
        return points

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter: Node | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[OrderKey] = (),
        page_token: str | None = None,
    ) -> PagedList:
        view_type = ViewType.coerce(run_view_type)
        wanted = {str(e) for e in experiment_ids}
        with self._lock:
            found = [
                snapshot
                for record in self._runs.values()
                if record.info.experiment_id in wanted
                and _in_view(record.info.lifecycle_stage, view_type)
                and matches(filter, snapshot := record.snapshot())
            ]
        return paginate(sort_runs(found, order_by), max_results, page_token)

    # -- helpers (call with the lock held) ------------------------------------------------------
    def _experiment(self, experiment_id: str) -> _ExperimentRecord:
        record = self._experiments.get(str(experiment_id))
        if record is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return record

    def _run(self, run_id: str) -> _RunRecord:
        record = self._runs.get(run_id)
        if record is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return record

    def _writable_run(self, run_id: str) -> _RunRecord:
        record = self._run(run_id)
        info = record.info
        if info.lifecycle_stage is LifecycleStage.DELETED:
            raise RunStateError(run_id, f"run {run_id} is deleted; restore it before logging to it")
        if info.status.is_terminated:
            raise RunStateError(
                run_id,
                f"run {run_id} is {info.status.value}; a finished run takes no more data. "
                "Start a new run, or resume this one with start_run(run_id=...)",
            )
        return record

    def _check_name_free(self, name: str) -> None:
        for record in self._experiments.values():
            if record.name == name:
                stage = (
                    " (deleted; restore or rename it)"
                    if record.lifecycle_stage is LifecycleStage.DELETED
                    else ""
                )
                raise AlreadyExistsError(
                    f"an experiment named {name!r} already exists with id "
                    f"{record.experiment_id}{stage}; choose another name"
                )

    @staticmethod
    def _check_experiment_name(name: str) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(f"an experiment name must be a non-empty string, got {name!r}")
        return name

    def _set_experiment_stage(self, record: _ExperimentRecord, stage: LifecycleStage) -> None:
        record.lifecycle_stage = stage
        record.last_update_time = now_ms()
        # the experiment's runs follow it, both ways (restoring brings back all of them)
        for run in self._runs.values():
            if run.info.experiment_id == record.experiment_id:
                run.info = _replace(run.info, lifecycle_stage=stage)


def _replace(info: RunInfo, **changes: object) -> RunInfo:
    return replace(info, **changes)  # type: ignore[arg-type]


def _in_view(stage: LifecycleStage, view_type: ViewType) -> bool:
    if view_type is ViewType.ALL:
        return True
    return (stage is LifecycleStage.ACTIVE) == (view_type is ViewType.ACTIVE_ONLY)


def _coerce_status(status: RunStatus | str) -> RunStatus:
    try:
        return RunStatus(status.upper() if isinstance(status, str) else status)
    except ValueError:
        names = ", ".join(RunStatus.__members__)
        raise InvalidInputError(f"status must be one of {names}, got {status!r}") from None
