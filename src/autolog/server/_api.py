"""What every view is handed: the store, the artifact root and the artifact URI mapping.

Artifact locations (see docs/server.md, "Artifact URIs"). The store keeps real locations (a
local path or an fsspec URL under the artifacts destination), so the same database still
works when opened directly on the server machine. Through the API, a location under the
artifacts destination is shown as ``mlflow-artifacts:/<path below the root>``: MLflow's
clients then upload and download through this server's artifact proxy
(``/api/2.0/mlflow-artifacts/artifacts/<path>``), and autolog's own remote client can do the
same. A location outside the root (an experiment created elsewhere) is shown as stored; the
proxy never serves it. Locations coming in (an experiment's ``artifact_location``, a model
version's ``source``) are mapped back the same way.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from autolog.errors import InvalidInputError

if TYPE_CHECKING:
    from autolog.server._config import ServerConfig
    from autolog.store import ArtifactStore, Store

#: MLflow's scheme for artifacts reached through the tracking server's proxy
PROXY_SCHEME = "mlflow-artifacts:"


class Api:
    """The server's shared state, built once per worker process."""

    def __init__(self, config: ServerConfig, store: Store, artifact_root: str) -> None:
        from autolog.store import open_artifact_store

        self.config = config
        self.store = store
        self.artifact_root = artifact_root
        self.artifacts: ArtifactStore = open_artifact_store(artifact_root)
        self._local = _is_local(artifact_root)
        self._root = _normal(artifact_root)

    # -- artifact URIs ---------------------------------------------------------------------
    def public_location(self, location: str | None) -> str:
        """A stored location as clients see it: ``mlflow-artifacts:/...`` under the root."""
        if not location:
            return ""
        rel = self.relative(location)
        return location if rel is None else f"{PROXY_SCHEME}/{rel}" if rel else f"{PROXY_SCHEME}/"

    def relative(self, location: str) -> str | None:
        """``location`` relative to the artifact root, '' for the root, None when outside."""
        if self._local != _is_local(location):
            return None
        path = _normal(location)
        if path == self._root:
            return ""
        prefix = self._root.rstrip("/") + "/"
        return path[len(prefix):] if path.startswith(prefix) else None

    def private_location(self, uri: str) -> str:
        """A location given by a client, as the store keeps it.

        ``mlflow-artifacts:/<path>`` (or ``mlflow-artifacts://host/<path>``) maps under the
        root after the same path checks as the proxy; other URIs stay as given.
        """
        if not uri.startswith(PROXY_SCHEME):
            return uri
        from autolog.server.artifacts import proxy_path

        rest = uri[len(PROXY_SCHEME):]
        if rest.startswith("//"):  # mlflow-artifacts://host:port/path: the host is us
            rest = "/" + rest[2:].partition("/")[2]
        rel = proxy_path(rest.lstrip("/"))
        return self.root_join(rel)

    def root_join(self, rel: str) -> str:
        if not rel:
            return self.artifact_root
        if self._local:
            return os.path.join(self._root, *rel.split("/"))
        return f"{self.artifact_root.rstrip('/')}/{rel}"

    def check_location(self, uri: str | None) -> str | None:
        """An experiment's requested ``artifact_location``: only under the artifact root."""
        if not uri:
            return None
        location = self.private_location(uri)
        if self.relative(location) is None:
            raise InvalidInputError(
                f"artifact_location {uri!r} is outside this server's artifacts destination; "
                f"leave it out, or give a {PROXY_SCHEME}/<path> location"
            )
        return location


def _is_local(location: str) -> bool:
    from autolog.store._by_uri import uri_scheme

    return uri_scheme(location) == "file"


def _normal(location: str) -> str:
    if _is_local(location):
        from autolog.store.artifacts._local import local_root

        return local_root(location)
    return location.rstrip("/")
