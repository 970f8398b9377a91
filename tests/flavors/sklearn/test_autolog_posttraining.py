"""Post-training metrics: metric calls on an autologged model's predictions land in its run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from autolog.testing import autologged, flavor_runs


@pytest.fixture
def sk() -> Iterator[None]:
    with autologged("sklearn", log_models=False, log_plots=False):
        yield


@pytest.fixture(scope="module")
def split() -> Any:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(150, 3))
    y = (X[:, 0] > 0).astype(int)
    return X[:100], X[100:], y[:100], y[100:]


def test_metric_on_predictions_is_logged_with_the_dataset_name(sk: None, split: Any) -> None:
    from sklearn import metrics
    from sklearn.linear_model import LogisticRegression

    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    predicted = model.predict(X_test)
    acc = metrics.accuracy_score(y_test, predicted)
    f1 = metrics.f1_score(y_test, predicted)
    auc = metrics.roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    unrelated = metrics.accuracy_score(y_test, y_test)  # not a prediction of the model
    (run,) = flavor_runs("sklearn")
    m = run.data.metrics
    assert m["accuracy_score_X_test"] == pytest.approx(acc)
    assert m["f1_score_X_test"] == pytest.approx(f1)
    assert unrelated == 1.0 and not any(k.startswith("accuracy_score_X_test-") for k in m)
    # roc_auc used predict_proba(...)[:, 1], a new array: not tracked (documented pitfall)
    assert auc > 0.5 and "roc_auc_score_X_test" not in m
    assert run.info.status.value == "FINISHED"


def test_model_score_is_logged_once(sk: None, split: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    value = model.score(X_test, y_test)
    (run,) = flavor_runs("sklearn")
    assert run.data.metrics["LogisticRegression_score_X_test"] == pytest.approx(value)
    assert "accuracy_score_X_test" not in run.data.metrics  # score's own metric call is not logged again


def test_repeated_metric_calls_get_numbered_keys(sk: None, split: Any) -> None:
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error

    X_train, X_test, y_train, y_test = split
    model = Ridge().fit(X_train, y_train)
    first = mean_squared_error(y_test, model.predict(X_test))
    again = mean_squared_error(y_test, model.predict(X_test) + 1.0)  # a new array: not tracked
    second = mean_squared_error(y_test, model.predict(X_test))
    X_small = X_test[:20]
    small = mean_squared_error(y_test[:20], model.predict(X_small))
    anonymous = mean_squared_error(y_test[:10], model.predict(X_test[:10]))
    (run,) = flavor_runs("sklearn")
    m = run.data.metrics
    assert m["mean_squared_error_X_test"] == pytest.approx(first)
    assert m["mean_squared_error_X_test-2"] == pytest.approx(second) and again != second
    assert m["mean_squared_error_X_small"] == pytest.approx(small)
    assert m["mean_squared_error_dataset"] == pytest.approx(anonymous)


def test_models_not_fitted_under_autolog_log_nothing(split: Any) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    with autologged("sklearn"):
        accuracy_score(y_test, model.predict(X_test))
    assert flavor_runs("sklearn") == []
