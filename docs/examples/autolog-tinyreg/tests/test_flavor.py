"""The plugin passes autolog's conformance suite for flavors."""

from __future__ import annotations

import pytest
import tinyreg

from autolog.testing import FlavorConformance
from autolog_tinyreg import TinyRegFlavor


class TestTinyRegFlavor(FlavorConformance):
    @pytest.fixture
    def flavor_class(self) -> type[TinyRegFlavor]:
        return TinyRegFlavor

    @pytest.fixture
    def model(self) -> tinyreg.LinearRegression:
        return tinyreg.LinearRegression().fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]], [1.0, 2.0, 7.0, 7.0])

    @pytest.fixture
    def model_input(self) -> list[list[float]]:
        return [[1.0, 1.0], [4.0, 0.5]]
