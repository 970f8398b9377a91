"""What a fit is made of: the estimator's params, the dataset, a pipeline's stages.

Pure helpers: they read objects and return plain dicts; nothing here logs or patches.
"""

from __future__ import annotations

import hashlib
from typing import Any

#: bytes of X hashed in full; past this, a fixed sample of rows (the digest stays bounded)
HASH_FULL_BYTES = 16 * 1024 * 1024
_SAMPLE_ROWS = 2048


def params(estimator: Any) -> dict[str, str]:
    """``get_params(deep=True)`` as strings; nested estimators by their class name."""
    out = {}
    for key, value in estimator.get_params(deep=True).items():
        if hasattr(value, "get_params") and hasattr(value, "fit"):
            out[key] = type(value).__name__
        elif isinstance(value, (list, tuple)) and value and all(_is_step(v) for v in value):
            out[key] = repr([(v[0], type(v[1]).__name__) for v in value])
        else:
            out[key] = str(value)  # as MLflow does: params.solver = 'lbfgs' finds it
    return out


def _is_step(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) >= 2 and isinstance(value[0], str) and hasattr(value[1], "fit")


def describe_array(data: Any) -> dict[str, Any]:
    """Shape and dtypes (per column for DataFrames)."""
    shape = getattr(data, "shape", None)
    info: dict[str, Any] = {"type": f"{type(data).__module__}.{type(data).__name__}"}
    if shape is not None:
        info["shape"] = [int(s) for s in shape]
    columns = getattr(data, "columns", None)
    dtypes = getattr(data, "dtypes", None)
    if columns is not None and dtypes is not None and hasattr(dtypes, "items"):
        info["columns"] = {str(c): str(t) for c, t in dtypes.items()}
    elif getattr(data, "dtype", None) is not None:
        info["dtype"] = str(data.dtype)
    if hasattr(data, "name") and getattr(data, "dtype", None) is not None:
        info["name"] = str(data.name)
    return info


def digest(*arrays: Any) -> str:
    """A content hash of the arrays: all bytes up to HASH_FULL_BYTES, else a fixed sample of
    rows plus the shape (fast and bounded; equal data always gives the same digest)."""
    import numpy as np

    h = hashlib.sha256()
    for data in arrays:
        if data is None:
            h.update(b"none")
            continue
        values = data.to_numpy() if hasattr(data, "to_numpy") else np.asarray(data)
        h.update(repr((values.shape, str(values.dtype))).encode())
        if values.dtype == object:
            rows = values if len(values) <= _SAMPLE_ROWS else values[_sample(len(values))]
            h.update(repr(rows.tolist()).encode())
            continue
        if values.nbytes > HASH_FULL_BYTES and values.ndim >= 1:
            values = values[_sample(len(values))]
        h.update(np.ascontiguousarray(values).view(np.uint8).data)  # the buffer itself: no copy
    return h.hexdigest()[:32]


def _sample(n: int) -> Any:
    import numpy as np

    return np.linspace(0, n - 1, _SAMPLE_ROWS).astype(int)


def pipeline(estimator: Any) -> dict[str, Any] | None:
    """Stages of a Pipeline / ColumnTransformer / FeatureUnion (after fit), nested; None for a
    plain estimator."""
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list):
        return {
            "class": type(estimator).__name__,
            "steps": [_stage(name, step) for name, step in steps],
        }
    fitted = getattr(estimator, "transformers_", None) or getattr(estimator, "transformers", None)
    if isinstance(fitted, list):
        names_in = getattr(estimator, "feature_names_in_", None)
        return {
            "class": type(estimator).__name__,
            "transformers": [
                {**_stage(name, trans), "columns": _columns(cols, names_in)} for name, trans, cols in fitted
            ],
        }
    union = getattr(estimator, "transformer_list", None)
    if isinstance(union, list):
        return {"class": type(estimator).__name__, "transformers": [_stage(n, t) for n, t in union]}
    return None


def _stage(name: str, step: Any) -> dict[str, Any]:
    if isinstance(step, str):  # 'drop' / 'passthrough'
        return {"name": name, "class": step}
    inner = pipeline(step)
    stage: dict[str, Any] = {"name": name, "class": type(step).__name__}
    if inner is not None:
        stage.update({k: v for k, v in inner.items() if k != "class"})
    return stage


def _columns(cols: Any, names_in: Any) -> Any:
    import numpy as np

    if callable(cols):
        return f"<selector {getattr(cols, '__name__', type(cols).__name__)}>"
    if isinstance(cols, slice) or isinstance(cols, str) or isinstance(cols, int):
        cols = [cols] if not isinstance(cols, slice) else cols
    if isinstance(cols, slice):
        if names_in is not None:
            return [str(c) for c in list(names_in)[cols]]
        return f"slice({cols.start}, {cols.stop}, {cols.step})"
    values = list(np.asarray(cols).tolist()) if not isinstance(cols, list) else cols
    if values and all(isinstance(v, bool) for v in values) and names_in is not None:
        return [str(n) for n, keep in zip(names_in, values) if keep]
    if values and all(isinstance(v, int) for v in values) and names_in is not None:
        return [str(names_in[v]) for v in values]
    return [v if isinstance(v, int) else str(v) for v in values]


def stages_text(structure: dict[str, Any]) -> str:
    """'scale:StandardScaler -> clf:LogisticRegression' for the top level."""
    items = structure.get("steps") or structure.get("transformers") or []
    sep = " -> " if "steps" in structure else " | "
    return sep.join(f"{s['name']}:{s['class']}" for s in items)
