"""Writing local files so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from typing import IO

from autolog.errors import InvalidInputError
from autolog.store.artifacts._paths import TEMP_PREFIX


def atomic_write(dest: str, fill: Callable[[IO[bytes]], object]) -> None:
    """Create or replace the local file ``dest`` with what ``fill`` writes, atomically.

    The data goes to a temp file beside ``dest`` (same file system), then is renamed over
    ``dest``; on any failure the temp file is removed and ``dest`` keeps its old content (or
    stays absent).

    No fsync: the rename makes the write atomic for readers and against a killed process,
    which is the promise. Durability against a power cut is left to the kernel's writeback,
    the same trade as the SQLite store's ``synchronous=NORMAL`` (a power cut may lose the
    last commits, never corrupt). An fsync per file cost 0.5-3 ms each on local disks, the
    largest part of an autologged fit's overhead.
    """
    parent = os.path.dirname(dest)
    try:
        os.makedirs(parent, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise InvalidInputError(
            f"cannot write {dest!r}: a parent of it is a file, not a directory ({exc.filename})"
        ) from exc
    if os.path.isdir(dest) and not os.path.islink(dest):
        raise InvalidInputError(f"cannot write the file {dest!r}: a directory is there")
    tmp = os.path.join(parent, TEMP_PREFIX + secrets.token_hex(8))
    # os.open with 0o666 lets the umask decide the mode, as for any file the user creates
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_read_mode(mode: str) -> None:
    """Artifact files open for reading only, as bytes ('rb') or UTF-8 text ('r')."""
    if mode not in ("rb", "r"):
        raise InvalidInputError(
            f"artifacts open for reading only: mode must be 'rb' or 'r', got {mode!r}"
        )


def download_target(rel: str, dst_path: str | None) -> str:
    """Where ``download_artifacts`` puts ``rel``: inside ``dst_path`` or a new temp dir."""
    if dst_path is None:
        dst_dir = tempfile.mkdtemp(prefix="autolog-")
    else:
        dst_dir = os.path.abspath(dst_path)
    return os.path.join(dst_dir, rel.rsplit("/", 1)[-1]) if rel else dst_dir
