"""Every URL of the tracking server, in one table.

``API`` rows are JSON views ``view(api, args) -> dict`` (see ``_http.endpoint``): method,
path, view, and whether it changes anything (a read-only token may call only the others).
``build`` turns the table into Starlette routes, adds the streamed artifact routes, the
OpenAPI document, and the web UI's routes from ``autolog.server._ui`` when that module exists.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NamedTuple

from autolog.server import artifacts, experiments, logged_models, metrics, ours, registry, runs, ui_data

if TYPE_CHECKING:
    from autolog.server._api import Api
    from autolog.server._http import View

MLFLOW = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts"
#: our own endpoints beside MLflow's (docs/server.md, "Our additions")
OURS = "/api/autolog/v1"
#: the web UI's JSON endpoints live under this prefix (its module: autolog.server._ui)
UI_API = "/api/autolog/ui"


class Row(NamedTuple):
    method: str
    path: str
    view: View
    write: bool
    summary: str = ""


#: read-only and writing rows (a read-only token may call only R rows)
R, W = False, True


def api_rows() -> list[Row]:
    """The JSON API: MLflow's REST API 2.0 paths, then ours."""
    e, r, m, lm, reg = experiments, runs, metrics, logged_models, registry
    RM, MV, LM = f"{MLFLOW}/registered-models", f"{MLFLOW}/model-versions", f"{MLFLOW}/logged-models"
    return [
        # experiments
        Row("POST", f"{MLFLOW}/experiments/create", e.create, W, "Create an experiment"),
        Row("GET", f"{MLFLOW}/experiments/get", e.get, R, "Get an experiment by id"),
        Row("GET", f"{MLFLOW}/experiments/get-by-name", e.get_by_name, R, "Get an experiment by name"),
        Row("POST", f"{MLFLOW}/experiments/search", e.search, R, "Search experiments"),
        Row("GET", f"{MLFLOW}/experiments/search", e.search, R, "Search experiments"),
        Row("POST", f"{MLFLOW}/experiments/update", e.update, W, "Rename an experiment"),
        Row("POST", f"{MLFLOW}/experiments/delete", e.delete, W, "Delete an experiment"),
        Row("POST", f"{MLFLOW}/experiments/restore", e.restore, W, "Restore an experiment"),
        Row("POST", f"{MLFLOW}/experiments/set-experiment-tag", e.set_tag, W, "Set an experiment tag"),
        # runs
        Row("POST", f"{MLFLOW}/runs/create", r.create, W, "Create a run"),
        Row("GET", f"{MLFLOW}/runs/get", r.get, R, "Get a run"),
        Row("POST", f"{MLFLOW}/runs/update", r.update, W, "Update a run's status, end time or name"),
        Row("POST", f"{MLFLOW}/runs/delete", r.delete, W, "Delete a run"),
        Row("POST", f"{MLFLOW}/runs/restore", r.restore, W, "Restore a run"),
        Row("POST", f"{MLFLOW}/runs/log-metric", r.log_metric, W, "Log one metric point"),
        Row("POST", f"{MLFLOW}/runs/log-parameter", r.log_param, W, "Log one param"),
        Row("POST", f"{MLFLOW}/runs/set-tag", r.set_tag, W, "Set a run tag"),
        Row("POST", f"{MLFLOW}/runs/delete-tag", r.delete_tag, W, "Delete a run tag"),
        Row("POST", f"{MLFLOW}/runs/log-batch", r.log_batch, W, "Log metrics, params and tags at once"),
        Row("POST", f"{MLFLOW}/runs/log-inputs", r.log_inputs, W, "Log run inputs (models only)"),
        Row("POST", f"{MLFLOW}/runs/outputs", r.log_outputs, W, "Log run outputs (logged models)"),
        Row("POST", f"{MLFLOW}/runs/search", r.search, R, "Search runs"),
        Row("GET", f"{MLFLOW}/metrics/get-history", m.get_history, R, "A metric's history"),
        Row("GET", f"{MLFLOW}/artifacts/list", artifacts.list_run, R, "List a run's artifacts"),
        # MLflow 3's logged models
        Row("POST", LM, lm.create, W, "Create a logged model"),
        Row("POST", f"{LM}/search", lm.search, R, "Search logged models"),
        Row("GET", f"{LM}/{{model_id}}", lm.get, R, "Get a logged model"),
        Row("PATCH", f"{LM}/{{model_id}}", lm.finalize, W, "Finalize a logged model"),
        Row("DELETE", f"{LM}/{{model_id}}", lm.delete, W, "Delete a logged model"),
        Row("PATCH", f"{LM}/{{model_id}}/tags", lm.set_tags, W, "Set logged model tags"),
        Row("DELETE", f"{LM}/{{model_id}}/tags/{{tag_key}}", lm.delete_tag, W, "Delete a logged model tag"),
        Row("POST", f"{LM}/{{model_id}}/params", lm.log_params, W, "Log logged model params"),
        Row("GET", f"{LM}/{{model_id}}/artifacts/directories", lm.list_artifacts, R, "List a logged model's files"),
        # registered models
        Row("POST", f"{RM}/create", reg.create_model, W, "Create a registered model"),
        Row("GET", f"{RM}/get", reg.get_model, R, "Get a registered model"),
        Row("POST", f"{RM}/rename", reg.rename_model, W, "Rename a registered model"),
        Row("PATCH", f"{RM}/update", reg.update_model, W, "Update a registered model's description"),
        Row("DELETE", f"{RM}/delete", reg.delete_model, W, "Delete a registered model"),
        Row("GET", f"{RM}/search", reg.search_models, R, "Search registered models"),
        Row("POST", f"{RM}/get-latest-versions", reg.latest_versions, R, "The latest version"),
        Row("GET", f"{RM}/get-latest-versions", reg.latest_versions, R, "The latest version"),
        Row("POST", f"{RM}/set-tag", reg.set_model_tag, W, "Set a registered model tag"),
        Row("DELETE", f"{RM}/delete-tag", reg.delete_model_tag, W, "Delete a registered model tag"),
        Row("POST", f"{RM}/alias", reg.set_alias, W, "Point an alias at a version"),
        Row("DELETE", f"{RM}/alias", reg.delete_alias, W, "Delete an alias"),
        Row("GET", f"{RM}/alias", reg.get_by_alias, R, "The version an alias points at"),
        # model versions
        Row("POST", f"{MV}/create", reg.create_version, W, "Create a model version"),
        Row("GET", f"{MV}/get", reg.get_version, R, "Get a model version"),
        Row("PATCH", f"{MV}/update", reg.update_version, W, "Update a version's description"),
        Row("DELETE", f"{MV}/delete", reg.delete_version, W, "Delete a model version"),
        Row("GET", f"{MV}/search", reg.search_versions, R, "Search model versions"),
        Row("GET", f"{MV}/get-download-uri", reg.download_uri, R, "Where a version's files are"),
        Row("POST", f"{MV}/set-tag", reg.set_version_tag, W, "Set a model version tag"),
        Row("DELETE", f"{MV}/delete-tag", reg.delete_version_tag, W, "Delete a model version tag"),
        Row("POST", f"{MV}/transition-stage", reg.transition_stage, W, "Stages: refused, use aliases"),
        # the artifact proxy's listing (files themselves: streamed routes in build())
        Row("GET", f"{ARTIFACTS}/artifacts", artifacts.list_files, R, "List proxied artifacts"),
        # ours
        Row("POST", f"{OURS}/runs/log-metric-columns", m.log_columns, W, "Columnar metric batch"),
        Row("POST", f"{OURS}/runs/finish", r.finish, W, "A run's last batch and its end, at once"),
        Row("POST", f"{OURS}/runs/search", r.search, R, "Search runs (OR and parentheses)"),
        Row("GET", f"{OURS}/registered-models/events", reg.events, R, "A registered model's history"),
        Row("GET", f"{OURS}/server-info", ours.server_info, R, "Version and limits"),
        # the web UI's data (ours too)
        Row("GET", f"{UI_API}/experiments", ui_data.experiments, R, "Experiments with run counts and last activity"),
        Row("POST", f"{UI_API}/runs", ui_data.runs, R, "A page of a runs table, only the chosen columns"),
        Row("GET", f"{UI_API}/run-keys", ui_data.run_keys, R, "Param, metric and tag keys of experiments"),
        Row("GET", f"{UI_API}/metric-series", ui_data.metric_series, R, "A metric history cut into buckets"),
        Row("GET", f"{UI_API}/model", ui_data.model, R, "A logged model directory described"),
    ]


def build(api: Api) -> list[Any]:
    """The Starlette routes of the whole app."""
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from autolog.server._http import endpoint

    routes: list[Any] = []
    for row in api_rows():
        routes.append(Route(row.path, endpoint(api, row.view, row.write), methods=[row.method]))
        # the UI and MLflow's own web app call the same API under /ajax-api
        routes.append(Route(row.path.replace("/api/", "/ajax-api/", 1), endpoint(api, row.view, row.write), methods=[row.method]))

    async def ok(request: Any) -> Any:
        return PlainTextResponse("OK")

    path = f"{ARTIFACTS}/artifacts/{{path:path}}"
    routes += [
        Route(path, artifacts.upload(api), methods=["PUT"]),
        Route(path, artifacts.download(api), methods=["GET"]),
        Route(path, artifacts.delete(api), methods=["DELETE"]),
        Route("/api/openapi.json", _openapi(), methods=["GET"]),
        Route("/health", ok, methods=["GET"]),
        Route("/version", _version, methods=["GET"]),
        # MLflow's clients ask here before a large upload whether to split it (we never need to)
        Route("/api/3.0/mlflow/server-info", endpoint(api, ours.server_info, False), methods=["GET"]),
    ]

    # -- the web UI: its own module adds `/`, static assets and UI_API routes -----------------
    routes += ui_routes(api)
    return routes


def _openapi() -> Any:
    from starlette.responses import Response

    from autolog.server._http import dumps
    from autolog.server._openapi import document

    body = dumps(document())

    async def openapi(request: Any) -> Any:
        return Response(body, media_type="application/json")

    return openapi


async def _version(request: Any) -> Any:
    from starlette.responses import PlainTextResponse

    import autolog

    return PlainTextResponse(autolog.__version__)


def ui_routes(api: Api) -> list[Any]:
    """``autolog.server._ui.routes(api)`` when the UI is installed, else none."""
    try:
        module = importlib.import_module("autolog.server._ui")
    except ModuleNotFoundError as exc:
        if exc.name != "autolog.server._ui":
            raise
        return []
    found: list[Any] = module.routes(api)
    return found
