"""The remote store: ``http(s)://`` tracking URIs name an ``autolog server``.

    autolog.set_tracking_uri("http://127.0.0.1:5000")    # or AUTOLOG_TRACKING_URI

``RestStore`` (tracking and registry) and ``ProxyArtifactStore`` (files through the server's
artifact proxy) are registered under the ``http`` and ``https`` schemes in our pyproject.toml,
like every store. Writes the server cannot take right now go to a spool on this machine and
are uploaded later, each exactly once (``_link``, ``_spool``, ``_replay``). See
docs/remote.md.
"""

from autolog.store.rest._artifacts import ProxyArtifactStore
from autolog.store.rest._store import RestStore

__all__ = ["RestStore", "ProxyArtifactStore"]
