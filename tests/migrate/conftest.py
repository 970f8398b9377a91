"""MLflow stores written by real MLflow 3.17.2 (``make migrate-fixtures``), imported into autolog.

The stores were written in another directory (``expected.json`` records where): the file store
is read through its own folders (its recorded locations are mapped to a place that does not
exist), the SQLite store's artifact locations are mapped to where the fixtures are now.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text())
KINDS = ("filestore", "sqlite")


class Fixtures:
    """Where the fixture stores are and how to read them."""

    root = FIXTURES
    expected = EXPECTED
    kinds = KINDS

    @staticmethod
    def source_of(kind: str, root: Path = FIXTURES) -> str:
        if kind == "filestore":
            return str(root / "filestore" / "mlruns")
        return f"sqlite:///{root / 'sqlite' / 'mlflow.db'}"

    @staticmethod
    def artifact_map(kind: str, root: Path = FIXTURES) -> dict[str, str]:
        written = EXPECTED["written_in"]
        if kind == "filestore":
            return {written: "/nonexistent/moved-away"}  # its own folders serve
        return {written: str(root)}

    @staticmethod
    def copy(tmp_path: Path) -> Path:
        """A writable copy of the fixture stores (to break on purpose)."""
        target = tmp_path / "fixtures"
        shutil.copytree(FIXTURES, target)
        return target


@pytest.fixture(scope="session")
def fx() -> type[Fixtures]:
    return Fixtures


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Any]]:
    """Each fixture store imported once into its own autolog store: kind -> (uri, report)."""
    from autolog.migrate import import_mlflow

    done = {}
    for kind in KINDS:
        target = str(tmp_path_factory.mktemp(f"imported-{kind}"))
        done[kind] = (target, import_mlflow(Fixtures.source_of(kind), to=target,
                                            artifact_map=Fixtures.artifact_map(kind)))
    return done
