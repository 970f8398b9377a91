"""Artifact stores: files under a run's artifact root.

``LocalArtifactStore`` handles plain paths and ``file://`` URIs; ``FsspecArtifactStore``
handles fsspec URLs (``s3://``, ``gs://``, ``memory://``...). Both are registered under the
entry-point group ``autolog.artifact_stores``; open one with
``autolog.store.open_artifact_store(root_uri)``.
"""

from autolog.store.artifacts._fsspec import FsspecArtifactStore
from autolog.store.artifacts._local import LocalArtifactStore

__all__ = ["LocalArtifactStore", "FsspecArtifactStore"]
