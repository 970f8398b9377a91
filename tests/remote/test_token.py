"""Bearer tokens from AUTOLOG_TRACKING_TOKEN, and clear errors when the server cannot be used."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import autolog
from autolog.errors import PermissionDeniedError, ServerUnreachableError, UnauthenticatedError
from tests.conftest import _free_port
from tests.server.conftest import AUTOLOG, Server, start_server, stop_server

WRITE, READ = "w" * 32, "r" * 32


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("guarded")
    (root / "write").write_text(WRITE + "\n")
    (root / "read").write_text(READ + "\n")
    running = start_server(
        str(root / "store"), None, "--token-file", str(root / "write"), "--read-token-file", str(root / "read"), token=WRITE,
    )
    try:
        yield running
    finally:
        stop_server(running)


def test_the_token_comes_from_the_environment(guarded: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    autolog.set_tracking_uri(guarded.url)
    with pytest.raises(UnauthenticatedError, match="AUTOLOG_TRACKING_TOKEN"):
        autolog.search_experiments()
    from autolog.store.rest._link import forget_links

    forget_links()
    monkeypatch.setenv("AUTOLOG_TRACKING_TOKEN", WRITE)
    with autolog.start_run() as run:
        autolog.log_metric("m", 1.0)
        autolog.log_text("x", "x.txt")
    assert autolog.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    forget_links()
    monkeypatch.setenv("AUTOLOG_TRACKING_TOKEN", READ)  # a viewer's token reads, never writes
    assert autolog.get_run(run.info.run_id).info.status.value == "FINISHED"
    with pytest.raises(PermissionDeniedError, match="only read"):
        autolog.Client().create_experiment("nope")


def test_an_unreachable_server_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    env = {**os.environ, "AUTOLOG_SPOOL_DIR": str(tmp_path / "spool")}
    done = subprocess.run([AUTOLOG, "runs", "list", "--tracking-uri", url], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith(f"autolog: error: cannot reach the tracking server at {url} (connection refused)")
    assert not (tmp_path / "spool").exists()  # reading spools nothing
    monkeypatch.setenv("AUTOLOG_MODE", "auto")
    autolog.set_tracking_uri(url)
    with pytest.raises(ServerUnreachableError, match="Is `autolog server` running there"):
        autolog.search_runs(experiment_ids=["0"])
