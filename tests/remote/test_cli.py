"""The command line against a server: ``--tracking-uri http://...`` (tests/cli, the commands
that read and change runs, experiments, artifacts and models)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.test_cli import (  # noqa: F401
    fill,
    test_artifacts_list_and_download,
    test_experiments,
    test_models_commands,
    test_runs_delete_restore,
    test_runs_list_imports_no_data_libraries,
    test_runs_list_show_compare,
    test_user_errors_exit_1_in_one_line_and_usage_errors_exit_2,
)
from tests.remote.conftest import clean_server
from tests.server.conftest import Server


@pytest.fixture
def store(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AUTOLOG_TRUST_PICKLES", "1")
    yield fill(server.url)
    clean_server(server)
