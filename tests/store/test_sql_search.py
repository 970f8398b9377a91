"""Search on SQL stores: the same answers as the reference evaluator, in few, indexed queries."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from autolog.core._store import Store
from autolog.store.memory import MemoryStore
from autolog.store.sql import SqlStore
from autolog.store.sql import _records
from autolog.core._entities import Metric, Param, RunStatus, RunTag, ViewType
from autolog.core._search import parse_filter, parse_order_by

_LONG = "v" * 250
# name: (metrics, params, tags); start times follow the list, so every order is total
_RUNS: dict[str, tuple[dict[str, float], dict[str, str], dict[str, str]]] = {
    "star": ({"acc": 0.5, "loss": math.inf}, {"p": "a*b"}, {"t": "Étoile"}),
    "question": ({"acc": 0.7}, {"p": "a?b"}, {"t": "étoile"}),
    "bracket": ({"acc": math.nan}, {"p": "a[b]c"}, {"t": "[x]"}),
    "percent": ({"acc": -math.inf, "loss": 2.0}, {"p": "a%b"}, {"t": "100%"}),
    "underscore": ({"loss": 1.0}, {"p": "a_b"}, {"t": "snake_case"}),
    "backslash": ({"acc": 0.7}, {"p": "a\\b"}, {"t": "C:\\dir"}),
    "upper": ({"acc": 0.1}, {"p": "A*B"}, {"t": "ÉTOILE"}),
    "newline": ({"acc": 0.2}, {"p": "a\nb"}, {"t": "two\nlines"}),
    "long": ({"acc": 0.3}, {"p": _LONG + "x"}, {"t": _LONG}),
    "longer": ({"acc": 0.3}, {"p": _LONG + "y"}, {}),
    "bare": ({}, {}, {}),
}

FILTERS = [
    "params.p LIKE 'a*b'",
    "params.p LIKE 'a?b'",
    "params.p LIKE 'a[b]c'",
    "params.p LIKE 'a_b'",
    "params.p LIKE 'a\\%b'",
    "params.p LIKE 'a\\_b'",
    "params.p LIKE 'a\\\\b'",
    "params.p LIKE 'a%'",
    "params.p LIKE '%b'",
    "params.p LIKE '%[%'",
    "params.p ILIKE 'a*b'",
    "params.p ILIKE 'A_B'",
    "tags.t ILIKE 'étoile'",
    "tags.t LIKE 'étoile'",
    "tags.t ILIKE '%É%'",
    "tags.t LIKE 'two%lines'",
    "tags.t LIKE '%\\%'",
    f"params.p = '{_LONG}x'",
    f"params.p IN ('{_LONG}y', 'a_b')",
    f"params.p != '{_LONG}x'",
    f"tags.t = '{_LONG}'",
    "params.p NOT IN ('a*b', 'a?b')",
    "params.p < 'a['",
    "params.p >= 'a_'",
    "tags.t > 'é'",
    "metrics.acc != 0.7",
    "metrics.acc NOT IN (0.5, 0.7)",
    "metrics.acc = 0.7 OR metrics.loss = inf",
    "metrics.loss > 1e308",
    "metrics.acc < -1e308",
    "metrics.acc >= -inf AND metrics.acc <= inf",
    "(metrics.acc > 0.2 OR params.p LIKE 'a_b') AND tags.t != 'x'",
    "attributes.run_name LIKE '%e%' AND NOT_A_KEY_PLACEHOLDER",
]
FILTERS[-1] = "attributes.run_name LIKE '%e%' AND attributes.end_time > 0"
ORDERS = [
    ["metrics.acc"],
    ["metrics.acc DESC"],
    ["metrics.loss DESC", "metrics.acc"],
    ["params.p"],
    ["params.p DESC"],
    ["tags.t"],
    ["attributes.run_name DESC"],
    ["attributes.end_time"],
    ["attributes.end_time DESC"],
    ["attributes.status", "metrics.acc DESC"],
]


def _fill(store: Store) -> dict[str, str]:
    """The runs above in experiment 0; returns run_id -> name."""
    names = {}
    for index, (name, (metrics, params, tags)) in enumerate(_RUNS.items()):
        run = store.create_run("0", "u", 1_000 * (index + 1), run_name=name)
        store.log_batch(
            run.info.run_id,
            [Metric(k, v, 5, 0) for k, v in metrics.items()],
            [Param(k, v) for k, v in params.items()],
            [RunTag(k, v) for k, v in tags.items()],
        )
        if index % 3 == 0:
            store.update_run_info(run.info.run_id, status=RunStatus.FINISHED, end_time=10_000 - index)
        names[run.info.run_id] = name
    return names


@pytest.fixture(scope="module")
def reference() -> Iterator[tuple[MemoryStore, dict[str, str]]]:
    store = MemoryStore.from_uri("memory:")
    yield store, _fill(store)
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def filled(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SqlStore, dict[str, str]]]:
    uri = str(tmp_path / "runs") if request.param == "sqlite" else request.getfixturevalue("fresh_postgres_uri")
    store = SqlStore.from_uri(uri)
    yield store, _fill(store)
    store.close()


def _names(store: Store, names: dict[str, str], **kwargs: Any) -> list[str]:
    return [names[r.info.run_id] for r in store.search_runs(["0"], **kwargs)]


def test_filters_match_the_reference_evaluator(filled: Any, reference: Any) -> None:
    store, names = filled
    ref_store, ref_names = reference
    for text in FILTERS:
        node = parse_filter(text)
        expected = _names(ref_store, ref_names, filter=node)
        assert _names(store, names, filter=node) == expected, text


def test_orders_match_the_reference_evaluator(filled: Any, reference: Any) -> None:
    store, names = filled
    ref_store, ref_names = reference
    for order in ORDERS:
        keys = parse_order_by(order)
        expected = _names(ref_store, ref_names, order_by=keys)
        assert _names(store, names, order_by=keys) == expected, order


def test_like_is_case_sensitive_and_ilike_is_not(filled: Any) -> None:
    store, names = filled
    assert _names(store, names, filter=parse_filter("params.p LIKE 'a*b'")) == ["star"]
    assert sorted(_names(store, names, filter=parse_filter("params.p ILIKE 'a*b'"))) == ["star", "upper"]
    assert sorted(_names(store, names, filter=parse_filter("tags.t ILIKE 'étoile'"))) == [
        "question", "star", "upper",
    ]  # fmt: skip


def _statements(store: SqlStore) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    sa.event.listen(store.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(store.db.engine, "before_cursor_execute", record)


def test_a_page_costs_the_same_few_queries_whatever_its_size(filled: Any) -> None:
    store, _ = filled
    counts = []
    for max_results in (1, 5, 50):
        for seen in _statements(store):
            page = store.search_runs(
                ["0"], parse_filter("metrics.acc > 0"), max_results=max_results,
                order_by=parse_order_by(["metrics.acc DESC", "params.p"]),
            )  # fmt: skip
            assert len(page) == min(max_results, 7)
            counts.append(len(seen))
    assert counts[0] == counts[1] == counts[2] <= 5, counts


def test_pages_larger_than_one_in_list_are_loaded_whole(
    filled: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, names = filled
    whole = store.search_runs(["0"])
    monkeypatch.setattr(_records, "CHUNK", 2)
    assert store.search_runs(["0"]) == whole


def test_param_filter_with_metric_order_uses_indexes_on_sqlite(tmp_path: Path) -> None:
    store = SqlStore.from_uri(str(tmp_path / "runs"))
    try:
        compiled = _search_sql(store, "params.model = 'rf'", ["metrics.acc DESC"])
        plan = store.db.read(
            lambda conn: [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled[0], compiled[1])]
        )
    finally:
        store.close()
    text = "\n".join(plan)
    for table in ("params", "latest_metrics", "tags"):
        assert f"SCAN {table}" not in text, text  # child tables are only ever searched
    assert "USING INDEX ix_params_key_value" in text or "sqlite_autoindex_params" in text, text


def _search_sql(store: SqlStore, filter_text: str, order: list[str]) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters search_runs sends, captured from the engine."""
    captured: list[tuple[str, tuple[Any, ...]]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "FROM runs" in statement and "LIMIT" in statement:
            captured.append((statement, tuple(parameters)))

    sa.event.listen(store.db.engine, "before_cursor_execute", record)
    try:
        store.search_runs(["0"], parse_filter(filter_text), order_by=parse_order_by(order))
    finally:
        sa.event.remove(store.db.engine, "before_cursor_execute", record)
    assert len(captured) == 1
    return captured[0]


def test_deleted_and_all_views(filled: Any) -> None:
    store, names = filled
    victim = next(i for i, n in names.items() if n == "bare")
    store.delete_run(victim)
    assert "bare" not in _names(store, names)
    assert _names(store, names, run_view_type=ViewType.DELETED_ONLY) == ["bare"]
    assert len(_names(store, names, run_view_type=ViewType.ALL)) == len(_RUNS)
