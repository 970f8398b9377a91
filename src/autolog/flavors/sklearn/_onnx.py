"""ONNX conversion of scikit-learn models through skl2onnx.

skl2onnx needs the type and shape of every input. ``save`` gets no data, so the types come
from the example input when there is one, else from what the fitted model remembers: the
number of features, and for a ColumnTransformer the column names plus the dtype of each
encoder's categories (strings stay strings, integers stay integers, the rest is float64).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autolog.errors import FlavorUnavailable, ModelError

#: skl2onnx type class name per kind of column
_TYPE_NAMES = {
    "double": "DoubleTensorType",
    "float": "FloatTensorType",
    "int64": "Int64TensorType",
    "bool": "BooleanTensorType",
    "string": "StringTensorType",
}


def _kind_of_dtype(dtype: Any, where: str) -> str:
    """Our column kind for a numpy or pandas dtype."""
    import numpy as np

    try:
        np_dtype = np.dtype(dtype)
    except TypeError:  # pandas extension dtypes: strings, categoricals, nullable ints
        text = str(dtype).lower()
        if text.startswith(("string", "str", "category", "object")):
            return "string"
        if text.startswith(("int", "uint")):
            return "int64"
        if text.startswith("float"):
            return "double"
        if text == "boolean":
            return "bool"
        raise ModelError(f"ONNX has no input type for {where} of dtype {dtype}") from None
    if np_dtype.kind == "f":
        return "float" if np_dtype.itemsize <= 4 else "double"
    if np_dtype.kind in "iu":
        return "int64"
    if np_dtype.kind == "b":
        return "bool"
    if np_dtype.kind in "OUS":
        return "string"
    raise ModelError(f"ONNX has no input type for {where} of dtype {np_dtype}")


def _unwrap(model: Any) -> Any:
    """The estimator skl2onnx converts: a fitted search's best estimator, else the model."""
    best = getattr(model, "best_estimator_", None)
    return best if best is not None else model


def _first_step(model: Any) -> Any:
    while hasattr(model, "steps"):
        model = model.steps[0][1]
    return model


def _final_step(model: Any) -> Any:
    while hasattr(model, "steps"):
        model = model.steps[-1][1]
    return model


def _encoder_kind(transformer: Any) -> list[str] | None:
    """Per-column kinds an encoder learned (OneHotEncoder, OrdinalEncoder, ...), if any."""
    first = _first_step(transformer)
    categories = getattr(first, "categories_", None)
    if categories is not None:
        return [_kind_of_dtype(c.dtype, "an encoded column") for c in categories]
    statistics = getattr(first, "statistics_", None)  # SimpleImputer before an encoder
    if statistics is not None and getattr(statistics, "dtype", None) is not None:
        kind = _kind_of_dtype(statistics.dtype, "an imputed column")
        return [kind] * len(statistics)
    return None


def _column_names(columns: Any, all_names: list[str]) -> list[str]:
    import numpy as np

    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, slice):
        return all_names[columns]
    if callable(columns):  # a selector; skl2onnx needs names, fall back to the default kind
        return []
    values = np.asarray(columns)
    if values.dtype.kind == "b":
        return [n for n, keep in zip(all_names, values) if keep]
    if values.dtype.kind in "iu":
        return [all_names[i] for i in values]
    return [str(v) for v in values]


def _column_kinds(column_transformer: Any) -> dict[str, str]:
    """Column name -> kind, learned from a fitted ColumnTransformer."""
    names = [str(n) for n in column_transformer.feature_names_in_]
    kinds = dict.fromkeys(names, "double")
    for _, transformer, columns in getattr(column_transformer, "transformers_", ()):
        if isinstance(transformer, str):  # "drop" / "passthrough"
            continue
        cols = _column_names(columns, names)
        learned = _encoder_kind(transformer)
        if learned is not None and len(learned) == len(cols):
            kinds.update(zip(cols, learned))
    return kinds


def _input_kinds(model: Any, example: Any) -> list[tuple[str, str, int]]:
    """``(input name, kind, width)`` for every ONNX input of ``model``."""
    import numpy as np

    head = _first_step(model)
    by_column = hasattr(head, "transformers_") and hasattr(head, "feature_names_in_")
    if example is not None and hasattr(example, "dtypes") and hasattr(example, "columns"):
        kinds = {str(c): _kind_of_dtype(t, f"column {c!r}") for c, t in example.dtypes.items()}
        if by_column:
            return [(str(c), kinds[str(c)], 1) for c in head.feature_names_in_]
        distinct = set(kinds.values())
        if len(distinct) > 1 and "string" not in distinct:
            distinct = {"double"}  # mixed numeric columns: one float64 array holds them all
        if len(distinct) != 1:
            raise ModelError(
                f"the example has columns of several types ({', '.join(sorted(distinct))}) but "
                "the model takes one array; give a ColumnTransformer the columns, or log a "
                "numeric example"
            )
        return [("input", distinct.pop(), len(kinds))]
    if example is not None:
        array = np.asarray(example)
        if array.ndim != 2:
            raise ModelError(
                f"an ONNX input example must be 2-D (rows x features), got shape {array.shape}"
            )
        return [("input", _kind_of_dtype(array.dtype, "the example"), array.shape[1])]
    if by_column:
        return [(name, kind, 1) for name, kind in _column_kinds(head).items()]
    n_features = getattr(model, "n_features_in_", None)
    if n_features is None:
        n_features = getattr(head, "n_features_in_", None)
    if n_features is None:
        raise ModelError(
            f"cannot tell how many features {type(model).__name__} takes (no n_features_in_); "
            "give an input example to convert it to ONNX"
        )
    return [("input", "double", int(n_features))]


def _initial_types(inputs: list[tuple[str, str, int]], floats: bool) -> list[tuple[str, Any]]:
    from skl2onnx.common import data_types

    result = []
    for name, kind, width in inputs:
        if floats and kind == "double":
            kind = "float"
        result.append((name, getattr(data_types, _TYPE_NAMES[kind])([None, width])))
    return result


def _loads_in_onnxruntime(proto: Any) -> bool:
    """Does onnxruntime accept the model? (True when onnxruntime is not installed here.)"""
    try:
        import onnxruntime
    except ImportError:
        return True
    try:
        onnxruntime.InferenceSession(
            proto.SerializeToString(), providers=["CPUExecutionProvider"]
        )
    except Exception:
        return False
    return True


def _convert(model: Any, inputs: list[tuple[str, str, int]]) -> Any:
    """The ONNX ModelProto. float64 inputs keep full precision; when a converter lacks
    doubles (or onnxruntime rejects its double graph, as for tree ensembles) float32."""
    from skl2onnx import convert_sklearn
    from sklearn.base import is_classifier

    final = _final_step(model)
    options = {id(final): {"zipmap": False}} if is_classifier(final) else None
    attempts = [False, True] if any(kind == "double" for _, kind, _ in inputs) else [False]
    first_error: Exception | None = None
    for floats in attempts:
        try:
            proto = convert_sklearn(
                model, initial_types=_initial_types(inputs, floats), options=options
            )
        except Exception as exc:
            first_error = first_error or exc
            continue
        if floats or len(attempts) == 1 or _loads_in_onnxruntime(proto):
            return proto
    assert first_error is not None
    raise first_error


def save_onnx(model: Any, file: Path, example: Any) -> dict[str, Any]:
    """Convert ``model`` to ONNX at ``file``; the metadata hands the file to the onnx flavor."""
    try:
        import skl2onnx
    except ImportError as exc:
        raise FlavorUnavailable(
            "sklearn",
            f"the 'onnx' format of the sklearn flavor needs skl2onnx ({exc}); "
            "install it with: pip install 'autolog[sklearn]'",
        ) from exc
    target = _unwrap(model)
    inputs = _input_kinds(target, example)
    try:
        proto = _convert(target, inputs)
    except Exception as exc:
        raise ModelError(
            f"skl2onnx {skl2onnx.__version__} could not convert {type(target).__name__} to ONNX "
            f"({type(exc).__name__}: {_first_line(exc)}). Save it in the 'pickle' format instead."
        ) from exc
    file.write_bytes(proto.SerializeToString())
    return {
        "flavor": "onnx",
        "format": "onnx",
        "files": [file.name],
        "converter": f"skl2onnx=={skl2onnx.__version__}",
        "opset": max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        "inputs": _describe_inputs(proto),
    }


def _describe_inputs(proto: Any) -> list[dict[str, Any]]:
    """Name, element type and shape of each graph input, for the model description."""
    from onnx import TensorProto

    described = []
    for value in proto.graph.input:
        tensor = value.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim]
        described.append(
            {"name": value.name, "type": TensorProto.DataType.Name(tensor.elem_type).lower(),
             "shape": shape}
        )
    return described


def _first_line(exc: BaseException) -> str:
    """Converters explain at length; the first line says what failed (the cause is chained)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
