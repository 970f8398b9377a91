"""MLflow ``python_function`` models with a pickled ``python_model``, served without MLflow.

MLflow pickles the user's ``PythonModel`` subclass with cloudpickle; the pickle names
MLflow's base class, so it cannot be loaded where MLflow is not installed. On import the
pickle is read with MLflow's base classes swapped for the stand-ins below, and the object is
saved again as an autolog ``python`` model, wrapped in ``MlflowPythonModel``, which calls
``load_context`` and ``predict`` the way MLflow does. Other MLflow objects in the pickle
(MLflow's input checks around ``predict``) are replaced by inert stand-ins. Reading a pickle runs code from it:
import only stores you trust.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import types
from pathlib import Path
from typing import IO, Any

from autolog.errors import ModelError
from autolog.flavors.python import PythonModel


class PythonModelStandIn:
    """Takes the place of ``mlflow.pyfunc.PythonModel`` as the base of unpickled models."""

    def load_context(self, context: Any) -> None:
        """MLflow's default does nothing."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        raise NotImplementedError


class Context:
    """What MLflow passes to ``load_context`` and ``predict``: artifact paths and the config."""

    def __init__(self, artifacts: dict[str, str], model_config: dict[str, Any]) -> None:
        self.artifacts = artifacts
        self.model_config = model_config


class _Absent:
    """Stands for an MLflow object the model's own code does not use (MLflow's input checks
    around ``predict``, type-hint records): it can be built, subclassed and given state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise ModelError(f"the model called {type(self).__qualname__} from MLflow, which is not installed")


def _absent(qualified: str) -> type:
    return type(qualified, (_Absent,), {"__module__": __name__})


class _AbsentModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        return _absent(f"{self.__name__}.{name}")


def _subimport(name: str) -> Any:
    """cloudpickle's ``subimport``, which imports modules a pickled function refers to."""
    if _is_mlflow(name):
        return _AbsentModule(name)
    return importlib.import_module(name)


_STAND_INS: dict[tuple[str, str], Any] = {
    ("mlflow.pyfunc.model", "PythonModel"): PythonModelStandIn,
    ("mlflow.pyfunc", "PythonModel"): PythonModelStandIn,
    ("mlflow.pyfunc.model", "PythonModelContext"): Context,
    ("cloudpickle.cloudpickle", "subimport"): _subimport,
}


def _is_mlflow(module: str) -> bool:
    return module == "mlflow" or module.startswith("mlflow.")


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _STAND_INS.get((module, name))
        if found is not None:
            return found
        if _is_mlflow(module):
            return _absent(f"{module}.{name}")
        return super().find_class(module, name)


def read_python_model(stream: IO[bytes]) -> Any:
    return _Unpickler(stream).load()


class MlflowPythonModel(PythonModel):
    """An MLflow ``PythonModel`` served by autolog's python flavor."""

    def __init__(self, inner: Any, artifacts: dict[str, str], model_config: dict[str, Any]) -> None:
        super().__init__(artifacts)
        self.inner = inner
        self.model_config = model_config
        self._context = Context({}, model_config)

    def load_context(self, artifacts: dict[str, Path]) -> None:
        self._context = Context({name: str(path) for name, path in artifacts.items()}, self.model_config)
        self.inner.load_context(self._context)

    def predict(self, data: Any) -> Any:
        # MLflow wraps a subclass's predict in its own input checks when the class is made;
        # the user's function is the one inside (autolog enforces the signature instead)
        function = inspect.unwrap(type(self.inner).predict)
        names = list(inspect.signature(function).parameters)
        # MLflow 3 also takes predict(self, model_input, params=None), without the context
        if len(names) > 1 and names[1] == "context":
            return function(self.inner, self._context, data)
        return function(self.inner, data)
