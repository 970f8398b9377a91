"""Training metrics from one prediction pass, computed with numpy only.

sklearn's metric functions validate their inputs on every call (a few hundred microseconds
each); autolog computes the whole set from one confusion matrix and one sorted score vector
instead. The results equal sklearn's (tests compare them): accuracy, weighted
precision/recall/f1 (zero_division=0), log_loss, roc_auc (binary; one-vs-rest weighted for
multiclass), mse/rmse/mae/r2, silhouette on a bounded sample.
"""

from __future__ import annotations

from typing import Any

SILHOUETTE_SAMPLE = 1000
_EPS_CLIP = 1e-15


def classification(y: Any, y_pred: Any, proba: Any = None, classes: Any = None) -> tuple[dict[str, float], dict[str, Any]]:
    """(metrics, curves) for a classifier: curves hold what the plots need (confusion matrix,
    ROC and precision-recall points per class)."""
    import numpy as np

    y = np.asarray(y)
    y_pred = np.asarray(y_pred)
    if y.ndim != 1 or y_pred.ndim != 1 or len(y) == 0:
        return {}, {}
    labels, encoded = np.unique(np.concatenate([y, y_pred]), return_inverse=True)
    n = len(y)
    k = len(labels)
    true_idx, pred_idx = encoded[:n], encoded[n:]
    cm = np.bincount(true_idx * k + pred_idx, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    weights = support / support.sum()
    metrics = {
        "accuracy_score": float(tp.sum() / n),
        "precision_score": float((precision * weights).sum()),
        "recall_score": float((recall * weights).sum()),
        "f1_score": float((f1 * weights).sum()),
    }
    curves: dict[str, Any] = {"labels": labels, "confusion_matrix": cm}
    if proba is not None and classes is not None:
        proba = np.asarray(proba, dtype=float)
        classes = np.asarray(classes)
        if proba.ndim == 2 and proba.shape == (n, len(classes)) and np.isin(y, classes).all():
            column = np.searchsorted(classes, y) if _sorted(classes) else _index_of(classes, y)
            p = np.clip(proba / proba.sum(axis=1, keepdims=True), _EPS_CLIP, 1 - _EPS_CLIP)
            metrics["log_loss"] = float(-np.log(p[np.arange(n), column]).mean())
            auc, roc, pr = _roc_auc(column, proba, classes)
            if auc is not None:
                metrics["roc_auc"] = auc
            curves["roc"], curves["pr"] = roc, pr
    return metrics, curves


def _sorted(values: Any) -> bool:
    import numpy as np

    try:
        return bool(np.all(values[:-1] <= values[1:]))
    except TypeError:
        return False


def _index_of(classes: Any, y: Any) -> Any:
    import numpy as np

    where = {c: i for i, c in enumerate(classes.tolist())}
    return np.fromiter((where[v] for v in y.tolist()), dtype=int, count=len(y))


def _binary_curves(positive: Any, score: Any) -> tuple[float | None, Any, Any]:
    """AUC, ROC points (fpr, tpr) and PR points (recall, precision) for one class."""
    import numpy as np

    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None, None, None
    order = np.argsort(-score, kind="mergesort")
    score_sorted = score[order]
    pos_sorted = positive[order].astype(float)
    distinct = np.where(np.diff(score_sorted))[0]
    thresholds = np.r_[distinct, len(score) - 1]
    tps = np.cumsum(pos_sorted)[thresholds]
    fps = 1 + thresholds - tps
    tpr = np.r_[0.0, tps / n_pos]
    fpr = np.r_[0.0, fps / n_neg]
    auc = float(np.trapz(tpr, fpr)) if hasattr(np, "trapz") else float(np.trapezoid(tpr, fpr))
    precision = tps / (tps + fps)
    recall = tps / n_pos
    return auc, (fpr, tpr), (np.r_[0.0, recall], np.r_[1.0, precision])


def _roc_auc(column: Any, proba: Any, classes: Any) -> tuple[float | None, list[Any], list[Any]]:
    import numpy as np

    if len(classes) == 2:
        auc, roc, pr = _binary_curves(column == 1, proba[:, 1])
        return auc, [(str(classes[1]), roc)] if roc else [], [(str(classes[1]), pr)] if pr else []
    aucs, weights, rocs, prs = [], [], [], []
    for i, label in enumerate(classes):
        positive = column == i
        auc, roc, pr = _binary_curves(positive, proba[:, i])
        if auc is None:
            return None, [], []  # sklearn refuses too: a class absent from y
        aucs.append(auc)
        weights.append(positive.sum())
        rocs.append((str(label), roc))
        prs.append((str(label), pr))
    return float(np.average(aucs, weights=weights)), rocs, prs


def regression(y: Any, y_pred: Any) -> dict[str, float]:
    import numpy as np

    y = np.asarray(y, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y.shape != y_pred.shape or y.size == 0:
        return {}
    err = y - y_pred
    mse = float(np.mean(err**2))
    metrics = {
        "mean_squared_error": mse,
        "root_mean_squared_error": mse**0.5,
        "mean_absolute_error": float(np.mean(np.abs(err))),
    }
    axis0 = y.reshape(len(y), -1)
    ss_res = ((axis0 - y_pred.reshape(len(y), -1)) ** 2).sum(axis=0)
    ss_tot = ((axis0 - axis0.mean(axis=0)) ** 2).sum(axis=0)
    if np.all(ss_tot > 0):
        metrics["r2_score"] = float(np.mean(1 - ss_res / ss_tot))
    return metrics


def silhouette(X: Any, labels: Any, seed: int = 0) -> float | None:
    """sklearn's silhouette_score on at most SILHOUETTE_SAMPLE rows (None when undefined)."""
    import numpy as np
    from sklearn.metrics import silhouette_score

    labels = np.asarray(labels)
    n_labels = len(np.unique(labels))
    if not 2 <= n_labels <= len(labels) - 1:
        return None
    size = min(SILHOUETTE_SAMPLE, len(labels))
    return float(silhouette_score(X, labels, sample_size=size if size < len(labels) else None, random_state=seed))
