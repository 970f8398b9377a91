"""ONNX: an ``onnx.ModelProto`` or a path to an ``.onnx`` file, served with onnxruntime.

Format ``onnx`` writes ``model.onnx``. The ONNX formats of the other flavors (sklearn,
xgboost, torch) are recorded under this flavor too, so ``load_model(uri, flavor="onnx")``
serves any of them with onnxruntime alone, without the training library.

``load`` returns an ``onnxruntime.InferenceSession`` (created once). ``predict`` feeds it:

- a single-input model takes an array (or a DataFrame, taken whole), cast to the input's
  element type;
- a model with several inputs takes a dict ``{input name: array}`` or a DataFrame whose
  columns are named like the inputs (each column becomes an ``(n, 1)`` input);
- the result is the model's first output (for converted classifiers: the labels). The other
  outputs are one call away: ``loaded.native.run(None, feeds)``.

Example::

    import autolog, onnx

    autolog.save_model(onnx.load("model.onnx"), "served")
    autolog.load_model("served").predict(X)
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any, ClassVar

from autolog.errors import FlavorUnavailable, InvalidInputError, ModelError, SignatureError
from autolog.models._flavor import Flavor

__all__ = ["OnnxFlavor"]

ONNX_FILE = "model.onnx"

#: onnxruntime element type -> numpy dtype name ("object" for strings)
_NUMPY_TYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(int16)": "int16",
    "tensor(int8)": "int8",
    "tensor(uint64)": "uint64",
    "tensor(uint32)": "uint32",
    "tensor(uint16)": "uint16",
    "tensor(uint8)": "uint8",
    "tensor(bool)": "bool",
    "tensor(string)": "object",
}


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:
        raise FlavorUnavailable(
            "onnx",
            f"the onnx flavor needs onnxruntime, which cannot be imported ({exc}); "
            "install it with: pip install 'autolog[onnx]'",
        ) from exc
    return onnxruntime


def _is_frame(data: Any) -> bool:
    return type(data).__module__.split(".", 1)[0] == "pandas" and hasattr(data, "columns")


def _cast(values: Any, node: Any) -> Any:
    """``values`` as a numpy array of the element type of the input ``node``."""
    import numpy as np

    target = _NUMPY_TYPES.get(node.type)
    array = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if target is None:  # sequences, maps: handed over as they are
        return array
    if target == "object":
        if array.dtype.kind in "US":
            return array.astype(object)
        return array
    wanted = np.dtype(target)
    if array.dtype == wanted:
        return array
    if wanted.kind in "iub" and array.dtype.kind in "fcOUS":
        raise SignatureError(
            f"ONNX input {node.name!r} takes {wanted} values, got {array.dtype}; converting "
            f"would lose information. Pass {wanted} data."
        )
    return array.astype(wanted)


def _as_column(values: Any, node: Any) -> Any:
    """A DataFrame column for an input declared ``(n, 1)``."""
    array = _cast(values, node)
    if len(node.shape) == 2 and array.ndim == 1:
        return array.reshape(-1, 1)
    return array


def feeds_for(session: Any, data: Any) -> dict[str, Any]:
    """The ``{input name: array}`` to run ``session`` on ``data``."""
    nodes = session.get_inputs()
    names = [n.name for n in nodes]
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise SignatureError(
                f"the ONNX model takes inputs {names}; missing {missing} "
                f"(got keys {sorted(map(str, data))})"
            )
        return {n.name: _cast(data[n.name], n) for n in nodes}
    if len(nodes) == 1:
        return {nodes[0].name: _cast(data, nodes[0])}
    if _is_frame(data):
        columns = [str(c) for c in data.columns]
        missing = [n for n in names if n not in columns]
        if missing:
            raise SignatureError(
                f"the ONNX model takes one input per column {names}; the DataFrame lacks "
                f"{missing} (got columns {columns})"
            )
        return {n.name: _as_column(data[n.name], n) for n in nodes}
    raise SignatureError(
        f"the ONNX model takes {len(nodes)} inputs {names}; pass a dict of arrays or a "
        f"DataFrame with those columns, not a {type(data).__name__}"
    )


class OnnxFlavor(Flavor):
    """ONNX models, run with onnxruntime."""

    name: ClassVar[str] = "onnx"
    module: ClassVar[str] = "onnxruntime"
    formats: ClassVar[tuple[str, ...]] = ("onnx",)
    package: ClassVar[str] = "onnxruntime"
    requirement: ClassVar[str] = "onnxruntime>=1.17"
    extra: ClassVar[str] = "onnx"
    pickle_formats: ClassVar[tuple[str, ...]] = ()

    def handles(self, model: Any) -> bool:
        """An ``onnx.ModelProto``, or the path of an existing ``.onnx`` file."""
        if isinstance(model, (str, os.PathLike)):
            path = Path(model)
            return path.suffix.lower() == ".onnx" and path.is_file()
        onnx = sys.modules.get("onnx")
        proto = getattr(onnx, "ModelProto", None)
        return proto is not None and isinstance(model, proto)

    def save(
        self, model: Any, path: Path, format: str, *, example: Any = None
    ) -> dict[str, Any]:
        """Write ``model.onnx``: the ModelProto serialized, or the given file copied."""
        if format != "onnx":
            raise InvalidInputError(f"the onnx flavor has no format {format!r}; it writes 'onnx'")
        target = path / ONNX_FILE
        meta: dict[str, Any] = {"format": "onnx", "files": [ONNX_FILE]}
        if isinstance(model, (str, os.PathLike)):
            source = Path(model)
            if not source.is_file():
                raise InvalidInputError(f"no ONNX file at {source}")
            _refuse_external_data(source)
            shutil.copyfile(source, target)
            return meta
        try:
            import onnx
        except ImportError as exc:
            raise FlavorUnavailable(
                "onnx", f"saving an ONNX ModelProto needs the onnx package ({exc}); "
                "install it with: pip install 'autolog[onnx]'"
            ) from exc
        if not isinstance(model, onnx.ModelProto):
            raise InvalidInputError(
                f"the onnx flavor saves an onnx.ModelProto or an .onnx file path, "
                f"got {type(model).__name__}"
            )
        try:
            onnx.checker.check_model(model)
        except Exception as exc:
            raise ModelError(f"the ONNX model is not valid: {exc}") from exc
        target.write_bytes(model.SerializeToString())
        meta["onnx_version"] = onnx.__version__
        return meta

    def load(self, path: Path, meta: dict[str, Any]) -> Any:
        """An ``onnxruntime.InferenceSession`` over the model file (CUDA if present, else CPU)."""
        _import_onnxruntime()
        files = [f for f in meta.get("files") or [ONNX_FILE] if str(f).endswith(".onnx")]
        if not files:
            raise ModelError(f"no .onnx file among {meta.get('files')} in {path}")
        return _session(path / files[0])

    def predict(self, native: Any, data: Any) -> Any:
        """The first output of the model on ``data`` (see the module docs for inputs).

        ``native`` is the session ``load`` returned; a ModelProto or a file path also works
        (a session is made for the call).
        """
        if not hasattr(native, "get_inputs"):
            native = _session(native)
        first = native.get_outputs()[0].name
        return native.run([first], feeds_for(native, data))[0]


def _session(model: Any) -> Any:
    """An InferenceSession over a file path or a ModelProto (CUDA if present, else CPU)."""
    ort = _import_onnxruntime()
    source = str(model) if isinstance(model, (str, os.PathLike)) else model.SerializeToString()
    available = ort.get_available_providers()
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    try:
        return ort.InferenceSession(source, providers=providers or available)
    except Exception as exc:
        where = source if isinstance(source, str) else "the ONNX model"
        raise ModelError(f"onnxruntime {ort.__version__} cannot load {where}: {exc}") from exc


def _refuse_external_data(source: Path) -> None:
    """A file whose weights live beside it cannot be copied alone; say so."""
    try:
        import onnx
    except ImportError:  # without onnx the file is copied as it is
        return
    proto = onnx.load(str(source), load_external_data=False)
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer):
        raise InvalidInputError(
            f"{source} keeps its weights in external data files, which are not supported; "
            "save the ModelProto loaded with onnx.load() instead"
        )
