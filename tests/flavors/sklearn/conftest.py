"""Skips this folder when scikit-learn is not installed; small data sets for the tests."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def xy() -> Any:
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def mixed_frame() -> Any:
    """A DataFrame with float, integer and string columns, and a label."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, 80),
            "visits": rng.integers(0, 9, 80),
            "city": rng.choice(["paris", "lyon", "nice"], 80),
        }
    )
    label = ((frame["age"] > 40) ^ (frame["city"] == "nice")).astype(int).to_numpy()
    return frame, label
