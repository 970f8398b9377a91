"""``autolog serve`` under load and abuse (issue 9, item 9): a real server process on loopback."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import autolog

AUTOLOG = str(Path(sys.executable).with_name("autolog"))
BODY = json.dumps({"instances": [[0.9, 0.1, 0.2]]}).encode()


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    path = tmp_path_factory.mktemp("abuse") / "model"
    X = np.random.default_rng(0).random((40, 3))
    model = LogisticRegression().fit(X, X[:, 0] > 0.5)
    autolog.save_model(model, str(path), signature=autolog.infer_signature(X, model.predict(X)))
    proc = subprocess.Popen(
        [AUTOLOG, "serve", str(path), "--port", "0", "--read-timeout", "1"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found, line + proc.stderr.read()
        drain = threading.Thread(target=proc.stderr.read, daemon=True)
        drain.start()
        yield int(found.group(1))
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr is not None:
            proc.stderr.close()


def exchange(port: int, raw: bytes, timeout: float = 30) -> bytes:
    """Send raw bytes, read until the server closes or one response is complete."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length: (\d+)", head)
        want = int(length.group(1)) if length else 0
        while len(rest) < want:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head + b"\r\n\r\n" + rest


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def post(body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def test_two_hundred_simultaneous_connections_are_all_answered(port: int) -> None:
    socks = []
    try:
        for _ in range(200):  # all connected before any request is sent: the backlog holds them
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=60))
        for sock in socks:
            sock.sendall(post(BODY, b"Connection: close\r\n"))
        answered = 0
        for sock in socks:
            data = b""
            while True:
                chunk = sock.recv(65536)  # a reset would raise ConnectionResetError here
                if not chunk:
                    break
                data += chunk
            assert status_of(data) == 200, data[:200]
            answered += 1
        assert answered == 200
    finally:
        for sock in socks:
            sock.close()


def test_a_slow_body_times_out_and_others_are_served_meanwhile(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
        slow.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"inst")
        # while the slow body dribbles, other clients are answered
        for _ in range(5):
            assert status_of(exchange(port, post(BODY))) == 200
        data = b""
        while True:
            chunk = slow.recv(65536)
            if not chunk:
                break
            data += chunk
    assert status_of(data) == 408 and b"did not arrive within 1 s" in data


def test_deeply_nested_json_is_a_400(port: int) -> None:
    deep = b'{"instances": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = exchange(port, post(deep))
    assert status_of(response) == 400, response[:300]
    assert b"nested too deeply" in response or b"not valid JSON" in response


def test_duplicate_content_length_is_refused(port: int) -> None:
    body = BODY
    twice = (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nContent-Length: " + str(len(body)).encode()
        + b"\r\n\r\n" + body
    )
    response = exchange(port, twice)
    assert response == b"" or status_of(response) == 400, response[:300]
    differing = twice.replace(b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n", b"Content-Length: 3\r\n\r\n")
    response = exchange(port, differing)
    assert response == b"" or status_of(response) == 400, response[:300]
    # and the server still serves
    assert status_of(exchange(port, post(BODY))) == 200


def test_options_is_an_empty_answer_not_an_html_page(port: int) -> None:
    response = exchange(port, b"OPTIONS /invocations HTTP/1.1\r\nHost: x\r\n\r\n")
    head = response.split(b"\r\n\r\n", 1)[0].lower()
    assert status_of(response) == 204
    assert b"allow: post, options" in head and b"text/html" not in head
