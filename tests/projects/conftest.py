"""Every project test gets a cache of its own (clones, environments, run output)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _project_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Clones, environments and run output go to a fresh cache per test."""
    cache = tmp_path_factory.mktemp("autolog-cache")
    monkeypatch.setenv("AUTOLOG_CACHE_DIR", str(cache))
    monkeypatch.delenv("AUTOLOG_RUN_ID", raising=False)
    return cache
