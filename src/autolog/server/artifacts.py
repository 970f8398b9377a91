"""The artifact proxy, ``/api/2.0/mlflow-artifacts/artifacts/<path>``: streamed both ways.

Paths are relative to the server's artifacts destination. Each one is decoded once (by the
ASGI server), then refused if it still looks encoded, carries '?' or '#', a NUL or other
control character, a backslash, is absolute, or climbs out with '..'
(``autolog.store.artifacts._paths.clean_path``); a local destination also refuses paths that
leave it through a symlink. Nothing is written for a refused path.

An upload is streamed to a temporary file (inside the destination when it is local, so the
final step is a rename), and put in place only when the whole body has arrived: a cut
connection leaves no half file. A download streams from the store in 1 MiB blocks.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from autolog.errors import InvalidInputError, PermissionDeniedError, UnsafeArtifactPathError
from autolog.server._api import Api
from autolog.server._http import Args, check_write, too_large
from autolog.store.artifacts._paths import TEMP_PREFIX, clean_file_path, clean_path

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
_BLOCK = 1 << 20


def proxy_path(raw: str) -> str:
    """A decoded request path below the artifact root, checked and normalised ('' = root)."""
    for char, why in (("?", "a '?'"), ("#", "a '#'")):
        if char in raw:
            raise UnsafeArtifactPathError(raw, f"it contains {why}", "Name files without '?' or '#'.")
    if _ENCODED.search(raw):
        raise UnsafeArtifactPathError(raw, "it is still percent-encoded after decoding (encoded twice)")
    return clean_path(raw)


def _file_path(request: Request) -> str:
    raw = request.path_params["path"]
    proxy_path(raw)
    return clean_file_path(raw)


def spool_dir(api: Api) -> str | None:
    """Where uploads are received: inside a local destination (so they are renamed in)."""
    rel = api.relative(api.artifact_root)
    if api.artifacts.root_uri and rel == "" and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", api.artifact_root):
        path = os.path.join(api.root_join(""), TEMP_PREFIX + "uploads")
        os.makedirs(path, exist_ok=True)
        return path
    return None


def upload(api: Api) -> Any:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    limit = api.config.max_upload_bytes
    where = spool_dir(api)

    async def put(request: Request) -> Response:
        check_write(request)
        rel = _file_path(request)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large(int(declared), limit)
        fd, spool = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=where)
        try:
            with os.fdopen(fd, "wb") as handle:
                pending: list[bytes] = []
                buffered = size = 0
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise too_large(size, limit)
                    pending.append(chunk)
                    buffered += len(chunk)
                    if buffered >= _BLOCK:
                        # written in the loop: 1 MiB into the page cache takes well under a
                        # millisecond, where a hop to a thread per block stalls the reading
                        handle.write(b"".join(pending))
                        pending, buffered = [], 0
                if pending:
                    handle.write(b"".join(pending))
            await run_in_threadpool(api.artifacts.put_file, spool, rel)
        finally:
            if os.path.exists(spool):
                os.unlink(spool)
        return Response(b"{}", media_type="application/json")

    return put


def download(api: Api) -> Any:
    import mimetypes

    from starlette.concurrency import run_in_threadpool
    from starlette.responses import StreamingResponse

    async def get(request: Request) -> Response:
        rel = _file_path(request)
        handle = await run_in_threadpool(api.artifacts.open, rel, "rb")
        headers = {}
        size = _size(handle)
        if size is not None:
            headers["Content-Length"] = str(size)
        kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml") or kind.endswith("html"):
            kind = "text/plain"  # never rendered by a browser as a page of this origin
        headers["X-Content-Type-Options"] = "nosniff"
        return StreamingResponse(_blocks(handle), media_type=kind, headers=headers)

    return get


def _size(handle: IO[bytes]) -> int | None:
    try:
        return os.fstat(handle.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        size = getattr(handle, "size", None)
        return size if isinstance(size, int) else None


def _blocks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while block := handle.read(_BLOCK):
            yield block


def delete(api: Api) -> Any:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    async def remove(request: Request) -> Response:
        check_write(request)
        rel = proxy_path(request.path_params["path"])
        if not rel:
            raise InvalidInputError("refusing to delete the whole artifact root; name a path below it")
        await run_in_threadpool(api.artifacts.delete_artifacts, rel)
        return Response(b"{}", media_type="application/json")

    return remove


def list_files(api: Api, args: Args) -> dict[str, Any]:
    """``GET /api/2.0/mlflow-artifacts/artifacts?path=``: direct children, names relative."""
    rel = proxy_path(args.opt_text("path") or "")
    infos = api.artifacts.list_artifacts(rel or None)
    return {"files": [_file(info, info.path.rsplit("/", 1)[-1]) for info in infos]}


def list_run(api: Api, args: Args) -> dict[str, Any]:
    """``/api/2.0/mlflow/artifacts/list?run_id=&path=``: a run's artifacts, paths from its root."""
    from autolog.server.runs import run_id

    run = api.store.get_run(run_id(args))
    return listing(api, run.info.artifact_uri, args.opt_text("path"), f"run {run.info.run_id}")


def listing(api: Api, location: str, path: str | None, owner: str) -> dict[str, Any]:
    """The files below ``path`` of something whose files live at ``location`` (a run, a
    logged model), paths relative to ``location``; never outside the artifact root."""
    base = api.relative(location)
    if base is None:
        raise PermissionDeniedError(
            f"{owner} keeps its files at {location}, outside this server's artifacts "
            "destination; the server does not read there"
        )
    rel = proxy_path(path or "")
    infos = api.artifacts.list_artifacts("/".join(p for p in (base, rel) if p) or None)
    cut = len(base) + 1 if base else 0
    return {"root_uri": api.public_location(location), "files": [_file(info, info.path[cut:]) for info in infos]}


def _file(info: Any, path: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": path, "is_dir": info.is_dir}
    if info.file_size is not None:
        entry["file_size"] = info.file_size
    return entry
