"""``autolog serve MODEL_URI``: score a logged model over HTTP."""

from __future__ import annotations

from typing import Any


def serve(args: Any) -> int:
    from autolog.serving import serve as run

    run(
        args.model_uri, args.host, args.port, int(args.max_body_mb * 1024 * 1024), args.access_log,
        fast_path=not args.no_fast_path, read_timeout=args.read_timeout,
    )
    return 0


def register(sub: Any, common: Any) -> None:
    from autolog._cli._common import listen_options

    p = sub.add_parser(
        "serve", parents=[common], help="serve a model over HTTP (POST /invocations)",
        description="Load MODEL_URI once and answer POST /invocations (JSON in MLflow's shapes, "
        "or text/csv) with {\"predictions\": ...}; GET /ping, /health, /version, /metadata.",
    )
    p.add_argument("model_uri", help="models:/<name>@<alias>, models:/<name>/<version>, runs:/<run_id>/<path>, a directory")
    listen_options(p)
    p.add_argument("--max-body-mb", type=float, default=50.0, help="refuse bodies larger than this (default 50)")
    p.add_argument("--read-timeout", type=float, default=30.0, help="seconds a client may take to send a request body (default 30)")
    p.add_argument("--access-log", action="store_true", help="log every request to stderr")
    p.add_argument(
        "--no-fast-path", action="store_true",
        help="build a DataFrame for every request, even where plain numeric rows could go to an "
        "sklearn model as an array (same predictions, slower; see docs/serving.md)",
    )
    p.set_defaults(handler="autolog._cli.serve:serve")
