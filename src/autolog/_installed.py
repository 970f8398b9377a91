"""Installed distributions: their entry points and versions, read with plain file reads.

``importlib.metadata`` costs ``autolog.enable()`` 15-30 ms before it reads anything: it
imports the email package, zipfile, csv and tempfile, and it parses a distribution's METADATA
with the email parser when asked for a name or version. All the plugin registry needs is a
few ``entry_points.txt`` sections and, now and then, a ``Name:`` or ``Version:`` line.

For the usual layout (``*.dist-info`` / ``*.egg-info`` folders in the ``sys.path``
directories, found by the standard path finder) this module reads those files itself, with
``importlib.metadata``'s rules: distributions in ``sys.path`` order, the first one of a
(normalized) name wins, entry-point files parsed line by line the same way. Anything else on
``sys.path`` (a zip file, an ``.egg``) or a meta-path finder with ``find_distributions`` of
its own sends the question to ``importlib.metadata`` itself.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any


class Distribution:
    """One installed distribution. Its name and version are read from its metadata when
    first asked for (most callers never ask)."""

    __slots__ = ("_dist", "_fields", "_path")

    def __init__(self, path: str | None = None, dist: Any = None) -> None:
        self._path = path  # the .dist-info / .egg-info folder
        self._dist = dist  # or an importlib.metadata Distribution
        self._fields: dict[str, str] | None = None

    @property
    def name(self) -> str | None:
        """The ``Name`` in its metadata (``scikit-learn``, not the folder's ``scikit_learn``)."""
        return self._field("Name")

    @property
    def version(self) -> str | None:
        return self._field("Version")

    def _field(self, key: str) -> str | None:
        if self._dist is not None:
            value = self._dist.metadata[key]
            return None if value is None else str(value)
        if self._fields is None:
            self._fields = _headers(self._path or "")
        return self._fields.get(key.lower())

    def __repr__(self) -> str:
        return f"Distribution({self._path or self._dist!r})"


def normalize(name: str) -> str:
    """A distribution name as ``importlib.metadata`` compares them (PEP 503, dashes as _)."""
    return re.sub(r"[-_.]+", "_", name).lower()


class Snapshot:
    """The installed distributions as found when it was made (one scan of ``sys.path``)."""

    def __init__(self) -> None:
        self._found = _standard_distributions()

    def entry_points(self, group: str) -> list[tuple[str, str, Distribution | None]]:
        """``(name, "module:attr", distribution)`` for every entry point of ``group``, in the
        order ``importlib.metadata.entry_points(group=group)`` gives them."""
        if self._found is None:
            return _importlib_entry_points(group)
        result: list[tuple[str, str, Distribution | None]] = []
        for _, path in self._found:
            text = _read(os.path.join(path, "entry_points.txt"))
            if text is None or group not in text:
                continue
            source = Distribution(path)
            result.extend((name, value, source) for section, name, value in _sections(text) if section == group)
        return result

    def version(self, distribution: str) -> str | None:
        """The installed version of ``distribution`` (a pip name), None when not installed."""
        if self._found is None:
            from importlib.metadata import PackageNotFoundError
            from importlib.metadata import version as metadata_version

            try:
                return metadata_version(distribution)
            except PackageNotFoundError:
                return None
        key = normalize(distribution)
        for name, path in self._found:
            if name == key:
                return Distribution(path).version
        return None


def entry_points(group: str) -> list[tuple[str, str, Distribution | None]]:
    """``Snapshot().entry_points(group)``: what is installed now."""
    return Snapshot().entry_points(group)


def version(distribution: str) -> str | None:
    """``Snapshot().version(distribution)``: what is installed now."""
    return Snapshot().version(distribution)


def _standard_distributions() -> list[tuple[str, str]] | None:
    """``(normalized name, metadata folder)`` of every distribution on ``sys.path``, the first
    of each name only; None when the layout is one this module does not read itself."""
    from importlib.machinery import PathFinder

    finders = [f for f in sys.meta_path if getattr(f, "find_distributions", None) is not None]
    if finders != [PathFinder]:
        return None
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for entry in sys.path:
        if not isinstance(entry, str) or entry.lower().endswith(".egg"):
            return None
        try:
            children = os.listdir(entry or ".")
        except NotADirectoryError:  # a zip file on sys.path: importlib.metadata reads inside
            return None
        except OSError:  # missing or unreadable: importlib.metadata skips it too
            continue
        for child in children:
            low = child.lower()
            if not low.endswith((".dist-info", ".egg-info")):
                continue
            key = normalize(low.rpartition(".")[0].partition("-")[0])
            if key not in seen:
                seen.add(key)
                found.append((key, os.path.join(entry, child)))
    return found


def _sections(text: str) -> list[tuple[str, str, str]]:
    """``(section, name, value)`` of an entry_points.txt, read as importlib.metadata does:
    stripped lines, ``#`` comments and blank lines skipped, ``name = value`` pairs. A line
    without ``=`` (which makes importlib.metadata raise for every package) is skipped."""
    pairs = []
    section: str | None = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        name, sep, value = line.partition("=")
        if section is not None and sep:
            pairs.append((section, name.strip(), value.strip()))
    return pairs


def _headers(folder: str) -> dict[str, str]:
    """The header fields (lower-cased keys, first occurrence) of METADATA, else PKG-INFO."""
    fields: dict[str, str] = {}
    for name in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as file:
                # the headers end at the first blank line; the (long) description follows
                for line in iter(file.readline, ""):
                    if not line.strip():
                        break
                    if line[0] in " \t":
                        continue  # a folded continuation; Name and Version never fold
                    key, sep, value = line.partition(":")
                    if sep:
                        fields.setdefault(key.strip().lower(), value.strip())
            return fields
        except (OSError, UnicodeDecodeError):
            fields.clear()
    return fields


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except (OSError, UnicodeDecodeError):
        return None


def _importlib_entry_points(group: str) -> list[tuple[str, str, Distribution | None]]:
    from importlib.metadata import entry_points as metadata_entry_points

    return [
        (ep.name, ep.value, Distribution(dist=ep.dist) if getattr(ep, "dist", None) is not None else None)
        for ep in metadata_entry_points(group=group)
    ]
