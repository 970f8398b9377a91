"""The patch primitive: the only module that touches wrapt.

Every applied patch gets a ledger entry ``(flavor, owner, attribute, original, wrapper,
was_own)``. ``revert`` walks the ledger backwards and puts back the identical original object
(DESIGN rule 3): set again where the owner defined the attribute itself, deleted where the owner
only inherited it (so the base class's method shows through again, as before). An attribute
someone replaced after us is left alone, with a warning: restoring ours would undo their patch.

wrapt is imported on first use, not with ``autolog``: it pulls in asyncio and inspect, which a
process that never trains anything should not pay for.
"""

from __future__ import annotations

import functools
import threading
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autolog.errors import AutologWarning
from autolog.models._flavor import Patch

_MISSING = object()


@dataclass(frozen=True)
class LedgerEntry:
    """One applied patch and what it takes to undo it."""

    flavor: str
    owner: Any
    attribute: str
    original: Any
    wrapper: Any
    #: the owner defined the attribute itself (else it was inherited: undo deletes)
    was_own: bool


_lock = threading.RLock()
_ledger: list[LedgerEntry] = []
_by_key: dict[tuple[int, str], LedgerEntry] = {}
_wrapper_class: type | None = None


def _wrapper_type() -> type:
    """Our FunctionWrapper subclass, so a wrapper of ours is recognisable at a glance."""
    global _wrapper_class
    if _wrapper_class is None:
        import wrapt

        # no type arguments: wrapt 1.x (still supported) cannot subscript its classes at runtime
        class AutologWrapper(wrapt.FunctionWrapper):  # type: ignore[type-arg]
            """A function wrapped by autolog (``__wrapped__`` is the original)."""

        _wrapper_class = AutologWrapper
    return _wrapper_class


def is_ours(obj: Any) -> bool:
    # type(), not isinstance: a wrapt proxy passes isinstance checks for what it wraps
    if _wrapper_class is not None and issubclass(type(obj), _wrapper_class):
        return True
    return type(obj) is types.FunctionType and obj.__dict__.get(_HOT_MARK) is True


_HOT_MARK = "__autolog_hot_wrapper__"


def _hot_wrapper(original: types.FunctionType, patch: Patch, enabled: Callable[[], bool]) -> Any:
    """A plain function around ``original`` for ``Patch(hot=True)``: the wrapper gets what a
    wrapt FunctionWrapper would give it (the bound original and the instance for a method)."""
    wrapper = patch.wrapper

    def hot_method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not enabled():
            return original(self, *args, **kwargs)
        return wrapper(types.MethodType(original, self), self, args, kwargs)

    def hot_function(*args: Any, **kwargs: Any) -> Any:
        if not enabled():
            return original(*args, **kwargs)
        return wrapper(original, None, args, kwargs)

    hot = hot_method if isinstance(patch.owner, type) else hot_function
    functools.update_wrapper(hot, original)
    setattr(hot, _HOT_MARK, True)
    return hot


def _lookup(owner: Any, attribute: str) -> tuple[Any, bool]:
    """The raw attribute (descriptors unbound, like wrapt's ``resolve_path``) and whether
    ``owner`` defines it itself; ``(_MISSING, False)`` when it has none."""
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if attribute in vars(klass):
                return vars(klass)[attribute], klass is owner
        return _MISSING, False
    if isinstance(owner, types.ModuleType) or hasattr(owner, "__dict__"):
        found = vars(owner).get(attribute, _MISSING)
        if found is not _MISSING:
            return found, True
    return getattr(owner, attribute, _MISSING), False


def _own(owner: Any, attribute: str) -> Any:
    try:
        return vars(owner).get(attribute, _MISSING)
    except TypeError:
        return getattr(owner, attribute, _MISSING)


def apply(flavor: str, patch: Patch, enabled: Callable[[], bool]) -> bool:
    """Wrap ``patch.owner.patch.attribute``; False when it is already wrapped (by this ledger
    or by an earlier autolog whose wrapper is still there)."""
    key = (id(patch.owner), patch.attribute)
    with _lock:
        if key in _by_key:
            return False
        original, was_own = _lookup(patch.owner, patch.attribute)
        if original is _MISSING:
            raise AttributeError(
                f"flavor {flavor!r} declared a patch on {_describe(patch.owner)}.{patch.attribute}, "
                "which does not exist"
            )
        if is_ours(original):
            return False
        if patch.hot and isinstance(original, types.FunctionType):
            wrapper = _hot_wrapper(original, patch, enabled)
        else:
            wrapper = _wrapper_type()(original, patch.wrapper, enabled=enabled)
        setattr(patch.owner, patch.attribute, wrapper)
        entry = LedgerEntry(flavor, patch.owner, patch.attribute, original, wrapper, was_own)
        _ledger.append(entry)
        _by_key[key] = entry
        return True


def revert(flavors: set[str] | None = None) -> int:
    """Undo the patches of ``flavors`` (all when None), newest first; returns how many."""
    undone = 0
    with _lock:
        keep: list[LedgerEntry] = []
        for entry in reversed(_ledger):
            if flavors is not None and entry.flavor not in flavors:
                keep.append(entry)
                continue
            _by_key.pop((id(entry.owner), entry.attribute), None)
            current = _own(entry.owner, entry.attribute)
            if current is not entry.wrapper:
                warnings.warn(
                    f"{_describe(entry.owner)}.{entry.attribute} was replaced by someone else "
                    "after autolog patched it; autolog leaves the new object in place (its "
                    "own wrapper inside stays inert while autolog is disabled).",
                    AutologWarning,
                    stacklevel=3,
                )
                continue
            if entry.was_own:
                setattr(entry.owner, entry.attribute, entry.original)
            else:
                delattr(entry.owner, entry.attribute)
            undone += 1
        keep.reverse()
        _ledger[:] = keep
    return undone


def ledger() -> list[LedgerEntry]:
    """A copy of the ledger, oldest first."""
    with _lock:
        return list(_ledger)


def patched_count(flavor: str) -> int:
    with _lock:
        return sum(1 for e in _ledger if e.flavor == flavor)


def _describe(owner: Any) -> str:
    if isinstance(owner, (type, types.ModuleType)):
        module = getattr(owner, "__module__", None)
        name = getattr(owner, "__qualname__", owner.__name__)
        return f"{module}.{name}" if isinstance(owner, type) and module else name
    return repr(owner)
