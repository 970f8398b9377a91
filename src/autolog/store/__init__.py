"""Stores: ``Store`` keeps run metadata, ``ArtifactStore`` keeps files.

Both are chosen by URI scheme through the entry-point groups ``autolog.stores`` and
``autolog.artifact_stores``; the built-ins are registered the same way in our pyproject.toml.
"""

from autolog.core._store import ArtifactStore, Store
from autolog.store._by_uri import open_artifact_store, open_store

__all__ = ["Store", "ArtifactStore", "open_store", "open_artifact_store"]
