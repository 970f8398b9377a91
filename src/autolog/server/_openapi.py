"""The OpenAPI 3.1 document of the whole API, built from the route table.

Each JSON row becomes an operation; GET rows declare their query parameters (from
``QUERY`` below, MLflow's names); other rows take a JSON object whose fields are MLflow's
request message fields. Every operation may answer with the one error shape.
"""

from __future__ import annotations

from typing import Any

from autolog.server._routes import ARTIFACTS, Row, api_rows

#: query parameters of the GET endpoints, by the last part of their path
QUERY: dict[str, dict[str, str]] = {
    "get": {"experiment_id": "string", "run_id": "string", "name": "string", "version": "string"},
    "get-by-name": {"experiment_name": "string"},
    "search": {"filter": "string", "max_results": "integer", "page_token": "string", "view_type": "string"},
    "get-history": {"run_id": "string", "metric_key": "string", "max_results": "integer", "page_token": "string"},
    "list": {"run_id": "string", "path": "string"},
    "alias": {"name": "string", "alias": "string"},
    "get-download-uri": {"name": "string", "version": "string"},
    "get-latest-versions": {"name": "string"},
    "events": {"name": "string"},
    "artifacts": {"path": "string"},
    "directories": {"artifact_directory_path": "string"},
}

_ERROR = {
    "type": "object",
    "required": ["error_code", "message"],
    "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
}


def _operation(row: Row) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": row.summary,
        "operationId": f"{row.method.lower()}_{row.path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            "default": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }
    params = [
        {"name": name.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
        for name in row.path.split("/") if name.startswith("{")
    ]
    if row.method == "GET":
        last = row.path.rstrip("/").rsplit("/", 1)[-1]
        params += [
            {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
            for name, kind in QUERY.get(last, {}).items()
        ]
    else:
        op["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    if params:
        op["parameters"] = params
    if row.write:
        op["description"] = "Needs the read-write token when the server has tokens."
    return op


def document() -> dict[str, Any]:
    import autolog

    paths: dict[str, dict[str, Any]] = {}
    for row in api_rows():
        paths.setdefault(row.path, {})[row.method.lower()] = _operation(row)
    file_path = f"{ARTIFACTS}/artifacts/{{path}}"
    path_param = [{"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}]
    paths[file_path] = {
        "put": {
            "summary": "Upload one artifact file (streamed; written under a temp name, then renamed)",
            "operationId": "put_artifact", "parameters": path_param,
            "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {"200": {"description": "Stored"}, "default": {"description": "An error"}},
        },
        "get": {
            "summary": "Download one artifact file (streamed)", "operationId": "get_artifact",
            "parameters": path_param,
            "responses": {"200": {"description": "The file's bytes"}, "default": {"description": "An error"}},
        },
        "delete": {
            "summary": "Delete an artifact file or directory", "operationId": "delete_artifact",
            "parameters": path_param,
            "responses": {"200": {"description": "Deleted"}, "default": {"description": "An error"}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "autolog tracking server",
            "version": autolog.__version__,
            "description": "MLflow's REST API 2.0 (/api/2.0/mlflow, /api/2.0/mlflow-artifacts) and "
            "autolog's additions (/api/autolog/v1). Errors: {error_code, message}.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": _ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
