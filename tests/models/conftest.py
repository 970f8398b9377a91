"""Fixtures for the model tests: fake plugin distributions on disk, a fresh flavor registry."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autolog.models import _discovery


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """Entry points are read again now and forgotten afterwards."""
    _discovery.reset()
    yield
    _discovery.reset()


PluginMaker = Callable[[str, dict[str, str], dict[str, str]], Path]


@pytest.fixture
def make_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> PluginMaker:
    """Install a fake distribution on sys.path: ``make_plugin(dist, entry_points, modules)``.

    ``entry_points`` maps entry-point names of group ``autolog.flavors`` to ``module:attr``,
    ``modules`` maps file names to Python source. importlib.metadata finds it as it finds
    any installed package, so the real discovery code runs.
    """
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    added: list[str] = []

    def make(dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> Path:
        info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        lines = ["[autolog.flavors]"] + [f"{k} = {v}" for k, v in entry_points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for filename, source in modules.items():
            (site / filename).write_text(textwrap.dedent(source))
            added.append(filename.removesuffix(".py"))
        importlib.invalidate_caches()
        _discovery.reset()
        return site

    yield make  # type: ignore[misc]
    for module in added:
        sys.modules.pop(module, None)
