"""``infer_signature``: a ``Signature`` from example input, output and params.

Column schemas come from pandas DataFrames, Series, dicts of equal-length 1-d data, lists
of records and lists of strings; tensor schemas from numpy arrays, torch tensors, scipy sparse
matrices and dicts of arrays. Numeric columns are typed from their dtype alone (a float column
is scanned once with a vectorized ``isnan`` to learn whether values are missing); only object
columns have their values inspected, by pandas' C-level ``infer_dtype``.

Whatever cannot be typed raises ``SignatureInferenceError`` naming the column and the reason,
never a signature with that column silently left out.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Mapping
from typing import Any

from autolog.errors import SignatureInferenceError
from autolog.models._signature._schema import (
    ColSpec,
    ParamSchema,
    ParamSpec,
    Schema,
    Signature,
    TensorSpec,
)

__all__ = ["infer_signature", "infer_schema", "infer_param_schema"]

#: numpy dtype name -> column type name
_NUMPY_TO_COLUMN = {
    "bool": "boolean",
    "int8": "int8",
    "int16": "int16",
    "int32": "integer",
    "int64": "long",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "float16": "float",
    "float32": "float",
    "float64": "double",
}

#: pandas.api.types.infer_dtype result for an object column -> column type name
_OBJECT_KINDS = {
    "string": "string",
    "bytes": "binary",
    "integer": "long",
    "floating": "double",
    "mixed-integer-float": "double",
    "boolean": "boolean",
    "datetime": "datetime",
    "datetime64": "datetime",
}

#: column type name of an object column's values -> our dtype name
_OBJECT_SRC = {
    "string": "str",
    "binary": "bytes",
    "long": "int64",
    "double": "float64",
    "boolean": "bool",
    "datetime": "datetime",
}


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> Signature:
    """Infer a ``Signature`` from example model input, output and inference params.

    Raises ``SignatureInferenceError`` (a ``ValueError``) when a part cannot be typed, naming
    the argument, the column and why: a signature is never silently incomplete.
    """
    return Signature(
        None if model_input is None else infer_schema(model_input, "model_input"),
        None if model_output is None else infer_schema(model_output, "model_output"),
        None if not params else infer_param_schema(params),
    )


def _is_torch_tensor(obj: Any) -> bool:
    # only look at torch when the object's own class comes from it: never import it here
    if not type(obj).__module__.startswith("torch"):
        return False
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _is_scipy_sparse(obj: Any) -> bool:
    return type(obj).__module__.startswith("scipy.sparse") and hasattr(obj, "tocsr")


def _is_pandas(obj: Any, name: str) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, getattr(pd, name))


def infer_schema(data: Any, what: str = "data") -> Schema:
    """Infer the ``Schema`` of one piece of example data (``what`` names it in errors)."""
    import numpy as np

    if _is_pandas(data, "DataFrame"):
        return _frame_schema(data, what)
    if _is_pandas(data, "Series"):
        name = data.name if isinstance(data.name, str) else None
        return Schema([_column_spec(data, name, what)])
    if isinstance(data, np.ndarray):
        return Schema([_array_spec(data, None, what)])
    if _is_torch_tensor(data):
        return Schema([_torch_spec(data, None)])
    if _is_scipy_sparse(data):
        return Schema([_sparse_spec(data, None, what)])
    if isinstance(data, Mapping):
        return _mapping_schema(data, what)
    if isinstance(data, (list, tuple)):
        return _sequence_schema(data, what)
    raise SignatureInferenceError(
        f"cannot infer a schema from {what} of type {type(data).__module__}.{type(data).__name__}; "
        "give a pandas DataFrame or Series, a numpy array, a torch tensor, a scipy sparse "
        "matrix, a dict of arrays or lists, a list of records, or a list of strings"
    )


def _batch_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (-1, *shape[1:]) if shape else ()


def _array_spec(arr: Any, name: str | None, what: str) -> TensorSpec:
    kind = arr.dtype.kind
    if kind in "biufc":
        return TensorSpec(arr.dtype.name, _batch_shape(arr.shape), name)
    if kind in "US":
        return TensorSpec("str" if kind == "U" else "bytes", _batch_shape(arr.shape), name)
    if kind == "O":
        from pandas.api.types import infer_dtype

        found = infer_dtype(arr.ravel(), skipna=False)
        if found in ("string", "bytes"):
            return TensorSpec("str" if found == "string" else "bytes", _batch_shape(arr.shape), name)
        reason = f"an object array holding {found} values"
    else:
        reason = f"an array of dtype {arr.dtype}"
    label = what if name is None else f"{what}[{name!r}]"
    raise SignatureInferenceError(
        f"cannot infer a tensor spec for {label}: {reason} is not supported; convert it to a "
        "numeric, bool or string array, or pass a pandas DataFrame for mixed columns",
        name,
    )


def _torch_spec(tensor: Any, name: str | None) -> TensorSpec:
    return TensorSpec(str(tensor.dtype).removeprefix("torch."), _batch_shape(tuple(tensor.shape)), name)


def _sparse_spec(mat: Any, name: str | None, what: str) -> TensorSpec:
    if mat.dtype.kind not in "biufc":
        raise SignatureInferenceError(f"{what}: sparse matrix of dtype {mat.dtype} is not supported")
    return TensorSpec(mat.dtype.name, _batch_shape(tuple(mat.shape)), name)


def _frame_schema(df: Any, what: str) -> Schema:
    if df.shape[1] == 0:
        raise SignatureInferenceError(f"cannot infer a schema from {what}: the DataFrame has no columns")
    names = [str(c) for c in df.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SignatureInferenceError(
            f"cannot infer a schema from {what}: duplicate column names {dupes}; rename them", dupes[0]
        )
    return Schema([_column_spec(col, name, what) for name, (_, col) in zip(names, df.items())])


def _column_spec(col: Any, name: str | None, what: str) -> ColSpec:
    """Type one pandas Series; its missing values make the column optional."""
    import numpy as np
    import pandas as pd

    label = f"{what} column {name!r}" if name is not None else what
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # a categorical is typed by its categories (strings -> "string"); predict gets it unchanged
        cats = pd.Series(dtype.categories)
        spec = _column_spec(cats, name, what)
        return ColSpec(spec.type, name, not bool(col.hasnans))
    if isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind == "M":
        return ColSpec("datetime", name, not bool(col.hasnans))
    if isinstance(dtype, pd.StringDtype):
        return ColSpec("string", name, not bool(col.hasnans))
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        type_ = _NUMPY_TO_COLUMN[dtype.name]
        missing = dtype.kind == "f" and bool(np.isnan(col.to_numpy()).any())
        return ColSpec(type_, name, not missing)
    if not isinstance(dtype, np.dtype) and dtype.kind in "biuf" and hasattr(dtype, "numpy_dtype"):
        # pandas nullable dtypes (Int64, boolean, Float64, ...): typed by their numpy twin
        numpy_name = np.dtype(dtype.numpy_dtype).name
        if numpy_name in _NUMPY_TO_COLUMN:
            return ColSpec(_NUMPY_TO_COLUMN[numpy_name], name, not bool(col.hasnans))
    if dtype == object:
        return _object_spec(col, name, label)
    raise SignatureInferenceError(
        f"cannot infer the type of {label}: dtype {dtype} is not supported; convert it to a "
        "number, bool, string or datetime column (or drop it) before inferring the signature",
        name,
    )


def _object_spec(col: Any, name: str | None, label: str) -> ColSpec:
    from pandas.api.types import infer_dtype

    # one C-level pass when nothing is missing; "mixed" there may just mean None among values
    found = infer_dtype(col, skipna=False)
    missing = False
    if found not in _OBJECT_KINDS:
        found, missing = infer_dtype(col, skipna=True), True
    if found in _OBJECT_KINDS:
        return ColSpec(_OBJECT_KINDS[found], name, not missing)
    if found == "empty":
        reason = "every value is missing" if len(col) else "it has no rows"
        reason += ", so its type cannot be told"
        hint = f"give it a dtype, e.g. df[{name!r}].astype('string'), or drop it"
    else:
        seen = sorted({type(v).__name__ for v in col.iloc[:1000] if v is not None})
        reason = f"its values are {found} ({', '.join(seen)})"
        hint = "convert it to one type (numbers, bools, strings, bytes or datetimes) or drop it"
    raise SignatureInferenceError(f"cannot infer the type of {label}: {reason}; {hint}", name)


def _mapping_schema(data: Mapping[Any, Any], what: str) -> Schema:
    import numpy as np

    if not data:
        raise SignatureInferenceError(f"cannot infer a schema from {what}: the dict is empty")
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise SignatureInferenceError(
            f"cannot infer a schema from {what}: keys must be strings, got {bad[:5]}"
        )
    values = list(data.values())
    if all(np.isscalar(v) or v is None for v in values):  # one record
        import pandas as pd

        return _frame_schema(pd.DataFrame([data]), what)
    lengths = set()
    columnar = True
    for v in values:
        if isinstance(v, (list, tuple)) or _is_pandas(v, "Series"):
            lengths.add(len(v))
        elif isinstance(v, np.ndarray) and v.ndim == 1:
            lengths.add(len(v))
        else:
            columnar = False
    if columnar and len(lengths) == 1:
        import pandas as pd

        columns = {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}
        return _frame_schema(pd.DataFrame(columns), what)
    specs = []
    for key, v in data.items():
        if _is_torch_tensor(v):
            specs.append(_torch_spec(v, key))
        elif _is_scipy_sparse(v):
            specs.append(_sparse_spec(v, key, what))
        else:
            arr = np.asarray(v) if isinstance(v, (list, tuple)) else v
            if not isinstance(arr, np.ndarray):
                raise SignatureInferenceError(
                    f"cannot infer a schema from {what}[{key!r}]: a {type(v).__name__} is not an "
                    "array; a dict needs arrays/tensors, or lists/1-d arrays of one length",
                    key,
                )
            specs.append(_array_spec(arr, key, what))
    return Schema(specs)


def _sequence_schema(data: Any, what: str) -> Schema:
    import numpy as np

    if len(data) == 0:
        raise SignatureInferenceError(f"cannot infer a schema from {what}: the list is empty")
    if all(isinstance(v, str) or v is None for v in data):
        if all(v is None for v in data):
            raise SignatureInferenceError(f"cannot infer a schema from {what}: every value is None")
        return Schema([ColSpec("string", None, None not in data)])
    if all(isinstance(v, Mapping) for v in data):
        import pandas as pd

        return _frame_schema(pd.DataFrame.from_records(list(data)), what)
    if any(_is_torch_tensor(v) for v in data):
        raise SignatureInferenceError(
            f"cannot infer a schema from {what}: a list of tensors; stack them (torch.stack) "
            "or pass a dict of named tensors"
        )
    try:
        arr = np.asarray(data)
    except ValueError as exc:  # ragged nesting
        raise SignatureInferenceError(f"cannot infer a schema from {what}: {exc}") from None
    return Schema([_array_spec(arr, None, what)])


def _param_type(value: Any, name: str) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):
        return "binary"
    if isinstance(value, _dt.datetime):
        return "datetime"
    raise SignatureInferenceError(
        f"cannot infer the type of param {name!r}: {type(value).__name__} values are not "
        "supported; use bool, int, float, str, bytes, datetime or a list of one of them",
        name,
    )


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, tuples -> lists; others unchanged."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


def infer_param_schema(params: Mapping[str, Any]) -> ParamSchema:
    """Infer a ``ParamSchema`` from example params; each example value becomes the default."""
    specs = []
    for name, raw in params.items():
        value = _plain(raw)
        if isinstance(value, list):
            items = [_plain(v) for v in value]
            if not items:
                raise SignatureInferenceError(
                    f"cannot infer the type of param {name!r}: the list is empty", name
                )
            types = {_param_type(v, name) for v in items}
            if types == {"long", "double"}:
                types = {"double"}
            if len(types) != 1:
                raise SignatureInferenceError(
                    f"cannot infer the type of param {name!r}: the list mixes {sorted(types)}", name
                )
            specs.append(ParamSpec(name, types.pop(), items, (-1,)))
        else:
            specs.append(ParamSpec(name, _param_type(value, name), value))
    return ParamSchema(specs)
