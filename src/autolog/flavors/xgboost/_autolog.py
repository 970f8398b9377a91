"""xgboost autologging: what is patched, and the wrappers.

Patched:

- ``train`` in ``xgboost.training`` and the names it is re-exported under (``xgboost.train``,
  and ``xgboost.sklearn.train``, which the scikit-learn API calls): a top-level call opens a
  run named ``Booster``. It gets one extra callback, put *first* in a new list (the user's list
  object is not touched) because xgboost stops asking callbacks after the first that says
  "stop"; the callback only keeps a reference to xgboost's own evals log.
- ``fit`` of ``XGBModel`` and of every xgboost subclass that defines its own (XGBClassifier,
  XGBRanker, the random-forest classes): one run per outermost ``fit``. The ``train`` it runs
  inside is nested and opens nothing; the sklearn API keeps the evals log itself
  (``evals_result()``), so ``fit`` needs no callback at all.

After training (never during it): the parameters xgboost applied by default, the eval curves
as step metrics, early stopping figures, feature importance and the model. Steps and
iterations are the booster's boosting rounds: training that continues a model
(``xgb_model=...``) logs its curves from the round it resumed at, matching ``best_iteration``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Any

from autolog.autologging import Recorder, TrainingCall, safe
from autolog.flavors.xgboost import _report
from autolog.models._flavor import Patch


def declare_patches(recorder: Recorder) -> Sequence[Patch]:
    """Patches for what is imported now (the core asks again after later imports)."""
    training = sys.modules.get("xgboost.training")
    sklearn_api = sys.modules.get("xgboost.sklearn")
    patches: list[Patch] = []
    wrap_train = functools.partial(_wrap_train, recorder)
    if training is not None and callable(getattr(training, "train", None)):
        original = training.train
        patches.append(Patch(training, "train", wrap_train))
        for name in ("xgboost", "xgboost.sklearn"):
            module = sys.modules.get(name)
            if module is not None and vars(module).get("train") is original:
                patches.append(Patch(module, "train", wrap_train))
    if sklearn_api is not None:
        for cls in _model_classes(sklearn_api.XGBModel):
            if "fit" in vars(cls):
                patches.append(Patch(cls, "fit", functools.partial(_wrap_fit, recorder)))
    return patches


def _model_classes(base: type) -> list[type]:
    found, stack = [base], [base]
    sub: type
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found and sub.__module__.split(".")[0] == "xgboost":
                found.append(sub)
                stack.append(sub)
    return found


# -- wrappers ---------------------------------------------------------------------------------
def _wrap_train(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not recorder.should_record():
        return wrapped(*args, **kwargs)
    keeper = None
    with recorder.training(None, run_name="Booster", tags={"estimator_name": "Booster"}) as call:
        passed: dict[str, Any] = {}
        with safe("xgboost params before train"):
            passed = _report.train_params(args, kwargs)
            call.log_params(passed)
        with safe("xgboost callback"):
            from autolog.flavors.xgboost._callback import HistoryKeeper

            keeper = HistoryKeeper()
            kwargs = {**kwargs, "callbacks": [keeper, *(kwargs.get("callbacks") or ())]}
        booster = wrapped(*args, **kwargs)
        call.model = booster
        with safe("xgboost results after train"):
            history = keeper.history if keeper is not None else None
            start = keeper.start if keeper is not None else 0
            _after_training(call, recorder, booster, passed, history or {}, start, None, booster)
    return booster


def _wrap_fit(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if instance is None or not recorder.should_record():
        return wrapped(*args, **kwargs)
    cls = type(instance)
    tags = {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__qualname__}"}
    with recorder.training(instance, tags=tags) as call:
        passed: dict[str, Any] = {}
        start = 0
        with safe("xgboost params before fit"):
            passed = _report.estimator_params(instance)
            call.log_params(passed)
        with safe("xgboost training continuation"):
            # read before training: fit(xgb_model=self) replaces the booster it continues
            start = _report.starting_round(kwargs.get("xgb_model"))
        result = wrapped(*args, **kwargs)
        with safe("xgboost results after fit"):
            X = args[0] if args else kwargs.get("X")
            history = getattr(instance, "evals_result_", None) or {}
            _after_training(call, recorder, instance.get_booster(), passed, history, start, X, instance)
    return result


def _after_training(
    call: TrainingCall,
    recorder: Recorder,
    booster: Any,
    passed: dict[str, Any],
    history: Any,
    start: int,
    X: Any,
    model: Any,
) -> None:
    """Everything read after training. ``start``: the rounds the booster had before it
    (training continuation); steps and iterations count every round, as xgboost does."""
    config = recorder.config
    with safe("xgboost default params"):
        call.log_params(_report.default_params(booster, passed))
    curves = _report.history_metrics(history)
    with safe("xgboost eval metrics"):
        for key, values in curves.items():
            call.log_metric_history(key, values, start=start)
    with safe("xgboost early stopping"):
        call.log_metrics(_report.early_stopping(booster, curves, start))
    with safe("xgboost feature importance"):
        found = _report.importance(booster)
        if found:
            call.log_dict(found, "feature_importance.json")
    if config.log_models:
        with safe("xgboost model"):
            _log_model(call, recorder, model, booster, X)


def _log_model(call: TrainingCall, recorder: Recorder, model: Any, booster: Any, X: Any) -> None:
    config = recorder.config
    example = signature = None
    if config.log_signatures or config.log_input_examples:
        example = _report.head(X) if X is not None else _report.booster_example(booster)
    if config.log_signatures and example is not None:
        import autolog
        from autolog.models import _discovery

        with recorder.suppressed(), safe("xgboost signature"):
            output = _discovery.get_flavor("xgboost").predict(model, example)
            signature = autolog.infer_signature(example, output)
    call.log_model(model, signature=signature, input_example=example if config.log_input_examples and X is not None else None)
