"""``RestStore``: the tracking Store of an ``autolog server``, over its REST API.

MLflow's REST API 2.0 paths where they serve, our additions where they serve better: metric
points go as one columnar batch (``/api/autolog/v1/runs/log-metric-columns``, millions of
points per request where MLflow's log-batch takes 1,000), runs are created with the id this
process gives them (so a re-sent create is harmless), and searches take OR and parentheses.

Writes go through the ``Link`` (send now, or spool while the server cannot be reached). Reads
ask the server; while it cannot be reached, the reads that logging itself needs are answered
from what this process knows: a run it created or read (with its spooled writes applied), an
experiment it has seen, and, by name, a provisional experiment ``offline:<name>`` that is
found or created on the server when the spool is uploaded.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

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
from autolog.core._search import Node, OrderKey
from autolog.core._store import Store
from autolog.errors import (
    InvalidInputError,
    NotFoundError,
    ParamChangedError,
    ServerUnreachableError,
)
from autolog.store.rest import _replay, _wire
from autolog.store.rest._http import Http
from autolog.store.rest._link import Link, link_for
from autolog.store.rest._registry import RestRegistry
from autolog.store.rest._replay import (
    COLUMNS,
    CREATE_RUN,
    DELETE_TAG,
    FINISH,
    LOG_BATCH,
    MLFLOW,
    PROVISIONAL,
    UPDATE_RUN,
)

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_VIEW = {ViewType.ACTIVE_ONLY: "ACTIVE_ONLY", ViewType.DELETED_ONLY: "DELETED_ONLY", ViewType.ALL: "ALL"}
#: points per columnar request (the server takes up to 5,000,000 and 64 MiB)
COLUMN_POINTS = 1_000_000
#: runs whose last known state is kept for answers while the server cannot be reached
_KNOWN_RUNS = 10_000
_RUN_NAME_TAG = "mlflow.runName"
_T = TypeVar("_T")


class RestStore(RestRegistry, Store):
    """Runs, experiments and models kept by an ``autolog server`` at ``http(s)://host:port``."""

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/")
        self._runs: OrderedDict[str, Run] = OrderedDict()
        self._experiments: dict[str, Experiment] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_uri(cls, uri: str) -> RestStore:
        """Open the store; checks that the server answers (``AUTOLOG_MODE`` says what then)."""
        store = cls(uri)
        link = store.link
        if not link.offline:
            try:
                link.http.check()
            except ServerUnreachableError as exc:
                link.unreachable_at_start(exc)
            else:
                link.adopt_orphans()
        return store

    @property
    def link(self) -> Link:
        return link_for(self.uri)

    @property
    def http(self) -> Http:
        return self.link.http

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        return self.http.call("GET", MLFLOW + path, params=params)

    def _post(self, path: str, doc: dict[str, Any], **options: Any) -> dict[str, Any]:
        return self.http.call("POST", MLFLOW + path, doc, **options)

    # -- experiments --------------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        doc: dict[str, Any] = {"name": name, "tags": _wire.key_values(dict(tags or {}))}
        if artifact_location:
            doc["artifact_location"] = _wire.to_server(self.uri, artifact_location)
        try:
            return str(self._post("/experiments/create", doc, again=None)["experiment_id"])
        except ServerUnreachableError:
            if self.link.mode == "online":
                raise
            return PROVISIONAL + name  # found or created by name when the spool is uploaded

    def get_experiment(self, experiment_id: str) -> Experiment:
        experiment_id = self._real_experiment(experiment_id)

        def ask() -> Experiment:
            doc = self._get("/experiments/get", experiment_id=experiment_id)["experiment"]
            found = _wire.experiment(self.uri, doc)
            self._experiments[found.experiment_id] = found
            return found

        return self._read(ask, lambda: self._experiments.get(experiment_id) or _provisional(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        def ask() -> Experiment | None:
            try:
                doc = self._get("/experiments/get-by-name", experiment_name=name)
            except NotFoundError:
                return None
            found = _wire.experiment(self.uri, doc["experiment"])
            self._experiments[found.experiment_id] = found
            return found

        def known() -> Experiment | None:
            seen = [e for e in self._experiments.values() if e.name == name]
            return seen[0] if seen else _provisional(PROVISIONAL + name)

        return self._read(ask, known)

    def _read(self, ask: Callable[[], _T], known: Callable[[], _T | None]) -> _T:
        """The server's answer; what this process knows instead when it may not ask (offline
        mode) or cannot (unreachable, except in online mode)."""
        if self.link.offline:
            found = known()
            if found is None:
                raise ServerUnreachableError(
                    self.uri, f"AUTOLOG_MODE=offline: the tracking server at {self.uri} is not asked, "
                    "and this machine does not know the answer; unset AUTOLOG_MODE to read from the server",
                )
            return found
        try:
            return ask()
        except ServerUnreachableError:
            found = known() if self.link.mode != "online" else None
            if found is None:
                raise
            return found

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter: Node | None = None,
        order_by: Sequence[OrderKey] = (),
        page_token: str | None = None,
    ) -> PagedList:
        doc: dict[str, Any] = {
            "view_type": _VIEW[ViewType.coerce(view_type)], "max_results": max_results,
            "filter": _wire.filter_text(filter), "order_by": _wire.order_text(order_by),
        }
        if page_token:
            doc["page_token"] = page_token
        answer = self._post("/experiments/search", doc)
        found = [_wire.experiment(self.uri, e) for e in answer.get("experiments") or ()]
        return PagedList(found, answer.get("next_page_token") or None)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._post("/experiments/update", {"experiment_id": self._real_experiment(experiment_id), "new_name": new_name})

    def delete_experiment(self, experiment_id: str) -> None:
        self._post("/experiments/delete", {"experiment_id": self._real_experiment(experiment_id)})

    def restore_experiment(self, experiment_id: str) -> None:
        self._post("/experiments/restore", {"experiment_id": self._real_experiment(experiment_id)})

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        check.check_key(key, "tag key")
        doc = {"experiment_id": self._real_experiment(experiment_id), "key": key, "value": check.tag_value(key, value)}
        self._post("/experiments/set-experiment-tag", doc)

    def _real_experiment(self, experiment_id: str) -> str:
        """The server's id for a provisional one, once the server can say; else as given."""
        if not experiment_id.startswith(PROVISIONAL) or self.link.offline or self.http.down:
            return experiment_id
        try:
            return _replay.real_experiment_id(self.http, experiment_id)
        except ServerUnreachableError:
            return experiment_id

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
        if run_id is not None and not (isinstance(run_id, str) and _RUN_ID.match(run_id)):
            raise InvalidInputError(
                f"run_id must be 32 lowercase hex characters, got {run_id!r}; leave it out to get a fresh one"
            )
        run_id = run_id or uuid.uuid4().hex  # ours, so that sending the create again is harmless
        clean = {check.check_key(t.key, "tag key"): check.tag_value(t.key, t.value) for t in tags}
        if parent_run_id:
            clean[_wire.PARENT_TAG] = parent_run_id
        experiment_id = self._real_experiment(str(experiment_id))
        doc: dict[str, Any] = {
            "run_id": run_id, "experiment_id": experiment_id, "user_id": user_id,
            "start_time": start_time, "tags": _wire.key_values(clean),
        }
        if run_name:
            doc["run_name"] = run_name
        answer = self.link.write(run_id, CREATE_RUN, doc, again={**doc, "dedupe": True})
        if answer is not None:
            run = _wire.run(self.uri, answer["run"])
        else:  # spooled: the run exists here until the spool is uploaded
            artifacts = self.link.spool.note_offline_run(run_id)
            name = run_name or clean.get(_RUN_NAME_TAG) or run_id[:8]
            info = RunInfo(
                run_id, experiment_id, name, user_id, RunStatus.RUNNING, start_time, None,
                artifacts, LifecycleStage.ACTIVE, parent_run_id,
            )
            run = Run(info, RunData({}, {}, {**clean, _RUN_NAME_TAG: name}))
        self._remember(run)
        return run

    def get_run(self, run_id: str) -> Run:
        if run_id in self.link._pending:  # the server has not seen all of it yet
            known = self._offline_run(run_id)
            if known is not None:
                return known

        def ask() -> Run:
            run = _wire.run(self.uri, self._get("/runs/get", run_id=run_id)["run"])
            self._remember(run)
            return run

        return self._read(ask, lambda: self._offline_run(run_id))

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        doc: dict[str, Any] = {"run_id": run_id}
        if status is not None:
            doc["status"] = RunStatus(status).value
        if end_time is not None:
            doc["end_time"] = end_time
        if run_name is not None:
            doc["run_name"] = run_name
        answer = self.link.write(run_id, UPDATE_RUN, doc)
        if answer is not None:
            return _wire.run_info(self.uri, answer["run_info"], self._parent_of(run_id))
        return self._offline_info(run_id, status, end_time, run_name)

    def _offline_info(
        self, run_id: str, status: RunStatus | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        """A spooled update's answer: the run as this process knows it, changed."""
        known = self._offline_run(run_id)
        base = known.info if known is not None else RunInfo(run_id, "", "", "", RunStatus.RUNNING, 0, None, "")
        return replace(
            base, status=status or base.status, end_time=end_time if end_time is not None else base.end_time,
            run_name=run_name if run_name is not None else base.run_name,
        )

    def delete_run(self, run_id: str) -> None:
        self._post("/runs/delete", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._post("/runs/restore", {"run_id": run_id})

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        doc, points = _batch(run_id, metrics, params, tags)
        self.link.write(run_id, LOG_BATCH, doc, points=points, again={**doc, "dedupe": True})

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        end_time: int,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> RunInfo:
        """The last batch and the end in one request (ours), one transaction on the server."""
        doc, points = _batch(run_id, metrics, params, tags)
        doc.update(status=RunStatus(status).value, end_time=end_time)
        answer = self.link.write(run_id, FINISH, doc, points=points, again={**doc, "dedupe": True})
        if answer is not None:
            return _wire.run_info(self.uri, answer["run_info"], self._parent_of(run_id))
        return self._offline_info(run_id, status, end_time, None)

    def log_metric_points(self, run_id: str, points: Sequence[tuple[str, float, int, int]]) -> None:
        if not points:
            self.log_batch(run_id)  # nothing to write, but the run must exist and take data
            return
        for start in range(0, len(points), COLUMN_POINTS):
            part = points[start : start + COLUMN_POINTS]
            doc = {"run_id": run_id, "metrics": _columns(part)}
            self.link.write(run_id, COLUMNS, doc, points=len(part), again={**doc, "dedupe": True})

    def delete_tag(self, run_id: str, key: str) -> None:
        self.link.write(run_id, DELETE_TAG, {"run_id": run_id, "key": key}, again=None)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        found: list[Metric] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": 50_000}
            if token:
                params["page_token"] = token
            answer = self._get("/metrics/get-history", **params)
            found.extend(_wire.metric(m) for m in answer.get("metrics") or ())
            token = answer.get("next_page_token")
            if not token:
                return found

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter: Node | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[OrderKey] = (),
        page_token: str | None = None,
    ) -> PagedList:
        if isinstance(experiment_ids, str):
            experiment_ids = [experiment_ids]
        ids = [e for e in map(self._real_experiment, map(str, experiment_ids)) if not e.startswith(PROVISIONAL)]
        doc: dict[str, Any] = {
            "experiment_ids": ids, "filter": _wire.filter_text(filter),
            "run_view_type": _VIEW[ViewType.coerce(run_view_type)], "max_results": max_results,
            "order_by": _wire.order_text(order_by),
        }
        if page_token:
            doc["page_token"] = page_token
        if not ids:
            from autolog.core._search import check_max_results, decode_page_token

            check_max_results(max_results)
            decode_page_token(page_token)
            return PagedList([], None)
        answer = self.http.call("POST", "/api/autolog/v1/runs/search", doc)
        runs = [_wire.run(self.uri, r) for r in answer.get("runs") or ()]
        return PagedList(runs, answer.get("next_page_token") or None)

    # -- what this process knows, for answers while the server cannot be reached -------------------
    def _remember(self, run: Run) -> None:
        with self._lock:
            self._runs[run.info.run_id] = run
            self._runs.move_to_end(run.info.run_id)
            while len(self._runs) > _KNOWN_RUNS:
                self._runs.popitem(last=False)

    def _parent_of(self, run_id: str) -> str | None:
        known = self._runs.get(run_id)
        return known.info.parent_run_id if known is not None else None

    def _offline_run(self, run_id: str) -> Run | None:
        """The run as this process last knew it, with its spooled writes applied."""
        run = self._runs.get(run_id)
        link = self.link
        ops = link.spool.ops_of(run_id) if link._spool is not None else []
        for op in ops:
            if op.path == CREATE_RUN and run is None:
                continue  # created by another process's spool: not known here
            if run is not None:
                run = _apply(run, op.path, op.doc)
        return run


def _provisional(experiment_id: str) -> Experiment | None:
    name = _replay.experiment_name(experiment_id)
    return None if name is None else Experiment(experiment_id, name, "")


def _batch(
    run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> tuple[dict[str, Any], int]:
    """A log-batch request body, checked with the rules every store applies (a bad item
    refuses the whole call), and its number of metric points."""
    clean_metrics = []
    for series in _columns([(m.key, m.value, m.timestamp, m.step) for m in metrics]):
        key = series["key"]
        clean_metrics += [
            {"key": key, "value": v, "timestamp": ts, "step": s}
            for v, s, ts in zip(series["values"], series["steps"], series["timestamps"])
        ]
    clean_params: dict[str, str] = {}
    for p in params:
        key, value = check.check_key(p.key, "param key"), check.param_value(p.key, p.value)
        if clean_params.get(key, value) != value:
            raise ParamChangedError(run_id, key, clean_params[key], value)
        clean_params[key] = value
    clean_tags = {check.check_key(t.key, "tag key"): check.tag_value(t.key, t.value) for t in tags}
    doc = {
        "run_id": run_id, "metrics": clean_metrics,
        "params": _wire.key_values(clean_params), "tags": _wire.key_values(clean_tags),
    }
    return doc, len(clean_metrics)


def _columns(points: Sequence[tuple[str, Any, Any, Any]]) -> list[dict[str, Any]]:
    """Points as our columnar batch, one entry per key with parallel values, steps and
    timestamps; each point checked with the rules every store applies on the way (the
    background writer's hot path: one pass, type checks first)."""
    series: dict[str, tuple[list[Any], list[int], list[int]]] = {}
    for key, value, timestamp, step in points:
        columns = series.get(key)
        if columns is None:
            columns = series[check.check_key(key, "metric key")] = ([], [], [])
        if value.__class__ is not float:
            value = check.metric_value(key, value)
        if timestamp.__class__ is not int:
            timestamp = check.timestamp(key, timestamp)
        if step.__class__ is not int:
            step = check.step(key, step)
        columns[0].append(value)
        columns[1].append(step)
        columns[2].append(timestamp)
    found = []
    for key, (values, steps, stamps) in series.items():
        if not all(v - v == 0 for v in values):  # NaN or an infinity: strict JSON has neither
            values = [_wire.out(v) for v in values]
        found.append({"key": key, "values": values, "steps": steps, "timestamps": stamps})
    return found


def _apply(run: Run, path: str, doc: dict[str, Any]) -> Run:
    """``run`` after one spooled write."""
    data, info = run.data, run.info
    if path in (UPDATE_RUN, FINISH):
        status = RunStatus(doc["status"]) if doc.get("status") else info.status
        info = replace(info, status=status, end_time=doc.get("end_time", info.end_time),
                       run_name=doc.get("run_name") or info.run_name)
        if path == UPDATE_RUN:
            return Run(info, data)
    metrics = dict(data.metrics)
    latest: dict[str, tuple[int, int]] = {}
    if path in (LOG_BATCH, FINISH):
        points = [(m["key"], _wire.number(m["value"]), m["timestamp"], m["step"]) for m in doc.get("metrics", ())]
        params = {**_wire.pairs(doc.get("params")), **data.params}
        tags = {**data.tags, **_wire.pairs(doc.get("tags"))}
    elif path == COLUMNS:
        points = [
            (s["key"], _wire.number(v), ts, st)
            for s in doc["metrics"] for v, st, ts in zip(s["values"], s["steps"], s["timestamps"])
        ]
        params, tags = data.params, data.tags
    elif path == DELETE_TAG:
        return Run(info, RunData(data.metrics, data.params, {k: v for k, v in data.tags.items() if k != doc["key"]}))
    else:
        return run
    for key, value, timestamp, step in points:
        if key not in latest or (step, timestamp) >= latest[key]:
            latest[key] = (step, timestamp)
            metrics[key] = value
    return Run(info, RunData(metrics, params, tags))
