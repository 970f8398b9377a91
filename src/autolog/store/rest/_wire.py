"""Our entities from and to the server's JSON (MLflow's REST shapes), and filters back to text.

Artifact locations: the server shows locations under its artifacts destination as
``mlflow-artifacts:/<path>`` (MLflow's scheme for its artifact proxy). Here they become the
full proxy URL ``<server>/api/2.0/mlflow-artifacts/artifacts/<path>``, which names the server
and so can be opened anywhere (``ProxyArtifactStore``); locations going to the server are
turned back (``to_server``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from autolog.core._entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunStatus,
)
from autolog.core._model_entities import ModelEvent, ModelVersion, RegisteredModel
from autolog.core._search import And, Comparison, Node, Or, OrderKey

PROXY_SCHEME = "mlflow-artifacts:"
PROXY_PATH = "/api/2.0/mlflow-artifacts/artifacts"
#: MLflow's tag for a run's parent (the server records the parent from it)
PARENT_TAG = "mlflow.parentRunId"


# -- artifact locations ---------------------------------------------------------------------
def from_server(base_url: str, location: str | None) -> str:
    """A location as the server shows it -> one this process can open."""
    if not location or not location.startswith(PROXY_SCHEME):
        return location or ""
    rest = location[len(PROXY_SCHEME):]
    if rest.startswith("//"):  # mlflow-artifacts://host:port/path names the server itself
        rest = "/" + rest[2:].partition("/")[2]
    rest = rest.strip("/")
    return f"{base_url}{PROXY_PATH}" + (f"/{rest}" if rest else "")


def to_server(base_url: str, location: str | None) -> str | None:
    """A proxy URL of this server -> ``mlflow-artifacts:/<path>``; other locations as given."""
    if not location:
        return location
    root = f"{base_url}{PROXY_PATH}"
    if location == root or location.startswith(root + "/"):
        return f"{PROXY_SCHEME}/{location[len(root):].strip('/')}"
    return location


# -- numbers --------------------------------------------------------------------------------
def number(value: Any) -> float:
    """A metric value from JSON: a number, or protobuf JSON's "NaN" / "Infinity" / "-Infinity"."""
    if isinstance(value, str):
        return float(value.replace("Infinity", "inf"))
    return float(value)


def out(value: float) -> float | str:
    """A metric value for JSON (strict JSON has no NaN or infinity)."""
    if math.isfinite(value):
        return value
    return "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"


# -- tracking entities ------------------------------------------------------------------------
def pairs(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {item["key"]: item.get("value", "") for item in items or ()}


def key_values(items: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in items.items()]


def experiment(base_url: str, doc: dict[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=str(doc["experiment_id"]),
        name=doc["name"],
        artifact_location=from_server(base_url, doc.get("artifact_location")),
        lifecycle_stage=LifecycleStage(doc.get("lifecycle_stage", "active")),
        tags=pairs(doc.get("tags")),
        creation_time=_int(doc.get("creation_time")),
        last_update_time=_int(doc.get("last_update_time")),
    )


def run_info(base_url: str, doc: dict[str, Any], parent_run_id: str | None = None) -> RunInfo:
    return RunInfo(
        run_id=doc.get("run_id") or doc["run_uuid"],
        experiment_id=str(doc["experiment_id"]),
        run_name=doc.get("run_name", ""),
        user_id=doc.get("user_id", ""),
        status=RunStatus(doc.get("status", "RUNNING")),
        start_time=int(doc.get("start_time") or 0),
        end_time=_int(doc.get("end_time")),
        artifact_uri=from_server(base_url, doc.get("artifact_uri")),
        lifecycle_stage=LifecycleStage(doc.get("lifecycle_stage", "active")),
        parent_run_id=parent_run_id,
    )


def run(base_url: str, doc: dict[str, Any]) -> Run:
    data = doc.get("data") or {}
    tags = pairs(data.get("tags"))
    metrics = {m["key"]: number(m["value"]) for m in data.get("metrics") or ()}
    info = run_info(base_url, doc["info"], tags.get(PARENT_TAG))
    return Run(info, RunData(metrics, pairs(data.get("params")), tags))


def metric(doc: dict[str, Any]) -> Metric:
    return Metric(doc["key"], number(doc["value"]), int(doc.get("timestamp") or 0), int(doc.get("step") or 0))


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


# -- registry entities ------------------------------------------------------------------------
def model_version(base_url: str, doc: dict[str, Any]) -> ModelVersion:
    return ModelVersion(
        name=doc["name"],
        version=int(doc["version"]),
        creation_timestamp=int(doc.get("creation_timestamp") or 0),
        last_updated_timestamp=int(doc.get("last_updated_timestamp") or 0),
        source=from_server(base_url, doc.get("source")),
        run_id=doc.get("run_id") or None,
        description=doc.get("description") or "",
        user_id=doc.get("user_id") or "",
        status=doc.get("status") or "READY",
        tags=pairs(doc.get("tags")),
        aliases=tuple(doc.get("aliases") or ()),
    )


def registered_model(doc: dict[str, Any]) -> RegisteredModel:
    latest = [int(v["version"]) for v in doc.get("latest_versions") or ()]
    return RegisteredModel(
        name=doc["name"],
        creation_timestamp=int(doc.get("creation_timestamp") or 0),
        last_updated_timestamp=int(doc.get("last_updated_timestamp") or 0),
        description=doc.get("description") or "",
        tags=pairs(doc.get("tags")),
        aliases={a["alias"]: int(a["version"]) for a in doc.get("aliases") or ()},
        latest_version=max(latest) if latest else None,
    )


def model_event(doc: dict[str, Any]) -> ModelEvent:
    return ModelEvent(
        name=doc["name"], kind=doc["kind"], timestamp=int(doc["timestamp"]), user_id=doc.get("user_id") or "",
        version=_int(doc.get("version")), alias=doc.get("alias"),
        previous_version=_int(doc.get("previous_version")), detail=doc.get("detail") or "",
    )


# -- filters back to text -----------------------------------------------------------------------
_PREFIX = {"metric": "metrics", "param": "params", "tag": "tags", "attribute": "attributes"}


def filter_text(node: Node | None) -> str:
    """The filter language text that parses back to ``node`` (``core._search``)."""
    if node is None:
        return ""
    if isinstance(node, Comparison):
        value = node.value
        shown = "(" + ", ".join(map(_value, value)) + ")" if isinstance(value, tuple) else _value(value)
        return f"{_name(node.entity, node.key)} {node.op} {shown}"
    joiner = " AND " if isinstance(node, And) else " OR "
    assert isinstance(node, (And, Or))
    return joiner.join(f"({filter_text(item)})" for item in node.items)


def order_text(keys: Iterable[OrderKey]) -> list[str]:
    return [f"{_name(k.entity, k.key)} {'ASC' if k.ascending else 'DESC'}" for k in keys]


def _name(entity: str, key: str) -> str:
    if entity == "attribute":
        return f"attributes.{key}"
    return f"{_PREFIX[entity]}.`{key}`" if "`" not in key else f'{_PREFIX[entity]}."{_escape(key, chr(34))}"'


def _value(value: str | float) -> str:
    if isinstance(value, str):
        return "'" + _escape(value, "'") + "'"
    return repr(float(value))


def _escape(text: str, quote: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n").replace("\t", "\\t")
    )
