"""Turning request bodies into model input, and predictions into JSON.

The JSON shapes are MLflow's scoring-server shapes, so existing clients work unchanged:
``dataframe_split`` (pandas "split" orient), ``dataframe_records`` (a list of row dicts),
``instances`` and ``inputs`` (tensors: nested lists, or a dict of named nested lists).
"""

from __future__ import annotations

import json
import math
from typing import Any

SHAPES = ("dataframe_split", "dataframe_records", "instances", "inputs")


class BadRequest(Exception):
    """The request cannot be scored as sent; the message goes back with a 4xx status."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


def _columns_of(signature: Any) -> list[str] | None:
    """Input column names of a column signature, None for tensor or missing signatures."""
    inputs = getattr(signature, "inputs", None)
    if inputs is None or getattr(inputs, "is_tensor", False):
        return None
    names = [getattr(spec, "name", None) for spec in inputs]
    return [str(n) for n in names] if all(names) else None


def _tensor_dtype(signature: Any) -> Any:
    inputs = getattr(signature, "inputs", None)
    if inputs is None or not getattr(inputs, "is_tensor", False):
        return None
    specs = list(inputs)
    if len(specs) == 1 and not getattr(specs[0], "name", None):
        return getattr(specs[0], "dtype", None)
    return None


def parse_json(body: bytes, signature: Any) -> Any:
    """The model input a JSON request body describes (a DataFrame, an array or a dict of arrays)."""
    key, value = decode_json(body)
    return json_input(key, value, signature)


def decode_json(body: bytes) -> tuple[str, Any]:
    """The request's shape key and its value, checked for the envelope's layout only."""
    try:
        doc = json.loads(body)
    except RecursionError:
        raise BadRequest("the JSON body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BadRequest(
            f"expected a JSON object with one of the keys {', '.join(SHAPES)}, got {type(doc).__name__}"
        )
    found = [key for key in SHAPES if key in doc]
    if len(found) != 1:
        what = "none" if not found else ", ".join(found)
        raise BadRequest(
            f"expected exactly one of the keys {', '.join(SHAPES)} in the JSON object, got {what} "
            f"(keys present: {', '.join(map(str, doc)) or 'none'})"
        )
    if doc.get("params"):
        raise BadRequest("inference params are not supported by this server; drop 'params'")
    key = found[0]
    return key, doc[key]


def json_input(key: str, value: Any, signature: Any) -> Any:
    """The model input for one shape key and its value (see ``decode_json``)."""
    if key == "dataframe_split":
        return _split(value)
    if key == "dataframe_records":
        return _records(value)
    return _tensor(value, signature)


def _split(value: Any) -> Any:
    if not isinstance(value, dict) or "data" not in value:
        raise BadRequest(
            'dataframe_split must be an object like {"columns": ["a", "b"], "data": [[1, 2]]}'
        )
    import pandas as pd

    try:
        return pd.DataFrame(data=value["data"], columns=value.get("columns"), index=value.get("index"))
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"dataframe_split does not make a DataFrame: {exc}") from None


def _records(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise BadRequest('dataframe_records must be a list of objects like [{"a": 1, "b": 2}]')
    import pandas as pd

    return pd.DataFrame.from_records(value)


def _tensor(value: Any, signature: Any) -> Any:
    columns = _columns_of(signature)
    if columns is not None:
        import pandas as pd

        # a column signature: rows as lists (in signature order), rows as dicts, or columns
        try:
            if isinstance(value, dict):
                return pd.DataFrame(value)
            if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                return pd.DataFrame.from_records(value)
            if isinstance(value, list) and value and not isinstance(value[0], list):
                value = [value]
            return pd.DataFrame(value, columns=columns)
        except (ValueError, TypeError) as exc:
            raise BadRequest(f"the input does not match the model's columns {columns}: {exc}") from None
    import numpy as np

    dtype = _tensor_dtype(signature)
    try:
        if isinstance(value, dict):
            return {k: np.asarray(v) for k, v in value.items()}
        return np.asarray(value, dtype=dtype) if dtype is not None else np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"the input is not a rectangular array: {exc}") from None


def parse_csv(body: bytes) -> Any:
    import io

    import pandas as pd

    try:
        return pd.read_csv(io.BytesIO(body))
    except Exception as exc:  # pandas raises several parser error types
        raise BadRequest(f"the body is not valid CSV: {exc}") from None


def _plain(value: Any) -> Any:
    """Predictions as JSON-ready Python values."""
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # DataFrame
        return value.to_dict(orient="records")
    if hasattr(value, "tolist"):  # numpy arrays and scalars, pandas Series, torch tensors
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def predictions_json(predictions: Any) -> bytes:
    """``{"predictions": [...]}``; NaN and infinities become null (JSON has no NaN)."""
    doc = {"predictions": _plain(predictions)}
    try:
        text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    except ValueError:
        text = json.dumps(_finite(doc), separators=(",", ":"))
    except TypeError:
        text = json.dumps(doc, default=str, separators=(",", ":"))
    return text.encode("utf-8")
