"""Reading a running MLflow tracking server through its REST API 2.0, without MLflow.

Endpoints used (MLflow's ``service.proto`` and ``model_registry.proto``):
``POST experiments/search``, ``POST runs/search``, ``GET metrics/get-history``,
``GET artifacts/list`` with the server's ``/get-artifact`` download, ``POST
logged-models/search`` with ``logged-models/<id>/artifacts/directories`` and the
``/ajax-api/.../artifacts/files`` download, ``GET registered-models/search`` and ``GET
model-versions/search``. Downloads are streamed. ``MLFLOW_TRACKING_TOKEN`` (bearer) or
``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` (basic) authenticate, as with
MLflow's own client. Only the standard library is used.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import IO, Any

from autolog.errors import StoreError
from autolog.migrate._records import (
    Known,
    Problem,
    Source,
    SourceExperiment,
    SourceLoggedModel,
    SourceRegisteredModel,
    SourceRun,
    SourceVersion,
    Tree,
)

_TIMEOUT = 60
_PAGE = 1000
#: get-history returns this many points per page at most
_HISTORY_PAGE = 25_000


def _pairs(items: Any, key: str = "key", value: str = "value") -> dict[str, str]:
    return {item[key]: str(item.get(value, "")) for item in items or ()}


class RestSource(Source):
    def __init__(self, url: str) -> None:
        self.uri = url.rstrip("/")
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.headers = {"Content-Type": "application/json"}
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        user = os.environ.get("MLFLOW_TRACKING_USERNAME")
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        elif user:
            secret = f"{user}:{os.environ.get('MLFLOW_TRACKING_PASSWORD', '')}".encode()
            self.headers["Authorization"] = "Basic " + base64.b64encode(secret).decode()

    # -- HTTP ----------------------------------------------------------------------------------
    def open_url(self, path: str, query: dict[str, Any] | None = None, body: Any = None, method: str = "GET") -> IO[bytes]:
        url = f"{self.uri}/{path.lstrip('/')}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, headers=self.headers, method=method)
        try:
            response: IO[bytes] = urllib.request.urlopen(request, timeout=_TIMEOUT)
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace")
            if exc.code == 404:
                raise FileNotFoundError(f"{url}: {detail}") from None
            raise StoreError(f"the MLflow server answered {exc.code} to {method} {url}: {detail}") from None
        except urllib.error.URLError as exc:
            raise StoreError(f"cannot reach the MLflow server at {self.uri}: {exc.reason}") from None
        return response

    def call(self, endpoint: str, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        method = "POST" if body is not None else "GET"
        with self.open_url(f"api/2.0/mlflow/{endpoint}", query, body, method) as response:
            return json.loads(response.read() or b"{}")

    def pages(self, endpoint: str, field: str, query: dict[str, Any] | None = None, body: dict[str, Any] | None = None) -> Iterator[Any]:
        token = None
        while True:
            if body is not None:
                answer = self.call(endpoint, body={**body, "page_token": token} if token else body)
            else:
                answer = self.call(endpoint, query={**(query or {}), "page_token": token})
            yield from answer.get(field, ())
            token = answer.get("next_page_token")
            if not token:
                return

    # -- tracking ------------------------------------------------------------------------------
    def experiments(self) -> list[SourceExperiment]:
        return [
            SourceExperiment(
                str(e["experiment_id"]), e["name"], e.get("lifecycle_stage", "active"), _pairs(e.get("tags")),
            )
            for e in self.pages("experiments/search", "experiments", body={"max_results": _PAGE, "view_type": "ALL"})
        ]

    def runs(self, experiment_id: str, known: Known | None = None) -> Iterator[list[SourceRun]]:
        batch: list[SourceRun] = []
        body = {"experiment_ids": [experiment_id], "run_view_type": "ALL", "max_results": _PAGE}
        token = None
        while True:
            answer = self.call("runs/search", body={**body, "page_token": token} if token else body)
            items = answer.get("runs", ())
            ids = [item.get("info", {}).get("run_id") or item.get("info", {}).get("run_uuid") for item in items]
            there = known([i for i in ids if i]) if known else set()
            for item in items:
                run = self._run(item, there)
                if run is not None:
                    batch.append(run)
                if len(batch) >= 100:
                    yield batch
                    batch = []
            token = answer.get("next_page_token")
            if not token:
                break
        if batch:
            yield batch

    def _run(self, item: dict[str, Any], there: set[str]) -> SourceRun | None:
        info, data = item.get("info", {}), item.get("data", {})
        run_id = info.get("run_id") or info.get("run_uuid")
        partial = run_id in there  # the metric histories are what costs: one request per key
        try:
            metrics = [] if partial else self._histories(run_id, [m["key"] for m in data.get("metrics", ())])
        except (StoreError, OSError) as exc:
            self.problem("run", str(run_id), f"metric history unreadable ({exc}); skipped")
            return None
        tags = _pairs(data.get("tags"))
        return SourceRun(
            run_id=run_id,
            experiment_id=str(info.get("experiment_id")),
            name=info.get("run_name") or tags.get("mlflow.runName", ""),
            status=info.get("status", "FINISHED"),
            start_time=int(info.get("start_time") or 0),
            end_time=None if info.get("end_time") is None else int(info["end_time"]),
            user_id=info.get("user_id") or tags.get("mlflow.user", ""),
            lifecycle_stage=info.get("lifecycle_stage", "active"),
            artifact_uri=info.get("artifact_uri", ""),
            params=_pairs(data.get("params")),
            tags=tags,
            metrics=metrics,
            partial=partial,
        )

    def _histories(self, run_id: str, keys: list[str]) -> list[tuple[str, float, int, int]]:
        points = []
        for key in keys:
            query = {"run_id": run_id, "metric_key": key, "max_results": _HISTORY_PAGE}
            for m in self.pages("metrics/get-history", "metrics", query=query):
                points.append((key, _number(m.get("value")), int(m.get("timestamp") or 0), int(m.get("step") or 0)))
        return points

    def run_artifacts(self, run: SourceRun) -> Tree | None:
        return _RestTree(self, "artifacts/list", {"run_id": run.run_id}, "path", "get-artifact", {"run_id": run.run_id}, "path")

    def logged_models(self, experiment_id: str) -> list[SourceLoggedModel]:
        found = []
        try:
            items = list(self.pages("logged-models/search", "models", body={"experiment_ids": [experiment_id], "max_results": 100}))
        except (StoreError, FileNotFoundError):  # an MLflow 2 server has no logged models
            return []
        for item in items:
            info, data = item.get("info", {}), item.get("data", {})
            found.append(
                SourceLoggedModel(
                    model_id=info["model_id"],
                    experiment_id=experiment_id,
                    name=info.get("name", info["model_id"]),
                    source_run_id=info.get("source_run_id") or None,
                    artifact_location=info.get("artifact_uri", ""),
                    ready=info.get("status") in ("LOGGED_MODEL_READY", "READY"),
                    creation_time=int(info.get("creation_timestamp_ms") or 0),
                    tags=_pairs(info.get("tags")),
                    params=_pairs(data.get("params")),
                )
            )
        return found

    def model_artifacts(self, model: SourceLoggedModel) -> Tree | None:
        model_id = urllib.parse.quote(model.model_id)
        return _RestTree(
            self, f"logged-models/{model_id}/artifacts/directories", {}, "artifact_directory_path",
            f"ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files", {}, "artifact_file_path",
        )

    # -- registry ------------------------------------------------------------------------------
    def registered_models(self) -> list[SourceRegisteredModel]:
        found = []
        for item in self.pages("registered-models/search", "registered_models", query={"max_results": _PAGE}):
            name = item["name"]
            query = {"filter": f"name = '{_quote(name)}'", "max_results": 10_000}
            versions = [
                SourceVersion(
                    version=int(v["version"]),
                    source=v.get("source", ""),
                    run_id=v.get("run_id") or None,
                    user_id=v.get("user_id", ""),
                    description=v.get("description", ""),
                    stage=v.get("current_stage", "None"),
                    tags=_pairs(v.get("tags")),
                    model_id=v.get("model_id") or None,
                )
                for v in self.pages("model-versions/search", "model_versions", query=query)
            ]
            found.append(
                SourceRegisteredModel(
                    name=name,
                    description=item.get("description", ""),
                    tags=_pairs(item.get("tags")),
                    aliases={a["alias"]: int(a["version"]) for a in item.get("aliases", ())},
                    versions=sorted(versions, key=lambda v: v.version),
                )
            )
        return found


class _RestTree(Tree):
    """Artifacts listed through one endpoint and downloaded, streamed, through another."""

    def __init__(self, source: RestSource, list_endpoint: str, list_query: dict[str, str], list_param: str,
                 get_path: str, get_query: dict[str, str], get_param: str) -> None:
        self.source = source
        self.listing = (list_endpoint, list_query, list_param)
        self.getting = (get_path, get_query, get_param)
        self.label = f"{source.uri}/{get_path}"

    def walk(self) -> Iterator[tuple[str, int | None]]:
        endpoint, query, param = self.listing
        pending: list[str | None] = [None]
        while pending:
            path = pending.pop()
            answer = self.source.call(endpoint, {**query, param: path})
            for entry in answer.get("files", ()):
                if entry.get("is_dir"):
                    pending.append(entry["path"])
                else:
                    size = entry.get("file_size")
                    yield entry["path"], None if size is None else int(size)

    def open(self, path: str) -> IO[bytes]:
        get_path, query, param = self.getting
        return self.source.open_url(get_path, {**query, param: path})


def _number(value: Any) -> float:
    """JSON has no NaN or infinity: MLflow's server writes them as strings."""
    return float(value) if value is not None else float("nan")


def _quote(name: str) -> str:
    return name.replace("'", "\\'")
