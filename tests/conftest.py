"""Fixtures shared by the whole suite. Each test runs against its own tracking directory."""

from __future__ import annotations
