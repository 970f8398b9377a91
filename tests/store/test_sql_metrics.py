"""Metric points in batches of every size, with NaN and infinities, on both backends."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolog.store.sql import SqlStore
from autolog.core._entities import Metric

_SPECIAL = (math.nan, math.inf, -math.inf, 5e-324, 1.7976931348623157e308)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    uri = str(tmp_path / "runs") if request.param == "sqlite" else request.getfixturevalue("fresh_postgres_uri")
    store = SqlStore.from_uri(uri)
    yield store
    store.close()


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("size", [1, 499, 500, 501, 1234])
def test_a_batch_of_any_size_lands_whole_and_exact(store: SqlStore, size: int) -> None:
    run_id = store.create_run("0", "u", 0).info.run_id
    points = [
        Metric("a" if i % 3 else "b", _SPECIAL[i % len(_SPECIAL)] if i % 7 == 0 else i / 3, 10_000 - i, i)
        for i in range(size)
    ]
    store.log_batch(run_id, points)
    for key in ("a", "b"):
        expected = [p for p in points if p.key == key]
        history = store.get_metric_history(run_id, key)
        assert [(m.step, m.timestamp) for m in history] == [(p.step, p.timestamp) for p in expected]
        assert all(_same(m.value, p.value) for m, p in zip(history, expected))
    latest = store.get_run(run_id).data.metrics
    for key, value in latest.items():
        assert _same(value, max((p for p in points if p.key == key), key=lambda p: p.step).value)


def test_latest_value_follows_step_then_timestamp_across_batches(store: SqlStore) -> None:
    run_id = store.create_run("0", "u", 0).info.run_id
    store.log_batch(run_id, [Metric("m", 1.0, 500, 5)] * 600)  # same point 600 times: all kept
    store.log_batch(run_id, [Metric("m", math.nan, 400, 5)])  # older timestamp: not latest
    assert store.get_run(run_id).data.metrics == {"m": 1.0}
    store.log_batch(run_id, [Metric("m", math.nan, 500, 5)])  # a tie goes to the later point
    assert math.isnan(store.get_run(run_id).data.metrics["m"])
    store.log_batch(run_id, [Metric("m", -math.inf, 0, 6)])  # a higher step wins over time
    assert store.get_run(run_id).data.metrics == {"m": -math.inf}
    assert len(store.get_metric_history(run_id, "m")) == 603


def test_values_of_other_numeric_types_are_stored_as_floats(store: SqlStore) -> None:
    run_id = store.create_run("0", "u", 0).info.run_id
    store.log_batch(run_id, [Metric("int", 3, 1, 0), Metric("big", 2**60, 1, 0)])  # type: ignore[arg-type]
    history = store.get_metric_history(run_id, "int") + store.get_metric_history(run_id, "big")
    assert [(type(m.value), m.value) for m in history] == [(float, 3.0), (float, float(2**60))]
    with pytest.raises(TypeError, match="must be a number"):
        store.log_batch(run_id, [Metric("bad", "1.0", 1, 0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="step"):
        store.log_batch(run_id, [Metric("bad", 1.0, 1, 1.5)])  # type: ignore[arg-type]
    assert "bad" not in store.get_run(run_id).data.metrics
