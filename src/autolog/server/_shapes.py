"""Our entities in MLflow's JSON shapes (the protobuf messages of MLflow's REST API).

Field names are the proto field names; int64 fields go out as JSON numbers (protobuf's JSON
parser takes both); non-finite doubles as "NaN"/"Infinity"/"-Infinity", as protobuf JSON
writes them, so that every answer is strict JSON.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog.core._model_entities import ModelVersion, RegisteredModel
    from autolog.server._api import Api
    from autolog.core._entities import Experiment, Metric, Run, RunInfo


def page(name: str, items: list[Any], token: str | None) -> dict[str, Any]:
    """One page of a search answer: ``{name: items}`` and ``next_page_token`` when more follow."""
    doc: dict[str, Any] = {name: items}
    if token:
        doc["next_page_token"] = token
    return doc


def number(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"


def key_values(items: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in items.items()]


def experiment(api: Api, e: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": api.public_location(e.artifact_location),
        "lifecycle_stage": e.lifecycle_stage.value,
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
        "tags": key_values(e.tags),
    }


def run_info(api: Api, info: RunInfo) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status.value,
        "start_time": info.start_time,
        "artifact_uri": api.public_location(info.artifact_uri),
        "lifecycle_stage": info.lifecycle_stage.value,
    }
    if info.end_time is not None:
        doc["end_time"] = info.end_time
    return doc


def run(api: Api, r: Run, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    # RunData carries each metric's latest value; its step and time live in the history
    data = {
        "metrics": [{"key": k, "value": number(v)} for k, v in r.data.metrics.items()],
        "params": key_values(r.data.params),
        "tags": key_values(r.data.tags),
    }
    doc: dict[str, Any] = {"info": run_info(api, r.info), "data": data, "inputs": {}}
    if outputs:
        doc["outputs"] = {"model_outputs": outputs}
    return doc


def metric(m: Metric) -> dict[str, Any]:
    return {"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step}


def model_version(api: Api, v: ModelVersion) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "user_id": v.user_id,
        "current_stage": "None",
        "description": v.description,
        "source": api.public_location(v.source) if not v.source.startswith("models:/") else v.source,
        "status": v.status,
        "tags": key_values(v.tags),
        "aliases": list(v.aliases),
    }
    if v.run_id:
        doc["run_id"] = v.run_id
    return doc


def registered_model(api: Api, m: RegisteredModel, latest: ModelVersion | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": m.name,
        "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp,
        "description": m.description,
        "tags": key_values(m.tags),
        "aliases": [{"alias": a, "version": str(v)} for a, v in sorted(m.aliases.items())],
    }
    if latest is not None:
        doc["latest_versions"] = [model_version(api, latest)]
    return doc
