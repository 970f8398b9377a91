"""``/api/autolog/ui/*``: the web UI's data, where MLflow's REST API has no answer.

Documented additions beside MLflow's API (docs/server.md, "Our additions"; docs/ui.md):

- ``GET experiments?q=``: active experiments with their run count and last activity (the
  latest run start or end), names filtered by ``q`` (case-insensitive substring).
- ``POST runs``: one page of a runs table: MLflow's search (filter with OR and parentheses,
  order_by, ``offset`` and ``max_results``) answered with the fixed columns (name, status,
  times, user, source, parent) plus only the params, metrics and tags named in ``columns``.
- ``GET run-keys?experiment_ids=``: every param, metric and tag key of those experiments'
  runs, for the column picker.
- ``GET metric-series?run_id=&key=&x=step|timestamp&buckets=&lo=&hi=``: a metric history cut
  into at most ``buckets`` buckets (lowest and highest value, first and last x, point count
  per bucket): a chart of 1,000,000 points costs as much as one of ``buckets`` points.
- ``GET model?run_id=&path=``: a logged model directory described (autolog's model.yaml or
  MLflow's MLmodel): flavors, signature, requirements, input example, metadata.

Each view is a thin translation onto ``Store`` calls, like every API family module.
"""

from __future__ import annotations

import json
from typing import Any

from autolog.core import _tags
from autolog.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from autolog.server import _shapes as shape
from autolog.server._api import Api
from autolog.server._http import Args
from autolog.server.experiments import page_size, view_type

#: tags that name the code a run came from (autolog's, then MLflow's)
SOURCE_TAGS = (_tags.SOURCE_NAME, "mlflow.source.name")
#: a model description bigger than this is not a model description
_MAX_MODEL_FILE = 1 << 20
#: rows of an input example shown
_EXAMPLE_ROWS = 20


def experiments(api: Api, args: Args) -> dict[str, Any]:
    from autolog.core._entities import ViewType

    wanted = (args.opt_text("q") or "").casefold()
    found = []
    token = None
    while True:
        page = api.store.search_experiments(view_type=ViewType.ACTIVE_ONLY, max_results=50_000, page_token=token)
        found += [e for e in page if wanted in e.name.casefold()]
        token = page.token
        if not token:
            break
    activity = api.store.experiment_activity([e.experiment_id for e in found])
    docs = []
    for e in found:
        doc = shape.experiment(api, e)
        seen = activity[e.experiment_id]
        doc["runs"] = seen.runs
        doc["last_activity"] = max(seen.last_time or 0, e.last_update_time)
        docs.append(doc)
    docs.sort(key=lambda d: -d["last_activity"])
    return {"experiments": docs}


def _columns(args: Args) -> dict[str, set[str]]:
    columns = args.get("columns", {})
    if not isinstance(columns, dict):
        raise InvalidInputError("columns must be an object such as {\"params\": [...], \"metrics\": [...], \"tags\": [...]}")
    return {kind: set(Args(columns).texts(kind)) for kind in ("params", "metrics", "tags")}


def table_row(api: Api, run: Any, columns: dict[str, set[str]]) -> dict[str, Any]:
    info, data = run.info, run.data
    tags = data.tags
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status.value,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "user_id": info.user_id,
        "lifecycle_stage": info.lifecycle_stage.value,
        "parent_run_id": info.parent_run_id or tags.get(_tags.PARENT_RUN_ID) or tags.get("mlflow.parentRunId"),
        "source": next((tags[k] for k in SOURCE_TAGS if tags.get(k)), ""),
        "params": {k: v for k, v in data.params.items() if k in columns["params"]},
        "metrics": {k: shape.number(v) for k, v in data.metrics.items() if k in columns["metrics"]},
        "tags": {k: v for k, v in tags.items() if k in columns["tags"]},
    }


def runs(api: Api, args: Args) -> dict[str, Any]:
    from autolog.core._search import encode_page_token, parse_filter, parse_order_by

    size = page_size(args, 100)
    offset = args.integer("offset", 0) or 0
    if offset < 0:
        raise InvalidInputError(f"offset must be 0 or more, got {offset}")
    page = api.store.search_runs(
        args.texts("experiment_ids"),
        filter=parse_filter(args.opt_text("filter"), "runs"),
        run_view_type=view_type(args, "run_view_type"),
        max_results=size,
        order_by=parse_order_by(args.texts("order_by"), "runs"),
        page_token=encode_page_token(offset) if offset else None,
    )
    columns = _columns(args)
    return {
        "runs": [table_row(api, run, columns) for run in page],
        "offset": offset,
        "next_offset": offset + size if page.token else None,
    }


def run_keys(api: Api, args: Args) -> dict[str, Any]:
    keys = api.store.run_data_keys(args.texts("experiment_ids"))
    return {"params": keys.params, "metrics": keys.metrics, "tags": keys.tags}


class _Finished:
    """Bucketed series of finished runs, which take no more data (the Store's rule), so an
    answer stays right while the run stays finished: looking at a chart again, or at another x
    axis and back, costs nothing. Least recently used first out; a few tens of KB per entry."""

    def __init__(self, size: int = 256) -> None:
        from collections import OrderedDict

        self.size = size
        self.items: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        import threading

        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], doc: dict[str, Any]) -> None:
        with self.lock:
            self.items[key] = doc
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_finished = _Finished()


def metric_series(api: Api, args: Args) -> dict[str, Any]:
    x = args.opt_text("x") or "step"
    if x not in ("step", "timestamp"):
        raise InvalidInputError(f"x must be 'step' or 'timestamp', got {x!r}")
    buckets = args.integer("buckets", 1000)
    assert buckets is not None
    run_id, key, lo, hi = args.text("run_id"), args.text("key"), args.integer("lo"), args.integer("hi")
    info = api.store.get_run(run_id).info
    finished = info.status.is_terminated
    # a run set back to RUNNING and ended again has another end time: another entry
    memo = (id(api), run_id, key, x, buckets, lo, hi, info.status, info.end_time)
    cached = _finished.get(memo) if finished else None
    if cached is not None:
        return cached
    found = api.store.metric_buckets(run_id, key, buckets, "step" if x == "step" else "timestamp", lo, hi)
    doc = {
        "run_id": run_id,
        "key": key,
        "x": found.x,
        "points": found.points,
        "x_first": found.x_first,
        # equal to x_first wherever a bucket holds one point: sent only where they differ
        "x_last": found.x_last if found.x_last != found.x_first else None,
        "low": [shape.number(v) for v in found.low],
        "high": [shape.number(v) for v in found.high] if found.high != found.low else None,
    }
    if finished:
        _finished.put(memo, doc)
    return doc


def model(api: Api, args: Args) -> dict[str, Any]:
    """A model directory of a run, described from its model.yaml (or MLflow's MLmodel)."""
    from autolog.server.artifacts import proxy_path

    run = api.store.get_run(args.text("run_id"))
    base = api.relative(run.info.artifact_uri)
    if base is None:
        raise PermissionDeniedError(
            f"run {run.info.run_id} keeps its artifacts at {run.info.artifact_uri}, outside this "
            "server's artifacts destination; the server does not read there"
        )
    where = "/".join(p for p in (base, proxy_path(args.opt_text("path") or "")) if p)
    names = {info.path.rsplit("/", 1)[-1] for info in api.artifacts.list_artifacts(where or None)}
    for name, kind in (("model.yaml", "autolog"), ("MLmodel", "mlflow")):
        if name in names:
            doc = _yaml(_read(api, f"{where}/{name}"), name)
            break
    else:
        raise NotFoundError(f"{args.opt_text('path') or 'the run root'} holds no model.yaml or MLmodel")
    signature = doc.get("signature") or None
    if kind == "mlflow" and isinstance(signature, dict):  # MLflow keeps inputs/outputs as JSON text
        signature = {k: json.loads(v) if isinstance(v, str) else v for k, v in signature.items()}
    requirements = doc.get("requirements")
    if not requirements and "requirements.txt" in names:
        text = _read(api, f"{where}/requirements.txt").decode("utf-8", "replace")
        requirements = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    example = None
    if "input_example.json" in names:
        example = _example(json.loads(_read(api, f"{where}/input_example.json")))
    return {
        "format": kind,
        "flavors": doc.get("flavors") or {},
        "signature": signature,
        "requirements": requirements or [],
        "input_example": example,
        "metadata": doc.get("metadata"),
        "created": doc.get("created") or doc.get("utc_time_created"),
    }


def _read(api: Api, path: str) -> bytes:
    with api.artifacts.open(path, "rb") as handle:
        data: bytes = handle.read(_MAX_MODEL_FILE + 1)
    if len(data) > _MAX_MODEL_FILE:
        raise InvalidInputError(f"{path} is larger than {_MAX_MODEL_FILE} bytes; download it instead")
    return data


def _yaml(data: bytes, name: str) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{name} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidInputError(f"{name} does not describe a model (it is not a mapping)")
    # through JSON and back: dates and other YAML types become text the browser can show
    result: dict[str, Any] = json.loads(json.dumps(doc, default=str))
    return result


def _example(doc: Any) -> Any:
    """The first rows of an input example (the columns and the data of a table)."""
    if isinstance(doc, dict):
        data = doc.get("data")
        if isinstance(data, list):
            return {**doc, "data": data[:_EXAMPLE_ROWS], "rows": len(data)}
        if isinstance(doc.get("dataframe_split"), dict):  # MLflow's serving shape
            return _example({"type": "dataframe", **doc["dataframe_split"]})
    return {"type": "json", "data": doc}
