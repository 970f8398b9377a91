"""Scoring-server figures (issue: registry/CLI/serving). Prints one JSON line.

Usage: python bench_serve.py WORKDIR
Logs a LogisticRegression with a column signature, starts ``autolog serve`` on 127.0.0.1
and measures 1-row ``dataframe_split`` requests: p50/p99 latency on one keep-alive
connection, then requests/s with 4 concurrent keep-alive clients (bounded request counts).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit  # noqa: E402

LATENCY_REQUESTS = 2000
CLIENTS, PER_CLIENT = 4, 2500

workdir = Path(sys.argv[1])
workdir.mkdir(parents=True, exist_ok=True)
store = str(workdir / f"serve-{os.getpid()}")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import autolog  # noqa: E402

autolog.set_tracking_uri(store)
X = pd.DataFrame(np.random.default_rng(0).random((200, 4)), columns=list("abcd"))
model = LogisticRegression().fit(X, X["a"] > 0.5)
info = autolog.log_model(model, "model", signature=autolog.infer_signature(X, model.predict(X)))
autolog.end_run()

autolog_bin = str(Path(sys.executable).with_name("autolog"))
proc = subprocess.Popen(
    [autolog_bin, "serve", info.model_uri, "--port", "0"],
    stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    env={**os.environ, "AUTOLOG_TRACKING_URI": store},
)
BODY = json.dumps({"dataframe_split": {"columns": list("abcd"), "data": [[0.9, 0.1, 0.2, 0.3]]}}).encode()
HEADERS = {"Content-Type": "application/json"}


def call(conn: http.client.HTTPConnection) -> None:
    conn.request("POST", "/invocations", body=BODY, headers=HEADERS)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(data)


try:
    assert proc.stderr is not None
    line = proc.stderr.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not found:
        raise RuntimeError(line + proc.stderr.read())
    port = int(found.group(1))

    conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(200):  # warm up
        call(conn)
    latencies = []
    for _ in range(LATENCY_REQUESTS):
        start = time.perf_counter()
        call(conn)
        latencies.append(time.perf_counter() - start)
    conn.close()
    latencies.sort()

    def client() -> None:
        c = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(PER_CLIENT):
            call(c)
        c.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
finally:
    proc.terminate()
    proc.wait(timeout=10)

emit(
    {
        "bench": "serve",
        "p50_ms_1row": round(statistics.median(latencies) * 1000, 3),
        "p99_ms_1row": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
        "requests_per_s_4_clients": round(CLIENTS * PER_CLIENT / elapsed),
    }
)
