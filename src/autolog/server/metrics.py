"""``/api/2.0/mlflow/metrics/*`` and our columnar metric batch: metric history in and out."""

from __future__ import annotations

from typing import Any

from autolog.errors import InvalidInputError
from autolog.server import _shapes as shape
from autolog.server._api import Api
from autolog.server._http import Args
from autolog.server.experiments import page_size
from autolog.server.runs import number, run_id

#: points one columnar request may carry (its body limit applies too)
MAX_COLUMN_POINTS = 5_000_000


def get_history(api: Api, args: Args) -> dict[str, Any]:
    from autolog.core._search import decode_page_token, encode_page_token

    points = api.store.get_metric_history(run_id(args), args.text("metric_key"))
    size = page_size(args, 25_000)
    start = decode_page_token(args.opt_text("page_token"))
    token = encode_page_token(start + size) if start + size < len(points) else None
    return shape.page("metrics", [shape.metric(m) for m in points[start : start + size]], token)


def log_columns(api: Api, args: Args) -> dict[str, Any]:
    """Our addition: ``{"run_id", "metrics": [{"key", "values", "steps", "timestamps"}]}``.

    Parallel arrays per metric key; ``steps`` default to 0, 1, 2, ... and ``timestamps`` to
    the time of the request. All points land in one transaction, or none. With
    ``"dedupe": true`` points the run already holds are left out (``runs.new_points``).
    """
    import time
    from itertools import repeat

    rid = run_id(args)
    now = time.time_ns() // 1_000_000
    points: list[tuple[str, float, int, int]] = []
    for item in args.items("metrics"):
        if not isinstance(item, dict):
            raise InvalidInputError("each entry of 'metrics' must be an object with 'key' and 'values'")
        series = Args(item)
        key = series.text("key")
        values = series.items("values")
        steps = series.items("steps") or range(len(values))
        stamps = series.items("timestamps") or [now] * len(values)
        if not (len(values) == len(steps) == len(stamps)):
            raise InvalidInputError(
                f"metric {key!r}: values, steps and timestamps must have the same length "
                f"(got {len(values)}, {len(steps)}, {len(stamps)})"
            )
        # whole columns checked at C speed; a column with anything unusual goes value by value
        if not all(type(v) is float or type(v) is int for v in values):
            values = [number(v, f"a value of metric {key!r}") for v in values]
        if not all(type(x) is int for x in steps) or not all(type(x) is int for x in stamps):
            raise InvalidInputError(f"metric {key!r}: steps and timestamps must be integers")
        points.extend(zip(repeat(key), values, stamps, steps))
        if len(points) > MAX_COLUMN_POINTS:
            raise InvalidInputError(f"one request carries at most {MAX_COLUMN_POINTS} points; send several")
    if args.get("dedupe") is True:  # ours: a batch re-sent after a lost answer
        from autolog.core._entities import Metric
        from autolog.server.runs import new_points

        fresh = new_points(api, rid, [Metric(k, v, ts, s) for k, v, ts, s in points])
        points = [(m.key, m.value, m.timestamp, m.step) for m in fresh]
        if not points:
            return {"points": 0}
    api.store.log_metric_points(rid, points)
    return {"points": len(points)}
