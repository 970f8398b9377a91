"""Artifacts in a local directory (the default, and ``file://`` URIs)."""

from __future__ import annotations

import os
import shutil
import stat
import urllib.parse
from typing import IO, Any

from autolog.errors import InvalidInputError, NotFoundError, UnsafeArtifactPathError
from autolog.core._store import ArtifactStore
from autolog.store.artifacts._files import atomic_write, check_read_mode, download_target
from autolog.store.artifacts._paths import TEMP_PREFIX, clean_file_path, clean_path
from autolog.store.artifacts._sources import inside, source_file, source_tree, walk_files
from autolog.core._entities import FileInfo


def local_root(root_uri: str) -> str:
    """The absolute directory a plain path or ``file://`` URI names."""
    path = root_uri
    if root_uri.startswith("file:"):
        parsed = urllib.parse.urlsplit(root_uri)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidInputError(
                f"artifact root {root_uri!r} names the host {parsed.netloc!r}; only local "
                "file:// URIs are supported, such as file:///data/artifacts"
            )
        path = urllib.parse.unquote(parsed.path)
    if not path:
        raise InvalidInputError(f"artifact root {root_uri!r} names no directory")
    return os.path.abspath(path)


class LocalArtifactStore(ArtifactStore):
    """Files under a local directory, created on the first write.

    Writes are atomic (temp file + rename). Every path is checked against the root both
    lexically and on disk: a path that reaches outside the root through a symlink inside
    it is refused like ``../x``.
    """

    def __init__(self, root_uri: str) -> None:
        super().__init__(root_uri)
        self.root = local_root(root_uri)

    # -- paths ---------------------------------------------------------------------------------
    def _local(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/")) if rel else self.root

    def _resolve(self, rel: str, original: str | None = None) -> str:
        """The local path of ``rel``, refused when it resolves outside the root."""
        dest = self._local(rel)
        if not self._has_link_below_root(rel):
            return dest  # a clean relative path with no symlink in it stays inside
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(dest)
        if not inside(real, real_root):
            raise UnsafeArtifactPathError(
                original if original is not None else rel,
                f"it resolves to {real!r} through a symlink, outside the artifact root "
                f"{self.root!r}",
            )
        return dest

    def _has_link_below_root(self, rel: str) -> bool:
        """Whether the root, or a part of ``rel`` that exists, is a symlink. One ``lstat``
        per part under the root, where ``realpath`` of the whole path costs one per part
        from ``/``: every artifact write asks."""
        path = self.root
        for part in ["", *rel.split("/")] if rel else [""]:
            path = os.path.join(path, part) if part else path
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                return False  # nothing exists from here on: nothing to follow
            if stat.S_ISLNK(mode):
                return True
        return False

    def _writable(self, rel: str) -> str:
        """Resolve ``rel`` for writing a file, refusing what the write would trip over."""
        dest = self._under_dirs(rel)
        if os.path.isdir(dest):
            raise InvalidInputError(f"cannot write artifact {rel!r}: it is a directory")
        return dest

    def _under_dirs(self, rel: str) -> str:
        """Resolve ``rel``, refusing an ancestor that is a file."""
        dest = self._resolve(rel)
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            ancestor = self._local("/".join(parts[:depth]))
            if os.path.exists(ancestor) and not os.path.isdir(ancestor):
                raise InvalidInputError(
                    f"cannot write artifact {rel!r}: {'/'.join(parts[:depth])!r} is a file, "
                    "not a directory"
                )
            if not os.path.exists(ancestor):
                break
        return dest

    def tree_destination(self, path: str) -> str:
        """The local directory where a whole tree for ``path`` may be written in place.

        For writers that build a directory beside its destination and rename it in (a model
        directory): no temp copy, no second write of each file. The path is checked as for
        a file write; nothing is created.
        """
        rel = clean_file_path(path)
        return self._under_dirs(rel)

    # -- writing -------------------------------------------------------------------------------
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        src, rel = source_file(local_file, artifact_path)
        _copy(src, self._writable(rel))

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        plan = [(src, self._writable(rel)) for src, rel in source_tree(local_dir, artifact_path)]
        if not plan:
            os.makedirs(self._resolve(clean_path(artifact_path)), exist_ok=True)
        for src, dest in plan:
            _copy(src, dest)

    def write_bytes(self, path: str, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"write_bytes needs bytes, got {type(data).__name__}")
        dest = self._writable(clean_file_path(path))
        atomic_write(dest, lambda handle: handle.write(data))

    def put_file(self, local_file: str, path: str) -> None:
        dest = self._writable(clean_file_path(path))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        try:
            os.replace(local_file, dest)  # same file system: the file appears whole, at once
        except OSError:
            _copy(local_file, dest)

    # -- reading -------------------------------------------------------------------------------
    def open(self, path: str, mode: str = "rb") -> IO[Any]:
        check_read_mode(mode)
        rel = clean_file_path(path)
        local = self._resolve(rel, path)
        if os.path.isdir(local):
            raise InvalidInputError(f"cannot open artifact {rel!r}: it is a directory")
        if not os.path.isfile(local):
            raise NotFoundError(f"no artifact {rel!r} under {self.root_uri}")
        if mode == "r":
            return open(local, encoding="utf-8")  # noqa: SIM115 - the caller closes it
        return open(local, "rb")  # noqa: SIM115

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = clean_path(path)
        local = self._resolve(rel, path)
        if not os.path.isdir(local):
            return []
        real_root = os.path.realpath(self.root)
        infos = []
        with os.scandir(local) as entries:
            for entry in entries:
                if entry.name.startswith(TEMP_PREFIX):
                    continue
                if entry.is_symlink() and not inside(os.path.realpath(entry.path), real_root):
                    continue  # unreadable through this store, so not listed either
                child = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir():
                    infos.append(FileInfo(child, True, None))
                elif entry.is_file():
                    infos.append(FileInfo(child, False, entry.stat().st_size))
        return sorted(infos, key=lambda info: info.path)

    def download_artifacts(self, path: str = "", dst_path: str | None = None) -> str:
        rel = clean_path(path)
        local = self._resolve(rel, path)
        if not os.path.exists(local):
            raise NotFoundError(f"no artifact {rel or '(root)'!r} under {self.root_uri}")
        target = download_target(rel, dst_path)
        if os.path.isdir(local):
            files = walk_files(local, action="download artifacts", skip_temp=True)
            os.makedirs(target, exist_ok=True)
            for src, sub in files:
                _copy(src, os.path.join(target, *sub.split("/")))
        else:
            _copy(local, target)
        return target

    # -- deleting ------------------------------------------------------------------------------
    def delete_artifacts(self, path: str | None = None) -> int:
        rel = clean_path(path)
        local = self._local(rel)
        # the parent must resolve inside; the entry itself may be a link, which is removed
        # as a link and never followed
        self._resolve(rel.rpartition("/")[0], path)
        if not os.path.lexists(local):
            return 0
        if rel and (os.path.islink(local) or not os.path.isdir(local)):
            freed = os.lstat(local).st_size
            os.unlink(local)
            return freed
        freed = _tree_size(local)
        if os.path.islink(local):  # a root that is a link: empty what it points at, keep the link
            for entry in os.scandir(local):
                _remove(entry.path)
        else:
            shutil.rmtree(local)
        return freed


def _copy(src: str, dest: str) -> None:
    with open(src, "rb") as source:
        atomic_write(dest, lambda handle: shutil.copyfileobj(source, handle, 1 << 20))


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _tree_size(top: str) -> int:
    total = 0
    for dirpath, _dirnames, filenames in os.walk(top):  # os.walk does not follow dir links
        for name in filenames:
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return total
