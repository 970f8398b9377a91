"""The python flavor: any object with a ``predict(data)`` method, or a plain function.

It is the fallback: ``log_model`` chooses it when no library flavor claims the model. The
object is saved with cloudpickle (by value when its class is defined in ``__main__`` or a
notebook), so loading it needs the same Python minor version and the packages its code uses
(add them with ``pip_requirements=``). Loading a pickle runs code: load only models you trust.

Extra files travel with the model through ``PythonModel``::

    from autolog.flavors.python import PythonModel

    class Greeter(PythonModel):
        def load_context(self, artifacts):
            self.greeting = artifacts["greeting"].read_text()

        def predict(self, data):
            return [f"{self.greeting} {name}" for name in data]

    autolog.log_model(Greeter(artifacts={"greeting": "greeting.txt"}), "model")

At save the files (or directories) named in ``artifacts`` are copied into the model
directory; at load ``artifacts`` maps each name to its copy and ``load_context`` runs once.
"""

from __future__ import annotations

import copy
import shutil
import sys
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from autolog.errors import InvalidInputError
from autolog.models._flavor import Flavor

_MODEL_FILE = "model.pkl"
_ARTIFACTS_DIR = "artifacts"


class PythonModel:
    """Base class for a custom model that carries extra files (``artifacts``).

    ``artifacts`` maps a name to a local file or directory when saving; after loading it
    maps the same names to the copies inside the model directory (``pathlib.Path``).
    """

    def __init__(self, artifacts: Mapping[str, str | PathLike[str]] | None = None) -> None:
        self.artifacts: dict[str, Any] = dict(artifacts or {})

    def load_context(self, artifacts: dict[str, Path]) -> None:
        """Called once after loading, with the artifacts' local paths. Does nothing by default."""

    def predict(self, data: Any) -> Any:
        """The model's prediction for ``data``; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement predict(data)")


class PythonFlavor(Flavor):
    """Custom Python models and plain functions, through cloudpickle."""

    name = "python"
    module = "cloudpickle"
    formats = ("pickle",)
    package = "cloudpickle"
    requirement = "cloudpickle>=2.2"
    extra = ""

    def handles(self, model: Any) -> bool:
        if isinstance(model, type):  # a class is callable, but it is not a model
            return False
        return callable(getattr(model, "predict", None)) or callable(model)

    def save(
        self, model: Any, path: Path, format: str, *, example: Any = None
    ) -> dict[str, Any]:
        # ``example`` is unused: pickling needs no input batch
        import cloudpickle

        if format != "pickle":
            raise InvalidInputError(f"the python flavor writes format 'pickle' only, got {format!r}")
        if not self.handles(model):
            raise InvalidInputError(
                f"the python flavor saves objects with a predict(data) method or functions; "
                f"got {type(model).__name__}"
            )
        artifacts: dict[str, str] = {}
        if isinstance(model, PythonModel) and model.artifacts:
            artifacts = _copy_artifacts(model.artifacts, path)
            # pickle a copy without the local paths: they mean nothing on another machine
            model = copy.copy(model)
            model.artifacts = {}
        with open(path / _MODEL_FILE, "wb") as f:
            cloudpickle.dump(model, f)
        return {
            "files": [_MODEL_FILE],
            "kind": "object" if callable(getattr(model, "predict", None)) else "function",
            "python_version": "{}.{}.{}".format(*sys.version_info[:3]),
            "artifacts": artifacts,
        }

    def load(self, path: Path, meta: dict[str, Any]) -> Any:
        import cloudpickle

        with open(Path(path) / _MODEL_FILE, "rb") as f:
            native = cloudpickle.load(f)
        artifacts = {name: Path(path) / rel for name, rel in (meta.get("artifacts") or {}).items()}
        if isinstance(native, PythonModel):
            native.artifacts = artifacts
            native.load_context(artifacts)
        return native

    def predict(self, native: Any, data: Any) -> Any:
        method = getattr(native, "predict", None)
        return method(data) if method is not None else native(data)


def _copy_artifacts(artifacts: Mapping[str, Any], path: Path) -> dict[str, str]:
    """Copy each named file or directory under ``artifacts/<name>/``; return relative paths."""
    copied = {}
    for name, source in artifacts.items():
        if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", ".."):
            raise InvalidInputError(f"artifact names must be plain names like 'vocab', got {name!r}")
        src = Path(source).expanduser()
        if not src.exists():
            raise InvalidInputError(f"artifact {name!r} points at {src}, which does not exist")
        dest = path / _ARTIFACTS_DIR / name / src.name
        dest.parent.mkdir(parents=True)
        if src.is_dir():
            shutil.copytree(src, dest)
        else:
            shutil.copy2(src, dest)
        copied[name] = dest.relative_to(path).as_posix()
    return copied
