"""The artifact proxy: streamed up and down, listed, deleted; a cut upload leaves nothing."""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from pathlib import Path

import pytest

from tests.server.conftest import Server, start_server, stop_server

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def roundtrip(server: Server, prefix: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)

    def chunks() -> object:
        for i in range(0, len(data), 100_000):
            yield data[i : i + 100_000]

    put = server.client.put(f"{PROXY}/{prefix}/model/weights.bin", content=chunks())
    assert put.status_code == 200, put.text
    server.client.put(f"{PROXY}/{prefix}/model/MLmodel", content=b"flavors: {}\n")
    server.client.put(f"{PROXY}/{prefix}/notes café.txt", content="ünïcode".encode())
    with server.client.stream("GET", f"{PROXY}/{prefix}/model/weights.bin") as response:
        assert response.status_code == 200
        digest = hashlib.sha256()
        for block in response.iter_bytes():
            digest.update(block)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    listing = server.client.get(PROXY, params={"path": f"{prefix}/model"}).json()["files"]
    assert listing == [
        {"path": "MLmodel", "is_dir": False, "file_size": 12},
        {"path": "weights.bin", "is_dir": False, "file_size": len(data)},
    ]
    top = server.client.get(PROXY, params={"path": prefix}).json()["files"]
    assert [(f["path"], f["is_dir"]) for f in top] == [("model", True), ("notes café.txt", False)]
    assert server.client.get(f"{PROXY}/{prefix}/notes café.txt").content == "ünïcode".encode()
    html = server.client.put(f"{PROXY}/{prefix}/page.html", content=b"<script>alert(1)</script>")
    assert html.status_code == 200
    served = server.client.get(f"{PROXY}/{prefix}/page.html")
    assert served.headers["content-type"].startswith("text/plain")  # never rendered as a page
    assert served.headers["x-content-type-options"] == "nosniff"
    assert server.client.delete(f"{PROXY}/{prefix}/model").status_code == 200
    assert server.client.get(f"{PROXY}/{prefix}/model/MLmodel").status_code == 404
    assert server.client.get(f"{PROXY}/{prefix}/missing.txt").json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_local_destination(server: Server) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    roundtrip(server, prefix)
    # nothing but the files themselves in the destination (the spool is hidden and empty)
    spool = Path(server.artifacts) / ".autolog-tmp-uploads"
    assert not spool.exists() or list(spool.iterdir()) == []


def test_a_cut_upload_leaves_no_file(server: Server) -> None:
    prefix = f"cut-{uuid.uuid4().hex[:8]}"
    host, port = server.url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            f"PUT {PROXY}/{prefix}/big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n".encode()
            + b"x" * 2_000_000
        )
    spool = Path(server.artifacts) / ".autolog-tmp-uploads"
    for _ in range(200):  # the server notices the closed connection and removes its temp file
        if not spool.exists() or not list(spool.iterdir()):
            break
        time.sleep(0.05)
    assert not spool.exists() or list(spool.iterdir()) == []
    assert server.client.get(f"{PROXY}/{prefix}/big.bin").status_code == 404
    assert not (Path(server.artifacts) / prefix).exists()


def test_a_directory_or_the_root_is_not_a_file(server: Server) -> None:
    directory = server.client.put(f"{PROXY}/a/", content=b"x")
    assert directory.status_code == 400 and "names a directory" in directory.json()["message"]
    assert server.client.delete(f"{PROXY}/").status_code in (400, 404, 405)
    assert server.client.delete(f"{PROXY}/a/..").status_code in (400, 405)


@pytest.mark.slow
def test_s3_destination(s3_endpoint: str, tmp_path: Path) -> None:
    root = f"s3://autolog-test/server-{uuid.uuid4().hex[:8]}"
    env = {k: os.environ[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")}
    server = start_server(str(tmp_path / "store"), root, env=env)
    try:
        experiment_id = server.api("POST", "experiments/create", {"name": "s3"})["experiment_id"]
        got = server.api("GET", "experiments/get", params={"experiment_id": experiment_id})["experiment"]
        assert got["artifact_location"] == f"mlflow-artifacts:/{experiment_id}"
        roundtrip(server, "t")
        import s3fs

        fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_endpoint})
        assert fs.exists(f"{root}/t/notes café.txt")
    finally:
        stop_server(server)
