"""Search CV (GridSearchCV, RandomizedSearchCV, Halving*): the parent run's summary and one
child run per top-ranked candidate."""

from __future__ import annotations

import csv
import io
from typing import Any

from autolog.autologging import TrainingCall


def is_search(estimator: Any) -> bool:
    return hasattr(estimator, "cv_results_") and (
        hasattr(estimator, "param_grid") or hasattr(estimator, "param_distributions")
    )


def log_search(call: TrainingCall, search: Any, max_children: int) -> None:
    """best_<param> params, best_cv_score, cv_results.csv, and child runs for the top
    ``max_children`` candidates by rank."""
    results = search.cv_results_
    best = getattr(search, "best_params_", None)
    if best:
        call.log_params({f"best_{k}": v for k, v in best.items()})
    score = getattr(search, "best_score_", None)
    if score is not None:
        call.log_metrics({"best_cv_score": float(score)})
    call.log_text(cv_results_csv(results), "cv_results.csv")
    if max_children <= 0:
        return
    rank_key = _rank_key(search, results)
    if rank_key is None:
        return
    ranks = list(results[rank_key])
    order = sorted(range(len(ranks)), key=lambda i: (ranks[i], i))[:max_children]
    metric_keys = [k for k in results if k.startswith(("mean_test_", "std_test_", "mean_train_", "std_train_"))]
    metric_keys += [k for k in ("mean_fit_time", "std_fit_time", "mean_score_time") if k in results]
    estimator_name = type(getattr(search, "estimator", search)).__name__
    children = []
    for i in order:
        rank = int(ranks[i])
        child = call.child(f"{estimator_name}-rank{rank}", {"rank": rank})
        child.log_params(results["params"][i])
        values = {}
        for key in metric_keys:
            value = results[key][i]
            if value is not None and not _masked(value):
                values[key] = float(value)
        child.log_metrics(values)
        children.append(child)
    call.record_children(children)


def _rank_key(search: Any, results: dict[str, Any]) -> str | None:
    refit = getattr(search, "refit", True)
    if isinstance(refit, str) and f"rank_test_{refit}" in results:
        return f"rank_test_{refit}"
    if "rank_test_score" in results:
        return "rank_test_score"
    ranks = [k for k in results if k.startswith("rank_test_")]
    return ranks[0] if ranks else None


def _masked(value: Any) -> bool:
    return value is getattr(__import__("numpy").ma, "masked", None)


def cv_results_csv(results: dict[str, Any]) -> str:
    """cv_results_ as CSV (one row per candidate), without pandas."""
    keys = [k for k in results if k != "params"]
    n = len(results["params"]) if "params" in results else len(next(iter(results.values())))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(keys + ["params"])
    for i in range(n):
        row = []
        for key in keys:
            column = results[key]
            mask = getattr(column, "mask", None)
            if mask is not None and bool(__import__("numpy").ndim(mask)) and bool(mask[i]):
                row.append("")
            else:
                value = column[i]
                row.append(value.item() if hasattr(value, "item") else value)
        row.append(repr(results["params"][i]) if "params" in results else "")
        writer.writerow(row)
    return out.getvalue()
