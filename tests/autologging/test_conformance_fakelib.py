"""The conformance suite, run on the made-up ``fakelib`` flavor (no ML library needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from autolog.testing import AutologConformance


class TestFakelibAutolog(AutologConformance):
    flavor = "fakelib"

    @pytest.fixture
    def train(self, fakelib: Any) -> Callable[[], Any]:
        return lambda: fakelib.Ensemble(scale=2.0).fit([1.0, 2.0, 3.0])

    @pytest.fixture
    def train_raising(self, fakelib: Any) -> Callable[[BaseException], Any]:
        return lambda exc: fakelib.Model(fail_with=exc).fit([1.0])

    def assert_same_result(self, expected: Any, actual: Any) -> None:
        assert type(expected) is type(actual)
        assert expected.coef_ == actual.coef_
        assert [m.coef_ for m in expected.members_] == [m.coef_ for m in actual.members_]
