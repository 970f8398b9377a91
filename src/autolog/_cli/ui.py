"""``autolog ui``: the web UI over a store, on this machine (the tracking server's pages)."""

from __future__ import annotations

from typing import Any


def ui(args: Any) -> int:
    import os

    from autolog.server._config import ServerConfig
    from autolog.server._main import run

    store = args.store or getattr(args, "tracking_uri", None) or os.environ.get("AUTOLOG_TRACKING_URI") or "autolog-runs"
    run(ServerConfig(backend_store_uri=store), args.host, args.port, 1, False, what="web UI")
    return 0


def register(sub: Any, common: Any) -> None:
    from autolog._cli._common import listen_options

    p = sub.add_parser(
        "ui", parents=[common], help="browse runs, metrics, artifacts and models in a web browser",
        description="Serve the web UI over a tracking store and print its address: experiments, "
        "runs tables, metric charts, artifacts, comparisons and the model registry. The same "
        "pages are at / of `autolog server`. See docs/ui.md.",
    )
    p.add_argument(
        "--store", metavar="URI",
        help="the store to show: a directory, sqlite:///..., postgresql://... "
        "(default: --tracking-uri, $AUTOLOG_TRACKING_URI, else ./autolog-runs)",
    )
    listen_options(p)
    p.set_defaults(handler="autolog._cli.ui:ui")
