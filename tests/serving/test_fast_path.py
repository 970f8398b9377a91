"""The scoring server's array fast path answers exactly as the DataFrame path does.

Two in-process servers per model, one with the fast path and one without, get the same
bodies over HTTP; status and body must match byte for byte, whichever path each request took.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.serving import make_server

COLS = ["a", "b", "c", "d"]
ROW = [0.9, 0.1, 0.2, 0.3]

BODIES: list[bytes] = [
    json.dumps(doc).encode()
    for doc in [
        {"dataframe_split": {"columns": COLS, "data": [ROW]}},
        {"dataframe_split": {"columns": COLS, "data": [ROW, [0.1, 0.9, 0.5, 0.5], [0.3, 0.3, 0.3, 0.3]]}},
        {"dataframe_split": {"columns": COLS, "data": [[1, 0, 2, 3]]}},
        {"dataframe_split": {"columns": COLS, "data": [[1, 0.5, 2, 3.25], [0.5, 1, 2.5, 3]]}},
        {"dataframe_split": {"columns": COLS, "data": [[1, 0.5, 2, 3.25], [2, 1.5, 3, 4.0]] * 3}},
        {"dataframe_split": {"columns": COLS, "data": [[2**53, -(2**53), 0, 1]]}},
        {"dataframe_split": {"columns": COLS, "data": [[2**60, 0, 0, 1]]}},
        {"dataframe_split": {"columns": COLS[::-1], "data": [ROW[::-1]]}},
        {"dataframe_split": {"columns": COLS, "data": [ROW], "index": [7]}},
        {"dataframe_split": {"columns": COLS, "data": [["0.5", 0.1, 0.2, 0.3]]}},
        {"dataframe_split": {"columns": COLS, "data": [[True, 0.1, 0.2, 0.3]]}},
        {"dataframe_split": {"columns": COLS, "data": [[None, 0.1, 0.2, 0.3]]}},
        {"dataframe_split": {"columns": COLS, "data": [[0.9, 0.1, 0.2]]}},
        {"dataframe_split": {"columns": COLS, "data": [ROW, [0.9, 0.1]]}},
        {"dataframe_split": {"columns": COLS, "data": []}},
        {"dataframe_split": {"data": [ROW]}},
        {"dataframe_records": [dict(zip(COLS, ROW)), dict(zip(COLS, [1, 2, 3, 4]))]},
        {"dataframe_records": [{**dict(zip(COLS, ROW)), "extra": 1.0}]},
        {"dataframe_records": [dict(zip(COLS[:3], ROW))]},
        {"instances": [ROW, [0.5, 0.5, 0.5, 0.5]]},
        {"instances": ROW},
        {"instances": [[0.5, 0.5, 0.5]]},
        {"inputs": {c: [v] for c, v in zip(COLS, ROW)}},
        {"inputs": [dict(zip(COLS, ROW))]},
    ]
] + [b'{"instances": [[NaN, 0.1, 0.2, 0.3]]}', b'{"instances": [[Infinity, 0.1, 0.2, 0.3]]}']


def _frame(rows: Any) -> Any:
    import numpy as np
    import pandas as pd

    return pd.DataFrame(np.random.default_rng(0).random((rows, 4)), columns=COLS)


def _logistic() -> tuple[Any, Any]:
    from sklearn.linear_model import LogisticRegression

    X = _frame(80)
    return LogisticRegression().fit(X, X["a"] > 0.5), X


def _linear() -> tuple[Any, Any]:
    from sklearn.linear_model import LinearRegression

    X = _frame(80)
    return LinearRegression().fit(X, X["a"] * 2 - X["c"]), X


def _forest() -> tuple[Any, Any]:
    from sklearn.ensemble import RandomForestClassifier

    X = _frame(80)
    return RandomForestClassifier(n_estimators=5, random_state=0).fit(X, (X["a"] * 3).astype(int)), X


def _hist_gb() -> tuple[Any, Any]:
    from sklearn.ensemble import HistGradientBoostingRegressor

    X = _frame(80)
    return HistGradientBoostingRegressor(max_iter=5).fit(X, X["b"]), X


def _knn() -> tuple[Any, Any]:
    from sklearn.neighbors import KNeighborsClassifier

    X = _frame(80)
    return KNeighborsClassifier(n_neighbors=3).fit(X, X["d"] > 0.5), X


def _fitted_on_array() -> tuple[Any, Any]:
    from sklearn.linear_model import LogisticRegression

    X = _frame(80)
    return LogisticRegression().fit(X.to_numpy(), X["a"] > 0.5), X


@pytest.fixture
def serve_pair(tmp_path: Path) -> Iterator[Callable[[Any, Any], tuple[Any, int, int]]]:
    """Saves a model and serves it twice in this process: with and without the fast path."""
    servers: list[Any] = []

    def start(model: Any, X: Any) -> tuple[Any, int, int]:
        path = tmp_path / f"model-{len(servers)}"
        autolog.save_model(model, path, signature=autolog.infer_signature(X, model.predict(X)))
        ports = []
        for fast in (True, False):
            server = make_server(str(path), port=0, fast_path=fast)
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            servers.append(server)
            ports.append(server.server_port)
        return servers[-2], ports[0], ports[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _post(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, bytes]:
    conn.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def _same_answers(fast_port: int, general_port: int) -> None:
    fast = http.client.HTTPConnection("127.0.0.1", fast_port, timeout=30)
    general = http.client.HTTPConnection("127.0.0.1", general_port, timeout=30)
    try:
        answers = []
        for body in BODIES:
            got, want = _post(fast, body), _post(general, body)
            assert got == want, body
            answers.append(got[0])
        # the set exercises both outcomes, so a path that refuses everything cannot pass
        assert 200 in answers and 400 in answers
    finally:
        fast.close()
        general.close()


@pytest.mark.parametrize("make", [_logistic, _linear, _forest, _hist_gb, _knn])
def test_fast_path_answers_like_the_dataframe_path(make: Callable[[], tuple[Any, Any]], serve_pair: Any) -> None:
    model, X = make()
    server, fast_port, general_port = serve_pair(model, X)
    assert server.array_path is not None
    key, value = next(iter(json.loads(BODIES[0]).items()))
    assert server.array_path.rows(key, value) == [ROW]  # the plain request does take it
    _same_answers(fast_port, general_port)
    # the served model keeps its feature names: the fast path predicts with a copy
    assert list(server.model.native.feature_names_in_) == COLS


@pytest.mark.filterwarnings("ignore:X has feature names, but LogisticRegression was fitted without feature names:UserWarning")
def test_fast_path_for_a_model_fitted_on_an_array(serve_pair: Any) -> None:
    model, X = _fitted_on_array()
    server, fast_port, general_port = serve_pair(model, X)
    assert server.array_path is not None
    _same_answers(fast_port, general_port)


def test_models_the_fast_path_does_not_take(serve_pair: Any) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = _frame(40)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, X["a"] > 0.5)
    server, fast_port, general_port = serve_pair(pipeline, X)
    assert server.array_path is None  # a pipeline may select columns by name
    _same_answers(fast_port, general_port)

    ints = X.assign(a=(X["a"] * 10).astype("int64"))
    model = LogisticRegression().fit(ints, ints["b"] > 0.5)
    server, _, _ = serve_pair(model, ints)
    assert server.array_path is None  # not every column is a double


def test_version_says_whether_the_fast_path_is_on(serve_pair: Any) -> None:
    model, X = _logistic()
    _, fast_port, general_port = serve_pair(model, X)
    for port, expected in ((fast_port, True), (general_port, False)):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/version")
        assert json.loads(conn.getresponse().read())["fast_path"] is expected
        conn.close()
