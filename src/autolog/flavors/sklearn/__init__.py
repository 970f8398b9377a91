"""scikit-learn: any estimator, Pipeline or fitted search (GridSearchCV, ...).

Formats:

- ``pickle`` (default): the fitted object through cloudpickle, as ``model.pkl``. Loading it
  runs code from the file: load only models you trust.
- ``onnx``: converted by skl2onnx to ``model.onnx`` and served by the ``onnx`` flavor
  (onnxruntime, no scikit-learn needed). The input types come from the example input when
  one is given, else from the fitted model (``n_features_in_``, and for a ColumnTransformer on
  a DataFrame one input per column, typed from its encoders' categories). A model skl2onnx
  cannot convert raises ``ModelError`` (``log_model`` turns it into a warning and keeps the
  pickle).

``predict`` is the estimator's own ``predict`` (labels for classifiers)::

    import autolog
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(X, y)
    info = autolog.log_model(model, "model", formats=["pickle", "onnx"])
    autolog.load_model(info.model_uri, flavor="onnx").predict(X)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar

from autolog.errors import FlavorUnavailable, InvalidInputError, ModelError
from autolog.models._flavor import Flavor

__all__ = ["SklearnFlavor"]

PICKLE_FILE = "model.pkl"
ONNX_FILE = "model.onnx"


def _import_sklearn() -> Any:
    try:
        import sklearn
    except ImportError as exc:
        raise FlavorUnavailable(
            "sklearn",
            f"the sklearn flavor needs scikit-learn, which cannot be imported ({exc}); "
            "install it with: pip install 'autolog[sklearn]'",
        ) from exc
    return sklearn


def _is_library_code(module_name: str) -> bool:
    """Is the module installed as a package (site-packages), rather than the user's code?"""
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    if not file:
        return False
    parts = Path(file).parts
    return "site-packages" in parts or "dist-packages" in parts


class SklearnFlavor(Flavor):
    """scikit-learn estimators: cloudpickle, or ONNX through skl2onnx."""

    name: ClassVar[str] = "sklearn"
    module: ClassVar[str] = "sklearn"
    formats: ClassVar[tuple[str, ...]] = ("pickle", "onnx")
    package: ClassVar[str] = "scikit-learn"
    requirement: ClassVar[str] = "scikit-learn>=1.3"
    extra: ClassVar[str] = "sklearn"
    pickle_formats: ClassVar[tuple[str, ...]] = ("pickle",)

    def handles(self, model: Any) -> bool:
        """scikit-learn's own estimators, and estimators of the user's code built on
        ``BaseEstimator``; estimators of other installed libraries (xgboost, ...) are left
        to their own flavors."""
        if "sklearn" not in sys.modules or isinstance(model, type):
            return False
        cls = type(model)
        if cls.__module__.split(".", 1)[0] == "sklearn":
            return True
        base = getattr(sys.modules.get("sklearn.base"), "BaseEstimator", None)
        return (
            base is not None
            and isinstance(model, base)
            and callable(getattr(model, "predict", None))
            and not _is_library_code(cls.__module__)
        )

    def save(
        self, model: Any, path: Path, format: str, *, example: Any = None
    ) -> dict[str, Any]:
        """Write ``model.pkl`` (pickle) or ``model.onnx`` (onnx) under ``path``."""
        sklearn = _import_sklearn()
        cls = type(model)
        info: dict[str, Any] = {"estimator": f"{cls.__module__}.{cls.__qualname__}"}
        if format == "pickle":
            import cloudpickle

            with open(path / PICKLE_FILE, "wb") as f:
                cloudpickle.dump(model, f)
            return {
                "format": "pickle",
                "files": [PICKLE_FILE],
                "library_version": sklearn.__version__,
                "cloudpickle_version": cloudpickle.__version__,
                "python_version": "%d.%d.%d" % sys.version_info[:3],
                **info,
            }
        if format == "onnx":
            from autolog.flavors.sklearn._onnx import save_onnx

            return {**save_onnx(model, path / ONNX_FILE, example), **info}
        raise InvalidInputError(
            f"the sklearn flavor has no format {format!r}; choose one of {', '.join(self.formats)}"
        )

    def load(self, path: Path, meta: dict[str, Any]) -> Any:
        """The fitted estimator back from ``model.pkl``."""
        _import_sklearn()
        fmt = meta.get("format", "pickle")
        if fmt != "pickle":
            raise ModelError(
                f"the sklearn flavor loads the 'pickle' format, not {fmt!r}; "
                "ONNX files are loaded with flavor='onnx'"
            )
        import cloudpickle

        files = meta.get("files") or [PICKLE_FILE]
        with open(path / files[0], "rb") as f:
            return cloudpickle.load(f)

    def predict(self, native: Any, data: Any) -> Any:
        """``native.predict(data)``: labels for classifiers, values for regressors."""
        return native.predict(data)

    def autolog(self, recorder: Any) -> Any:
        """Patches that make sklearn training log itself (see ``_autolog`` and
        docs/autologging.md)."""
        from autolog.flavors.sklearn._autolog import declare_patches

        return declare_patches(recorder)
