"""The onnx flavor: saving protos and files, onnxruntime serving, input conversion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd
import pytest

import autolog
from autolog.errors import InvalidInputError, ModelError, SignatureError
from autolog.flavors.onnx import OnnxFlavor
from autolog.testing import FlavorConformance

X = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5], [4.0, 4.0, 4.0]])


def _linear(x: Any) -> Any:
    W = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
    return np.asarray(x, dtype=np.float32) @ W + np.array([0.5, -1.0], dtype=np.float32)


def test_save_load_predict_a_model_proto(linear_proto: Any, tmp_path: Path) -> None:
    flavor = OnnxFlavor()
    meta = flavor.save(linear_proto, tmp_path, "onnx")
    assert meta["files"] == ["model.onnx"] and meta["onnx_version"] == onnx.__version__
    session = flavor.load(tmp_path, meta)
    assert type(session).__name__ == "InferenceSession"
    # float64 input is cast to the model's float32
    np.testing.assert_allclose(flavor.predict(session, X), _linear(X), rtol=1e-6)


def test_save_copies_an_onnx_file(linear_proto: Any, tmp_path: Path) -> None:
    source = tmp_path / "given.onnx"
    onnx.save_model(linear_proto, str(source))
    flavor = OnnxFlavor()
    assert flavor.handles(source) and flavor.handles(str(source))
    target = tmp_path / "model"
    target.mkdir()
    meta = flavor.save(source, target, "onnx")
    assert (target / "model.onnx").read_bytes() == source.read_bytes()
    np.testing.assert_allclose(flavor.predict(flavor.load(target, meta), X), _linear(X), rtol=1e-6)


def test_handles(linear_proto: Any, tmp_path: Path) -> None:
    flavor = OnnxFlavor()
    assert flavor.handles(linear_proto)
    assert not flavor.handles(tmp_path / "missing.onnx")
    (tmp_path / "notes.txt").write_text("x")
    assert not flavor.handles(tmp_path / "notes.txt")
    assert not flavor.handles(linear_proto.graph)
    assert not flavor.handles(X)


def test_invalid_proto_is_refused_at_save(linear_proto: Any, tmp_path: Path) -> None:
    broken = onnx.ModelProto()
    broken.CopyFrom(linear_proto)
    del broken.graph.initializer[:]  # W and b no longer defined
    with pytest.raises(ModelError, match="not valid"):
        OnnxFlavor().save(broken, tmp_path, "onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_wrong_objects_and_formats_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="ModelProto or an .onnx file path, got list"):
        OnnxFlavor().save([1, 2], tmp_path, "onnx")
    with pytest.raises(InvalidInputError, match="no ONNX file at"):
        OnnxFlavor().save(tmp_path / "missing.onnx", tmp_path, "onnx")
    with pytest.raises(InvalidInputError, match="no format 'pickle'"):
        OnnxFlavor().save(onnx.ModelProto(), tmp_path, "pickle")


def test_a_file_that_is_not_onnx_fails_to_load_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load .*model.onnx"):
        OnnxFlavor().load(tmp_path, {"files": ["model.onnx"]})


def test_single_input_takes_a_dataframe(linear_proto: Any) -> None:
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    np.testing.assert_allclose(OnnxFlavor().predict(linear_proto, frame), _linear(X), rtol=1e-6)


def test_several_inputs_take_a_dict_or_dataframe_columns(two_input_proto: Any) -> None:
    flavor = OnnxFlavor()
    price = np.array([1.5, 2.0, 10.0])
    count = np.array([2, 3, 0])
    expected = (price * count).astype(np.float32).reshape(-1, 1)
    frame = pd.DataFrame({"count": count, "price": price, "ignored": ["a", "b", "c"]})
    np.testing.assert_allclose(flavor.predict(two_input_proto, frame), expected)
    given = {"price": price.reshape(-1, 1), "count": count.reshape(-1, 1)}
    np.testing.assert_allclose(flavor.predict(two_input_proto, given), expected)


def test_several_inputs_report_what_is_missing(two_input_proto: Any) -> None:
    flavor = OnnxFlavor()
    with pytest.raises(SignatureError, match=r"lacks \['count'\].*got columns \['price'\]"):
        flavor.predict(two_input_proto, pd.DataFrame({"price": [1.0]}))
    with pytest.raises(SignatureError, match=r"missing \['price'\]"):
        flavor.predict(two_input_proto, {"count": np.array([[1]])})
    with pytest.raises(SignatureError, match="takes 2 inputs"):
        flavor.predict(two_input_proto, np.zeros((2, 2)))


def test_float_data_for_an_integer_input_is_refused(two_input_proto: Any) -> None:
    frame = pd.DataFrame({"price": [1.0], "count": [1.5]})
    with pytest.raises(SignatureError, match="'count' takes int64 values, got float64"):
        OnnxFlavor().predict(two_input_proto, frame)


def test_end_to_end_through_the_model_directory(linear_proto: Any, tmp_path: Path) -> None:
    info = autolog.save_model(linear_proto, tmp_path / "model")
    assert list(info.flavors) == ["onnx"]
    loaded = autolog.load_model(tmp_path / "model")
    assert loaded.flavor == "onnx"
    np.testing.assert_allclose(loaded.predict(X), _linear(X), rtol=1e-6)


class TestOnnxConformance(FlavorConformance):
    @pytest.fixture
    def flavor_class(self) -> type[OnnxFlavor]:
        return OnnxFlavor

    @pytest.fixture
    def model(self, linear_proto: Any) -> Any:
        return linear_proto

    @pytest.fixture
    def model_input(self) -> Any:
        return X.astype(np.float32)
