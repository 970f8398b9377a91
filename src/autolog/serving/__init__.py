"""``autolog serve``: an HTTP scoring server for any logged model.

    POST /invocations   JSON ({"dataframe_split": ...}, {"dataframe_records": ...},
                        {"instances": ...}, {"inputs": ...}) or text/csv -> {"predictions": ...}
    GET  /ping, /health, /version, /metadata

Runs on uvicorn (the ``server`` extra), like ``autolog server``. See docs/serving.md.
"""

from __future__ import annotations

from autolog.serving._server import DEFAULT_MAX_BODY, make_server, serve

__all__ = ["DEFAULT_MAX_BODY", "make_server", "serve"]
