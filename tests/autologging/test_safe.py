"""_safe: our failures become one warning per site, or raise in strict mode."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from autolog.autologging import _safe
from autolog.errors import AutologWarning


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    _safe.strict(False)
    _safe.reset_warnings()
    yield
    _safe.strict(None)
    _safe.reset_warnings()


def test_failure_warns_once_per_site() -> None:
    with pytest.warns(AutologWarning) as caught:
        for _ in range(3):
            with _safe._safe("site A"):
                1 / 0  # noqa: B018
        with _safe._safe("site B"):
            raise KeyError("x")
    assert len(caught) == 2
    assert "site A" in str(caught[0].message) and "ZeroDivisionError" in str(caught[0].message)
    assert "site B" in str(caught[1].message)


def test_strict_mode_reraises_our_error() -> None:
    _safe.strict(True)
    with pytest.raises(ZeroDivisionError):
        with _safe._safe("site"):
            1 / 0  # noqa: B018


def test_strict_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _safe.strict(None)
    monkeypatch.setenv("AUTOLOG_TESTING_STRICT", "1")
    with pytest.raises(KeyError):
        with _safe._safe("site"):
            raise KeyError("x")


def test_warnings_as_errors_do_not_turn_our_failure_into_an_exception(caplog: pytest.LogCaptureFixture) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with _safe._safe("site"):
            raise RuntimeError("ours")
    assert any("ours" in r.getMessage() for r in caplog.records)


def test_keyboard_interrupt_is_not_swallowed() -> None:
    with pytest.raises(KeyboardInterrupt):
        with _safe._safe("site"):
            raise KeyboardInterrupt
