"""Skips this folder when xgboost is not installed; small data for the tests."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("xgboost")


@pytest.fixture(scope="module")
def xy() -> Any:
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y
