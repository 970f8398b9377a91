"""ONNX conversion of XGBoost models through onnxmltools."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from autolog.errors import FlavorUnavailable, ModelError


def _n_features(model: Any, example: Any) -> int:
    if example is not None and getattr(example, "shape", None) is not None:
        return int(example.shape[1])
    n = getattr(model, "n_features_in_", None)
    if n is None and hasattr(model, "num_features"):
        n = model.num_features()
    if not n:
        raise ModelError(
            "cannot tell how many features the model takes; give an input example"
        )
    return int(n)


def _unnamed(model: Any) -> Any:
    """A copy without feature names: onnxmltools only reads features named f0, f1, ..."""
    booster = model if hasattr(model, "num_features") else model.get_booster()
    if booster.feature_names is None:
        return model
    if model is booster:
        unnamed = booster.copy()
        unnamed.feature_names = None
        return unnamed
    unnamed_model = copy.deepcopy(model)
    unnamed_model.get_booster().feature_names = None
    return unnamed_model


def save_onnx(model: Any, file: Path, example: Any) -> dict[str, Any]:
    """Convert ``model`` to ONNX at ``file``; the metadata hands the file to the onnx flavor."""
    try:
        import onnxmltools
        from onnxmltools.convert import convert_xgboost
        from onnxmltools.convert.common.data_types import FloatTensorType
    except ImportError as exc:
        raise FlavorUnavailable(
            "xgboost",
            f"the 'onnx' format of the xgboost flavor needs onnxmltools ({exc}); "
            "install it with: pip install 'autolog[xgboost]'",
        ) from exc
    n = _n_features(model, example)
    try:
        proto = convert_xgboost(
            _unnamed(model), initial_types=[("input", FloatTensorType([None, n]))]
        )
    except Exception as exc:
        raise ModelError(
            f"onnxmltools {onnxmltools.__version__} could not convert {type(model).__name__} "
            f"to ONNX ({type(exc).__name__}: {_first_line(exc)}). "
            "Save it in the 'native' format instead."
        ) from exc
    file.write_bytes(proto.SerializeToString())
    return {
        "flavor": "onnx",
        "format": "onnx",
        "files": [file.name],
        "converter": f"onnxmltools=={onnxmltools.__version__}",
        "inputs": [{"name": "input", "type": "float", "shape": [-1, n]}],
    }


def _first_line(exc: BaseException) -> str:
    """Converters explain at length; the first line says what failed (the cause is chained)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
