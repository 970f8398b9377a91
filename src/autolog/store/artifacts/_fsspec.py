"""Artifacts under any fsspec URL: ``s3://bucket/prefix``, ``gs://...``, ``memory://...``.

fsspec and the protocol's package (s3fs for S3) come with the ``s3`` extra and are imported
on first use, never when autolog is imported.

Configuration, read when a store first touches its file system:

- ``AUTOLOG_FSSPEC_OPTIONS``: JSON object keyed by protocol, each value the keyword
  arguments for that file system, e.g. ``{"s3": {"anon": false, "client_kwargs":
  {"region_name": "eu-west-1"}}}``.
- ``AUTOLOG_S3_ENDPOINT_URL``: the S3 endpoint (MinIO, moto, Ceph...) for ``s3://`` roots;
  ``AWS_ENDPOINT_URL`` works as well, read by botocore itself.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from typing import IO, Any

from autolog.errors import InvalidInputError, NotFoundError, StoreError
from autolog.core._store import ArtifactStore
from autolog.store.artifacts._files import atomic_write, check_read_mode, download_target
from autolog.store.artifacts._paths import clean_file_path, clean_path, join
from autolog.store.artifacts._sources import source_file, source_tree
from autolog.core._entities import FileInfo

_PACKAGES = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs"}


def storage_options(protocol: str) -> dict[str, Any]:
    """Keyword arguments for the ``protocol`` file system, from the environment."""
    options: dict[str, Any] = {}
    raw = os.environ.get("AUTOLOG_FSSPEC_OPTIONS", "").strip()
    if raw:
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f"AUTOLOG_FSSPEC_OPTIONS is not valid JSON ({exc}); expected an object keyed "
                'by protocol, such as {"s3": {"anon": false}}'
            ) from exc
        if not isinstance(parsed, dict) or not all(isinstance(v, dict) for v in parsed.values()):
            raise InvalidInputError(
                "AUTOLOG_FSSPEC_OPTIONS must be a JSON object keyed by protocol whose values "
                f'are objects, such as {{"s3": {{"anon": false}}}}; got {raw!r}'
            )
        options.update(parsed.get(protocol, {}))
    endpoint = os.environ.get("AUTOLOG_S3_ENDPOINT_URL", "").strip()
    if protocol == "s3" and endpoint:
        options.setdefault("endpoint_url", endpoint)
    return options


class FsspecArtifactStore(ArtifactStore):
    """Files under an fsspec URL; the bucket must exist, the prefix is created on write.

    Object stores have no directories: a "directory" is a prefix that some file lies under.
    Listings are read fresh on every call (fsspec's listing cache is dropped), so files
    written by other processes show up at once.
    """

    def __init__(self, root_uri: str, storage_options: dict[str, Any] | None = None) -> None:
        super().__init__(root_uri)
        protocol, sep, rest = root_uri.partition("://")
        if not sep or not protocol or not rest.strip("/"):
            raise InvalidInputError(
                f"artifact root {root_uri!r} is not an fsspec URL; expected "
                "protocol://bucket/prefix, such as s3://my-bucket/artifacts"
            )
        self.protocol = protocol.lower()
        self._options = storage_options
        self._fs: Any = None
        self._root = ""

    # -- the file system -----------------------------------------------------------------------
    @property
    def fs(self) -> Any:
        """The fsspec file system, created on first use."""
        if self._fs is None:
            try:
                import fsspec.core
            except ImportError as exc:
                raise StoreError(
                    f"artifact root {self.root_uri!r} needs fsspec, which is not installed: "
                    "pip install 'autolog[s3]'"
                ) from exc
            options = storage_options(self.protocol)
            options.update(self._options or {})
            try:
                fs, root = fsspec.core.url_to_fs(self.root_uri, **options)
            except ImportError as exc:
                package = _PACKAGES.get(self.protocol, f"the fsspec backend for {self.protocol}://")
                hint = "'autolog[s3]'" if self.protocol == "s3" else package
                raise StoreError(
                    f"artifact root {self.root_uri!r} needs {package}, which is not installed "
                    f"({exc}): pip install {hint}"
                ) from exc
            except ValueError as exc:
                raise StoreError(
                    f"artifact root {self.root_uri!r} cannot be opened: {exc}"
                ) from exc
            self._fs, self._root = fs, root.rstrip("/")
        return self._fs

    def _full(self, rel: str) -> str:
        self._fresh()
        return join(self._root, rel) if rel else self._root

    def _rel(self, name: str) -> str:
        return name.strip("/")[len(self._root.strip("/")) :].strip("/")

    def _fresh(self) -> None:
        # s3fs caches listings per instance, and fsspec shares instances across the process;
        # a stale listing would hide files another process (or store) has written. Dropping
        # only our root is not enough: s3fs invalidates a path and its parents, not children.
        self.fs.invalidate_cache()

    # -- writing -------------------------------------------------------------------------------
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        src, rel = source_file(local_file, artifact_path)
        self.fs.put_file(src, self._full(rel))
        self._fresh()

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        plan = source_tree(local_dir, artifact_path)
        for src, rel in plan:
            self.fs.put_file(src, self._full(rel))
        self._fresh()

    def write_bytes(self, path: str, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"write_bytes needs bytes, got {type(data).__name__}")
        # one PUT: an object store shows the whole object or none of it
        self.fs.pipe_file(self._full(clean_file_path(path)), bytes(data))
        self._fresh()

    # -- reading -------------------------------------------------------------------------------
    def open(self, path: str, mode: str = "rb") -> IO[Any]:
        check_read_mode(mode)
        rel = clean_file_path(path)
        full = self._full(rel)
        if self.fs.isdir(full):
            raise InvalidInputError(f"cannot open artifact {rel!r}: it is a directory")
        try:
            handle = self.fs.open(full, "rb")
        except FileNotFoundError as exc:
            raise NotFoundError(f"no artifact {rel!r} under {self.root_uri}") from exc
        if mode == "r":
            return io.TextIOWrapper(handle, encoding="utf-8")
        return handle  # type: ignore[no-any-return]

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = clean_path(path)
        full = self._full(rel)
        try:
            entries = self.fs.ls(full, detail=True)
        except FileNotFoundError:
            return []
        infos = []
        for entry in entries:
            child = self._rel(entry["name"])
            if child == rel:  # ls of a file lists the file itself; a directory marker lists itself
                continue
            if entry["type"] == "directory":
                infos.append(FileInfo(child, True, None))
            else:
                infos.append(FileInfo(child, False, int(entry["size"])))
        return sorted(infos, key=lambda info: info.path)

    def download_artifacts(self, path: str = "", dst_path: str | None = None) -> str:
        rel = clean_path(path)
        full = self._full(rel)
        if self.fs.isdir(full):
            files = self._files(full)
        elif self.fs.isfile(full):
            files = None
        else:
            raise NotFoundError(f"no artifact {rel or '(root)'!r} under {self.root_uri}")
        target = download_target(rel, dst_path)
        if files is None:
            self._get(full, target)
            return target
        os.makedirs(target, exist_ok=True)
        for name, sub in files:
            self._get(name, os.path.join(target, *sub.split("/")))
        return target

    def _files(self, full: str) -> list[tuple[str, str]]:
        """(remote name, checked path relative to ``full``) of every file under ``full``."""
        prefix = full.strip("/")
        files = []
        for name in sorted(self.fs.find(full)):
            sub = name.strip("/")[len(prefix) :].strip("/")
            # keys written by others may hold '..' or control characters: check them before
            # they become local paths
            files.append((name, clean_file_path(sub, what="object key")))
        return files

    def _get(self, name: str, dest: str) -> None:
        with self.fs.open(name, "rb") as source:
            atomic_write(dest, lambda handle: shutil.copyfileobj(source, handle, 1 << 20))

    # -- deleting ------------------------------------------------------------------------------
    def delete_artifacts(self, path: str | None = None) -> int:
        rel = clean_path(path)
        full = self._full(rel)
        if self.fs.isfile(full):
            freed = int(self.fs.size(full))
            self.fs.rm_file(full)
            self._fresh()
            return freed
        found = self.fs.find(full, detail=True)
        if not found:
            return 0
        freed = sum(int(info.get("size") or 0) for info in found.values())
        self.fs.rm(sorted(found))
        # leftover directory entries (memory://, marker objects); never the bucket itself
        if "/" in full.strip("/") and self.fs.exists(full):
            self.fs.rm(full, recursive=True)
        self._fresh()
        return freed
