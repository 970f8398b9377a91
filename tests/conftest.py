"""Fixtures shared by the whole suite. Each test runs against its own tracking directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_tracking(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test records into its own fresh directory and starts with no active run.

    Afterwards the fluent state (active runs, URI, experiment, background writer, cached
    stores) is forgotten without writing anything to the store.
    """
    from autolog.tracking._fluent import _reset_state

    _reset_state()
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path_factory.mktemp("autolog-runs")))
    monkeypatch.delenv("AUTOLOG_EXPERIMENT_NAME", raising=False)
    yield
    _reset_state()
