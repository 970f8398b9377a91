"""A real ``autolog server`` process on a free loopback port, and an HTTP client for it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the server extra is not installed: pip install 'autolog[server]'")
import httpx  # noqa: E402

AUTOLOG = str(Path(sys.executable).with_name("autolog"))


@dataclass
class Server:
    """A running server: its URL, the store URI and artifact root behind it, a client."""

    url: str
    store_uri: str
    artifacts: str
    proc: subprocess.Popen[str]
    token: str | None = None
    client: httpx.Client = field(init=False)
    reader: Any = None

    def __post_init__(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.client = httpx.Client(base_url=self.url, timeout=60, headers=headers)

    def call(self, method: str, path: str, json: Any = None, params: Any = None, **kw: Any) -> httpx.Response:
        return self.client.request(method, path, json=json, params=params, **kw)

    def api(self, method: str, endpoint: str, json: Any = None, params: Any = None) -> Any:
        """An MLflow API call that must succeed; returns the decoded answer."""
        response = self.call(method, f"/api/2.0/mlflow/{endpoint}", json=json, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def start_server(store_uri: str, artifacts: str | None, *extra: str, token: str | None = None, env: dict[str, str] | None = None) -> Server:
    command = [AUTOLOG, "server", "--backend-store-uri", store_uri, "--port", "0", *extra]
    if artifacts:
        command += ["--artifacts-destination", artifacts]
    proc = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, **(env or {})},
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    if not found:
        proc.kill()
        raise AssertionError(f"the server did not start: {line}{proc.stderr.read()}")
    url = found.group(1)
    # keep reading stderr so that a chatty server never blocks on a full pipe
    import threading

    reader = threading.Thread(target=proc.stderr.read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the server did not answer /health")
        time.sleep(0.05)
    running = Server(url, store_uri, artifacts or "", proc, token)
    running.reader = reader
    return running


def stop_server(server: Server) -> None:
    server.client.close()
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
    if server.reader is not None:
        server.reader.join(timeout=10)
    if server.proc.stderr is not None:
        server.proc.stderr.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a fresh directory store (SQLite), artifacts under the store."""
    root = tmp_path_factory.mktemp("server-store")
    running = start_server(str(root / "store"), None)
    running.artifacts = str(root / "store" / "artifacts")
    try:
        yield running
    finally:
        stop_server(running)
