"""``autolog artifacts list/download``."""

from __future__ import annotations

import os
from typing import Any

from autolog._cli import _output as out
from autolog._cli._common import client

_CHUNK = 1024 * 1024


def _walk(store: Any, path: str | None) -> list[Any]:
    """Every file under ``path`` (a file path gives itself)."""
    files = []
    for entry in store.list_artifacts(path):
        files.extend(_walk(store, entry.path) if entry.is_dir else [entry])
    return files


def _store(args: Any) -> Any:
    from autolog.store import open_artifact_store

    run = client(args).get_run(args.run_id)
    return open_artifact_store(run.info.artifact_uri)


def list_artifacts(args: Any) -> int:
    store = _store(args)
    entries = _walk(store, args.path) if args.recursive else store.list_artifacts(args.path)
    if out.wants_json(args):
        out.print_json(
            {"artifacts": [{"path": e.path, "is_dir": e.is_dir, "file_size": e.file_size} for e in entries]}
        )
        return 0
    out.print_table(
        ["PATH", "SIZE"],
        [[e.path + ("/" if e.is_dir else ""), "" if e.is_dir else out.size(e.file_size)] for e in entries],
        limit=120,
    )
    return 0


def download(args: Any) -> int:
    store = _store(args)
    path = (args.path or "").strip("/")
    files = _walk(store, path or None)
    if not files and path:  # a file has no children: find it in its directory's listing
        parent = path.rsplit("/", 1)[0] if "/" in path else None
        files = [e for e in store.list_artifacts(parent) if e.path == path and not e.is_dir]
    single = len(files) == 1 and files[0].path == path and path != ""
    if not files:
        from autolog.errors import NotFoundError

        raise NotFoundError(f"run {args.run_id} has no artifacts under {path or 'its root'!r}")
    dst = os.path.abspath(args.dst or ".")
    total = sum(f.file_size or 0 for f in files)
    progress = out.Progress(total, "downloading")
    written = []
    try:
        for f in files:
            relative = os.path.basename(f.path) if single else _relative(f.path, path)
            target = os.path.join(dst, *relative.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            partial = target + ".part"
            with store.open(f.path, "rb") as src, open(partial, "wb") as sink:
                while chunk := src.read(_CHUNK):
                    sink.write(chunk)
                    progress.advance(len(chunk))
            os.replace(partial, target)  # a failed download never leaves a half file in place
            written.append(target)
    finally:
        progress.close()
    local = written[0] if single else os.path.join(dst, *path.split("/")[-1:]) if path else dst
    if out.wants_json(args):
        out.print_json({"local_path": local, "files": written, "bytes": total})
    else:
        print(f"downloaded {len(written)} file(s), {out.size(total)}, to {local}")
    return 0


def _relative(file_path: str, under: str) -> str:
    if not under:
        return file_path
    # keep the last component of the requested directory, like cp -r does
    base = under.rsplit("/", 1)[-1]
    return base + "/" + file_path[len(under) :].lstrip("/")


def register(sub: Any, common: Any) -> None:
    group = sub.add_parser("artifacts", help="list and download a run's artifacts")
    cmds = group.add_subparsers(metavar="COMMAND")
    p = cmds.add_parser("list", parents=[common], help="list a run's artifacts")
    p.add_argument("run_id")
    p.add_argument("path", nargs="?", help="a directory inside the run's artifacts")
    p.add_argument("--recursive", "-r", action="store_true", help="every file below, not just children")
    p.set_defaults(handler="autolog._cli.artifacts:list_artifacts")
    p = cmds.add_parser("download", parents=[common], help="download a run's artifacts (all, or PATH)")
    p.add_argument("run_id")
    p.add_argument("path", nargs="?", help="a file or directory inside the run's artifacts")
    p.add_argument("--dst", "-d", help="local directory to write into (default: the current one)")
    p.set_defaults(handler="autolog._cli.artifacts:download")
