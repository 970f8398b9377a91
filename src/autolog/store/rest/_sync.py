"""``autolog sync``: upload the spool files on this machine, whoever left them.

Every spool file of a server is uploaded in turn (under its upload lock, so never twice at
once); a file whose process has ended is removed when nothing is left in it. A file still
owned by a running process is uploaded too (an offline run that goes on logging), and stays.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from autolog.store.rest._http import http_for
from autolog.store.rest._spool import Spool, release, server_dir, spool_root

#: progress(requests done, requests in all, points done, points in all)
Progress = Callable[[int, int, int, int], None]


@dataclass
class SyncReport:
    """What ``sync`` did for one server."""

    base_url: str
    files: int = 0
    ops: int = 0
    points: int = 0
    artifacts: int = 0
    removed: int = 0
    #: files another process was uploading (left for it)
    busy: int = 0
    refused: list[str] = field(default_factory=list)
    #: requests still waiting (the server stopped answering, or a busy file)
    left: int = 0


def servers() -> list[str]:
    """The servers that have spool files on this machine."""
    root = spool_root()
    found = set()
    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return []
    for name in names:
        for spool in Spool.existing(os.path.join(root, name)):
            try:
                if spool.base_url:
                    found.add(spool.base_url)
            finally:
                spool.close()
    return sorted(found)


def pending(base_url: str) -> tuple[int, int, int]:
    """(spool files, requests, metric points) waiting for ``base_url``."""
    files = ops = points = 0
    for spool in Spool.existing(server_dir(base_url)):
        try:
            waiting = spool.pending()
        finally:
            spool.close()
        files += 1
        ops += waiting[0]
        points += waiting[1]
    return files, ops, points


def sync(base_url: str, progress: Progress | None = None, retry_failed: bool = False) -> SyncReport:
    """Upload every spool file of ``base_url``; ServerUnreachableError if it does not answer."""
    from autolog.store.rest import _replay

    http = http_for(base_url)
    http.check()
    report = SyncReport(base_url)
    _, total_ops, total_points = pending(base_url)
    done_ops = done_points = 0
    for spool in Spool.existing(server_dir(base_url)):
        report.files += 1
        fd = spool.replay_lock()
        if fd is None:
            report.busy += 1
            report.left += spool.pending()[0]
            spool.close()
            continue
        try:
            if retry_failed and spool.retry_failed():
                total_ops, total_points = total_ops + spool.pending()[0], total_points

            def step(ops: int, points: int) -> None:
                if progress is not None:
                    progress(done_ops + ops, total_ops, done_points + points, total_points)

            outcome = _replay.upload(spool, http, step)
            done_ops += outcome.ops
            done_points += outcome.points
            report.ops += outcome.ops
            report.points += outcome.points
            report.artifacts += outcome.files
            report.refused += outcome.refused
            report.left += spool.pending()[0]
            empty = not outcome.interrupted and _replay.is_empty(spool) and not spool.failures()
            gone = not spool.owner_alive()
        finally:
            release(fd)
        if empty and gone:
            spool.remove()
            report.removed += 1
        else:
            spool.close()
        if outcome.interrupted:
            break
    return report
