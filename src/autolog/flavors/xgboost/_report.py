"""What an xgboost training leaves behind, read after it: pure helpers, no patching.

Each takes the finished booster (or the estimator) and returns plain values, so it tests on
its own and costs nothing during the boosting rounds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: every importance type ``Booster.get_score`` knows
IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")
#: sections of ``Booster.save_config()`` that hold training parameters (learned model
#: parameters such as ``num_feature`` or ``base_score`` are left out)
_CONFIG_SECTIONS = (
    "learner_train_param",
    "generic_param",
    "gbtree_train_param",
    "tree_train_param",
    "gblinear_train_param",
    "linear_train_param",
    "dart_train_param",
)
#: rows of the signature example
SIGNATURE_ROWS = 5


def train_params(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``xgboost.train``'s parameters as passed: the params dict (or list of pairs, repeated
    keys joined by commas) plus the rounds and early stopping settings."""
    params = args[0] if args else kwargs.get("params")
    found: dict[str, Any] = {}
    items = params.items() if isinstance(params, Mapping) else (params or ())
    for key, value in items:
        key = str(key)
        value = _plain(value)
        found[key] = f"{found[key]},{value}" if key in found else value
    rounds = args[2] if len(args) > 2 else kwargs.get("num_boost_round", 10)
    found["num_boost_round"] = rounds
    for name in ("early_stopping_rounds", "maximize"):
        if kwargs.get(name) is not None:
            found[name] = kwargs[name]
    for name in ("obj", "custom_metric"):
        if kwargs.get(name) is not None:
            found[name] = _plain(kwargs[name])
    return found


def estimator_params(estimator: Any) -> dict[str, Any]:
    """An XGBModel's ``get_params()``; unset (None) values are left to ``default_params``,
    which knows what xgboost used for them."""
    found = {k: _plain(v) for k, v in estimator.get_params(deep=False).items() if v is not None}
    rounds = getattr(estimator, "get_num_boosting_rounds", None)
    if callable(rounds):
        found["n_estimators"] = rounds()
    return found


def default_params(booster: Any, passed: Mapping[str, Any]) -> dict[str, str]:
    """Training parameters xgboost applied that were not passed (from ``save_config()``)."""
    config = json.loads(booster.save_config()).get("learner", {})
    found: dict[str, str] = {}
    _collect(config, found)
    names = [m.get("name") for m in config.get("metrics", ()) if isinstance(m, Mapping)]
    if names:
        found["eval_metric"] = ",".join(str(n) for n in names)
    objective = config.get("objective", {})
    for key, section in objective.items() if isinstance(objective, Mapping) else ():
        if key.endswith("_param") and isinstance(section, Mapping):
            for name, value in section.items():
                if isinstance(value, str):
                    found.setdefault(name, value)
    return {k: v for k, v in found.items() if k not in passed}


def _collect(node: Mapping[str, Any], found: dict[str, str]) -> None:
    for key, value in node.items():
        if not isinstance(value, Mapping):
            continue
        if key in _CONFIG_SECTIONS:
            for name, leaf in value.items():
                if isinstance(leaf, str):
                    found.setdefault(name, leaf)
        else:
            _collect(value, found)


def history_metrics(history: Mapping[str, Mapping[str, Any]]) -> dict[str, list[float]]:
    """``{"<eval name>-<metric>": [value per iteration]}`` from an evals log."""
    curves: dict[str, list[float]] = {}
    for data_name, metrics in history.items():
        for metric, values in metrics.items():
            # cv logs (mean, std) pairs: the mean is the curve
            curves[f"{data_name}-{metric}"] = [float(v[0] if isinstance(v, tuple) else v) for v in values]
    return curves


def starting_round(xgb_model: Any) -> int:
    """How many boosting rounds the model that training continues from already has (0 when
    it starts from scratch). Takes what ``fit(xgb_model=...)`` takes: a Booster, a fitted
    XGBModel, a model file path or the model's bytes."""
    if xgb_model is None:
        return 0
    import xgboost

    try:
        if isinstance(xgb_model, xgboost.XGBModel):
            xgb_model = xgb_model.get_booster()
        if not isinstance(xgb_model, xgboost.Booster):
            # a file or bytes: xgboost loads it again itself; the count needs the model
            xgb_model = xgboost.Booster(model_file=xgb_model)
        return int(xgb_model.num_boosted_rounds())
    except (xgboost.core.XGBoostError, OSError, TypeError, ValueError, AttributeError):
        # an unfitted estimator or an unreadable file: xgboost cannot use it either, and
        # training fails with its own error before any curve exists that this would place
        return 0


def early_stopping(booster: Any, curves: Mapping[str, list[float]], start: int = 0) -> dict[str, float]:
    """``best_iteration``, ``best_score``, ``stopped_iteration`` and ``best_<key>`` (each
    curve at the best iteration); empty when this training did not use early stopping.

    Iterations count every boosting round of the booster, as xgboost's do: training that
    continued a model with ``start`` rounds has its curves' first value at iteration
    ``start``."""
    best = booster.attr("best_iteration")
    if best is None:
        return {}
    iteration = int(best)
    if iteration < start:
        # the attribute came with the continued model: this training did not stop early
        return {}
    found = {"best_iteration": float(iteration)}
    # not the booster's size: EarlyStopping(save_best=True) has cut it back to the best round
    rounds = max((len(values) for values in curves.values()), default=0)
    if rounds:
        found["stopped_iteration"] = float(start + rounds - 1)
    score = booster.attr("best_score")
    if score is not None:
        found["best_score"] = float(score)
    index = iteration - start
    for key, values in curves.items():
        if index < len(values):
            found[f"best_{key}"] = values[index]
    return found


def importance(booster: Any) -> dict[str, dict[str, float]]:
    """Feature importance for every type the booster supports (gblinear has weights only)."""
    import xgboost

    found: dict[str, dict[str, float]] = {}
    for kind in IMPORTANCE_TYPES:
        try:
            scores = booster.get_score(importance_type=kind)
        except (ValueError, xgboost.core.XGBoostError):  # this booster has no such importance
            continue
        found[kind] = {str(k): float(v[0] if isinstance(v, list) else v) for k, v in scores.items()}
    return found


def booster_example(booster: Any) -> Any:
    """A zero-filled input shaped and named like the booster's training data (None when it
    has categorical features, which zeros cannot stand for). Built from the booster's own
    description, never by reading the training DMatrix back (that copies all the data)."""
    import numpy as np

    types = booster.feature_types or []
    if any(t == "c" for t in types):
        return None
    columns = booster.num_features()
    data = np.zeros((SIGNATURE_ROWS, columns), dtype=np.float32)
    names = booster.feature_names
    if not names:
        return data
    import pandas as pd

    return pd.DataFrame(data, columns=list(names))


def head(data: Any, n: int = SIGNATURE_ROWS) -> Any:
    if hasattr(data, "iloc"):
        return data.iloc[:n]
    try:
        return data[:n]
    except (TypeError, KeyError, IndexError):
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if callable(value):
        return getattr(value, "__qualname__", None) or type(value).__name__
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(_plain(v)) for v in value) + "]"
    text = str(value)
    # the default repr carries a memory address: the class says as much and stays comparable
    return type(value).__name__ if " at 0x" in text else text
