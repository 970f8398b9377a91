"""Summaries a store computes over many runs or a long history, for views such as the web UI.

- ``Activity``: an experiment's active run count and the time of its last run start or end.
- ``DataKeys``: every param, metric and tag key used by the active runs of some experiments.
- ``MetricBuckets``: one metric's history cut into at most N buckets along its x axis (step or
  timestamp), each bucket keeping its first and last x, its lowest and highest value and how
  many points it holds. A chart drawn from the lowest and highest value per pixel-wide bucket
  looks like the chart of every point, extremes included, at a fixed cost per chart.

``bucket_points`` is the reference for the bucketing: every store's ``Store.metric_buckets``
must give exactly its answer (the conformance suite checks it), so the bucket boundaries are
integer arithmetic any SQL dialect can do: point ``x`` falls in bucket
``(x - first) * n // (last - first + 1)`` of ``[first, last]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from autolog.errors import InvalidInputError

#: the x axes a metric history can be cut along
XAxis = Literal["step", "timestamp"]
X_AXES: tuple[XAxis, ...] = ("step", "timestamp")
#: the most buckets one request may ask for (a chart is rarely wider than this in pixels)
MAX_BUCKETS = 10_000
#: the widest x a range may name (2**53: exact in a double, so in JavaScript; bucket
#: arithmetic on it stays far inside 64-bit integers)
MAX_X = 2**53


@dataclass(frozen=True)
class Activity:
    """An experiment's active runs: how many, and the latest start or end time (None: none)."""

    runs: int = 0
    last_time: int | None = None


@dataclass(frozen=True)
class DataKeys:
    """The sorted param, metric and tag keys of some runs."""

    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MetricBuckets:
    """Parallel lists, one entry per non-empty bucket, in x order.

    ``count`` points (NaN values left out) fall in a bucket; ``low``/``high`` are their
    smallest and largest values, ``x_first``/``x_last`` their smallest and largest x. A
    bucket of one point has ``low == high`` and ``x_first == x_last``.
    """

    x: XAxis
    x_first: list[int] = field(default_factory=list)
    x_last: list[int] = field(default_factory=list)
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    count: list[int] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(self.count)


def check_bucket_args(buckets: int, x: str, lo: int | None, hi: int | None) -> None:
    """Refuse what no store can answer, with the same words everywhere."""
    if x not in X_AXES:
        raise InvalidInputError(f"x must be one of {', '.join(X_AXES)}, got {x!r}")
    if isinstance(buckets, bool) or not isinstance(buckets, int) or not 1 <= buckets <= MAX_BUCKETS:
        raise InvalidInputError(f"buckets must be an integer from 1 to {MAX_BUCKETS}, got {buckets!r}")
    for name, bound in (("lo", lo), ("hi", hi)):
        if bound is not None and not -MAX_X <= bound <= MAX_X:
            raise InvalidInputError(f"{name} must be between -2**53 and 2**53, got {bound}")
    if lo is not None and hi is not None and lo > hi:
        raise InvalidInputError(f"the x range is empty: lo {lo} is above hi {hi}")


def bucket_bounds(first: int, last: int, buckets: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each bucket over ``[first, last]``: the inverse of the bucket formula.

    ``(x - first) * n // span == i``  <=>  ``ceil(i * span / n) <= x - first < ceil((i + 1) * span / n)``.
    """
    span = last - first + 1
    edges = [first + (i * span + buckets - 1) // buckets for i in range(buckets + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if a < b]


def bucket_points(
    points: Iterable[tuple[int, float]], buckets: int, x: XAxis = "step", lo: int | None = None, hi: int | None = None
) -> MetricBuckets:
    """The reference bucketing of ``(x, value)`` points (any order; NaN values are skipped).

    The buckets cover ``[lo, hi]``; a missing end is the first (last) x of the points in range.
    """
    kept = sorted(
        (px, v) for px, v in points
        if not math.isnan(v) and (lo is None or px >= lo) and (hi is None or px <= hi)
    )
    result = MetricBuckets(x)
    if not kept:
        return result
    first = kept[0][0] if lo is None else lo
    last = kept[-1][0] if hi is None else hi
    span = last - first + 1
    current = -1
    for px, v in kept:
        index = (px - first) * buckets // span
        if index != current:
            current = index
            result.x_first.append(px)
            result.x_last.append(px)
            result.low.append(v)
            result.high.append(v)
            result.count.append(1)
            continue
        result.x_last[-1] = px
        result.low[-1] = min(result.low[-1], v)
        result.high[-1] = max(result.high[-1], v)
        result.count[-1] += 1
    return result
