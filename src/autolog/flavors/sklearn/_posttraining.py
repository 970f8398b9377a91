"""Post-training metrics: ``accuracy_score(y_test, model.predict(X_test))`` after an
autologged fit logs ``accuracy_score_X_test`` into that model's run.

How it is told apart: the predict wrapper remembers each prediction array an autologged model
returns (by identity, bounded, weakly) with the model's run and the name of the variable the
caller passed as X (looked up in the caller's frame; ``dataset`` when there is none). The
metric wrapper looks its ``y_pred``/``y_score`` argument up there.
"""

from __future__ import annotations

import sys
from typing import Any

#: sklearn.metrics functions whose result is logged when called on tracked predictions
METRICS = (
    "accuracy_score",
    "balanced_accuracy_score",
    "precision_score",
    "recall_score",
    "f1_score",
    "fbeta_score",
    "jaccard_score",
    "log_loss",
    "roc_auc_score",
    "average_precision_score",
    "top_k_accuracy_score",
    "matthews_corrcoef",
    "hamming_loss",
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_error",
    "median_absolute_error",
    "mean_absolute_percentage_error",
    "r2_score",
    "explained_variance_score",
    "max_error",
)
_PRED_ARGS = ("y_pred", "y_score", "y_proba", "y_prob", "probas_pred")
_SKIP_PREFIXES = ("sklearn.", "autolog.", "wrapt.", "joblib.", "numpy.")


def dataset_name(data: Any) -> str:
    """The name of the caller's variable holding ``data`` (first frame outside libraries)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_SKIP_PREFIXES):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "dataset"
    for name, value in frame.f_locals.items():
        if value is data and not name.startswith("_") and name.isidentifier():
            return name
    return "dataset"


def prediction_argument(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if len(args) >= 2:
        return args[1]
    for name in _PRED_ARGS:
        if name in kwargs:
            return kwargs[name]
    return None


def metric_value(result: Any) -> float | None:
    try:
        import numpy as np

        if np.ndim(result) != 0:
            return None
        return float(result)
    except (TypeError, ValueError):
        return None
