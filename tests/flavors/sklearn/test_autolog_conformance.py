"""The autolog conformance suite, run on the sklearn flavor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autolog.testing import AutologConformance


class _Exploding:
    """Training input whose conversion to an array raises the user's exception."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise self.exc

    def __len__(self) -> int:
        return 4


_X = np.random.default_rng(0).normal(size=(60, 3))
_Y = (_X[:, 0] > 0).astype(int)


class TestSklearnAutolog(AutologConformance):
    flavor = "sklearn"

    def assert_same_result(self, expected: Any, actual: Any) -> None:
        assert type(expected) is type(actual)
        assert expected.get_params() == actual.get_params()
        np.testing.assert_array_equal(expected.predict_proba(_X), actual.predict_proba(_X))

    @pytest.fixture
    def train(self) -> Callable[[], Any]:
        from sklearn.ensemble import RandomForestClassifier

        return lambda: RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(_X, _Y)

    @pytest.fixture
    def train_raising(self) -> Callable[[BaseException], Any]:
        from sklearn.linear_model import LogisticRegression

        return lambda exc: LogisticRegression().fit(_Exploding(exc), [0, 1, 0, 1])
