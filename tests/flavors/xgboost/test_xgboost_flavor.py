"""The xgboost flavor: native UBJSON and ONNX round trips, class rebuilding, handles()."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

import autolog
from autolog.errors import InvalidInputError, ModelError
from autolog.flavors.onnx import OnnxFlavor
from autolog.flavors.xgboost import XGBoostFlavor
from autolog.testing import FlavorConformance

PARAMS = {"n_estimators": 6, "max_depth": 3, "n_jobs": 1}


def _models(xy: Any) -> dict[str, tuple[Any, Any]]:
    X, y = xy
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    booster = xgb.train(
        {"objective": "reg:squarederror", "max_depth": 3, "nthread": 1},
        xgb.DMatrix(X, label=X[:, 0]),
        6,
    )
    multiclass = (X[:, 0] > 0.5).astype(int) + (X[:, 1] > 0).astype(int)
    return {
        "booster": (booster, X),
        "classifier": (xgb.XGBClassifier(**PARAMS).fit(X, y), X),
        "multiclass": (xgb.XGBClassifier(**PARAMS).fit(X, multiclass), X),
        "regressor": (xgb.XGBRegressor(**PARAMS).fit(X, X[:, 1] * 3), X),
        "named_features": (xgb.XGBClassifier(**PARAMS).fit(frame, y), frame),
    }


@pytest.fixture(scope="module")
def models(xy: Any) -> dict[str, tuple[Any, Any]]:
    return _models(xy)


@pytest.fixture(params=["booster", "classifier", "multiclass", "regressor", "named_features"])
def fitted(
    request: pytest.FixtureRequest, models: dict[str, tuple[Any, Any]]
) -> tuple[Any, Any]:
    return models[request.param]


def _native_predict(model: Any, data: Any) -> Any:
    if isinstance(model, xgb.Booster):
        return model.predict(xgb.DMatrix(data))
    return model.predict(data)


def _round_trip(model: Any, fmt: str, data: Any, path: Path) -> tuple[Any, Any]:
    meta = XGBoostFlavor().save(model, path, fmt)
    json.dumps(meta)
    server = OnnxFlavor() if meta.get("flavor") == "onnx" else XGBoostFlavor()
    native = server.load(path, meta)
    return native, server.predict(native, data)


def test_native_round_trip_predicts_exactly(fitted: tuple[Any, Any], tmp_path: Path) -> None:
    model, data = fitted
    loaded, got = _round_trip(model, "native", data, tmp_path)
    assert type(loaded) is type(model)  # XGBClassifier comes back as XGBClassifier
    np.testing.assert_array_equal(got, _native_predict(model, data))


def test_onnx_round_trip_predicts_within_1e_5(fitted: tuple[Any, Any], tmp_path: Path) -> None:
    model, data = fitted
    _, got = _round_trip(model, "onnx", data, tmp_path)
    expected = _native_predict(model, data)
    np.testing.assert_allclose(np.ravel(got), np.ravel(expected), rtol=1e-5, atol=1e-5)


def test_native_file_is_ubjson_and_records_the_class(xy: Any, tmp_path: Path) -> None:
    X, y = xy
    model = xgb.XGBClassifier(**PARAMS).fit(X, y)
    meta = XGBoostFlavor().save(model, tmp_path, "native")
    assert meta["files"] == ["model.ubj"] and meta["library_version"] == xgb.__version__
    assert meta["model_class"] == "xgboost.sklearn:XGBClassifier"
    assert (tmp_path / "model.ubj").read_bytes()[:1] == b"{"  # UBJSON object marker
    loaded = XGBoostFlavor().load(tmp_path, meta)
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_recorded_class_that_is_not_an_xgboost_model_is_refused(
    xy: Any, tmp_path: Path
) -> None:
    X, y = xy
    meta = XGBoostFlavor().save(xgb.XGBClassifier(**PARAMS).fit(X, y), tmp_path, "native")
    with pytest.raises(ModelError, match="pathlib:Path is not an xgboost XGBModel subclass"):
        XGBoostFlavor().load(tmp_path, {**meta, "model_class": "pathlib:Path"})
    with pytest.raises(ModelError, match="cannot be imported here"):
        XGBoostFlavor().load(tmp_path, {**meta, "model_class": "no_such_module:Model"})


def test_booster_predicts_on_a_dataframe_and_a_dmatrix(models: Any) -> None:
    booster, X = models["booster"]
    expected = booster.predict(xgb.DMatrix(X))
    flavor = XGBoostFlavor()
    np.testing.assert_array_equal(flavor.predict(booster, pd.DataFrame(X)), expected)
    np.testing.assert_array_equal(flavor.predict(booster, xgb.DMatrix(X)), expected)


def test_onnx_conversion_keeps_the_model_untouched(xy: Any, tmp_path: Path) -> None:
    X, y = xy
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = xgb.XGBClassifier(**PARAMS).fit(frame, y)
    meta = XGBoostFlavor().save(model, tmp_path, "onnx")
    assert meta["flavor"] == "onnx" and meta["inputs"][0]["shape"] == [-1, 4]
    assert model.get_booster().feature_names == ["a", "b", "c", "d"]


def test_wrong_objects_and_formats_are_refused(xy: Any, tmp_path: Path) -> None:
    X, y = xy
    with pytest.raises(InvalidInputError, match="Booster or an XGBModel, got ndarray"):
        XGBoostFlavor().save(X, tmp_path, "native")
    with pytest.raises(InvalidInputError, match="no format 'pickle'.*native, onnx"):
        XGBoostFlavor().save(xgb.XGBRegressor(**PARAMS).fit(X, y), tmp_path, "pickle")


def test_handles(models: Any) -> None:
    booster, X = models["booster"]
    flavor = XGBoostFlavor()
    assert flavor.handles(booster)
    assert flavor.handles(xgb.XGBRegressor())
    assert not flavor.handles(xgb.DMatrix(X))
    assert not flavor.handles(object())
    assert not flavor.handles(X)


def test_end_to_end_native_and_onnx_through_the_model_directory(
    xy: Any, tmp_path: Path
) -> None:
    X, y = xy
    model = xgb.XGBClassifier(**PARAMS).fit(X, y)
    info = autolog.save_model(model, tmp_path / "model", formats=["native", "onnx"])
    assert set(info.flavors) == {"xgboost", "onnx"}
    loaded = autolog.load_model(tmp_path / "model")
    assert loaded.flavor == "xgboost" and isinstance(loaded.native, xgb.XGBClassifier)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    served = autolog.load_model(tmp_path / "model", flavor="onnx")
    np.testing.assert_array_equal(served.predict(X), model.predict(X))


class TestXGBoostConformance(FlavorConformance):
    @pytest.fixture
    def flavor_class(self) -> type[XGBoostFlavor]:
        return XGBoostFlavor

    @pytest.fixture
    def model(self, xy: Any) -> Any:
        X, y = xy
        return xgb.XGBClassifier(**PARAMS).fit(X, y)

    @pytest.fixture
    def model_input(self, xy: Any) -> Any:
        return xy[0][:10]
