"""``autolog server``: the tracking server (MLflow's REST API, artifact proxy, web UI)."""

from __future__ import annotations

from typing import Any


def server(args: Any) -> int:
    import os

    from autolog.server._config import ServerConfig
    from autolog.server._main import run

    store = args.backend_store_uri or os.environ.get("AUTOLOG_TRACKING_URI") or "autolog-runs"
    config = ServerConfig(
        backend_store_uri=store,
        artifacts_destination=args.artifacts_destination,
        token_file=args.token_file,
        read_token_file=args.read_token_file,
        max_request_bytes=int(args.max_request_mb * 1024 * 1024),
    )
    run(config, args.host, args.port, args.workers, args.access_log)
    return 0


def register(sub: Any, common: Any) -> None:
    from autolog._cli._common import listen_options

    p = sub.add_parser(
        "server", parents=[common], help="run the tracking server (MLflow's REST API + artifact proxy)",
        description="Serve a tracking store over HTTP with MLflow's REST API 2.0, so that "
        "autolog's and MLflow's clients log to it (MLFLOW_TRACKING_URI=http://HOST:PORT). "
        "See docs/server.md.",
    )
    p.add_argument(
        "--backend-store-uri", metavar="URI",
        help="where runs are kept: a directory, sqlite:///..., postgresql://... "
        "(default: --tracking-uri, $AUTOLOG_TRACKING_URI, else ./autolog-runs)",
    )
    p.add_argument(
        "--artifacts-destination", metavar="URI",
        help="root of the artifacts the server stores and proxies: a directory or an fsspec URL "
        "such as s3://bucket/prefix (default: the store's artifact root)",
    )
    listen_options(p)
    p.add_argument("--workers", "-w", type=int, default=1, help="worker processes (default 1; use PostgreSQL for several)")
    p.add_argument("--token-file", metavar="PATH", help="require 'Authorization: Bearer <token>' with the token on this file's first line")
    p.add_argument("--read-token-file", metavar="PATH", help="a second token that may only read (viewers)")
    p.add_argument("--max-request-mb", type=float, default=64.0, help="largest JSON request body (default 64)")
    p.add_argument("--access-log", action="store_true", help="log every request to stderr")
    p.set_defaults(handler="autolog._cli.server:server")
