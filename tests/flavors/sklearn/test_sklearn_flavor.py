"""The sklearn flavor: pickle and ONNX round trips, handles(), errors, and end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

import autolog
from autolog.errors import InvalidInputError, ModelError
from autolog.flavors.onnx import OnnxFlavor
from autolog.flavors.sklearn import SklearnFlavor
from autolog.testing import FlavorConformance

# skl2onnx reads SVC's probA_/probB_, which scikit-learn 1.9 deprecates
pytestmark = pytest.mark.filterwarnings(
    "ignore:Attribute `prob[AB]_` was deprecated:FutureWarning"
)


class MajorityClassifier(ClassifierMixin, BaseEstimator):
    """A user-written estimator: the sklearn flavor pickles it; skl2onnx cannot convert it."""

    def fit(self, X: Any, y: Any) -> MajorityClassifier:
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X: Any) -> Any:
        return np.full(len(X), self.majority_)


def _column_model(mixed_frame: Any) -> Any:
    frame, label = mixed_frame
    columns = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "visits"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    return Pipeline([("columns", columns), ("clf", LogisticRegression())]).fit(frame, label)


def _models(xy: Any, mixed_frame: Any) -> dict[str, tuple[Any, Any]]:
    X, y = xy
    return {
        "logistic": (LogisticRegression().fit(X, y), X),
        "forest": (RandomForestClassifier(n_estimators=8, random_state=0).fit(X, y), X),
        "scaler_svc": (make_pipeline(StandardScaler(), SVC()).fit(X, y), X),
        "ridge": (Ridge().fit(X, X[:, 0] * 2.0 + 1.0), X),
        "forest_regressor": (
            RandomForestRegressor(n_estimators=5, random_state=0).fit(X, X[:, 1]), X
        ),
        "column_transformer": (_column_model(mixed_frame), mixed_frame[0]),
        "grid_search": (
            GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y), X
        ),
    }


MODEL_NAMES = [
    "logistic", "forest", "scaler_svc", "ridge", "forest_regressor", "column_transformer",
    "grid_search",
]


@pytest.fixture(scope="module")
def models(xy: Any, mixed_frame: Any) -> dict[str, tuple[Any, Any]]:
    return _models(xy, mixed_frame)


@pytest.fixture(params=MODEL_NAMES)
def fitted(
    request: pytest.FixtureRequest, models: dict[str, tuple[Any, Any]]
) -> tuple[Any, Any]:
    return models[request.param]


def _round_trip(model: Any, fmt: str, data: Any, path: Path, example: Any = None) -> Any:
    meta = SklearnFlavor().save(model, path, fmt, example=example)
    json.dumps(meta)  # plain data: it goes into model.yaml
    server = OnnxFlavor() if meta.get("flavor") == "onnx" else SklearnFlavor()
    return server.predict(server.load(path, meta), data)


def test_pickle_round_trip_predicts_exactly(fitted: tuple[Any, Any], tmp_path: Path) -> None:
    model, data = fitted
    got = _round_trip(model, "pickle", data, tmp_path)
    np.testing.assert_array_equal(got, model.predict(data))


def test_onnx_round_trip_predicts_within_1e_5(fitted: tuple[Any, Any], tmp_path: Path) -> None:
    model, data = fitted
    got = np.asarray(_round_trip(model, "onnx", data, tmp_path))
    expected = model.predict(data)
    assert got.shape[0] == expected.shape[0]
    np.testing.assert_allclose(got.ravel(), expected.ravel(), rtol=1e-5, atol=1e-5)


def test_onnx_input_types_come_from_the_example(mixed_frame: Any, tmp_path: Path) -> None:
    frame, label = mixed_frame
    model = _column_model(mixed_frame)
    meta = SklearnFlavor().save(model, tmp_path, "onnx", example=frame.head(3))
    assert meta["flavor"] == "onnx"
    assert [(i["name"], i["type"]) for i in meta["inputs"]] == [
        ("age", "double"), ("visits", "int64"), ("city", "string"),
    ]
    session = OnnxFlavor().load(tmp_path, meta)
    np.testing.assert_array_equal(OnnxFlavor().predict(session, frame), model.predict(frame))


def test_onnx_without_example_types_columns_from_the_encoders(
    mixed_frame: Any, tmp_path: Path
) -> None:
    model = _column_model(mixed_frame)
    meta = SklearnFlavor().save(model, tmp_path, "onnx")
    assert [(i["name"], i["type"]) for i in meta["inputs"]] == [
        ("age", "double"), ("visits", "double"), ("city", "string"),
    ]


def test_float32_example_gives_a_float_input(xy: Any, tmp_path: Path) -> None:
    X, y = xy
    model = LogisticRegression().fit(X, y)
    meta = SklearnFlavor().save(model, tmp_path, "onnx", example=X[:2].astype(np.float32))
    assert meta["inputs"][0]["type"] == "float"
    assert meta["inputs"][0]["shape"] == [-1, 4]


def test_numeric_frame_example_gives_one_double_input(mixed_frame: Any, tmp_path: Path) -> None:
    frame, label = mixed_frame
    numeric = frame[["age", "visits"]]  # float64 and int64 columns
    model = RandomForestClassifier(n_estimators=4, random_state=0).fit(numeric, label)
    meta = SklearnFlavor().save(model, tmp_path, "onnx", example=numeric.head(2))
    assert [i["name"] for i in meta["inputs"]] == ["input"]
    served = OnnxFlavor().predict(OnnxFlavor().load(tmp_path, meta), numeric)
    np.testing.assert_array_equal(served, model.predict(numeric))


def test_onnx_conversion_failure_is_a_clear_model_error(xy: Any, tmp_path: Path) -> None:
    X, y = xy
    with pytest.raises(ModelError, match="could not convert MajorityClassifier.*'pickle'"):
        SklearnFlavor().save(MajorityClassifier().fit(X, y), tmp_path, "onnx")


def test_unknown_format_is_rejected(xy: Any, tmp_path: Path) -> None:
    X, y = xy
    with pytest.raises(InvalidInputError, match="no format 'joblib'.*pickle, onnx"):
        SklearnFlavor().save(LogisticRegression().fit(X, y), tmp_path, "joblib")


def test_pickle_metadata_records_versions(xy: Any, tmp_path: Path) -> None:
    import sklearn

    X, y = xy
    meta = SklearnFlavor().save(LogisticRegression().fit(X, y), tmp_path, "pickle")
    assert meta["files"] == ["model.pkl"] and (tmp_path / "model.pkl").is_file()
    assert meta["library_version"] == sklearn.__version__
    assert meta["estimator"].endswith("LogisticRegression")


def test_handles(xy: Any) -> None:
    X, y = xy
    flavor = SklearnFlavor()
    assert flavor.handles(LogisticRegression())
    assert flavor.handles(make_pipeline(StandardScaler(), SVC()))
    assert flavor.handles(MajorityClassifier())  # the user's own estimator
    assert not flavor.handles(LogisticRegression)  # the class, not a model
    assert not flavor.handles(X)
    assert not flavor.handles(lambda data: data)


def test_handles_leaves_xgboost_models_to_their_flavor() -> None:
    xgb = pytest.importorskip("xgboost")
    assert not SklearnFlavor().handles(xgb.XGBClassifier())


def test_end_to_end_pickle_and_onnx_through_the_model_directory(
    mixed_frame: Any, tmp_path: Path
) -> None:
    frame, label = mixed_frame
    model = _column_model(mixed_frame)
    info = autolog.save_model(model, tmp_path / "model", formats=["pickle", "onnx"])
    assert set(info.flavors) == {"sklearn", "onnx"}
    assert info.flavors["onnx"]["files"] == ["model.onnx"]

    native = autolog.load_model(tmp_path / "model")
    assert native.flavor == "sklearn"
    np.testing.assert_array_equal(native.predict(frame), model.predict(frame))

    served = autolog.load_model(tmp_path / "model", flavor="onnx")
    assert type(served.native).__name__ == "InferenceSession"
    np.testing.assert_array_equal(served.predict(frame), model.predict(frame))


def test_onnx_copy_is_served_in_a_process_that_never_imports_sklearn(
    xy: Any, tmp_path: Path
) -> None:
    X, y = xy
    model = LogisticRegression().fit(X, y)
    autolog.save_model(model, tmp_path / "model", formats=["pickle", "onnx"])
    np.save(tmp_path / "x.npy", X)
    code = (
        "import sys, numpy, autolog\n"
        f"m = autolog.load_model({str(tmp_path / 'model')!r}, flavor='onnx')\n"
        f"print(m.predict(numpy.load({str(tmp_path / 'x.npy')!r})).tolist())\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'sklearn'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    predictions, imported = result.stdout.strip().splitlines()[-2:]
    assert json.loads(predictions) == model.predict(X).tolist()
    assert imported == "[]"


class TestSklearnConformance(FlavorConformance):
    @pytest.fixture
    def flavor_class(self) -> type[SklearnFlavor]:
        return SklearnFlavor

    @pytest.fixture
    def model(self, xy: Any) -> Any:
        X, y = xy
        return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)

    @pytest.fixture
    def model_input(self, xy: Any) -> Any:
        return xy[0][:10]
