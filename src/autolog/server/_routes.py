"""Every URL of the tracking server, in one table.

``API`` rows are JSON views ``view(api, args) -> dict`` (see ``_http.endpoint``): method,
path, view, and whether it changes anything (a read-only token may call only the others).
``build`` turns the table into Starlette routes, adds the streamed artifact routes, the
OpenAPI document, and the web UI's routes from ``autolog.server._ui`` when that module exists.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NamedTuple

from autolog.server import experiments

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


R, W = False, True


def api_rows() -> list[Row]:
    """The JSON API. Imported lazily per family so that a missing one fails loudly here."""
    return [
        # experiments
        Row("POST", f"{MLFLOW}/experiments/create", experiments.create, W, "Create an experiment"),
        Row("GET", f"{MLFLOW}/experiments/get", experiments.get, R, "Get an experiment by id"),
        Row("GET", f"{MLFLOW}/experiments/get-by-name", experiments.get_by_name, R, "Get an experiment by name"),
        Row("POST", f"{MLFLOW}/experiments/search", experiments.search, R, "Search experiments"),
        Row("GET", f"{MLFLOW}/experiments/search", experiments.search, R, "Search experiments"),
        Row("POST", f"{MLFLOW}/experiments/update", experiments.update, W, "Rename an experiment"),
        Row("POST", f"{MLFLOW}/experiments/delete", experiments.delete, W, "Delete an experiment"),
        Row("POST", f"{MLFLOW}/experiments/restore", experiments.restore, W, "Restore an experiment"),
        Row("POST", f"{MLFLOW}/experiments/set-experiment-tag", experiments.set_tag, W, "Set an experiment tag"),
    ]


def health(api: Api, args: Any) -> dict[str, Any]:
    return {"status": "OK"}


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

    routes += [Route("/health", ok, methods=["GET"]), Route("/version", _version, methods=["GET"])]

    # -- the web UI: its own module adds `/`, static assets and UI_API routes -----------------
    routes += ui_routes(api)
    return routes


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
