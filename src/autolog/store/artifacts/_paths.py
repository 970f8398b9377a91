"""Validation of the relative paths every artifact store takes.

A path names something under the store's root: relative, '/'-separated. It is checked and
normalised here, lexically, before any store touches a file system, so that the same path is
refused by every backend for the same reason and nothing is written for a refused path.
Local stores additionally check where the path resolves on disk (symlinks), see ``_local.py``.
"""

from __future__ import annotations

import re

from autolog.errors import UnsafeArtifactPathError

_DRIVE = re.compile(r"^[A-Za-z]:")
# temp files of an atomic write in progress; never listed, never downloaded
TEMP_PREFIX = ".autolog-tmp-"


def clean_path(path: str | None, *, what: str = "artifact path") -> str:
    """The canonical form of a relative artifact path: 'a/b/c', or '' for the root itself.

    None, '' and '.' name the root. '.' segments and one trailing '/' are dropped; a '..'
    segment is allowed only while it stays inside the root ('a/../b' is 'b').
    """
    if path is None:
        return ""
    if not isinstance(path, str):
        raise TypeError(f"{what} must be a str, got {type(path).__name__}: {path!r}")
    for char in path:
        if ord(char) < 32 or ord(char) == 127:
            raise UnsafeArtifactPathError(path, f"it contains the control character {char!r}")
    if "\\" in path:
        raise UnsafeArtifactPathError(path, "it contains '\\'; separate directories with '/'")
    if path.startswith("/") or _DRIVE.match(path):
        raise UnsafeArtifactPathError(path, "it is absolute")
    if "://" in path:
        raise UnsafeArtifactPathError(path, "it is a URI, not a path relative to the root")
    segments = path.split("/")
    if segments[-1] == "" and len(segments) > 1:
        segments.pop()  # 'dir/' names the directory 'dir'
    parts: list[str] = []
    for segment in segments:
        if segment == "":
            if path == "":
                continue
            raise UnsafeArtifactPathError(path, "it contains an empty segment ('//')")
        if segment == ".":
            continue
        if segment == "..":
            if not parts:
                raise UnsafeArtifactPathError(path, "its '..' segments leave the root")
            parts.pop()
            continue
        parts.append(segment)
    return "/".join(parts)


def clean_file_path(path: str, *, what: str = "artifact file path") -> str:
    """Like ``clean_path`` but must name a file: not the root, no trailing '/'."""
    if not isinstance(path, str):
        raise TypeError(f"{what} must be a str, got {type(path).__name__}: {path!r}")
    cleaned = clean_path(path, what=what)
    if cleaned == "" or path.endswith("/"):
        raise UnsafeArtifactPathError(path, "it names a directory, not a file")
    return cleaned


def join(*parts: str) -> str:
    """Join cleaned relative paths, skipping empty ones."""
    return "/".join(part for part in parts if part)
