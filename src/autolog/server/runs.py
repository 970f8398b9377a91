"""``/api/2.0/mlflow/runs/*``: runs and their params, metrics and tags -> Store calls."""

from __future__ import annotations

import time
from typing import Any

from autolog.errors import AlreadyExistsError, InvalidInputError, RunStateError
from autolog.server import _shapes as shape
from autolog.server._api import Api
from autolog.server._http import Args
from autolog.server.experiments import page_size, view_type
from autolog.core._entities import Metric, Param, RunStatus, RunTag

#: MLflow's tags that carry run attributes
RUN_NAME_TAG = "mlflow.runName"
PARENT_TAG = "mlflow.parentRunId"


def run_id(args: Args) -> str:
    """``run_id``, or the older ``run_uuid`` that MLflow's clients still send."""
    found = args.opt_text("run_id") or args.opt_text("run_uuid")
    if found is None:
        raise InvalidInputError("Missing value for required parameter 'run_id'.")
    return found


def number(value: Any, what: str) -> float:
    """A metric value: a JSON number, or protobuf JSON's "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, bool):
        raise InvalidInputError(f"{what} must be a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity", "nan", "inf", "-inf"):
        return float(value.replace("Infinity", "inf"))
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise InvalidInputError(f"{what} must be a number, got {value!r}")


def metrics_of(args: Args) -> list[Metric]:
    found = []
    for item in args.items("metrics"):
        if not isinstance(item, dict):
            raise InvalidInputError("each entry of 'metrics' must be an object with key, value, timestamp, step")
        item_args = Args(item)
        key = item_args.text("key")
        found.append(
            Metric(
                key, number(item.get("value"), f"the value of metric {key!r}"),
                item_args.integer("timestamp", _now()) or 0, item_args.integer("step", 0) or 0,
            )
        )
    return found


def _now() -> int:
    return time.time_ns() // 1_000_000


def create(api: Api, args: Args) -> dict[str, Any]:
    tags = dict(args.key_values("tags"))
    name = args.opt_text("run_name") or tags.get(RUN_NAME_TAG)
    if not name:
        from autolog.tracking._context import run_name

        name = run_name()
    tags[RUN_NAME_TAG] = name
    experiment_id = args.text("experiment_id") if args.get("experiment_id") is not None else "0"
    given = args.opt_text("run_id")  # ours: a run made under the client's id
    try:
        run = api.store.create_run(
            experiment_id,
            args.opt_text("user_id") or "",
            args.integer("start_time", _now()) or _now(),
            tags=[RunTag(k, v) for k, v in tags.items()],
            run_name=name,
            parent_run_id=tags.get(PARENT_TAG),
            run_id=given,
        )
    except AlreadyExistsError:
        if given is None or args.get("dedupe") is not True:
            raise
        # ours: a create re-sent after a lost answer is answered with the run it made
        run = api.store.get_run(given)
        if run.info.experiment_id != experiment_id:
            raise
    return {"run": shape.run(api, run)}


def get(api: Api, args: Args) -> dict[str, Any]:
    return {"run": shape.run(api, api.store.get_run(run_id(args)))}


def _status(args: Args) -> str | None:
    status = args.opt_text("status")
    if status is not None and status not in RunStatus.__members__:
        raise InvalidInputError(f"status must be one of {', '.join(RunStatus.__members__)}, got {status!r}")
    return status


def finish(api: Api, args: Args) -> dict[str, Any]:
    """Ours: a run's last metrics, params and tags and its end in one request and one
    transaction (``Store.finish_run``); ``{"run_id", "status", "end_time", "metrics",
    "params", "tags"}`` as in log-batch and update. ``"dedupe": true`` as in log-batch: a
    finish re-sent after it landed changes nothing."""
    rid = run_id(args)
    status = RunStatus(_status(args) or "FINISHED")
    end_time = args.integer("end_time", _now()) or _now()
    params = [Param(k, v) for k, v in args.key_values("params")]
    tags = [RunTag(k, v) for k, v in args.key_values("tags")]
    metrics = metrics_of(args)
    if args.get("dedupe") is True:
        metrics = new_points(api, rid, metrics)
        try:
            info = api.store.finish_run(rid, status, end_time, metrics, params, tags)
        except RunStateError:  # ended already: by this very request, if nothing is new
            resend(api, rid, metrics, params, tags)
            info = api.store.update_run_info(rid, status=status, end_time=end_time)
    else:
        info = api.store.finish_run(rid, status, end_time, metrics, params, tags)
    return {"run_info": shape.run_info(api, info)}


def update(api: Api, args: Args) -> dict[str, Any]:
    status = _status(args)
    rid = run_id(args)
    name = args.opt_text("run_name")
    if name is not None:  # MLflow's copy of the name, written while the run still takes data
        try:
            api.store.log_batch(rid, tags=[RunTag(RUN_NAME_TAG, name)])
        except RunStateError:
            pass  # an ended run is renamed all the same: run_name is the name
    info = api.store.update_run_info(
        rid, status=RunStatus(status) if status else None, end_time=args.integer("end_time"), run_name=name,
    )
    return {"run_info": shape.run_info(api, info)}


def delete(api: Api, args: Args) -> dict[str, Any]:
    api.store.delete_run(run_id(args))
    return {}


def restore(api: Api, args: Args) -> dict[str, Any]:
    api.store.restore_run(run_id(args))
    return {}


def log_metric(api: Api, args: Args) -> dict[str, Any]:
    key = args.text("key")
    value = number(args.data.get("value"), f"the value of metric {key!r}")
    metric = Metric(key, value, args.integer("timestamp", _now()) or 0, args.integer("step", 0) or 0)
    api.store.log_batch(run_id(args), metrics=[metric])
    return {}


def log_param(api: Api, args: Args) -> dict[str, Any]:
    api.store.log_batch(run_id(args), params=[Param(args.text("key"), args.get("value", ""))])
    return {}


def set_tag(api: Api, args: Args) -> dict[str, Any]:
    rid, key, value = run_id(args), args.text("key"), args.get("value", "")
    api.store.log_batch(rid, tags=[RunTag(key, value)])
    if key == RUN_NAME_TAG and isinstance(value, str) and value:
        api.store.update_run_info(rid, run_name=value)
    return {}


def delete_tag(api: Api, args: Args) -> dict[str, Any]:
    api.store.delete_tag(run_id(args), args.text("key"))
    return {}


def log_batch(api: Api, args: Args) -> dict[str, Any]:
    rid = run_id(args)
    params = [Param(k, v) for k, v in args.key_values("params")]
    tags = [RunTag(k, v) for k, v in args.key_values("tags")]
    metrics = metrics_of(args)
    if args.get("dedupe") is True:  # ours: a batch re-sent after a lost answer
        resend(api, rid, new_points(api, rid, metrics), params, tags)
        return {}
    linked = {i for i, item in enumerate(args.items("metrics")) if isinstance(item, dict) and item.get("model_id")}
    if linked:
        metrics = _without_relogged(api, rid, metrics, linked)
    api.store.log_batch(rid, metrics=metrics, params=params, tags=tags)
    return {}


def new_points(api: Api, rid: str, metrics: list[Metric]) -> list[Metric]:
    """The points of a re-sent batch that the run does not hold yet (docs/remote.md, "Replay").

    A client that lost the answer to a write sends it again with ``"dedupe": true``; a point
    equal in key, value, step and timestamp to a stored one is that point (MLflow's own SQL
    store keeps one copy of such a point too). Only the history is read: reading the run would
    let a server on the client's machine judge a run whose process has ended as KILLED.
    """
    if not metrics:
        return metrics
    known = {_point(m) for key in {m.key for m in metrics} for m in api.store.get_metric_history(rid, key)}
    return [m for m in metrics if _point(m) not in known]


def resend(api: Api, rid: str, metrics: list[Metric], params: list[Param], tags: list[RunTag]) -> None:
    """Write what is new of a re-sent batch. Params and tags are written again as they are
    (a param's same value is accepted, a tag is overwritten with its value); a batch that had
    landed whole, re-sent after its run ended, writes nothing and is no error."""
    if not (metrics or params or tags):
        return
    try:
        api.store.log_batch(rid, metrics=metrics, params=params, tags=tags)
    except RunStateError:
        if metrics:
            raise
        data = api.store.get_run(rid).data
        if any(data.params.get(p.key) != p.value for p in params) or any(data.tags.get(t.key) != t.value for t in tags):
            raise


def _point(m: Metric) -> tuple[str, Any, int, int]:
    # NaN equals nothing, not even itself: compare it by name
    return m.key, "nan" if m.value != m.value else m.value, m.step, m.timestamp


def _without_relogged(api: Api, rid: str, metrics: list[Metric], linked: set[int]) -> list[Metric]:
    """Drop points that only link the run's metrics to a logged model.

    MLflow 3's ``log_model`` sends the run's metrics again with the new model's id; its own
    store ignores a point it already has (same key, value, step and time). The run keeps one
    copy here too; the model's link to its run is ``source_run_id``.
    """
    keys = {metrics[i].key for i in linked}
    known = {(m.key, m.value, m.step, m.timestamp) for key in keys for m in api.store.get_metric_history(rid, key)}
    return [m for i, m in enumerate(metrics) if i not in linked or (m.key, m.value, m.step, m.timestamp) not in known]


def log_inputs(api: Api, args: Args) -> dict[str, Any]:
    """Dataset inputs are not kept by autolog's stores; model inputs are links it derives."""
    api.store.get_run(run_id(args))
    if args.items("datasets"):
        raise InvalidInputError(
            "this server does not store dataset inputs (mlflow.log_input); log the dataset's "
            "name and digest as params or tags instead"
        )
    return {}


def log_outputs(api: Api, args: Args) -> dict[str, Any]:
    """A run's model outputs: the models already name their run (source_run_id)."""
    api.store.get_run(run_id(args))
    return {}


def search(api: Api, args: Args) -> dict[str, Any]:
    from autolog.core._search import parse_filter, parse_order_by

    experiment_ids = args.texts("experiment_ids")
    page = api.store.search_runs(
        experiment_ids,
        filter=parse_filter(args.opt_text("filter"), "runs"),
        run_view_type=view_type(args, "run_view_type"),
        max_results=page_size(args, 1000),
        order_by=parse_order_by(args.texts("order_by"), "runs"),
        page_token=args.opt_text("page_token"),
    )
    return shape.page("runs", [shape.run(api, r) for r in page], page.token)
