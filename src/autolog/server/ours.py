"""Our endpoints beside MLflow's, under ``/api/autolog/v1`` (docs/server.md, "Our additions").

- ``POST runs/log-metric-columns``: a columnar metric batch, millions of points per request
  (MLflow's log-batch takes 1,000 metrics), see ``metrics.log_columns``.
- ``POST runs/search``: MLflow's runs/search; the filter takes ``OR`` and parentheses (so does
  MLflow's path on this server: the filter language is the same).
- ``GET registered-models/events?name=``: a model's history, every alias set, moved, removed.
- ``GET server-info``: the server's version, limits and artifact root scheme.
"""

from __future__ import annotations

from typing import Any

from autolog.server._api import PROXY_SCHEME, Api
from autolog.server._http import Args


def server_info(api: Api, args: Args) -> dict[str, Any]:
    import autolog

    return {
        "version": autolog.__version__,
        "artifact_root": f"{PROXY_SCHEME}/",
        "max_request_bytes": api.config.max_request_bytes,
        "max_upload_bytes": api.config.max_upload_bytes,
        # MLflow's clients ask before large uploads; the proxy streams, no multipart needed
        "multipart_uploads_enabled": False,
        "multipart_downloads_enabled": False,
    }
