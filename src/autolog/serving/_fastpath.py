"""Scoring plain numeric rows without a pandas DataFrame, where that cannot change the answer.

For an sklearn estimator behind a signature of float64 ("double") columns, the general path
builds a DataFrame from the JSON (~70 us for one row), checks it against the signature and
hands it to sklearn, whose DataFrame handling costs another ~330 us before the same float64
array reaches the model. When every value in the request is a JSON number that converts to
float64 exactly, that array can be built directly: the estimator sees the same numbers in the
same column order, so the predictions are the same. Anything else (other keys, other column
orders, strings, booleans, nulls, integers beyond 2**53, ragged rows) returns None and goes
through the general path, which gives its usual answer or error.

Only plain estimators qualify: a Pipeline, ColumnTransformer, search or ensemble that holds
other estimators may select columns by name, which needs the DataFrame.
"""

from __future__ import annotations

import copy
from typing import Any

#: the largest integer magnitude float64 holds exactly (the enforcer's limit for int -> double)
_EXACT = 2**53


def _holds_estimators(value: Any) -> bool:
    if hasattr(value, "fit"):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_estimators(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_estimators(v) for v in value.values())
    return False


def _plain_sklearn_estimator(native: Any) -> bool:
    if not type(native).__module__.startswith("sklearn."):
        return False
    get_params = getattr(native, "get_params", None)
    if get_params is None:
        return False
    try:
        params = get_params(deep=False)
    except Exception:  # a broken get_params: leave the model to the general path
        return False
    return not any(_holds_estimators(v) for v in params.values())


class ArrayPath:
    """Turns a parsed JSON request into a float64 array and predicts on it (see module doc)."""

    def __init__(self, names: list[str], predict: Any) -> None:
        self.names = names
        self.width = len(names)
        self.name_set = frozenset(names)
        self.predict = predict

    def rows(self, key: str, value: Any) -> list[Any] | None:
        """The request's rows as lists in signature order, or None when it needs the general path."""
        if key == "dataframe_split":
            if type(value) is not dict or value.keys() != {"columns", "data"}:
                return None
            if value["columns"] != self.names:
                return None
            rows = value["data"]
        elif key == "dataframe_records":
            if type(value) is not list:
                return None
            names, name_set = self.names, self.name_set
            rows = []
            for record in value:
                if type(record) is not dict or record.keys() != name_set:
                    return None
                rows.append([record[n] for n in names])
        elif type(value) is list and value and type(value[0]) is not list:
            rows = [value]  # one row given flat, as the general path accepts
        else:
            rows = value
        if type(rows) is not list or not rows:
            return None
        width = self.width
        for row in rows:
            if type(row) is not list or len(row) != width:
                return None
            for v in row:
                t = type(v)
                if t is float or (t is int and -_EXACT <= v <= _EXACT):
                    continue
                return None
        return rows

    def __call__(self, key: str, value: Any) -> tuple[bool, Any]:
        """``(True, predictions)`` when this path applies, ``(False, None)`` otherwise."""
        rows = self.rows(key, value)
        if rows is None:
            return False, None
        import numpy as np

        # column-major like the array pandas hands sklearn: BLAS sums a row in a different
        # order for the other layout, which can change the last bit of a regression output
        return True, self.predict(np.array(rows, dtype=np.float64, order="F"))


def array_path(model: Any) -> ArrayPath | None:
    """The fast path for ``model`` (a LoadedModel), or None when it does not qualify."""
    if getattr(model, "flavor", None) != "sklearn":
        return None
    inputs = getattr(getattr(model, "signature", None), "inputs", None)
    if inputs is None or inputs.is_tensor or not inputs.has_names:
        return None
    specs = list(inputs)
    if not all(s.type == "double" and s.required for s in specs):
        return None
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        return None
    native = model.native
    if not _plain_sklearn_estimator(native):
        return None
    if getattr(native, "n_features_in_", None) != len(names):
        return None
    fitted = getattr(native, "feature_names_in_", None)
    if fitted is not None:
        if [str(n) for n in fitted] != names:
            return None
        # An array carries no column names, and sklearn would warn about that on every call.
        # The rows were matched to these very names above, so predict with a shallow copy
        # (the same fitted arrays) that does not expect names; the model itself is untouched.
        native = copy.copy(native)
        del native.feature_names_in_
    return ArrayPath(names, native.predict)
