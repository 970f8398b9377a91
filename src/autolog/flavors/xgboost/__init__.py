"""XGBoost: a ``Booster`` or a scikit-learn-API model (XGBClassifier, XGBRegressor, ...).

Formats:

- ``native`` (default): the library's own ``save_model`` as UBJSON, ``model.ubj``. No pickle:
  loading it runs no code from the file. For a scikit-learn-API model the class is recorded
  (``model_class``) and ``load`` rebuilds an instance of it with ``load_model``.
- ``onnx``: converted by onnxmltools to ``model.onnx`` (float32 input, one per feature) and
  served by the ``onnx`` flavor. Needs onnxmltools (in the ``xgboost`` extra); models with
  categorical features cannot be converted.

``predict`` calls ``model.predict(data)`` for scikit-learn-API models and builds a
``DMatrix`` from numpy/pandas data for a ``Booster``::

    import autolog, xgboost as xgb

    booster = xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(X, label=y))
    info = autolog.log_model(booster, "model")
    autolog.load_model(info.model_uri).predict(X)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar

from autolog.errors import FlavorUnavailable, InvalidInputError, ModelError
from autolog._plugins import resolve
from autolog.models._flavor import Flavor, importable_reference

__all__ = ["XGBoostFlavor"]

NATIVE_FILE = "model.ubj"
ONNX_FILE = "model.onnx"


def _import_xgboost() -> Any:
    try:
        import xgboost
    except ImportError as exc:
        raise FlavorUnavailable(
            "xgboost",
            f"the xgboost flavor needs xgboost, which cannot be imported ({exc}); "
            "install it with: pip install 'autolog[xgboost]'",
        ) from exc
    return xgboost


def _class_reference(cls: type) -> str:
    """``module:qualname`` of ``cls``, checked to resolve back to it."""
    reference = importable_reference(cls)
    if reference is None:
        raise ModelError(
            f"the class {cls.__qualname__} cannot be imported as "
            f"{cls.__module__}:{cls.__qualname__}, so a loaded model could not be rebuilt; "
            "define it at the top level of a module, or save its booster (model.get_booster())"
        )
    return reference


class XGBoostFlavor(Flavor):
    """XGBoost boosters and scikit-learn-API models."""

    name: ClassVar[str] = "xgboost"
    module: ClassVar[str] = "xgboost"
    formats: ClassVar[tuple[str, ...]] = ("native", "onnx")
    package: ClassVar[str] = "xgboost"
    requirement: ClassVar[str] = "xgboost>=2.0"
    extra: ClassVar[str] = "xgboost"
    pickle_formats: ClassVar[tuple[str, ...]] = ()

    def handles(self, model: Any) -> bool:
        """A ``Booster`` or an ``XGBModel`` (XGBClassifier, XGBRegressor, XGBRanker, ...)."""
        xgb = sys.modules.get("xgboost")
        if xgb is None:
            return False
        return isinstance(model, (xgb.Booster, xgb.XGBModel))

    def save(
        self, model: Any, path: Path, format: str, *, example: Any = None
    ) -> dict[str, Any]:
        """Write ``model.ubj`` (native) or ``model.onnx`` (onnx) under ``path``."""
        xgb = _import_xgboost()
        if not isinstance(model, (xgb.Booster, xgb.XGBModel)):
            raise InvalidInputError(
                f"the xgboost flavor saves a Booster or an XGBModel, got {type(model).__name__}"
            )
        if format == "native":
            meta: dict[str, Any] = {
                "format": "native",
                "files": [NATIVE_FILE],
                "library_version": xgb.__version__,
            }
            if isinstance(model, xgb.XGBModel):
                meta["model_class"] = _class_reference(type(model))
            model.save_model(str(path / NATIVE_FILE))
            return meta
        if format == "onnx":
            from autolog.flavors.xgboost._onnx import save_onnx

            return save_onnx(model, path / ONNX_FILE, example)
        raise InvalidInputError(
            f"the xgboost flavor has no format {format!r}; choose one of {', '.join(self.formats)}"
        )

    def load(self, path: Path, meta: dict[str, Any]) -> Any:
        """The Booster, or a new instance of the recorded scikit-learn-API class."""
        xgb = _import_xgboost()
        fmt = meta.get("format", "native")
        if fmt != "native":
            raise ModelError(
                f"the xgboost flavor loads the 'native' format, not {fmt!r}; "
                "ONNX files are loaded with flavor='onnx'"
            )
        file = str(path / (meta.get("files") or [NATIVE_FILE])[0])
        reference = meta.get("model_class")
        if not reference:
            booster = xgb.Booster()
            booster.load_model(file)
            return booster
        try:
            cls = resolve(str(reference))
        except (ImportError, AttributeError) as exc:
            raise ModelError(
                f"the model was saved from class {reference}, which cannot be imported here "
                f"({exc}); install the code that defines it"
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, xgb.XGBModel)):
            raise ModelError(f"model_class {reference} is not an xgboost XGBModel subclass")
        model = cls()
        model.load_model(file)
        return model

    def predict(self, native: Any, data: Any) -> Any:
        """``native.predict``; a Booster gets a ``DMatrix`` built from ``data``."""
        xgb = _import_xgboost()
        if not isinstance(native, xgb.Booster):
            return native.predict(data)
        if isinstance(data, xgb.DMatrix):
            return native.predict(data)
        if hasattr(data, "columns") and native.feature_names is None:
            # trained on an array: names in the frame would not match the booster's
            data = data.to_numpy()
        categorical = hasattr(data, "dtypes") and any(
            str(t) == "category" for t in data.dtypes
        )
        return native.predict(xgb.DMatrix(data, enable_categorical=categorical))

    def autolog(self, recorder: Any) -> Any:
        """Patches that make ``xgboost.train`` and the scikit-learn API's ``fit`` log
        themselves (see ``_autolog`` and docs/autologging.md)."""
        from autolog.flavors.xgboost._autolog import declare_patches

        return declare_patches(recorder)
