"""Search CV under autolog: one parent run with the summary, child runs for the best candidates."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autolog
from autolog.testing import autologged, flavor_runs


@pytest.fixture
def sk() -> Iterator[None]:
    with autologged("sklearn", max_tuning_runs=2):
        yield


@pytest.fixture(scope="module")
def data() -> Any:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    return X, y


def _split(runs: list[Any]) -> tuple[Any, list[Any]]:
    parents = [r for r in runs if r.info.parent_run_id is None]
    assert len(parents) == 1, [r.info.run_name for r in runs]
    return parents[0], [r for r in runs if r.info.parent_run_id == parents[0].info.run_id]


def test_grid_search_parent_and_top_children(sk: None, data: Any) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = data
    search = GridSearchCV(LogisticRegression(), {"C": [0.001, 0.1, 10.0]}, cv=3).fit(X, y)
    runs = flavor_runs("sklearn")
    assert len(runs) == 3  # parent + max_tuning_runs children; no run per inner fit
    parent, children = _split(runs)
    assert parent.info.run_name == "GridSearchCV"
    assert parent.data.params["best_C"] == str(search.best_params_["C"])
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.data.metrics["training_accuracy_score"] == pytest.approx(search.score(X, y))
    ranked = np.argsort(search.cv_results_["rank_test_score"], kind="stable")[:2]
    assert sorted(c.data.params["C"] for c in children) == sorted(
        str(search.cv_results_["params"][i]["C"]) for i in ranked
    )
    for child in children:
        i = [str(p["C"]) for p in search.cv_results_["params"]].index(child.data.params["C"])
        assert child.data.metrics["mean_test_score"] == pytest.approx(search.cv_results_["mean_test_score"][i])
        assert child.data.metrics["std_test_score"] == pytest.approx(search.cv_results_["std_test_score"][i])
    text = Path(autolog.Client().download_artifacts(parent.info.run_id, "cv_results.csv")).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3 and "mean_test_score" in rows[0]
    # the model is the best estimator, refitted
    loaded = autolog.load_model(f"runs:/{parent.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X), search.best_estimator_.predict(X))


def test_randomized_search_with_a_pipeline_and_multimetric_refit(sk: None, data: Any) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RandomizedSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = data
    search = RandomizedSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression()),
        {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]},
        n_iter=3,
        cv=3,
        scoring=["accuracy", "f1"],
        refit="f1",
        random_state=0,
    ).fit(X, y)
    parent, children = _split(flavor_runs("sklearn"))
    assert parent.info.run_name == "RandomizedSearchCV"
    assert parent.data.params["best_logisticregression__C"] == str(search.best_params_["logisticregression__C"])
    assert len(children) == 2
    assert all("mean_test_f1" in c.data.metrics and "mean_test_accuracy" in c.data.metrics for c in children)
    assert {c.data.tags["rank"] for c in children} == {"1", "2"} or len({c.data.tags["rank"] for c in children}) <= 2


def test_halving_search(sk: None, data: Any) -> None:
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X, y = data
    search = HalvingGridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3, 4]}, cv=3, random_state=0).fit(X, y)
    parent, children = _split(flavor_runs("sklearn"))
    assert parent.data.params["best_max_depth"] == str(search.best_params_["max_depth"])
    assert 1 <= len(children) <= 2


def test_max_tuning_runs_zero_logs_no_children(data: Any) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = data
    with autologged("sklearn", max_tuning_runs=0, log_models=False):
        GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    assert [r.info.run_name for r in flavor_runs("sklearn")] == ["GridSearchCV"]
