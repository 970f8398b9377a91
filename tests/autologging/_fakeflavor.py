"""A small flavor for a tiny made-up library ``fakelib``, to test the autologging core through
the real flavor registry without any ML library. ``fakelib``'s source is written by the
``fakelib`` fixture into a temporary directory; this module never imports it at import time."""

from __future__ import annotations

import functools
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autolog.autologging import safe
from autolog.models import Flavor, Patch

LIBRARY = {
    "fakelib/__init__.py": "from fakelib.models import Child, Ensemble, Model, train\n",
    "fakelib/models.py": '''
class Model:
    def __init__(self, scale=1.0, fail_with=None):
        self.scale = scale
        self.fail_with = fail_with

    def fit(self, X, y=None):
        if self.fail_with is not None:
            raise self.fail_with
        self.coef_ = sum(X) * self.scale
        return self

    def predict(self, X):
        return [x * self.coef_ for x in X]


class Child(Model):
    """Inherits fit and predict."""


class Ensemble(Model):
    def fit(self, X, y=None):
        # nested training calls: members, then the base class's fit
        self.members_ = [Model(self.scale).fit(X) for _ in range(3)]
        return super().fit(X, y)


def train(params, X):
    return Model(**params).fit(X)
''',
    "fakelib/extra.py": '''
from fakelib.models import Model


class Late(Model):
    """Arrives with a submodule imported after enable()."""

    def fit(self, X, y=None):
        self.coef_ = -1.0
        return self
''',
}


def _wrap_fit(recorder: Any, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not recorder.should_record():
        return wrapped(*args, **kwargs)
    with recorder.training(instance) as call:
        with safe("before fakelib fit"):
            call.log_params({"scale": instance.scale, "cls": type(instance).__name__})
        result = wrapped(*args, **kwargs)
        with safe("after fakelib fit"):
            call.log_metrics({"coef": instance.coef_})
            call.set_tags({"estimator_class": type(instance).__name__})
    return result


def _wrap_train(recorder: Any, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not recorder.should_record():
        return wrapped(*args, **kwargs)
    with recorder.training(None, run_name="train") as call:
        result = wrapped(*args, **kwargs)
        with safe("after fakelib train"):
            call.log_metrics({"trained_coef": result.coef_})
    return result


def _wrap_predict(recorder: Any, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # not a training call: passes through, counts calls so tests can see the wrapper ran
    instance.__dict__["predict_calls"] = instance.__dict__.get("predict_calls", 0) + 1
    return wrapped(*args, **kwargs)


class FakeFlavor(Flavor):
    name = "fakelib"
    module = "fakelib"
    formats = ("pickle",)
    package = ""
    #: how many times autolog() was asked for patches (the core re-asks after imports)
    asked = 0

    def save(self, model: Any, path: Path, format: str, *, example: Any = None) -> dict[str, Any]:
        (path / "model.pkl").write_bytes(pickle.dumps(model))
        return {"files": ["model.pkl"]}

    def load(self, path: Path, meta: dict[str, Any]) -> Any:
        return pickle.loads((path / "model.pkl").read_bytes())

    def predict(self, native: Any, data: Any) -> Any:
        return native.predict(data)

    def autolog(self, recorder: Any) -> Sequence[Patch]:
        import sys

        type(self).asked += 1
        models = sys.modules["fakelib.models"]
        # both kinds of wrapper go through every test: wrapt proxies, and the plain
        # functions of hot=True (a method, an inherited method, a module function)
        patches = [
            Patch(models.Model, "fit", functools.partial(_wrap_fit, recorder)),
            Patch(models.Ensemble, "fit", functools.partial(_wrap_fit, recorder), hot=True),
            # Child only inherits predict: undo must delete, not set
            Patch(models.Child, "predict", functools.partial(_wrap_predict, recorder), hot=True),
            Patch(models, "train", functools.partial(_wrap_train, recorder), hot=True),
        ]
        extra = sys.modules.get("fakelib.extra")
        if extra is not None:
            patches.append(Patch(extra.Late, "fit", functools.partial(_wrap_fit, recorder)))
        return patches
