"""sklearn autologging from the outside: fit real estimators, read what the store holds."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autolog
from autolog.errors import AutologWarning
from autolog.testing import autologged, flavor_runs


@pytest.fixture
def sk() -> Iterator[None]:
    with autologged("sklearn"):
        yield


@pytest.fixture(scope="module")
def data() -> Any:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=200) > 0).astype(int)
    return X, y


def _only_run() -> Any:
    runs = flavor_runs("sklearn")
    assert len(runs) == 1, [r.info.run_name for r in runs]
    return runs[0]


def _artifacts(run: Any) -> set[str]:
    return {f.path for f in autolog.Client().list_artifacts(run.info.run_id)}


def test_classifier_fit_leaves_params_metrics_tags_artifacts_and_a_loadable_model(sk: None, data: Any) -> None:
    from sklearn import metrics
    from sklearn.linear_model import LogisticRegression

    X, y = data
    model = LogisticRegression(C=0.5).fit(X, y)
    run = _only_run()
    assert run.info.status.value == "FINISHED" and run.info.run_name == "LogisticRegression"
    assert run.data.params["C"] == "0.5" and run.data.params["solver"] == "lbfgs"
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert [r.info.run_id for r in autolog.search_runs(filter_string="params.solver = 'lbfgs'")] == [run.info.run_id]
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert run.data.tags["dataset_shape"] == "200x5"
    m = run.data.metrics
    pred, proba = model.predict(X), model.predict_proba(X)
    assert m["training_accuracy_score"] == pytest.approx(metrics.accuracy_score(y, pred))
    assert m["training_f1_score"] == pytest.approx(metrics.f1_score(y, pred, average="weighted"))
    assert m["training_precision_score"] == pytest.approx(metrics.precision_score(y, pred, average="weighted"))
    assert m["training_recall_score"] == pytest.approx(metrics.recall_score(y, pred, average="weighted"))
    assert m["training_log_loss"] == pytest.approx(metrics.log_loss(y, proba))
    assert m["training_roc_auc"] == pytest.approx(metrics.roc_auc_score(y, proba[:, 1]))
    assert m["training_score"] == pytest.approx(model.score(X, y))
    assert _artifacts(run) == {"model", "training_evaluation.svg"}
    assert run.data.tags["dataset_dtype"] == "float64"
    svg = Path(autolog.Client().download_artifacts(run.info.run_id, "training_evaluation.svg")).read_text()
    assert svg.startswith("<svg") and svg.count("<svg") == 4  # matrix, ROC, precision-recall
    assert "ROC curve" in svg and "Precision-recall" in svg and "predicted" in svg
    import xml.etree.ElementTree as ET

    ET.fromstring(svg)  # well-formed
    loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X), pred)


def test_multiclass_metrics_match_sklearn(sk: None) -> None:
    from sklearn import metrics
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_iris(return_X_y=True)
    y = np.array(["setosa", "versicolor", "virginica"])[y]
    model = RandomForestClassifier(n_estimators=5, max_depth=2, random_state=0).fit(X, y)
    m = _only_run().data.metrics
    pred, proba = model.predict(X), model.predict_proba(X)
    assert m["training_accuracy_score"] == pytest.approx(metrics.accuracy_score(y, pred))
    assert m["training_f1_score"] == pytest.approx(metrics.f1_score(y, pred, average="weighted"))
    assert m["training_log_loss"] == pytest.approx(metrics.log_loss(y, proba))
    assert m["training_roc_auc"] == pytest.approx(
        metrics.roc_auc_score(y, proba, multi_class="ovr", average="weighted")
    )


def _argmax_classifiers() -> list[Any]:
    from sklearn.utils import all_estimators

    from autolog.flavors.sklearn._autolog import ARGMAX_CLASSIFIERS

    found = {name: cls for name, cls in all_estimators(type_filter="classifier") if name in ARGMAX_CLASSIFIERS}
    assert set(found) == ARGMAX_CLASSIFIERS, "a listed classifier is missing from this sklearn"
    return [found[name] for name in sorted(found)]


@pytest.mark.parametrize("classes", [2, 3])
def test_classifiers_predicted_from_probabilities_predict_exactly_so(classes: int) -> None:
    """Training metrics take these classifiers' predictions from one predict_proba pass:
    that must be what their predict returns, on ties too (repeated rows, coarse features)."""
    from autolog.flavors.sklearn._autolog import predicts_argmax

    rng = np.random.default_rng(1)
    X = rng.integers(0, 3, size=(300, 4)).astype(float)  # non-negative, categorical-like
    y = np.array(["a", "b", "c"])[(X[:, 0] + X[:, 1] + rng.integers(0, 2, size=300)).astype(int) % classes]
    for cls in _argmax_classifiers():
        kwargs = {"random_state": 0} if "random_state" in cls().get_params() else {}
        if "max_iter" in cls().get_params():
            kwargs["max_iter"] = 50
        with warnings.catch_warnings():  # sklearn's own notices (convergence, new defaults)
            warnings.simplefilter("ignore")
            model = cls(**kwargs).fit(X, y)

        assert predicts_argmax(model), cls.__name__
        from_proba = model.classes_.take(model.predict_proba(X).argmax(axis=1))
        np.testing.assert_array_equal(from_proba, model.predict(X), err_msg=cls.__name__)


def test_a_subclass_of_a_listed_classifier_predicts_for_itself(sk: None, data: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    from autolog.flavors.sklearn._autolog import predicts_argmax

    class Shifted(LogisticRegression):
        def predict(self, X: Any) -> Any:
            return np.zeros(len(X), dtype=int)  # not the argmax of its probabilities

    X, y = data
    model = Shifted().fit(X, y)
    assert not predicts_argmax(model)
    assert _only_run().data.metrics["training_accuracy_score"] == pytest.approx(float(np.mean(y == 0)))


def test_regressor_metrics_and_curves(sk: None, data: Any) -> None:
    from sklearn import metrics
    from sklearn.ensemble import GradientBoostingRegressor

    X, _ = data
    target = X @ np.arange(1.0, 6.0)
    model = GradientBoostingRegressor(n_estimators=12, random_state=0).fit(X, target)
    run = _only_run()
    pred = model.predict(X)
    m = run.data.metrics
    assert m["training_mean_squared_error"] == pytest.approx(metrics.mean_squared_error(target, pred))
    assert m["training_root_mean_squared_error"] == pytest.approx(metrics.mean_squared_error(target, pred) ** 0.5)
    assert m["training_mean_absolute_error"] == pytest.approx(metrics.mean_absolute_error(target, pred))
    assert m["training_r2_score"] == pytest.approx(metrics.r2_score(target, pred))
    assert m["training_score"] == pytest.approx(model.score(X, target))
    history = autolog.Client().get_metric_history(run.info.run_id, "training_score_curve")
    assert [p.step for p in history] == list(range(12))
    assert [p.value for p in history] == pytest.approx(list(model.train_score_))
    assert "training_evaluation.svg" not in _artifacts(run)


def test_mlp_loss_and_validation_curves(sk: None, data: Any) -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=15, early_stopping=True, random_state=0).fit(X, y)
    run = _only_run()
    client = autolog.Client()
    losses = client.get_metric_history(run.info.run_id, "training_loss")
    assert [p.value for p in losses] == pytest.approx(model.loss_curve_)
    assert len(client.get_metric_history(run.info.run_id, "validation_score")) == len(model.validation_scores_)
    assert run.data.metrics["n_iter"] == model.n_iter_


def test_clusterer_logs_silhouette_and_score(sk: None, data: Any) -> None:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    X, _ = data
    model = KMeans(n_clusters=3, n_init=2, random_state=0).fit(X)
    m = _only_run().data.metrics
    assert m["training_silhouette_score"] == pytest.approx(silhouette_score(X, model.labels_))
    assert m["training_score"] == pytest.approx(model.score(X))


def test_fit_transform_defined_separately_is_recorded(sk: None, data: Any) -> None:
    from sklearn.decomposition import PCA

    X, _ = data
    out = PCA(n_components=2).fit_transform(X)
    assert out.shape == (200, 2)
    run = _only_run()
    assert run.info.run_name == "PCA" and run.data.params["n_components"] == "2"


def test_long_param_values_are_truncated_with_a_marker(sk: None, data: Any) -> None:
    from sklearn.preprocessing import FunctionTransformer

    X, _ = data
    FunctionTransformer(kw_args={"pad": "x" * 10_000}).fit(X)
    value = _only_run().data.params["kw_args"]
    assert len(value) <= 500 and value.endswith("...[truncated]")


def test_pipeline_logs_one_run_with_its_stages_and_columns(sk: None, mixed_frame: Any) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame, label = mixed_frame
    prep = ColumnTransformer([("num", StandardScaler(), ["age", "visits"]), ("cat", OneHotEncoder(), ["city"])])
    Pipeline([("prep", prep), ("clf", LogisticRegression())]).fit(frame, label)
    run = _only_run()  # the steps' own fits opened nothing
    assert run.info.run_name == "Pipeline"
    assert run.data.params["pipeline_stages"] == "prep:ColumnTransformer -> clf:LogisticRegression"
    assert run.data.params["clf__C"] == "1.0"
    structure = json.loads(
        Path(autolog.Client().download_artifacts(run.info.run_id, "pipeline.json")).read_text()
    )
    prep_stage = structure["steps"][0]
    assert [(t["name"], t["class"], t["columns"]) for t in prep_stage["transformers"]] == [
        ("num", "StandardScaler", ["age", "visits"]),
        ("cat", "OneHotEncoder", ["city"]),
    ]
    dataset = json.loads(Path(autolog.Client().download_artifacts(run.info.run_id, "dataset.json")).read_text())
    assert dataset["X"]["columns"] == {c: str(t) for c, t in frame.dtypes.items()}
    assert list(dataset["X"]["columns"]) == ["age", "visits", "city"]
    assert len(dataset["digest"]) == 32


def test_dataset_digest_follows_the_content(sk: None, data: Any) -> None:
    from sklearn.linear_model import Ridge

    X, y = data
    Ridge().fit(X, y)
    Ridge().fit(X.copy(), y)
    X2 = X.copy()
    X2[0, 0] += 1
    Ridge().fit(X2, y)
    digests = [r.data.tags["dataset_digest"] for r in sorted(flavor_runs("sklearn"), key=lambda r: r.info.start_time)]
    assert digests[0] == digests[1] != digests[2]


def test_nested_fits_open_no_extra_runs(sk: None, data: Any) -> None:
    from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.multiclass import OneVsRestClassifier

    X, y = data
    RandomForestClassifier(n_estimators=4, n_jobs=2, random_state=0).fit(X, y)  # trees in threads
    BaggingClassifier(LogisticRegression(), n_estimators=3, random_state=0).fit(X, y)
    OneVsRestClassifier(LogisticRegression()).fit(X, y)
    cross_val_score(LogisticRegression(), X, y, cv=3)
    names = sorted(r.info.run_name for r in flavor_runs("sklearn"))
    assert names == ["BaggingClassifier", "OneVsRestClassifier", "RandomForestClassifier"]


def test_first_fit_in_a_user_run_logs_there_later_fits_get_child_runs(sk: None, data: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    X, y = data
    with autolog.start_run(run_name="tuning") as mine:
        for c in (0.1, 1.0, 10.0):
            LogisticRegression(C=c).fit(X, y)
        assert autolog.active_run().info.run_id == mine.info.run_id
    runs = {r.info.run_id: r for r in flavor_runs("sklearn")}
    parent = runs.pop(mine.info.run_id)
    assert parent.data.params["C"] == "0.1" and parent.info.status.value == "FINISHED"
    assert sorted(r.data.params["C"] for r in runs.values()) == ["1.0", "10.0"]
    assert {r.info.parent_run_id for r in runs.values()} == {mine.info.run_id}


def test_user_error_in_fit_arrives_unchanged_and_the_run_is_failed(sk: None) -> None:
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(ValueError) as raised:
        LogisticRegression().fit(np.array([[np.nan, 1.0], [1.0, 2.0]]), [0, 1])
    assert "NaN" in str(raised.value)
    assert _only_run().info.status.value == "FAILED"
    assert autolog.active_run() is None


def test_threads_training_in_parallel_log_into_their_own_runs(sk: None, data: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    X, y = data
    LogisticRegression().fit(X, y)
    errors: list[BaseException] = []

    def work(c: float) -> None:
        try:
            LogisticRegression(C=c).fit(X, y)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in (0.01, 0.1, 1.0, 10.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    runs = flavor_runs("sklearn")
    assert sorted(r.data.params["C"] for r in runs) == ["0.01", "0.1", "1.0", "1.0", "10.0"]
    assert all(r.info.parent_run_id is None and r.info.status.value == "FINISHED" for r in runs)


def test_options_turn_parts_off(data: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    X, y = data
    with autologged("sklearn", log_models=False, log_plots=False, log_datasets=False, extra_tags={"team": "a"}):
        LogisticRegression().fit(X, y)
    run = _only_run()
    assert _artifacts(run) == set()
    assert run.data.tags["team"] == "a" and "dataset_digest" not in run.data.tags
    assert "training_accuracy_score" in run.data.metrics


def test_onnx_format_on_request(data: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    X, y = data
    with autologged("sklearn", model_formats=["onnx"], log_input_examples=True):
        LogisticRegression().fit(X.astype(np.float32), y)
    run = _only_run()
    uri = f"runs:/{run.info.run_id}/model"
    onnx_pred = autolog.load_model(uri, flavor="onnx").predict(X[:5].astype(np.float32))
    assert len(onnx_pred) == 5


def _train_against_broken_store(data: Any) -> tuple[Any, list[Any]]:
    from sklearn.linear_model import LogisticRegression

    X, y = data
    with autologged("sklearn", strict=False), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LogisticRegression().fit(X, y)
    np.testing.assert_array_equal(model.coef_, LogisticRegression().fit(X, y).coef_)
    return model, [w for w in caught if issubclass(w.category, AutologWarning)]


def test_unusable_store_costs_one_warning_never_the_training(
    data: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "blocker").write_text("a file where the store directory should be")
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path / "blocker" / "runs"))
    _, ours = _train_against_broken_store(data)
    assert len(ours) == 1, [str(w.message) for w in ours]


#: run as root: import and warm up everything with a writable store, then become ``nobody``
#: (the interpreter under /root could not be started as nobody) and train against a store
#: that root created and nobody may only read
_AS_NOBODY = """
import json, os, pwd, sys, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
import autolog
from autolog.errors import AutologWarning
from autolog.tracking._fluent import _reset_state

warm, store = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 5))
y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=200) > 0).astype(int)
expected = LogisticRegression().fit(X, y).coef_
autolog.set_tracking_uri(store)
autolog.search_runs()  # root creates the store
autolog.set_tracking_uri(warm)
autolog.enable(flavors=["sklearn"])
LogisticRegression().fit(X, y)  # every module the logging path needs is imported now
autolog.flush()
_reset_state()
nobody = pwd.getpwnam("nobody")
os.setgroups([])
os.setgid(nobody.pw_gid)
os.setuid(nobody.pw_uid)
autolog.set_tracking_uri(store)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = LogisticRegression().fit(X, y)
ours = [str(w.message) for w in caught if issubclass(w.category, AutologWarning)]
others = [f"{w.category.__name__}: {w.message}" for w in caught if not issubclass(w.category, AutologWarning)]
print(json.dumps({"uid": os.getuid(), "ours": ours, "others": others,
                  "same": bool(np.array_equal(model.coef_, expected))}))
"""


def test_read_only_store_costs_one_warning_never_the_training_as_root(tmp_path: Path) -> None:
    """Root writes anywhere, so the read-only store is one that root made and the training
    process, turned into ``nobody``, may not write."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to switch to the unprivileged user (the chmod variant runs instead)")
    import pwd
    import shutil
    import tempfile

    try:
        pwd.getpwnam("nobody")
    except KeyError:
        pytest.fail("root without a 'nobody' user: this test needs one to drop privileges to")
    # tmp_path's parents are private to root: nobody must be able to reach the store to read it
    top = tempfile.mkdtemp(prefix="autolog-readonly-")
    try:
        os.chmod(top, 0o755)
        warm, store = tmp_path / "warm", Path(top) / "runs"
        out = subprocess.run(
            [sys.executable, "-c", _AS_NOBODY, str(warm), str(store)],
            capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(top)
    assert result["uid"] != 0
    assert result["same"] is True
    assert len(result["ours"]) == 1, result
    assert "Permission" in result["ours"][0] or "readonly" in result["ours"][0].replace("-", ""), result
    assert not any("ImportError" in w or "ModuleNotFound" in w for w in result["others"]), result


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes to read-only directories; the _as_root variant covers it")
def test_read_only_store_costs_one_warning_never_the_training(
    data: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autolog.tracking._fluent import _reset_state

    store = tmp_path / "runs"
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(store))
    _reset_state()
    autolog.search_runs()  # creates the store
    _reset_state()
    paths = [store, *store.rglob("*")]
    modes = {p: p.stat().st_mode for p in paths}
    for p in paths:
        p.chmod(modes[p] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        _, ours = _train_against_broken_store(data)
    finally:
        for p in paths:
            p.chmod(modes[p])
        _reset_state()
    assert len(ours) == 1, [str(w.message) for w in ours]


def test_disable_restores_identity_including_inherited_methods(data: Any) -> None:
    from sklearn.base import TransformerMixin
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    before = {
        (cls, name): vars(cls).get(name, "absent")
        for cls in (LogisticRegression, RandomForestClassifier, StandardScaler, TransformerMixin)
        for name in ("fit", "fit_transform", "predict", "score")
    }
    X, y = data
    with autologged("sklearn"):
        assert autolog.enabled()["sklearn"].startswith("active")
        LogisticRegression().fit(X, y)
    after = {key: vars(key[0]).get(key[1], "absent") for key in before}
    assert all(after[k] is before[k] for k in before)
    LogisticRegression().fit(X, y)
    assert len(flavor_runs("sklearn")) == 1


def test_enable_before_import_imports_nothing_and_autologs_after_import(tmp_path: Path) -> None:
    code = """
import sys, autolog
autolog.enable()
assert not any(m.split('.')[0] in ('sklearn', 'numpy', 'torch', 'xgboost', 'pandas') for m in sys.modules), \\
    sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'numpy', 'torch', 'xgboost', 'pandas'))
import numpy as np
from sklearn.tree import DecisionTreeClassifier
X = np.arange(40.0).reshape(20, 2); y = (X[:, 0] > 20).astype(int)
DecisionTreeClassifier().fit(X, y)
runs = autolog.search_runs()
assert [r.info.run_name for r in runs] == ['DecisionTreeClassifier'], runs
print('ok')
"""
    env = {**os.environ, "AUTOLOG_TRACKING_URI": str(tmp_path / "runs"), "AUTOLOG_TESTING_STRICT": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
