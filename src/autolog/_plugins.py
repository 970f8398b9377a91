"""The plugin groups (entry-point groups): flavors, stores, artifact stores, system samplers,
project backends.

Entry points are read lazily, once per group per process, and each entry stays a lazy
``"module:attr"`` string until it is first used, so ``import autolog`` loads no plugin.
The distribution that declared an entry is read from its metadata only when asked for.
A broken third-party entry point costs one warning naming its package, never the others.
"""

from __future__ import annotations

import importlib
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from autolog import _installed


def resolve(target: str) -> Any:
    """The object a ``"module:qualname"`` string names (imports the module)."""
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Entry:
    """A registered plugin: where it comes from, and how to import it."""

    name: str
    target: str  # "module:attr"
    #: the installed distribution that declared it; None when registered in code
    source: _installed.Distribution | None = field(default=None, compare=False, repr=False)

    @property
    def distribution(self) -> str | None:
        """The name of the distribution that registered it (None: registered in code)."""
        return self.source.name if self.source is not None else None

    @property
    def version(self) -> str | None:
        """That distribution's version."""
        return self.source.version if self.source is not None else None

    def load(self) -> Any:
        return resolve(self.target)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, target={self.target!r}, "
            f"distribution={self.distribution!r}, version={self.version!r})"
        )


class PluginGroup:
    """Plugins of one entry-point group, keyed by name."""

    def __init__(self, group: str) -> None:
        self.group = group
        self._entries: dict[str, Entry] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            found: dict[str, Entry] = {}
            for name, target, source in _installed.entry_points(self.group):
                entry = Entry(name, target, source)
                if name in found and found[name].target != entry.target:
                    warnings.warn(
                        f"{self.group}: {name!r} is registered twice "
                        f"({found[name].distribution} and {entry.distribution}); "
                        f"using the one from {found[name].distribution}",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    continue
                found[name] = entry
            # entries registered in code before discovery win over entry points
            found.update(self._entries)
            self._entries = found
            self._loaded = True

    def register(self, name: str, target: str | Any, *, override: bool = False) -> None:
        """Register ``target`` (``"module:attr"`` or the object itself) under ``name``."""
        self._ensure_loaded()
        if name in self._entries and not override:
            raise ValueError(
                f"{self.group}: {name!r} is already registered "
                f"(by {self._entries[name].distribution or 'code'}); pass override=True to replace it"
            )
        if not isinstance(target, str):
            obj = target
            entry = _ObjectEntry(name, f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', '?')}")
            object.__setattr__(entry, "obj", obj)
            self._entries[name] = entry
        else:
            self._entries[name] = Entry(name, target)

    def unregister(self, name: str) -> None:
        self._ensure_loaded()
        self._entries.pop(name, None)

    @contextmanager
    def registered(self, name: str, target: str | Any) -> Iterator[None]:
        """``target`` registered under ``name`` for the duration of a block (tests); the
        entry that was there before, if any, comes back afterwards."""
        previous = self.get(name)
        self.register(name, target, override=True)
        try:
            yield
        finally:
            self.unregister(name)
            if previous is not None:
                self._entries[name] = previous  # the very entry, with its distribution

    def get(self, name: str) -> Entry | None:
        self._ensure_loaded()
        return self._entries.get(name)

    @property
    def entries(self) -> Mapping[str, Entry]:
        """A read-only view of what is registered."""
        self._ensure_loaded()
        return MappingProxyType(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)


@dataclass(frozen=True)
class _ObjectEntry(Entry):
    """An entry registered in code with the object itself."""

    def load(self) -> Any:
        return self.obj  # type: ignore[attr-defined]


flavors = PluginGroup("autolog.flavors")
stores = PluginGroup("autolog.stores")
artifact_stores = PluginGroup("autolog.artifact_stores")
system_samplers = PluginGroup("autolog.system_samplers")
project_backends = PluginGroup("autolog.project_backends")
