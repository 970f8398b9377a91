"""Finding flavors: load each entry point of ``autolog.flavors`` once, validate it, and pick
the flavor for a model.

A plugin that fails to import, whose class does not match its entry-point name, or that lacks
a required method costs one ``PluginWarning`` naming its package and is skipped; the other
flavors keep working.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from autolog import _plugins
from autolog.errors import FlavorUnavailable, InvalidInputError, PluginWarning, UnknownFlavorError
from autolog.models._flavor import Flavor

#: the flavor tried last: anything with a predict method, or a plain function
FALLBACK = "python"
_REQUIRED_METHODS = ("handles", "save", "load", "predict")
_OUR_DISTRIBUTION = "autolog"

_lock = threading.RLock()
#: name -> the validated instance, or the reason it cannot be used
_loaded: dict[str, Flavor | str] = {}


@dataclass(frozen=True)
class FlavorRecord:
    """One registered flavor, as ``autolog.flavors()`` reports it."""

    name: str
    #: the distribution that registered it ("autolog" for the built-ins; None if code)
    distribution: str | None
    #: that distribution's version
    version: str | None
    #: the pip distribution of the library the flavor serves
    library: str | None
    #: the installed version of that library, None when not installed
    library_version: str | None
    #: the supported library range, ``Flavor.requirement``
    requirement: str
    #: usable here: the plugin loads and its library is importable
    available: bool
    #: why it is not available, or a note (a library version outside the supported range)
    reason: str | None = None


def reset() -> None:
    """Forget every loaded flavor and re-read the entry points on next use (tests)."""
    with _lock:
        _loaded.clear()
        reg = _plugins.flavors
        with reg._lock:
            reg._entries = {}
            reg._loaded = False
    package_version.cache_clear()


def forget(name: str) -> None:
    """Drop the loaded flavor ``name`` so the next use reads the registry again."""
    with _lock:
        _loaded.pop(name, None)


@lru_cache(maxsize=None)
def package_version(distribution: str) -> str | None:
    """The installed version of a pip distribution, read from its metadata (never pip)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def module_available(module: str) -> bool:
    """Can ``module`` be imported here? Looks, does not import (except parent packages)."""
    root = module.split(".", 1)[0]
    if root in sys.modules:
        return True
    try:
        return importlib.util.find_spec(root) is not None
    except (ImportError, ValueError):
        return False


def _describe(entry: _plugins.Entry) -> str:
    where = f"package {entry.distribution}" if entry.distribution else "code"
    if entry.distribution and entry.version:
        where += f" {entry.version}"
    return f"flavor plugin {entry.name!r} from {where} ({entry.target})"


def _validate(entry: _plugins.Entry, obj: Any) -> Flavor:
    """The flavor instance for a loaded entry-point object, or ValueError saying what is wrong."""
    cls = obj if isinstance(obj, type) else type(obj)
    missing = [m for m in _REQUIRED_METHODS if not callable(getattr(cls, m, None))]
    if isinstance(obj, type) and issubclass(obj, Flavor):
        # the base class only raises NotImplementedError: not overriding is missing
        missing += [m for m in ("save", "load", "predict") if getattr(cls, m) is getattr(Flavor, m)]
    if missing:
        raise ValueError(f"it does not implement {', '.join(sorted(set(missing)))}")
    name = getattr(cls, "name", None)
    if name != entry.name:
        raise ValueError(
            f"its class says name = {name!r} but it is registered as {entry.name!r}; "
            "the entry-point name must equal Flavor.name"
        )
    formats = getattr(cls, "formats", None)
    if not isinstance(formats, (tuple, list)) or not formats or not all(isinstance(f, str) for f in formats):
        raise ValueError(f"formats must be a non-empty tuple of strings, got {formats!r}")
    module = getattr(cls, "module", None)
    if not isinstance(module, str) or not module:
        raise ValueError("module (the import name of its library) must be a non-empty string")
    instance = obj() if isinstance(obj, type) else obj
    return cast(Flavor, instance)  # checked above, member by member


def _load(name: str) -> Flavor | str:
    """The flavor registered as ``name`` (loaded and validated once), or why not."""
    found = _loaded.get(name)
    if found is not None:
        return found
    with _lock:
        found = _loaded.get(name)
        if found is not None:
            return found
        entry = _plugins.flavors.get(name)
        if entry is None:
            raise UnknownFlavorError(name, list(_plugins.flavors.entries))
        try:
            result: Flavor | str = _validate(entry, entry.load())
        except Exception as exc:  # a third-party plugin may fail in any way; never break the rest
            detail = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            result = f"{_describe(entry)} was skipped: {detail}"
            warnings.warn(result, PluginWarning, stacklevel=4)
        _loaded[name] = result
        return result


def get_flavor(name: str) -> Flavor:
    """The usable flavor registered as ``name``.

    Raises UnknownFlavorError when nobody registered it, FlavorUnavailable when its plugin
    is broken.
    """
    found = _load(name)
    if isinstance(found, str):
        raise FlavorUnavailable(name, found)
    return found


def _is_builtin(entry: _plugins.Entry) -> bool:
    return entry.distribution == _OUR_DISTRIBUTION or entry.target.startswith("autolog.flavors.")


def ordered_names() -> list[str]:
    """Registered flavor names in the order they are tried: built-ins, third-party, python."""
    entries = _plugins.flavors.entries
    builtin = [n for n, e in entries.items() if _is_builtin(e) and n != FALLBACK]
    others = [n for n, e in entries.items() if not _is_builtin(e) and n != FALLBACK]
    return builtin + others + ([FALLBACK] if FALLBACK in entries else [])


def flavor_for(model: Any, flavor: str | None = None) -> Flavor:
    """The flavor that saves ``model``: the named one, else the first whose handles() says yes."""
    if flavor is not None:
        return get_flavor(flavor)
    for name in ordered_names():
        found = _load(name)
        if isinstance(found, str):
            continue
        try:
            if found.handles(model):
                return found
        except Exception as exc:  # a plugin's bug must not stop the others from trying
            warnings.warn(
                f"{_describe(_plugins.flavors.entries[name])}: handles() raised "
                f"{type(exc).__name__}: {exc}; trying the next flavor",
                PluginWarning,
                stacklevel=3,
            )
    raise InvalidInputError(
        f"no flavor knows how to save a {type(model).__module__}.{type(model).__qualname__}: "
        f"registered flavors are {', '.join(ordered_names()) or 'none'}. Pass flavor='<name>', "
        "give the object a predict(data) method (the python flavor saves it with cloudpickle), "
        "or install the plugin for its library."
    )


def flavor_records() -> list[FlavorRecord]:
    """What ``autolog.flavors()`` returns: every registered flavor, usable or not."""
    records = []
    for name in ordered_names():
        entry = _plugins.flavors.entries[name]
        found = _load(name)
        if isinstance(found, str):
            records.append(
                FlavorRecord(name, entry.distribution, entry.version, None, None, "", False, found)
            )
            continue
        library = getattr(found, "package", "") or None
        lib_version = package_version(library) if library else None
        available = module_available(found.module)
        reason = None
        if not available:
            reason = f"{found.module!r} is not installed; {install_hint(found, entry)}"
        elif lib_version and found.requirement:
            reason = _outside_range(found.requirement, lib_version)
        records.append(
            FlavorRecord(
                name,
                entry.distribution,
                entry.version,
                library,
                lib_version,
                found.requirement,
                available,
                reason,
            )
        )
    return records


def install_hint(flavor: Flavor, entry: _plugins.Entry | None = None) -> str:
    """How to install what ``flavor`` needs, e.g. "pip install 'autolog[sklearn]'"."""
    if entry is None:
        entry = _plugins.flavors.get(flavor.name)
    extra: str = getattr(flavor, "extra", "")
    if entry is not None and _is_builtin(entry) and extra:
        return f"install it with: pip install 'autolog[{flavor.extra}]'"
    package = getattr(flavor, "requirement", "") or getattr(flavor, "package", "") or flavor.module
    return f"install it with: pip install '{package}'"


def _outside_range(requirement: str, installed: str) -> str | None:
    try:
        from packaging.requirements import Requirement
    except ImportError:  # packaging is optional; without it the range is not checked
        return None
    try:
        spec = Requirement(requirement).specifier
        if spec and not spec.contains(installed, prereleases=True):
            return f"installed version {installed} is outside the supported range {requirement}"
    except Exception:  # an unparsable requirement string is the plugin's problem, not ours
        return None
    return None
