"""xgboost autologging: train() and the scikit-learn API each leave one complete run."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

import autolog
from autolog.testing import AutologConformance
from autolog.testing._autolog import flavor_runs

IMPORTANCE_TYPES = {"weight", "gain", "cover", "total_gain", "total_cover"}


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 5)).astype(np.float32)
    y = (X[:, 0] - X[:, 2] + 0.3 * rng.normal(size=400) > 0).astype(int)
    return X, y


@pytest.fixture
def autologged() -> Iterator[None]:
    from autolog.autologging import _recorder, _safe

    _safe.strict(True)
    autolog.enable(flavors=["xgboost"])
    try:
        yield
    finally:
        autolog.disable()
        _safe.strict(None)
        _recorder.reset()


def _one_run() -> Any:
    runs = flavor_runs("xgboost")
    assert len(runs) == 1, [r.info.run_name for r in runs]
    return runs[0]


def _history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in autolog.Client().get_metric_history(run_id, key)]


def _artifact_json(run: Any, path: str) -> Any:
    local = autolog.Client().download_artifacts(run.info.run_id, path)
    return json.loads(Path(local).read_text())


class Recording(xgb.callback.TrainingCallback):
    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[int] = []

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.epochs.append(epoch)
        return False


def test_train_logs_params_curves_importance_and_model(autologged: None, data: Any) -> None:
    X, y = data
    dtrain, dvalid = xgb.DMatrix(X[:300], label=y[:300]), xgb.DMatrix(X[300:], label=y[300:])
    user_callbacks = [Recording()]
    evals_result: dict[str, Any] = {}
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 3, "eval_metric": ["logloss", "error"]},
        dtrain,
        num_boost_round=12,
        evals=[(dtrain, "train"), (dvalid, "valid")],
        evals_result=evals_result,
        verbose_eval=False,
        callbacks=user_callbacks,
    )
    assert len(user_callbacks) == 1 and user_callbacks[0].epochs == list(range(12))
    run = _one_run()
    assert run.info.run_name == "Booster" and run.info.status.value == "FINISHED"
    params = run.data.params
    assert params["max_depth"] == "3" and params["num_boost_round"] == "12"
    assert params["objective"] == "binary:logistic"
    assert params["eval_metric"] == "[logloss, error]"
    assert params["subsample"] == "1" and params["booster"] == "gbtree"  # defaults that applied
    for name in ("train", "valid"):
        for metric in ("logloss", "error"):
            points = _history(run.info.run_id, f"{name}-{metric}")
            assert [s for s, _ in points] == list(range(12))
            assert [v for _, v in points] == pytest.approx(evals_result[name][metric])
    assert "best_iteration" not in run.data.metrics  # no early stopping asked
    importance = _artifact_json(run, "feature_importance.json")
    assert set(importance) == IMPORTANCE_TYPES
    assert importance["weight"] == pytest.approx(booster.get_score(importance_type="weight"))
    loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(X), booster.predict(xgb.DMatrix(X)))
    assert loaded.signature is not None


def test_fit_logs_one_run_with_eval_sets_and_early_stopping(autologged: None, data: Any) -> None:
    X, y = data
    recording = Recording()
    model = xgb.XGBClassifier(
        n_estimators=200, max_depth=2, learning_rate=0.3, early_stopping_rounds=3, callbacks=[recording]
    )
    model.fit(X[:300], y[:300], eval_set=[(X[:300], y[:300]), (X[300:], y[300:])], verbose=False)
    assert recording.epochs, "the user's callback was not called"
    run = _one_run()  # train() under fit opened nothing of its own
    assert run.info.run_name == "XGBClassifier"
    assert run.data.tags["estimator_class"] == "xgboost.sklearn.XGBClassifier"
    params = run.data.params
    assert params["n_estimators"] == "200" and params["early_stopping_rounds"] == "3"
    assert params["eval_metric"] == "logloss" and params["tree_method"] == "auto"
    result = model.evals_result()
    for index in (0, 1):
        points = _history(run.info.run_id, f"validation_{index}-logloss")
        assert len(points) == len(recording.epochs)
        assert [v for _, v in points] == pytest.approx(result[f"validation_{index}"]["logloss"])
    metrics = run.data.metrics
    best = model.best_iteration
    assert best < 199, "the data should stop early"
    assert metrics["best_iteration"] == best and metrics["best_score"] == pytest.approx(model.best_score)
    assert metrics["best_validation_1-logloss"] == pytest.approx(result["validation_1"]["logloss"][best])
    assert metrics["stopped_iteration"] == len(recording.epochs) - 1
    assert set(_artifact_json(run, "feature_importance.json")) == IMPORTANCE_TYPES
    loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.signature is not None


def test_regressor_and_nested_train_in_user_run(autologged: None, data: Any) -> None:
    X, y = data
    with autolog.start_run(run_name="mine") as run:
        model = xgb.XGBRegressor(n_estimators=5).fit(X, y.astype(float))
    assert len(autolog.search_runs()) == 1  # logged into the user's run, no child, no second run
    stored = autolog.get_run(run.info.run_id)
    assert stored.data.params["n_estimators"] == "5"
    loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-6)


def test_log_models_off_logs_no_model(data: Any) -> None:
    X, y = data
    autolog.enable(flavors=["xgboost"], log_models=False)
    try:
        xgb.XGBClassifier(n_estimators=3).fit(X, y)
    finally:
        autolog.disable()
    run = _one_run()
    assert [f.path for f in autolog.Client().list_artifacts(run.info.run_id)] == ["feature_importance.json"]


def test_gblinear_logs_the_importance_it_has(autologged: None, data: Any) -> None:
    X, y = data
    xgb.train({"booster": "gblinear"}, xgb.DMatrix(X, label=y), 3)
    assert set(_artifact_json(_one_run(), "feature_importance.json")) == {"weight"}


class TestXGBoostConformance(AutologConformance):
    flavor = "xgboost"

    @pytest.fixture
    def train(self, data: Any) -> Callable[[], Any]:
        X, y = data
        return lambda: xgb.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(X, y, eval_set=[(X, y)], verbose=False)

    @pytest.fixture
    def train_raising(self, data: Any) -> Callable[[BaseException], Any]:
        X, y = data

        class Raising(xgb.callback.TrainingCallback):
            def __init__(self, error: BaseException) -> None:
                super().__init__()
                self.error = error

            def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
                raise self.error

        def run(error: BaseException) -> None:
            xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=y), 3, callbacks=[Raising(error)])

        return run

    def assert_same_result(self, expected: Any, actual: Any) -> None:
        assert type(expected) is type(actual)
        assert expected.get_booster().save_raw("json") == actual.get_booster().save_raw("json")
