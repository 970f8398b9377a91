"""The summary part of the store conformance suite (``Store.experiment_activity``,
``Store.run_data_keys``, ``Store.metric_buckets``), mixed into ``StoreConformance``.

A backend that overrides a summary must answer exactly what the ``Store`` defaults answer;
for metric buckets that is ``autolog.core._summaries.bucket_points`` over the whole history.
"""

from __future__ import annotations

import math
import random

import pytest

from autolog.core._entities import Metric, Param, RunStatus, RunTag
from autolog.core._store import Store
from autolog.core._summaries import Activity, DataKeys, bucket_points
from autolog.errors import InvalidInputError, NotFoundError

#: more points than any backend reads whole, so that its aggregate path is the one tested
_LONG = 30_000


class SummaryConformance:
    """Checks of the summaries; ``StoreConformance`` provides ``store`` and ``experiment_id``."""

    @staticmethod
    def _run(store: Store, experiment_id: str, start: int) -> str:
        return store.create_run(experiment_id, "tester", start).info.run_id

    def test_experiment_activity(self, store: Store) -> None:
        busy, quiet = store.create_experiment("busy"), store.create_experiment("quiet")
        first = self._run(store, busy, 1000)
        store.update_run_info(first, RunStatus.FINISHED, end_time=9000)
        self._run(store, busy, 5000)
        gone = self._run(store, busy, 20_000)
        store.delete_run(gone)  # deleted runs count for nothing
        found = store.experiment_activity([busy, quiet, "999999"])
        assert found == {busy: Activity(2, 9000), quiet: Activity(0, None), "999999": Activity(0, None)}

    def test_run_data_keys(self, store: Store) -> None:
        one, two = store.create_experiment("keys-1"), store.create_experiment("keys-2")
        a, b, c = self._run(store, one, 1), self._run(store, two, 2), self._run(store, two, 3)
        store.log_batch(a, [Metric("loss", 1.0, 1, 0)], [Param("lr", "0.1")], [RunTag("team", "x")])
        store.log_batch(b, [Metric("acc", math.nan, 1, 0)], [Param("depth", "3"), Param("lr", "1")])
        store.log_batch(c, [Metric("gone", 1.0, 1, 0)], [Param("gone", "1")], [RunTag("gone", "1")])
        store.delete_run(c)
        found = store.run_data_keys([one, two])
        assert (found.params, found.metrics) == (["depth", "lr"], ["acc", "loss"])
        assert "team" in found.tags and "gone" not in found.tags
        assert store.run_data_keys([]) == DataKeys()

    def test_metric_buckets_of_a_short_history(self, store: Store, experiment_id: str) -> None:
        rid = self._run(store, experiment_id, 1)
        points = [("m", 0.5, 100, 0), ("m", math.nan, 110, 1), ("m", -math.inf, 120, 2),
                  ("m", 3.0, 130, 2), ("m", 2.0, 90, 5), ("m", 7.0, 200, 9)]  # fmt: skip
        store.log_metric_points(rid, points)
        history = store.get_metric_history(rid, "m")
        for x in ("step", "timestamp"):
            for buckets, lo, hi in ((1000, None, None), (2, None, None), (3, 1, 5), (1, 2, 2), (4, 50, 50)):
                pairs = [(m.step if x == "step" else m.timestamp, m.value) for m in history]
                assert store.metric_buckets(rid, "m", buckets, x, lo, hi) == bucket_points(pairs, buckets, x, lo, hi)
        every = store.metric_buckets(rid, "m", 100)
        assert (every.x_first, every.low, every.count) == ([0, 2, 5, 9], [0.5, -math.inf, 2.0, 7.0], [1, 2, 1, 1])
        assert every.high[1] == 3.0 and every.x_last == every.x_first
        assert store.metric_buckets(rid, "never logged", 10).count == []
        with pytest.raises(NotFoundError):
            store.metric_buckets("0" * 32, "m", 10)
        for bad in ({"buckets": 0}, {"x": "time"}, {"lo": 5, "hi": 4}, {"lo": -(2**62)}):
            args = {"buckets": 10, "x": "step", "lo": None, "hi": None, **bad}
            with pytest.raises(InvalidInputError):
                store.metric_buckets(rid, "m", args["buckets"], args["x"], args["lo"], args["hi"])  # type: ignore[arg-type]

    def test_metric_buckets_of_a_long_history_keep_the_extremes(self, store: Store, experiment_id: str) -> None:
        rid = self._run(store, experiment_id, 1)
        rng = random.Random(7)
        points = [("m", math.sin(i / 500) + rng.random(), 10_000 + 3 * i + rng.randrange(3), i) for i in range(_LONG)]
        points[1234] = ("m", 50.0, points[1234][2], 1234)  # one spike
        points[20_000] = ("m", math.nan, points[20_000][2], 20_000)
        store.log_metric_points(rid, points)
        history = store.get_metric_history(rid, "m")
        for x in ("step", "timestamp"):
            pairs = [(m.step if x == "step" else m.timestamp, m.value) for m in history]
            for buckets, lo, hi in ((700, None, None), (333, 1000, 25_000), (1, None, None)):
                lo_x = None if lo is None else pairs[lo][0]
                hi_x = None if hi is None else pairs[hi][0]
                found = store.metric_buckets(rid, "m", buckets, x, lo_x, hi_x)
                assert found == bucket_points(pairs, buckets, x, lo_x, hi_x)
                assert len(found.count) <= buckets
            whole = store.metric_buckets(rid, "m", 500, x)
            assert whole.points == _LONG - 1 and max(whole.high) == 50.0
