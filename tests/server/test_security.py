"""Abuse from outside: traversal in every spelling, tokens, size limits, exposure warnings."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.server.conftest import AUTOLOG, Server, start_server, stop_server

PROXY = "/api/2.0/mlflow-artifacts/artifacts/"

#: raw request paths below the proxy root, sent byte for byte (no client normalisation)
TRAVERSALS = [
    "../outside.txt",
    "a/../../outside.txt",
    "%2e%2e/outside.txt",
    "%2E%2E%2Foutside.txt",
    "a/%2e%2e/%2e%2e/outside.txt",
    "..%2foutside.txt",
    "..%5coutside.txt",
    "..\\outside.txt",
    "%2fetc%2fpasswd",
    "%2Ftmp%2Foutside.txt",
    "C:%5cwindows%5cx.txt",
    "a%3F/../../outside.txt",
    "a%23/../../outside.txt",
    "a%00b.txt",
    "%252e%252e/outside.txt",
    "a//b.txt",
    "file:%2f%2f%2fetc%2fpasswd",
]


def raw(server: Server, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    import json

    host, port = server.url.rsplit("/", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else {}
    finally:
        conn.close()


def files_under(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")} if path.exists() else set()


@pytest.fixture(scope="module")
def confined(tmp_path_factory: pytest.TempPathFactory) -> tuple[Server, Path, Path]:
    """A server whose artifact root sits beside a directory it must never touch."""
    base = tmp_path_factory.mktemp("confined")
    root, outside = base / "root", base / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "link-file.txt").symlink_to(outside / "secret.txt")
    server = start_server(str(base / "store"), str(root))
    yield server, root, outside
    stop_server(server)


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_traversal_is_refused_and_touches_nothing(confined: tuple[Server, Path, Path], path: str, method: str) -> None:
    server, root, outside = confined
    before_out, before_root = files_under(outside), files_under(root.parent)
    status, doc = raw(server, method, PROXY + path, b"pwned" if method == "PUT" else b"")
    assert status in (400, 403, 404), (status, doc)
    assert set(doc) == {"error_code", "message"}
    if status == 404:  # a path the router cannot match at all never reaches a view
        assert doc["error_code"] == "ENDPOINT_NOT_FOUND"
    assert files_under(outside) == before_out
    assert (outside / "secret.txt").read_text() == "secret"
    assert files_under(root.parent) == before_root


@pytest.mark.parametrize("path", ["link/new.txt", "link/secret.txt", "link-file.txt", "link/../link/secret.txt"])
@pytest.mark.parametrize("method", ["PUT", "GET"])
def test_symlinks_out_of_the_root_are_refused(confined: tuple[Server, Path, Path], path: str, method: str) -> None:
    server, _root, outside = confined
    status, doc = raw(server, method, PROXY + path, b"pwned" if method == "PUT" else b"")
    assert status in (400, 403), (status, doc)
    assert files_under(outside) == {"secret.txt"}
    assert (outside / "secret.txt").read_text() == "secret"


@pytest.mark.parametrize("query", ["path=..", "path=..%2F..", "path=%2Fetc", "path=link", "path=a%00"])
def test_listing_outside_is_refused(confined: tuple[Server, Path, Path], query: str) -> None:
    server, _root, _outside = confined
    status, doc = raw(server, "GET", "/api/2.0/mlflow-artifacts/artifacts?" + query)
    assert status in (400, 403), (status, doc)


@pytest.mark.parametrize("location", ["/tmp/elsewhere", "file:///etc", "s3://other-bucket/x", "mlflow-artifacts:/../x", "mlflow-artifacts:/%2e%2e/x", "../x"])
def test_experiment_artifact_location_outside_the_root_is_refused(confined: tuple[Server, Path, Path], location: str) -> None:
    server, _root, _outside = confined
    response = server.call("POST", "/api/2.0/mlflow/experiments/create", {"name": f"x-{uuid.uuid4().hex[:6]}", "artifact_location": location})
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_location_inside_the_root_is_kept(confined: tuple[Server, Path, Path]) -> None:
    server, root, _outside = confined
    created = server.api("POST", "experiments/create", {"name": f"in-{uuid.uuid4().hex[:6]}", "artifact_location": "mlflow-artifacts:/team-a"})
    got = server.api("GET", "experiments/get", params={"experiment_id": created["experiment_id"]})["experiment"]
    assert got["artifact_location"] == "mlflow-artifacts:/team-a"


def test_a_run_outside_the_root_is_not_listed(confined: tuple[Server, Path, Path], tmp_path: Path) -> None:
    """A run created elsewhere, in an experiment whose location is outside: the proxy never reads there."""
    import autolog

    server, _root, _outside = confined
    client = autolog.Client(server.store_uri)
    experiment_id = client.create_experiment(f"local-{uuid.uuid4().hex[:6]}", artifact_location=str(tmp_path))
    run = client.create_run(experiment_id)
    listing = server.call("GET", "/api/2.0/mlflow/artifacts/list", params={"run_id": run.info.run_id})
    assert listing.status_code == 403 and listing.json()["error_code"] == "PERMISSION_DENIED"
    shown = server.api("GET", "runs/get", params={"run_id": run.info.run_id})["run"]["info"]["artifact_uri"]
    assert not shown.startswith("mlflow-artifacts:")


def test_request_size_limit(tmp_path: Path) -> None:
    server = start_server(str(tmp_path / "store"), None, "--max-request-mb", "0.01")
    try:
        big = {"name": "x" * 20_000}
        response = server.call("POST", "/api/2.0/mlflow/experiments/create", json=big)
        assert response.status_code == 413
        assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert "--max-request-mb" in response.json()["message"]
        # chunked, with no length announced: counted while read
        chunks = (b'{"name": "' + b"x" * 4096 for _ in range(10))
        streamed = server.client.post("/api/2.0/mlflow/experiments/create", content=chunks)
        assert streamed.status_code == 413
        deep = server.call("POST", "/api/2.0/mlflow/experiments/create", content=b"[" * 5000 + b"]" * 5000)
        assert deep.status_code == 400
    finally:
        stop_server(server)


def test_tokens(tmp_path: Path) -> None:
    write, read = tmp_path / "token", tmp_path / "viewer"
    write.write_text("w" * 32 + "\n")
    read.write_text("r" * 32 + "\n")
    server = start_server(str(tmp_path / "store"), None, "--token-file", str(write), "--read-token-file", str(read))
    try:
        server.client.headers.pop("Authorization", None)
        assert server.client.get("/health").status_code == 200
        anonymous = server.client.post("/api/2.0/mlflow/experiments/search", json={})
        assert anonymous.status_code == 401 and anonymous.json()["error_code"] == "UNAUTHENTICATED"
        assert anonymous.headers["www-authenticate"] == "Bearer"
        wrong = server.client.post("/api/2.0/mlflow/experiments/search", json={}, headers={"Authorization": "Bearer " + "x" * 32})
        assert wrong.status_code == 401
        viewer = {"Authorization": "Bearer " + "r" * 32}
        assert server.client.post("/api/2.0/mlflow/experiments/search", json={}, headers=viewer).status_code == 200
        refused = server.client.post("/api/2.0/mlflow/experiments/create", json={"name": "v"}, headers=viewer)
        assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED"
        upload = server.client.put(PROXY + "a.txt", content=b"x", headers=viewer)
        assert upload.status_code == 403
        writer = {"Authorization": "Bearer " + "w" * 32}
        assert server.client.post("/api/2.0/mlflow/experiments/create", json={"name": "w"}, headers=writer).status_code == 200
        assert server.client.put(PROXY + "a.txt", content=b"x", headers=writer).status_code == 200
        assert server.client.get(PROXY + "a.txt", headers=viewer).content == b"x"
    finally:
        stop_server(server)


def test_short_token_file_is_refused(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("short\n")
    result = subprocess.run(
        [AUTOLOG, "server", "--backend-store-uri", str(tmp_path / "s"), "--port", "0", "--token-file", str(token)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1 and "shorter than 16 characters" in result.stderr


@pytest.mark.parametrize(("host", "token", "expected"), [
    ("127.0.0.1", False, "this machine only"),
    ("0.0.0.0", False, "WARNING: listening on 0.0.0.0 without a token"),
    ("0.0.0.0", True, "bearer token required"),
])
def test_start_says_who_can_reach_it(tmp_path: Path, host: str, token: bool, expected: str) -> None:
    extra = []
    if token:
        (tmp_path / "t").write_text("t" * 32)
        extra = ["--token-file", str(tmp_path / "t")]
    proc = subprocess.Popen(
        [AUTOLOG, "server", "--backend-store-uri", str(tmp_path / "s"), "--port", "0", "--host", host, *extra],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stderr is not None
        lines = [proc.stderr.readline(), proc.stderr.readline()]
        assert re.search(r"tracking server on http://", lines[0]), lines
        assert expected in lines[1], lines
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr is not None:
            proc.stderr.close()
