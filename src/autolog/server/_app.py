"""The app factory: store opened, routes from the table, one error handler, the token gate."""

from __future__ import annotations

import logging
import os
from typing import Any

from autolog.server._config import ServerConfig, read_token

#: paths answered without a token: load balancers' health checks, and the web UI's page and
#: static assets, which hold no data (the page asks for the token and sends it on every call)
OPEN_PATHS = frozenset({"/health", "/version", "/"})
OPEN_PREFIXES = ("/static/",)


def create_app(config: ServerConfig) -> Any:
    from starlette.applications import Starlette

    from autolog.server import _errors, _routes
    from autolog.server._api import Api
    from autolog.server._http import TokenGate
    from autolog.store import open_store

    store = open_store(config.backend_store_uri)
    root = config.artifacts_destination or getattr(store, "artifact_root", None)
    if not root:
        from autolog.errors import InvalidInputError

        raise InvalidInputError(
            f"the backend store {config.backend_store_uri!r} has no artifact root of its own; "
            "give one with --artifacts-destination (a directory or an fsspec URL)"
        )
    api = Api(config, store, root)
    from starlette.exceptions import HTTPException

    from autolog.errors import AutologError

    # ours and Starlette's are answered quietly; anything else is also logged with its
    # traceback (uvicorn prints it), and its answer still keeps MLflow's error shape
    handlers = {AutologError: _errors.handle, HTTPException: _errors.handle, Exception: _errors.handle}
    app = Starlette(routes=_routes.build(api), exception_handlers=handlers)
    app.state.api = api
    token, read = read_token(config.token_file), read_token(config.read_token_file)
    if read and not token:
        from autolog.errors import InvalidInputError

        raise InvalidInputError("a read-only token needs a read-write token too (--token-file)")
    return TokenGate(app, token, read, OPEN_PATHS, OPEN_PREFIXES)


def app_from_env() -> Any:
    """uvicorn's factory in each worker process: the configuration comes from the environment."""
    config = ServerConfig.from_env()
    if config.artifacts_destination:
        from autolog.store.sql._engine import ARTIFACT_ROOT_ENV

        # new experiments of the SQL store get their artifact locations under the destination
        os.environ[ARTIFACT_ROOT_ENV] = config.artifacts_destination
    logging.getLogger("autolog.server").setLevel(logging.INFO)
    return create_app(config)
