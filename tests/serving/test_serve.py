"""``autolog serve`` as a real process on a loopback port, queried over HTTP."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import autolog

AUTOLOG = str(Path(sys.executable).with_name("autolog"))


@pytest.fixture(scope="module", params=["fast-path", "no-fast-path"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[int]]]:
    """A LogisticRegression with a column signature, registered and served by alias.

    Served twice: as is (plain float rows skip the DataFrame) and with ``--no-fast-path``.
    """
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from autolog.tracking._fluent import _reset_state

    store = str(tmp_path_factory.mktemp("serve-store"))
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((60, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0.5).astype(int)
    model = LogisticRegression().fit(X, y)
    autolog.set_tracking_uri(store)
    info = autolog.log_model(
        model, "model", signature=autolog.infer_signature(X, model.predict(X)), registered_model_name="clf"
    )
    autolog.end_run()
    autolog.Client().set_registered_model_alias("clf", "champion", info.registered_model_version)
    expected = model.predict(pd.DataFrame([[0.9, 0.1, 0.2], [0.1, 0.9, 0.2]], columns=["a", "b", "c"])).tolist()
    _reset_state()
    proc = subprocess.Popen(
        [AUTOLOG, "serve", "models:/clf@champion", "--port", "0", "--max-body-mb", "0.01"]
        + (["--no-fast-path"] if request.param == "no-fast-path" else []),
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "AUTOLOG_TRACKING_URI": store},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found, line + proc.stderr.read()
        yield int(found.group(1)), expected
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def request(port: int, method: str, path: str, body: bytes | None = None, content_type: str = "application/json") -> tuple[int, dict]:  # type: ignore[type-arg]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": content_type} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else {}
    finally:
        conn.close()


ROWS = [[0.9, 0.1, 0.2], [0.1, 0.9, 0.2]]


@pytest.mark.parametrize(
    "payload",
    [
        {"dataframe_split": {"columns": ["a", "b", "c"], "data": ROWS}},
        {"dataframe_split": {"columns": ["c", "b", "a"], "data": [r[::-1] for r in ROWS]}},
        {"dataframe_records": [dict(zip("abc", r)) for r in ROWS]},
        {"instances": ROWS},
        {"instances": [dict(zip("abc", r)) for r in ROWS]},
        {"inputs": {"a": [0.9, 0.1], "b": [0.1, 0.9], "c": [0.2, 0.2]}},
    ],
)
def test_request_shapes(server: tuple[int, list[int]], payload: dict) -> None:  # type: ignore[type-arg]
    port, expected = server
    status, doc = request(port, "POST", "/invocations", json.dumps(payload).encode())
    assert status == 200, doc
    assert doc == {"predictions": expected}


def test_csv(server: tuple[int, list[int]]) -> None:
    port, expected = server
    body = "a,b,c\n" + "\n".join(",".join(map(str, r)) for r in ROWS) + "\n"
    status, doc = request(port, "POST", "/invocations", body.encode(), "text/csv")
    assert (status, doc) == (200, {"predictions": expected})


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}', 400, "c"),
        (b'{"dataframe_records": [{"a": "x", "b": 1, "c": 2}]}', 400, "a"),
        (b"{not json", 400, "not valid JSON"),
        (b'{"rows": [[1, 2, 3]]}', 400, "expected exactly one of the keys"),
        (b'[1, 2]', 400, "expected a JSON object"),
    ],
)
def test_bad_requests_are_400_with_the_message(
    server: tuple[int, list[int]], body: bytes, status: int, message: str
) -> None:
    port, _ = server
    got, doc = request(port, "POST", "/invocations", body)
    assert got == status and message in doc["message"], doc


def test_oversize_unknown_paths_and_content_types(server: tuple[int, list[int]]) -> None:
    port, _ = server
    big = json.dumps({"instances": [[0.5, 0.5, 0.5]] * 2000}).encode()
    status, doc = request(port, "POST", "/invocations", big)
    assert status == 413 and "at most" in doc["message"]
    assert request(port, "GET", "/nope")[0] == 404
    assert request(port, "POST", "/nope", b"{}")[0] == 404
    assert request(port, "GET", "/invocations")[0] == 405
    assert request(port, "POST", "/invocations", b"x", "application/xml")[0] == 415


@pytest.fixture
def serve_mode(request: pytest.FixtureRequest) -> str:
    """Which way the ``server`` fixture serves in this test: "fast-path" or "no-fast-path"."""
    return str(request.node.callspec.params["server"])


def test_info_endpoints(server: tuple[int, list[int]], serve_mode: str) -> None:
    port, _ = server
    assert request(port, "GET", "/ping") == (200, {"status": "ok"})
    assert request(port, "GET", "/health")[0] == 200
    status, version = request(port, "GET", "/version")
    assert status == 200 and version["autolog"] == autolog.__version__ and version["flavor"] == "sklearn"
    assert version["fast_path"] is (serve_mode == "fast-path")
    status, meta = request(port, "GET", "/metadata")
    assert status == 200 and meta["model_uri"] == "models:/clf@champion"
    assert [c["name"] for c in meta["signature"]["inputs"]] == ["a", "b", "c"]


def test_keep_alive_serves_many_requests_on_one_connection(server: tuple[int, list[int]]) -> None:
    port, expected = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"instances": ROWS}).encode()
    try:
        conn.connect()
        sock = conn.sock
        for _ in range(20):
            conn.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            assert json.loads(response.read()) == {"predictions": expected}
        assert conn.sock is sock  # the same connection all along
    finally:
        conn.close()


def test_unknown_model_uri_exits_1(tmp_path: Path) -> None:
    done = subprocess.run(
        [AUTOLOG, "serve", "models:/nope/1", "--port", "0"], capture_output=True, text=True,
        env={**os.environ, "AUTOLOG_TRACKING_URI": str(tmp_path)}, timeout=120,
    )
    assert done.returncode == 1 and "no registered model named 'nope'" in done.stderr
