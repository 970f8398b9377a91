"""Local files about to be copied: checked and listed before a single byte is written.

Symlink policy when a local directory is copied (``log_artifacts(local_dir)``, and a local
store's ``download_artifacts``): a symlink inside the directory is followed only when it
resolves to a place inside that directory (its content is copied, not the link). A symlink
that points outside is refused with UnsafeArtifactPathError: logging a directory must never
upload a file the directory merely points at (``~/.aws/credentials``, ``/etc/passwd``).
A file named explicitly to ``log_artifact`` is the caller's choice and is read even when it
is a symlink.
"""

from __future__ import annotations

import errno
import os

from autolog.errors import InvalidInputError, UnsafeArtifactPathError
from autolog.store.artifacts._paths import TEMP_PREFIX, clean_file_path, clean_path, join


def inside(path: str, root: str) -> bool:
    """Whether the absolute ``path`` is ``root`` or lies below it (both already resolved)."""
    return os.path.commonpath([path, root]) == root


def source_file(local_file: str, artifact_path: str | None) -> tuple[str, str]:
    """(absolute local path, destination) for ``log_artifact``; the file must exist."""
    local_file = os.fspath(local_file)
    prefix = clean_path(artifact_path)
    if not os.path.exists(local_file):
        raise FileNotFoundError(
            errno.ENOENT, f"cannot log artifact: no such file: {local_file!r}", local_file
        )
    if os.path.isdir(local_file):
        raise IsADirectoryError(
            errno.EISDIR,
            f"cannot log artifact: {local_file!r} is a directory; use log_artifacts for a "
            "directory",
            local_file,
        )
    if not os.path.isfile(local_file):
        raise InvalidInputError(
            f"cannot log artifact {local_file!r}: it is not a regular file (FIFO, socket or device)"
        )
    name = os.path.basename(local_file)
    return os.path.abspath(local_file), clean_file_path(join(prefix, name))


def source_tree(local_dir: str, artifact_path: str | None) -> list[tuple[str, str]]:
    """(absolute local path, destination) for every file under ``local_dir``, sorted.

    Raises before returning if any entry would be refused, so callers write all or nothing
    of what they were asked to write.
    """
    prefix = clean_path(artifact_path)
    local_dir = os.fspath(local_dir)
    if not os.path.exists(local_dir):
        raise FileNotFoundError(
            errno.ENOENT, f"cannot log artifacts: no such directory: {local_dir!r}", local_dir
        )
    if not os.path.isdir(local_dir):
        raise NotADirectoryError(
            errno.ENOTDIR,
            f"cannot log artifacts: {local_dir!r} is not a directory; use log_artifact for "
            "one file",
            local_dir,
        )
    files = walk_files(local_dir, action="log artifacts")
    return [(local, clean_file_path(join(prefix, rel))) for local, rel in files]


def walk_files(top: str, *, action: str, skip_temp: bool = False) -> list[tuple[str, str]]:
    """(absolute path, '/'-separated path relative to ``top``) of every file below ``top``."""
    real_top = os.path.realpath(top)
    found: list[tuple[str, str]] = []
    _walk(os.path.abspath(top), "", real_top, {real_top}, found, action, skip_temp)
    return found


def _walk(
    directory: str,
    rel: str,
    top: str,
    ancestors: set[str],
    found: list[tuple[str, str]],
    action: str,
    skip_temp: bool,
) -> None:
    with os.scandir(directory) as entries:
        ordered = sorted(entries, key=lambda entry: entry.name)
    for entry in ordered:
        if skip_temp and entry.name.startswith(TEMP_PREFIX):
            continue
        entry_rel = join(rel, entry.name)
        if entry.is_symlink():
            target = os.path.realpath(entry.path)
            if not inside(target, top):
                raise UnsafeArtifactPathError(
                    entry.path,
                    f"it is a symlink to {target!r}, outside the directory being copied ({top!r})",
                    f"Cannot {action}: links that leave the directory are never followed; copy "
                    "the file into the directory, or log it explicitly with log_artifact.",
                )
            if not os.path.exists(target):
                raise FileNotFoundError(
                    errno.ENOENT, f"cannot {action}: broken symlink {entry.path!r}", entry.path
                )
        if entry.is_dir():
            real = os.path.realpath(entry.path)
            if real in ancestors:
                raise InvalidInputError(
                    f"cannot {action}: {entry.path!r} is a symlink loop (it points back to "
                    f"{real!r}); remove the link"
                )
            _walk(entry.path, entry_rel, top, ancestors | {real}, found, action, skip_temp)
        elif entry.is_file():
            found.append((entry.path, entry_rel))
        else:
            raise InvalidInputError(
                f"cannot {action}: {entry.path!r} is not a regular file (FIFO, socket or "
                "device); remove it from the directory"
            )
