"""``ProxyArtifactStore``: files under a tracking server's artifact proxy, streamed both ways.

Its root is a proxy URL, ``http(s)://host:port/api/2.0/mlflow-artifacts/artifacts/<path>``,
which is what ``RestStore`` shows for locations the server gives as ``mlflow-artifacts:/...``.
Uploads stream a file from disk (``PUT``), downloads stream to disk in 1 MiB blocks, listings
read one directory per request (``GET .../artifacts?path=``). Paths are checked here with the
same rules as every store before anything is sent; the server checks them again.

While the server cannot be reached (and ``AUTOLOG_MODE`` is not ``online``), a file to upload
is copied into the spool with its destination and sent when the server is back.
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from typing import IO, TYPE_CHECKING, Any

from autolog.core._entities import FileInfo
from autolog.core._store import ArtifactStore
from autolog.errors import InvalidInputError, NotFoundError, ServerUnreachableError
from autolog.store.artifacts._files import atomic_write, check_read_mode, download_target
from autolog.store.artifacts._paths import clean_file_path, clean_path, join
from autolog.store.artifacts._sources import source_file, source_tree
from autolog.store.rest._http import from_answer, quote_path
from autolog.store.rest._replay import UPLOAD
from autolog.store.rest._wire import PROXY_PATH

if TYPE_CHECKING:
    from autolog.store.rest._link import Link

_BLOCK = 1 << 20


class ProxyArtifactStore(ArtifactStore):
    """Files under ``<server>/api/2.0/mlflow-artifacts/artifacts/<root>``."""

    def __init__(self, root_uri: str, spool: bool = True) -> None:
        super().__init__(root_uri.rstrip("/"))
        base, found, rest = self.root_uri.partition(PROXY_PATH)
        if not found or (rest and not rest.startswith("/")):
            raise InvalidInputError(
                f"artifact root {root_uri!r} is not an artifact proxy URL of a tracking server; "
                f"expected http(s)://host:port{PROXY_PATH}/<path>"
            )
        self.base_url = base
        self.root = clean_path(rest.strip("/"))
        self._spool = spool

    @property
    def link(self) -> Link:
        from autolog.store.rest._link import link_for

        return link_for(self.base_url)

    def _path(self, rel: str) -> str:
        return PROXY_PATH + "/" + quote_path(join(self.root, rel)) if join(self.root, rel) else PROXY_PATH

    # -- writing -----------------------------------------------------------------------------------
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        src, rel = source_file(local_file, artifact_path)
        self.put_path(src, rel)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        for src, rel in source_tree(local_dir, artifact_path):
            self.put_path(src, rel)

    def write_bytes(self, path: str, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"write_bytes needs bytes, got {type(data).__name__}")
        rel = clean_file_path(path)
        self._put(rel, io.BytesIO(bytes(data)), len(data), None)

    def put_file(self, local_file: str, path: str) -> None:
        self.put_path(local_file, clean_file_path(path))
        os.unlink(local_file)

    def put_path(self, local_file: str, rel: str) -> None:
        """Upload the local file as ``rel`` (already checked), streamed from disk."""
        with open(local_file, "rb") as handle:
            self._put(rel, handle, os.fstat(handle.fileno()).st_size, local_file)

    def _put(self, rel: str, body: IO[bytes], size: int, local_file: str | None) -> None:
        link = self.link
        path = self._path(rel)
        if self._spool and link.spooling(None) and link.mode != "online":
            self._spool_upload(link, path, body, local_file)
            return
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        try:
            answer = link.http.send("PUT", path, body, headers=headers)
        except ServerUnreachableError:
            if not self._spool or link.mode == "online":
                raise
            self._spool_upload(link, path, body, local_file)
            return
        if answer.status >= 400:
            raise from_answer(self.base_url, answer.status, answer.data)

    def _spool_upload(self, link: Link, path: str, body: IO[bytes], local_file: str | None) -> None:
        spool = link.spool
        directory = spool.artifacts_dir + ".uploads"
        os.makedirs(directory, exist_ok=True)
        copy = os.path.join(directory, uuid.uuid4().hex)
        body.seek(0)
        with open(copy, "wb") as out:
            shutil.copyfileobj(body, out, _BLOCK)
            out.flush()
            os.fsync(out.fileno())
        with link._lock:
            link._append(None, UPLOAD, {"url": path, "file": copy}, 0, uncertain=False)

    # -- reading -----------------------------------------------------------------------------------
    def open(self, path: str, mode: str = "rb") -> IO[Any]:
        check_read_mode(mode)
        rel = clean_file_path(path)
        answer = self.link.http.send("GET", self._path(rel), headers={"Accept": "*/*"}, stream=True)
        if answer.status >= 400:
            data = answer.data
            answer.release_conn()
            raise self._error(answer.status, data, rel)
        handle: IO[Any] = answer  # type: ignore[assignment]
        return io.TextIOWrapper(handle, encoding="utf-8") if mode == "r" else handle

    def _error(self, status: int, data: bytes, rel: str) -> Exception:
        if status == 404:
            return NotFoundError(f"no artifact {rel!r} under {self.root_uri}")
        return from_answer(self.base_url, status, data)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = clean_path(path)
        try:
            answer = self.link.http.call("GET", PROXY_PATH, params={"path": join(self.root, rel)})
        except ServerUnreachableError:
            if not self._spool or self.link.mode == "online":
                raise
            return self._spooled_below(rel)
        infos = [
            FileInfo(join(rel, entry["path"]), bool(entry.get("is_dir")), entry.get("file_size"))
            for entry in answer.get("files") or ()
        ]
        return sorted(infos, key=lambda info: info.path)

    def _spooled_below(self, rel: str) -> list[FileInfo]:
        """While the server cannot be reached: the children of ``rel`` among spooled uploads."""
        link = self.link
        if link._spool is None:
            return []
        prefix = self._path(rel).rstrip("/") + "/"
        children: dict[str, FileInfo] = {}
        for op in link.spool.ops_of_path(UPLOAD):
            url = op.doc["url"]
            if not url.startswith(prefix):
                continue
            name, _, below = url[len(prefix):].partition("/")
            from urllib.parse import unquote

            child = join(rel, unquote(name))
            children[child] = FileInfo(child, True, None) if below else FileInfo(child, False, os.path.getsize(op.doc["file"]))
        return sorted(children.values(), key=lambda info: info.path)

    def download_artifacts(self, path: str = "", dst_path: str | None = None) -> str:
        rel = clean_path(path)
        is_dir = rel == "" or self._is_dir(rel)
        target = download_target(rel, dst_path)
        if not is_dir:
            self._download(rel, target)
            return target
        files = self._walk(rel)
        if not files and rel:
            raise NotFoundError(f"no artifact {rel!r} under {self.root_uri}")
        os.makedirs(target, exist_ok=True)
        for sub in files:
            self._download(join(rel, sub), os.path.join(target, *sub.split("/")))
        return target

    def _is_dir(self, rel: str) -> bool:
        parent, _, name = rel.rpartition("/")
        for info in self.list_artifacts(parent or None):
            if info.path == rel:
                return info.is_dir
        raise NotFoundError(f"no artifact {rel!r} under {self.root_uri}")

    def _walk(self, rel: str) -> list[str]:
        """Paths of every file below ``rel``, relative to it (checked: they become local paths)."""
        found: list[str] = []
        for info in self.list_artifacts(rel or None):
            sub = info.path[len(rel) + 1:] if rel else info.path
            if info.is_dir:
                found.extend(join(sub, below) for below in self._walk(info.path))
            else:
                found.append(clean_file_path(sub, what="artifact listed by the server"))
        return found

    def _download(self, rel: str, dest: str) -> None:
        answer = self.link.http.send("GET", self._path(rel), headers={"Accept": "*/*"}, stream=True)
        if answer.status >= 400:
            data = answer.data
            answer.release_conn()
            raise self._error(answer.status, data, rel)
        try:
            atomic_write(dest, lambda handle: _copy(answer, handle))
        finally:
            answer.release_conn()

    # -- deleting -----------------------------------------------------------------------------------
    def delete_artifacts(self, path: str | None = None) -> int:
        rel = clean_path(path)
        if not join(self.root, rel):
            raise InvalidInputError("refusing to delete the server's whole artifact root; name a path below it")
        freed = self._size(rel)
        if freed is None:
            return 0
        answer = self.link.http.send("DELETE", self._path(rel), again=None)
        if answer.status >= 400:
            raise self._error(answer.status, answer.data, rel)
        return freed

    def _size(self, rel: str) -> int | None:
        """Bytes under ``rel`` (a file or a directory), None when nothing is there."""
        if not rel:
            infos = self.list_artifacts()
        else:
            parent = rel.rpartition("/")[0]
            match = [i for i in self.list_artifacts(parent or None) if i.path == rel]
            if not match:
                return None
            if not match[0].is_dir:
                return match[0].file_size or 0
            infos = self.list_artifacts(rel)
        total = 0
        for info in infos:
            total += (self._size(info.path) or 0) if info.is_dir else (info.file_size or 0)
        return total if infos or rel else None


def _copy(source: Any, handle: IO[bytes]) -> None:
    for block in source.stream(_BLOCK):
        handle.write(block)
