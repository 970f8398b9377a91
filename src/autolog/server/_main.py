"""``autolog server``: check the settings, open the store once, bind, and run the workers."""

from __future__ import annotations

import os

from autolog.server._config import CONFIG_ENV, ServerConfig, read_token
from autolog.server._run import bind, exposure_note, say, serve, url_of


def run(
    config: ServerConfig, host: str = "127.0.0.1", port: int = 5000, workers: int = 1, access_log: bool = False,
    what: str = "tracking server",
) -> None:
    from autolog.errors import InvalidInputError
    from autolog.server import require_stack

    require_stack()
    if workers < 1:
        raise InvalidInputError(f"--workers must be at least 1, got {workers}")
    token = read_token(config.token_file)
    read_token(config.read_token_file)
    os.environ[CONFIG_ENV] = config.to_env()
    from autolog.server._app import app_from_env

    # the store is opened (and its schema created or checked) once here, before any worker
    # starts, so that a bad URI fails with one line and workers never race on a migration
    app = app_from_env()
    sock = bind(host, port)
    say(
        f"autolog: {what} on {url_of(sock)} (store {_display(config.backend_store_uri)}, "
        f"{workers} worker{'s' if workers > 1 else ''})"
    )
    exposure_note(host, token is not None)
    if workers > 1:
        from autolog.store._by_uri import forget_store

        forget_store(config.backend_store_uri)
        serve("autolog.server._app:app_from_env", sock, workers, access_log)
    else:
        serve(app, sock, 1, access_log)


def _display(uri: str) -> str:
    """The URI without a password."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        auth, _, host = rest.rpartition("@")
        return f"{scheme}://{auth.split(':', 1)[0]}:***@{host}" if ":" in auth else uri
    return uri
