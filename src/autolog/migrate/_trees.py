"""Artifact locations a file or SQL store records, opened as ``Tree``s.

MLflow records absolute locations (``/home/ann/mlruns/1/<run>/artifacts``, ``file:///...``,
``s3://bucket/...``). A store that was moved or copied still records the old place, so
``artifact_map`` rewrites location prefixes (``{"/old/root": "/new/root"}``) before anything
is opened, and a file store falls back to the run's own ``artifacts`` folder inside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import IO
from urllib.parse import unquote, urlparse

from autolog.migrate._records import Source, Tree


class LocalTree(Tree):
    """A directory on this machine."""

    def __init__(self, root: str) -> None:
        self.root = root

    def walk(self) -> Iterator[tuple[str, int | None]]:
        stack = [("", self.root)]
        while stack:
            prefix, path = stack.pop()
            with os.scandir(path) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((f"{prefix}{entry.name}/", entry.path))
                    elif entry.is_file():
                        yield prefix + entry.name, entry.stat().st_size

    def open(self, path: str) -> IO[bytes]:
        return open(self.local_path(path), "rb")

    def local_path(self, path: str) -> str:
        return os.path.join(self.root, *path.split("/"))


class StoreTree(Tree):
    """Any location an autolog artifact store opens (``s3://``, ``gs://``, ... via fsspec)."""

    def __init__(self, uri: str) -> None:
        from autolog.store import open_artifact_store

        self.store = open_artifact_store(uri)

    def walk(self) -> Iterator[tuple[str, int | None]]:
        pending: list[str | None] = [None]
        while pending:
            for info in self.store.list_artifacts(pending.pop()):
                if info.is_dir:
                    pending.append(info.path)
                else:
                    yield info.path, info.file_size

    def open(self, path: str) -> IO[bytes]:
        stream: IO[bytes] = self.store.open(path, "rb")
        return stream


def rewrite(location: str, artifact_map: Mapping[str, str]) -> str:
    """``location`` with the longest matching prefix of ``artifact_map`` replaced."""
    for old in sorted(artifact_map, key=len, reverse=True):
        if location == old or location.startswith(old.rstrip("/") + "/"):
            return artifact_map[old] + location[len(old):]
    return location


def local_dir(location: str) -> str | None:
    """The local directory a location names (a plain path or ``file://``), else None."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return unquote(parsed.path)
    if not parsed.scheme or len(parsed.scheme) == 1:  # a path (or a Windows drive letter)
        return location
    return None


def open_tree(source: Source, location: str, item: tuple[str, str], fallback: str | None = None) -> Tree | None:
    """A tree for ``location`` (rewritten by the source's ``artifact_map``); None, with a
    problem about ``item`` (kind, id) added to the source, when it cannot be read.

    A local location that does not exist is an empty tree when ``fallback`` does not exist
    either (a run that logged no artifact has no folder)."""
    location = rewrite(location, getattr(source, "artifact_map", {}))
    path = local_dir(location)
    if path is not None:
        if os.path.isdir(path):
            return LocalTree(path)
        if fallback is not None and os.path.isdir(fallback):
            return LocalTree(fallback)
        # <experiment location>/<run id>/artifacts: when the experiment's folder is there,
        # the run simply logged nothing; when it is not, the store may have moved
        moved = not os.path.isdir(os.path.dirname(os.path.dirname(path.rstrip("/"))))
        return EmptyTree(location, moved)
    if location.startswith("mlflow-artifacts:"):
        source.problem(*item, (
            f"artifacts at {location} are kept by an MLflow server (mlflow-artifacts:); import "
            "through that server's URL, or give their directory with --map-artifacts OLD=NEW"
        ))
        return None
    try:
        return StoreTree(location)
    except Exception as exc:  # an unknown scheme or a missing fsspec driver
        source.problem(*item, f"cannot read artifacts at {location}: {exc}")
        return None


class EmptyTree(Tree):
    """A local location that does not exist: a run that logged nothing has no folder (or the
    store was moved, which the report's note about missing locations points out)."""

    def __init__(self, location: str, moved: bool = False) -> None:
        self.location, self.moved = location, moved

    def walk(self) -> Iterator[tuple[str, int | None]]:
        return iter(())

    def open(self, path: str) -> IO[bytes]:
        raise FileNotFoundError(path)
