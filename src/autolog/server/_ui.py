"""The web UI's pages: ``/`` and the built front-end under ``/static/``.

The front-end is a handful of ES modules in ``ui/src`` (the repository root), bundled with
esbuild into ``static/`` beside this module, which ships in the package: a ``pip install``
needs no node. It is one page; the address after ``#`` says which view (experiments, runs of
an experiment with the table's state, a run, a comparison, registered models), so a view can
be shared as a link. Everything it shows comes from the REST API (MLflow's paths and ours,
``autolog.server.ui_data``), as text: the page never parses stored values as HTML.

Every answer here carries a Content-Security-Policy that allows scripts and styles from this
origin only (no inline script, no ``eval``), images from this origin and ``blob:`` (previews),
and no framing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog.server._api import Api

STATIC = Path(__file__).with_name("static")

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # assets are revalidated (ETag) on every load: a new version is never half-cached
    "Cache-Control": "no-cache",
}


def routes(api: Api) -> list[Any]:
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    page = (STATIC / "index.html").read_bytes()

    async def index(request: Any) -> Any:
        from starlette.responses import Response

        return Response(page, media_type="text/html; charset=utf-8", headers=HEADERS)

    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Mount("/static", app=_Headers(StaticFiles(directory=STATIC)), name="static"),
    ]


class _Headers:
    """ASGI wrapper adding ``HEADERS`` to every response of the static files."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
