"""Opening a backend by URI scheme, through the store plugin groups."""

from __future__ import annotations

import os
import re
import threading
from typing import Any

from autolog import _plugins
from autolog.errors import InvalidInputError, StoreError
from autolog.core._store import ArtifactStore, Store

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_open_stores: dict[str, Store] = {}
_lock = threading.Lock()


def uri_scheme(uri: str) -> str:
    """The plugin name for a URI: 'postgresql+psycopg://' -> 'postgresql', a path -> 'file'."""
    match = _SCHEME.match(uri)
    # one-letter schemes are Windows drive letters, i.e. plain paths
    if not match or len(match.group(1)) == 1:
        return "file"
    return match.group(1).split("+", 1)[0].lower()


def _load(group: _plugins.PluginGroup, uri: str, what: str) -> Any:
    scheme = uri_scheme(uri)
    entry = group.get(scheme)
    if entry is None:
        known = ", ".join(sorted(group.entries)) or "none"
        raise InvalidInputError(
            f"no {what} handles {scheme!r} URIs like {uri!r}; registered schemes: {known}. "
            f"Install the package that provides it (for example pip install 'autolog[s3]')."
        )
    try:
        return entry.load()
    except ImportError as exc:
        raise StoreError(
            f"the {what} for {scheme!r} URIs could not be imported ({exc}); "
            f"install its extra, for example pip install 'autolog[{_EXTRAS.get(scheme, scheme)}]'"
        ) from exc


_EXTRAS = {"postgresql": "postgres", "s3": "s3", "gs": "s3", "gcs": "s3", "az": "s3", "abfs": "s3"}


def _key(uri: str) -> str:
    return uri if uri_scheme(uri) != "file" else os.path.abspath(uri.removeprefix("file://"))


def run_artifact_uri(uri: str, run_id: str) -> str:
    """The artifact URI of run ``run_id`` in the store ``uri`` names.

    A process that has not opened that store yet (loading a model by ``runs:/`` in a fresh
    process) first asks the store plugin's module for a cheap answer: a module that offers
    ``peek_run_artifact_uri(uri, run_id) -> str | None`` beside its Store class can read it
    without opening the store (the built-in SQL store reads a local SQLite file with the
    standard library). Whatever that cannot tell, the opened store answers (or refuses)."""
    if _key(uri) not in _open_stores:
        peek = _peek_function(uri)
        found = peek(uri, run_id) if peek is not None else None
        if found is not None:
            return str(found)
    return open_store(uri).get_run(run_id).info.artifact_uri


def _peek_function(uri: str) -> Any:
    """The ``peek_run_artifact_uri`` of the module that registered the scheme, if any."""
    import importlib

    entry = _plugins.stores.get(uri_scheme(uri))
    if entry is None:
        return None
    try:
        module = importlib.import_module(entry.target.partition(":")[0])
    except ImportError:
        return None  # open_store reports it properly
    return getattr(module, "peek_run_artifact_uri", None)


def open_store(uri: str) -> Store:
    """The Store for a tracking URI, opened once per process and shared by all threads."""
    key = _key(uri)
    with _lock:
        store = _open_stores.get(key)
        if store is None:
            cls = _load(_plugins.stores, uri, "tracking store")
            store = cls.from_uri(uri)
            _open_stores[key] = store
        return store


def forget_store(uri: str) -> None:
    """Close and drop a cached store (tests, ``autolog db upgrade``)."""
    key = _key(uri)
    with _lock:
        store = _open_stores.pop(key, None)
    if store is not None:
        store.close()


def open_artifact_store(root_uri: str) -> ArtifactStore:
    """The ArtifactStore rooted at ``root_uri`` (a run's artifact URI, a model directory...)."""
    cls = _load(_plugins.artifact_stores, root_uri, "artifact store")
    store: ArtifactStore = cls(root_uri)
    return store
