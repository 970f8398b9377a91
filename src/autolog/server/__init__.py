"""``autolog server``: the tracking server, whose REST API MLflow's own clients speak.

    autolog server [--backend-store-uri URI] [--artifacts-destination URI]
                   [--host 127.0.0.1] [--port 5000] [--workers N] [--token-file PATH]

One Starlette application on uvicorn (the ``server`` extra). The routes live in one table
(``_routes.py``); each API family is one module that translates a request into Store calls
(``experiments``, ``runs``, ``metrics``, ``artifacts``, ``registry``, ``logged_models``,
``ours``); one exception handler turns ``autolog.errors`` into MLflow's error shape
(``_errors.py``). See docs/server.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog.server._config import ServerConfig

__all__ = ["ServerConfig", "create_app", "require_stack"]


def require_stack() -> None:
    """Raise MissingDependencyError naming the extra when Starlette or uvicorn is missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        from autolog.errors import MissingDependencyError

        raise MissingDependencyError(
            exc.name or "starlette", "server",
            f"the tracking server needs Starlette and uvicorn ({exc.name} is missing); "
            "install them with:  pip install 'autolog[server]'",
        ) from exc


def create_app(config: ServerConfig) -> Any:
    """The ASGI application for ``config`` (a Starlette app)."""
    require_stack()
    from autolog.server._app import create_app as build

    return build(config)


def __getattr__(name: str) -> Any:
    if name == "ServerConfig":
        from autolog.server._config import ServerConfig

        return ServerConfig
    raise AttributeError(name)
