"""sklearn autologging: what is patched, and the wrappers.

Patched (each on the class or module that defines it, so subclasses are covered):

- ``fit``, ``fit_transform``, ``fit_predict`` of every public estimator class of sklearn that
  is imported: the training calls. One run per outermost call; Pipeline steps, a search's inner
  fits and meta-estimators' clones run nested and log nothing of their own.
- ``cross_validate``, ``cross_val_score``, ``cross_val_predict``, ``learning_curve``,
  ``validation_curve``, ``permutation_test_score``: their inner fits log nothing (suppressed).
- ``joblib.Parallel.__call__``: inside a training call, the tasks it runs in worker threads
  carry the nesting guard with them (a thread starts with an empty context otherwise, and a
  RandomForest's trees would each open a run).
- ``predict``, ``predict_proba``, ``decision_function``, ``score`` and the ``sklearn.metrics``
  functions in ``_posttraining.METRICS``: post-training metrics (see that module).

Estimator classes are found by walking ``BaseEstimator``'s subclasses rather than by
``sklearn.utils.all_estimators()``: that function imports every sklearn submodule (1.3 s and
~1,200 modules here), which ``enable()`` must not do; the core asks again after each import of
an sklearn submodule, so classes that arrive later are patched then.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Sequence
from typing import Any

from autolog.autologging import Recorder, TrainingCall, safe
from autolog.flavors.sklearn import _describe, _metrics, _plots, _posttraining, _search
from autolog.models._flavor import Patch

TRAINING_METHODS = ("fit", "fit_transform", "fit_predict")
PREDICT_METHODS = ("predict", "predict_proba", "decision_function")
CV_FUNCTIONS = (
    "cross_validate",
    "cross_val_score",
    "cross_val_predict",
    "learning_curve",
    "validation_curve",
    "permutation_test_score",
)
#: confusion matrix, ROC and precision-recall curves, side by side
PLOTS_FILE = "training_evaluation.svg"
#: rows of the training input used for the signature's example prediction
SIGNATURE_ROWS = 5
#: per-epoch attributes: (attribute, metric key)
CURVES = (
    ("loss_curve_", "training_loss"),
    ("validation_scores_", "validation_score"),
    ("train_score_", "training_deviance_or_score"),
    ("validation_score_", "validation_score"),
)
_SKIP_MODULE_PARTS = ("tests", "_testing", "externals")
#: target encoders sklearn fits inside metrics and classifiers: bookkeeping, not training
_NOT_TRAINING = frozenset({"LabelEncoder", "LabelBinarizer", "MultiLabelBinarizer"})


def declare_patches(recorder: Recorder) -> Sequence[Patch]:
    """Patches for what is imported now (the core asks again after later imports)."""
    base = sys.modules.get("sklearn.base")
    if base is None:
        return ()
    patches: list[Patch] = []
    seen: set[tuple[int, str]] = set()

    def add(owner: Any, attribute: str, wrapper: Any) -> None:
        if (id(owner), attribute) not in seen:
            seen.add((id(owner), attribute))
            patches.append(Patch(owner, attribute, functools.partial(wrapper, recorder)))

    for cls in _estimator_classes(base.BaseEstimator):
        for method in TRAINING_METHODS:
            owner = _definer(cls, method)
            if owner is not None:
                add(owner, method, _wrap_fit)
        for method in PREDICT_METHODS:
            owner = _definer(cls, method)
            if owner is not None:
                add(owner, method, _wrap_predict)
        owner = _definer(cls, "score")
        if owner is not None:
            add(owner, "score", _wrap_score)
    validation = sys.modules.get("sklearn.model_selection._validation")
    if validation is not None:
        for name in CV_FUNCTIONS:
            if callable(getattr(validation, name, None)):
                add(validation, name, _wrap_quiet)
        public = sys.modules.get("sklearn.model_selection")
        for name in CV_FUNCTIONS:
            if public is not None and getattr(public, name, None) is getattr(validation, name, None):
                add(public, name, _wrap_quiet)
    joblib_parallel = sys.modules.get("joblib.parallel")
    if joblib_parallel is not None and "__call__" in vars(joblib_parallel.Parallel):
        add(joblib_parallel.Parallel, "__call__", _wrap_parallel)
    metrics = sys.modules.get("sklearn.metrics")
    if metrics is not None:
        for name in _posttraining.METRICS:
            if callable(getattr(metrics, name, None)):
                add(metrics, name, functools.partial(_wrap_metric, name=name))
    return patches


def _estimator_classes(base: type) -> list[type]:
    found: list[type] = []
    stack, seen = [base], {base}
    sub: type
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            stack.append(sub)
            parts = sub.__module__.split(".")
            if (
                parts[0] == "sklearn"
                and not sub.__name__.startswith("_")
                and sub.__name__ not in _NOT_TRAINING
                and not any(p in _SKIP_MODULE_PARTS for p in parts)
                and not inspect.isabstract(sub)
            ):
                found.append(sub)
    return found


def _definer(cls: type, method: str) -> type | None:
    """The class in ``cls``'s MRO that defines ``method`` (None if it has none)."""
    for klass in cls.__mro__:
        if method in vars(klass):
            return klass if klass is not object else None
    return None


@functools.lru_cache(maxsize=None)
def _is_estimator(cls: type) -> bool:
    """A concrete sklearn estimator or a subclass of one (not just a user class that uses
    sklearn's mixins: those are left alone, like other libraries' estimators)."""
    return any(
        k.__module__.startswith("sklearn.") and not k.__name__.endswith("Mixin") and k.__name__ != "BaseEstimator"
        for k in cls.__mro__
    )


def _xy(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y", kwargs.get("Y"))
    return X, y


# -- wrappers ---------------------------------------------------------------------------------
def _wrap_fit(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    cls: type = type(instance)  # a plain `type`: mypy rejects classes as lru_cache keys
    if instance is None or not recorder.should_record() or not _is_estimator(cls):
        return wrapped(*args, **kwargs)
    X, y = _xy(args, kwargs)
    cls = type(instance)
    tags = {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__qualname__}"}
    with recorder.training(instance, tags=tags) as call:
        with safe("sklearn params before fit"):
            call.log_params(_describe.params(instance))
        result = wrapped(*args, **kwargs)
        with safe("sklearn metrics after fit"):
            _after_fit(call, recorder, instance, X, y, kwargs.get("sample_weight"))
    return result


def _wrap_quiet(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # cross-validation helpers fit clones of the estimator: those fits log nothing
    if not recorder.should_record():
        return wrapped(*args, **kwargs)
    with recorder.suppressed():
        return wrapped(*args, **kwargs)


def _wrap_parallel(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not recorder.carries_context():
        return wrapped(*args, **kwargs)
    if args:
        tasks = ((recorder.propagate(f), a, k) for f, a, k in args[0])
        return wrapped(tasks, *args[1:], **kwargs)
    return wrapped(*args, **kwargs)


def _wrap_predict(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    if instance is None or not recorder.should_record():
        return result
    run_id = recorder.run_of(instance)
    if run_id is not None:
        with safe("sklearn post-training prediction"):
            data = args[0] if args else kwargs.get("X")
            recorder.remember_prediction(result, run_id, _posttraining.dataset_name(data))
    return result


def _wrap_score(recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if instance is None or not recorder.should_record() or recorder.run_of(instance) is None:
        return wrapped(*args, **kwargs)
    with recorder.suppressed():  # score's own predict and metric calls are not logged again
        result = wrapped(*args, **kwargs)
    with safe("sklearn post-training score"):
        run_id = recorder.run_of(instance)
        value = _posttraining.metric_value(result)
        if run_id is not None and value is not None:
            data = args[0] if args else kwargs.get("X")
            name = f"{type(instance).__name__}_score_{_posttraining.dataset_name(data)}"
            recorder.log_post_training_metric(run_id, name, value)
    return result


def _wrap_metric(
    recorder: Recorder, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], *, name: str
) -> Any:
    if not recorder.should_record():
        return wrapped(*args, **kwargs)
    with recorder.suppressed():  # metrics fit label encoders inside: not training runs
        result = wrapped(*args, **kwargs)
    with safe("sklearn post-training metric"):
        source = recorder.prediction_source(_posttraining.prediction_argument(args, kwargs))
        value = _posttraining.metric_value(result)
        if source is not None and value is not None:
            run_id, dataset = source
            recorder.log_post_training_metric(run_id, f"{name}_{dataset}", value)
    return result


# -- after fit -------------------------------------------------------------------------------
def _after_fit(call: TrainingCall, recorder: Recorder, estimator: Any, X: Any, y: Any, sample_weight: Any) -> None:
    config = recorder.config
    model = estimator
    if _search.is_search(estimator):
        with safe("sklearn search results"):
            _search.log_search(call, estimator, config.max_tuning_runs)
        model = getattr(estimator, "best_estimator_", estimator)
    with safe("sklearn training curves"):
        _log_curves(call, model)
    predictions = None
    if X is not None:
        with safe("sklearn training metrics"):
            predictions = _log_training_metrics(call, recorder, estimator, model, X, y, sample_weight, config.log_plots)
    if config.log_datasets and X is not None:
        with safe("sklearn dataset record"):
            _log_dataset(call, X, y)
    with safe("sklearn pipeline structure"):
        structure = _describe.pipeline(model)
        if structure is not None:
            call.log_params({"pipeline_stages": _describe.stages_text(structure)})
            call.log_dict(structure, "pipeline.json")
    if config.log_models:
        with safe("sklearn model"):
            _log_model(call, recorder, model, X, predictions)


def _log_dataset(call: TrainingCall, X: Any, y: Any) -> None:
    """Tags always; ``dataset.json`` only when there are columns to list (DataFrames): every
    artifact file is a durable write, and for plain arrays the tags say it all."""
    record: dict[str, Any] = {"X": _describe.describe_array(X), "digest": _describe.digest(X, y)}
    if y is not None:
        record["y"] = _describe.describe_array(y)
    tags = {"dataset_digest": record["digest"], "dataset_shape": "x".join(map(str, record["X"].get("shape", [])))}
    if "dtype" in record["X"]:
        tags["dataset_dtype"] = record["X"]["dtype"]
    call.set_tags(tags)
    if "columns" in record["X"]:
        call.log_dict(record, "dataset.json")


def _log_curves(call: TrainingCall, model: Any) -> None:
    import numpy as np

    for attribute, key in CURVES:
        values = getattr(model, attribute, None)
        if values is None:
            continue
        values = np.asarray(values, dtype=float).ravel()
        if values.size:
            if attribute == "train_score_":
                key = "training_score_curve"
            call.log_metric_history(key, values)
    n_iter = getattr(model, "n_iter_", None)
    if n_iter is not None:
        try:
            call.log_metrics({"n_iter": float(np.max(n_iter))})
        except (TypeError, ValueError):
            pass


def _log_training_metrics(
    call: TrainingCall,
    recorder: Recorder,
    estimator: Any,
    model: Any,
    X: Any,
    y: Any,
    sample_weight: Any,
    plots: bool,
) -> Any:
    """Metrics from one prediction pass; returns the predictions (reused for the signature).

    ``model`` is what predicts: the estimator itself, or a refitted search's best estimator
    (the search's predict and predict_proba hand over to it; asking it directly skips the
    search's own checks, which cost as much as the prediction)."""
    import sklearn.base as base

    kind = "classifier" if base.is_classifier(estimator) else "regressor" if base.is_regressor(estimator) else None
    if kind is None and _is_clusterer(estimator):
        return _log_clusterer(call, recorder, estimator, X)
    if kind is None or y is None or not hasattr(model, "predict"):
        return None
    proba = y_pred = None
    if kind == "classifier" and predicts_argmax(model):
        with recorder.suppressed(), safe("sklearn predict_proba"):
            proba = model.predict_proba(X)
            # this estimator's predict is the argmax of these: one pass gives both
            y_pred = model.classes_.take(proba.argmax(axis=1))
    if y_pred is None:
        with recorder.suppressed():
            y_pred = model.predict(X)
    metrics: dict[str, float] = {}
    if kind == "classifier":
        if proba is None and hasattr(model, "predict_proba"):
            with recorder.suppressed(), safe("sklearn predict_proba"):
                proba = model.predict_proba(X)
        found, curves = _metrics.classification(y, y_pred, proba, getattr(model, "classes_", None))
        metrics.update(found)
        default_score = "accuracy_score"
        if plots and curves:
            with safe("sklearn plots"):
                _log_plots(call, curves)
    else:
        metrics.update(_metrics.regression(y, y_pred))
        default_score = "r2_score"
    scorer = estimator
    if model is not estimator and getattr(estimator, "scoring", "") is None:
        scorer = model  # a search with no scoring of its own scores with its best estimator's
    if sample_weight is None and default_score in metrics and _own_score(scorer, kind) is None:
        metrics["score"] = metrics[default_score]  # the mixin's score is exactly this metric
    else:
        with recorder.suppressed(), safe("sklearn training score"):
            metrics["score"] = float(scorer.score(X, y))
    call.log_metrics({f"training_{k}": v for k, v in metrics.items()})
    return y_pred


#: sklearn classifiers whose ``predict`` is, by its definition, the class of highest
#: ``predict_proba`` (ties included); tests check this against the installed sklearn
ARGMAX_CLASSIFIERS = frozenset({
    "LogisticRegression", "LogisticRegressionCV", "RandomForestClassifier", "ExtraTreesClassifier",
    "DecisionTreeClassifier", "ExtraTreeClassifier", "HistGradientBoostingClassifier",
    "GaussianNB", "MultinomialNB", "BernoulliNB", "ComplementNB", "CategoricalNB",
})  # fmt: skip


def predicts_argmax(model: Any) -> bool:
    """Whether ``model`` (exactly one of ``ARGMAX_CLASSIFIERS``, not a subclass that may
    predict otherwise) gives its predictions from its probabilities, for one output."""
    cls = type(model)
    return (
        cls.__name__ in ARGMAX_CLASSIFIERS
        and cls.__module__.startswith("sklearn.")
        and getattr(model, "n_outputs_", 1) == 1
        and getattr(getattr(model, "classes_", None), "ndim", 0) == 1
    )


def _is_clusterer(estimator: Any) -> bool:
    import sklearn.base as base

    check = getattr(base, "is_clusterer", None)
    if check is not None:
        return bool(check(estimator))
    return getattr(estimator, "_estimator_type", None) == "clusterer"


def _own_score(estimator: Any, kind: str) -> Any:
    """The estimator's score method when it is not the mixin's default (else None)."""
    from sklearn.base import ClassifierMixin, RegressorMixin

    mixin = ClassifierMixin if kind == "classifier" else RegressorMixin
    defined = inspect.getattr_static(type(estimator), "score", None)
    default = vars(mixin).get("score")
    unwrap = getattr(defined, "__wrapped__", defined)
    return None if unwrap is getattr(default, "__wrapped__", default) else defined


def _log_clusterer(call: TrainingCall, recorder: Recorder, estimator: Any, X: Any) -> Any:
    labels = getattr(estimator, "labels_", None)
    if labels is None:
        return None
    metrics = {}
    with recorder.suppressed():
        value = _metrics.silhouette(X, labels)
    if value is not None:
        metrics["training_silhouette_score"] = value
    if callable(getattr(estimator, "score", None)):
        with recorder.suppressed(), safe("sklearn training score"):
            metrics["training_score"] = float(estimator.score(X))
    call.log_metrics(metrics)
    return labels


def _log_plots(call: TrainingCall, curves: dict[str, Any]) -> None:
    svgs = [_plots.confusion_matrix_svg(curves["confusion_matrix"], list(curves["labels"]))]
    if curves.get("roc"):
        svgs.append(
            _plots.curve_svg(curves["roc"], "ROC curve (training data)", "false positive rate", "true positive rate", diagonal=True)
        )
    if curves.get("pr"):
        svgs.append(_plots.curve_svg(curves["pr"], "Precision-recall curve (training data)", "recall", "precision"))
    call.log_text(_plots.panels(svgs), PLOTS_FILE)


def _log_model(call: TrainingCall, recorder: Recorder, model: Any, X: Any, predictions: Any) -> None:
    config = recorder.config
    signature = example = None
    if X is not None and (config.log_signatures or config.log_input_examples):
        example = _head(X, SIGNATURE_ROWS)
    if config.log_signatures and example is not None:
        import autolog

        output = None
        if predictions is not None and hasattr(predictions, "__len__") and len(predictions) >= SIGNATURE_ROWS:
            output = _head(predictions, SIGNATURE_ROWS)
        elif hasattr(model, "predict"):
            with recorder.suppressed(), safe("sklearn signature prediction"):
                output = model.predict(example)
        with safe("sklearn signature"):
            signature = autolog.infer_signature(example, output)
    call.log_model(model, signature=signature, input_example=example if config.log_input_examples else None)


def _head(data: Any, n: int) -> Any:
    if hasattr(data, "iloc"):
        return data.iloc[:n]
    try:
        return data[:n]
    except (TypeError, KeyError, IndexError):
        return None
