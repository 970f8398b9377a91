"""Where projects keep what they reuse (git clones, environments, run output), and a lock.

The cache lives in ``$AUTOLOG_CACHE_DIR``, else ``$XDG_CACHE_HOME/autolog``, else
``~/.cache/autolog``. Entries are built under a lock file and marked complete only at the end,
so two ``autolog run`` at once build an entry once, and an entry whose build died half-way is
built again rather than used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

READY = ".autolog-ready"  # written last inside a cached entry: the entry is complete


def cache_dir(*parts: str) -> str:
    """A directory under the cache root (created)."""
    root = os.environ.get("AUTOLOG_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "autolog",
    )
    path = os.path.join(os.path.abspath(root), *parts)
    os.makedirs(path, exist_ok=True)
    return path


@contextmanager
def locked(path: str) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created) for the block; other processes
    asking for the same lock wait. Without ``fcntl`` (Windows) there is no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_ready(entry: str) -> bool:
    return os.path.exists(os.path.join(entry, READY))


def mark_ready(entry: str) -> None:
    with open(os.path.join(entry, READY), "w") as marker:
        marker.write("complete\n")


def discard(entry: str) -> None:
    """Remove a half-built entry (nothing when there is none)."""
    if os.path.lexists(entry):
        shutil.rmtree(entry, ignore_errors=True)
