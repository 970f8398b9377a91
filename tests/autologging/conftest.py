"""Fixtures for the autologging core tests: the made-up ``fakelib`` and its flavor."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from _fakeflavor import LIBRARY, FakeFlavor


def _forget_fakelib() -> None:
    for name in [m for m in sys.modules if m == "fakelib" or m.startswith("fakelib.")]:
        del sys.modules[name]


@pytest.fixture
def fakelib_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``fakelib`` importable (not imported), its flavor registered through the real registry;
    autologging off and everything forgotten afterwards."""
    from autolog.autologging import _recorder, _safe
    from autolog.testing import registered_flavor

    for rel, text in LIBRARY.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    _forget_fakelib()
    FakeFlavor.asked = 0
    _safe.strict(True)
    _safe.reset_warnings()
    with registered_flavor(FakeFlavor):
        try:
            yield tmp_path
        finally:
            import autolog

            autolog.disable()
            _safe.strict(None)
            _safe.reset_warnings()
            _recorder.reset()
            _forget_fakelib()


@pytest.fixture
def fakelib(fakelib_path: Path):  # type: ignore[no-untyped-def]
    """The ``fakelib`` module, imported."""
    import fakelib as module

    return module

