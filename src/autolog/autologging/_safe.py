"""Isolation: our logging code may fail, the user's training may not (DESIGN rule 2).

Every piece of our code that runs inside a patched call sits in ``with _safe("<site>")``.
An exception there is caught, reported once per site as an ``AutologWarning`` and dropped,
so training goes on. In strict mode (``AUTOLOG_TESTING_STRICT=1``, or ``strict(True)`` from a
test fixture) it is re-raised instead, so our own test suite sees our bugs.

The user's own call never runs inside ``_safe``: its exception reaches the user unchanged.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autolog.errors import AutologWarning

_warned: set[str] = set()
_lock = threading.Lock()
_strict: bool | None = None  # None: follow the environment variable


def strict(on: bool | None) -> None:
    """Re-raise our own errors instead of warning (``None``: follow ``AUTOLOG_TESTING_STRICT``)."""
    global _strict
    _strict = on


def is_strict() -> bool:
    if _strict is not None:
        return _strict
    return os.environ.get("AUTOLOG_TESTING_STRICT", "") not in ("", "0", "false", "False")


def reset_warnings() -> None:
    """Forget which sites already warned (tests)."""
    with _lock:
        _warned.clear()


def _logger() -> Any:
    # imported on the failure path only: logging costs enable() milliseconds
    import logging

    return logging.getLogger("autolog")


def report(site: str, exc: BaseException) -> None:
    """Warn about ``exc`` met at ``site``, once per site per process; log it every time."""
    _logger().debug("autolog: %s failed", site, exc_info=exc)
    with _lock:
        first = site not in _warned
        _warned.add(site)
    if not first:
        return
    message = (
        f"autolog could not record {site}: {type(exc).__name__}: {exc}. Training is not "
        "affected; this run may lack some data. Further failures here are logged at "
        "DEBUG level on the 'autolog' logger."
    )
    try:
        warnings.warn(message, AutologWarning, stacklevel=4)
    except Warning:
        # warnings turned into errors (-W error) must not turn our failure into the user's
        _logger().warning(message)


@contextmanager
def _safe(site: str) -> Iterator[None]:
    """Run our code; an exception of ours becomes one warning (or is re-raised when strict)."""
    try:
        yield
    except Exception as exc:
        if is_strict():
            raise
        report(site, exc)


safe = _safe
