"""Skips this folder when torch is not installed."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
