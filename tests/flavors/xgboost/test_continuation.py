"""xgboost autologging of training that continues a model (``xgb_model=...``) and of early
stopping that keeps the best round (``EarlyStopping(save_best=True)``): steps and iterations
count every boosting round of the booster, as xgboost's own ``best_iteration`` does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

import autolog

BASE_ROUNDS = 6


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    # noisy labels: the validation loss turns within a few dozen rounds, so early stopping stops
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    return X, y


@pytest.fixture
def autologged() -> Iterator[None]:
    from autolog.autologging import _recorder, _safe

    _safe.strict(True)
    autolog.enable(flavors=["xgboost"], log_models=False)
    try:
        yield
    finally:
        autolog.disable()
        _safe.strict(None)
        _recorder.reset()


class Epochs(xgb.callback.TrainingCallback):
    """Counts the rounds this training ran (xgboost's epochs restart at 0 on continuation)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.count += 1
        return False


def _early_stopping() -> xgb.callback.EarlyStopping:
    return xgb.callback.EarlyStopping(rounds=3, save_best=True)


def _steps(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in autolog.Client().get_metric_history(run_id, key)]


def _base(data: Any) -> xgb.XGBClassifier:
    X, y = data
    return xgb.XGBClassifier(n_estimators=BASE_ROUNDS, max_depth=2, n_jobs=1).fit(X, y)


# how fit(xgb_model=...) may name the model it continues
CONTINUED: dict[str, Callable[[xgb.XGBClassifier, Path], Any]] = {
    "estimator": lambda model, tmp: model,
    "booster": lambda model, tmp: model.get_booster(),
    "file": lambda model, tmp: (model.save_model(tmp / "base.json"), str(tmp / "base.json"))[1],
}


@pytest.mark.parametrize("kind", sorted(CONTINUED))
def test_fit_continuing_a_model_logs_steps_from_its_rounds(
    autologged: None, data: Any, tmp_path: Path, kind: str
) -> None:
    X, y = data
    previous = CONTINUED[kind](_base(data), tmp_path)
    epochs = Epochs()
    model = xgb.XGBClassifier(
        n_estimators=200, max_depth=3, learning_rate=0.5, n_jobs=1, callbacks=[epochs, _early_stopping()]
    )
    with autolog.start_run() as run:
        model.fit(X[:200], y[:200], eval_set=[(X[200:], y[200:])], verbose=False, xgb_model=previous)
    autolog.flush()
    stored = autolog.get_run(run.info.run_id)
    curve = model.evals_result()["validation_0"]["logloss"]
    assert 0 < epochs.count < 200 - BASE_ROUNDS, "the data should stop early"
    points = _steps(run.info.run_id, "validation_0-logloss")
    assert [s for s, _ in points] == list(range(BASE_ROUNDS, BASE_ROUNDS + epochs.count))
    assert [v for _, v in points] == pytest.approx(curve)
    best = model.best_iteration
    assert best >= BASE_ROUNDS
    metrics = stored.data.metrics
    assert metrics["best_iteration"] == best
    assert metrics["best_validation_0-logloss"] == pytest.approx(curve[best - BASE_ROUNDS])
    assert metrics["best_validation_0-logloss"] == pytest.approx(model.best_score)
    assert metrics["stopped_iteration"] == BASE_ROUNDS + epochs.count - 1


def test_save_best_reports_the_round_training_stopped_at(autologged: None, data: Any) -> None:
    X, y = data
    epochs = Epochs()
    model = xgb.XGBClassifier(
        n_estimators=200, max_depth=3, learning_rate=0.5, n_jobs=1, callbacks=[epochs, _early_stopping()]
    )
    with autolog.start_run() as run:
        model.fit(X[:200], y[:200], eval_set=[(X[200:], y[200:])], verbose=False)
    autolog.flush()
    metrics = autolog.get_run(run.info.run_id).data.metrics
    # save_best cut the booster back to the best round; training went on past it
    assert model.get_booster().num_boosted_rounds() == model.best_iteration + 1 < epochs.count
    assert metrics["best_iteration"] == model.best_iteration
    assert metrics["stopped_iteration"] == epochs.count - 1


def test_train_continuing_model_bytes_logs_steps_from_its_rounds(autologged: None, data: Any) -> None:
    X, y = data
    previous = _base(data).get_booster().save_raw("ubj")
    dtrain, dvalid = xgb.DMatrix(X[:200], label=y[:200]), xgb.DMatrix(X[200:], label=y[200:])
    epochs = Epochs()
    evals_result: dict[str, Any] = {}
    with autolog.start_run() as run:
        booster = xgb.train(
            {"max_depth": 3, "eta": 0.5, "objective": "binary:logistic", "nthread": 1},
            dtrain,
            num_boost_round=200,
            evals=[(dvalid, "valid")],
            evals_result=evals_result,
            verbose_eval=False,
            xgb_model=previous,
            callbacks=[epochs, _early_stopping()],
        )
    autolog.flush()
    curve = evals_result["valid"]["logloss"]
    points = _steps(run.info.run_id, "valid-logloss")
    assert [s for s, _ in points] == list(range(BASE_ROUNDS, BASE_ROUNDS + epochs.count))
    best = int(booster.attr("best_iteration"))
    metrics = autolog.get_run(run.info.run_id).data.metrics
    assert metrics["best_iteration"] == best >= BASE_ROUNDS
    assert metrics["best_valid-logloss"] == pytest.approx(curve[best - BASE_ROUNDS])
    assert metrics["stopped_iteration"] == BASE_ROUNDS + epochs.count - 1


def test_continuing_an_early_stopped_model_without_early_stopping_reports_none(
    autologged: None, data: Any
) -> None:
    X, y = data
    stopped = xgb.XGBClassifier(n_estimators=200, max_depth=3, learning_rate=0.5, n_jobs=1, callbacks=[_early_stopping()])
    stopped.fit(X[:200], y[:200], eval_set=[(X[200:], y[200:])], verbose=False)
    with autolog.start_run() as run:
        # the continued model carries its best_iteration attribute; this training has no early stopping
        xgb.XGBClassifier(n_estimators=4, max_depth=2, n_jobs=1).fit(
            X, y, eval_set=[(X, y)], verbose=False, xgb_model=stopped
        )
    autolog.flush()
    metrics = autolog.get_run(run.info.run_id).data.metrics
    assert not {"best_iteration", "best_score", "stopped_iteration"} & set(metrics)
    start = stopped.get_booster().num_boosted_rounds()
    assert [s for s, _ in _steps(run.info.run_id, "validation_0-logloss")] == list(range(start, start + 4))
