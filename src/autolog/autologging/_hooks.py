"""Post-import hooks: run a callback when a library (or any of its submodules) finishes importing.

``enable()`` may run before the user imports sklearn, or before they import the sklearn
submodule that holds their estimator, so patches are applied when modules arrive. A finder at
the front of ``sys.meta_path`` takes part only in imports of watched packages: it lets the other
finders find the module, wraps the loader, and after the *outermost* watched import in this
thread completes (``import sklearn.linear_model`` runs hundreds of nested sklearn imports), calls
the package's callbacks once. The module's ``__loader__`` and ``__spec__.loader`` are put back to
the real loader, so ``importlib.resources`` and friends see nothing of us.

The same idea as wrapt's ``importer`` module, with two differences we need: hooks can be removed
(``disable()``), and submodule imports fire the hook too (new estimator classes appear with them).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec

Callback = Callable[[str], None]

_lock = threading.RLock()
_hooks: dict[str, list[Callback]] = {}
# per thread: .depth {root: watched imports in progress}, .busy (finder re-entered),
# .firing {roots whose callbacks are running}
_local = threading.local()


def _root_of(fullname: str) -> str | None:
    root = fullname.partition(".")[0]
    return root if root in _hooks else None


class _Loader:
    """Delegates to the real loader; notices when the module has been executed."""

    def __init__(self, loader: Any, root: str) -> None:
        self._loader = loader
        self._root = root

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, get_code...
        return getattr(self._loader, name)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        _restore_loader(module, self)
        depths = _local.__dict__.setdefault("depth", {})
        depth = depths.get(self._root, 0)
        depths[self._root] = depth + 1
        try:
            self._loader.exec_module(module)
        finally:
            depths[self._root] = depth
        _restore_loader(module, self)
        if depth == 0:
            _fire(self._root)


def _restore_loader(module: ModuleType, proxy: _Loader) -> None:
    if getattr(module, "__loader__", None) in (None, proxy):
        try:
            module.__loader__ = proxy._loader
        except AttributeError:
            pass
    spec = getattr(module, "__spec__", None)
    if spec is not None and spec.loader is proxy:
        spec.loader = proxy._loader


class _Finder:
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        root = _root_of(fullname)
        if root is None or getattr(_local, "busy", False):
            return None
        _local.busy = True
        try:
            for finder in list(sys.meta_path):
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            _local.busy = False
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            # a duck-typed proxy: subclassing Loader would shadow the real loader's methods
            spec.loader = cast("Loader", _Loader(spec.loader, root))
        return spec


_finder = _Finder()


def _fire(root: str) -> None:
    firing = _local.__dict__.setdefault("firing", set())
    if root in firing:  # a callback importing more of its own package: it scans after that
        return
    with _lock:
        callbacks = list(_hooks.get(root, ()))
    _call(root, callbacks)


def _call(root: str, callbacks: list[Callback]) -> None:
    firing = _local.__dict__.setdefault("firing", set())
    firing.add(root)
    try:
        for callback in callbacks:
            callback(root)
    finally:
        firing.discard(root)


def register(root: str, callback: Callback) -> None:
    """Call ``callback(root)`` after each outermost import of ``root`` or a submodule of it,
    and right now if ``root`` is imported already."""
    if "." in root:
        raise ValueError(f"post-import hooks watch top-level packages, got {root!r}")
    with _lock:
        _hooks.setdefault(root, [])
        if callback not in _hooks[root]:
            _hooks[root].append(callback)
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
    module = sys.modules.get(root)
    if module is not None and not _importing(module):
        _call(root, [callback])


def unregister(root: str, callback: Callback) -> None:
    with _lock:
        callbacks = _hooks.get(root, [])
        if callback in callbacks:
            callbacks.remove(callback)
        if not callbacks:
            _hooks.pop(root, None)
        if not _hooks and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)


def watched() -> list[str]:
    with _lock:
        return sorted(_hooks)


def _importing(module: ModuleType) -> bool:
    """Is ``module`` still executing its body (a partly imported package)?"""
    spec = getattr(module, "__spec__", None)
    return bool(getattr(spec, "_initializing", False))
