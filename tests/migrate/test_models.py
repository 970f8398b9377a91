"""MLflow model directories autolog converts without a fixture store: ONNX, and what stays plain."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import autolog
from autolog.migrate import _models


def _mlmodel(root: Path, flavors: dict, signature: dict | None = None) -> None:
    import yaml

    doc = {"flavors": flavors, "mlflow_version": "3.17.2"}
    if signature is not None:
        doc["signature"] = {k: json.dumps(v) for k, v in signature.items()}
    (root / "MLmodel").write_text(yaml.safe_dump(doc))


def test_an_onnx_model_is_served_by_the_onnx_flavor(tmp_path) -> None:
    pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.linear_model import LinearRegression

    X = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    model = LinearRegression().fit(X, X.sum(axis=1))
    onnx_model = skl2onnx.to_onnx(model, X[:1])
    source = tmp_path / "mlflow-model"
    source.mkdir()
    (source / "model.onnx").write_bytes(onnx_model.SerializeToString())
    # MLflow's onnx flavor layout: the file under `data`, a tensor signature
    _mlmodel(source, {"onnx": {"data": "model.onnx", "onnx_version": "1.17.0"},
                      "python_function": {"loader_module": "mlflow.onnx", "data": "model.onnx"}},
             {"inputs": [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}],
              "outputs": [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]})
    plan = _models.plan(source)
    dest = tmp_path / "autolog-model"
    _models.write(plan, dest, run_id="0" * 32, artifact_path="model", metadata={})
    loaded = autolog.load_model(str(dest))
    assert loaded.flavor == "onnx"
    assert loaded.signature.inputs.to_dict() == [{"type": "tensor", "dtype": "float32", "shape": [-1, 3]}]
    np.testing.assert_allclose(np.asarray(loaded.predict(X)).ravel(), model.predict(X), rtol=1e-5)


def test_flavors_without_an_equivalent_say_why(tmp_path) -> None:
    _mlmodel(tmp_path, {"transformers": {}, "python_function": {"loader_module": "mlflow.transformers"}})
    with pytest.raises(_models.NotConvertible, match="loads through 'mlflow.transformers'"):
        _models.plan(tmp_path)
    _mlmodel(tmp_path, {"spark": {}})
    with pytest.raises(_models.NotConvertible, match=r"its flavors \(spark\) have no autolog equivalent"):
        _models.plan(tmp_path)


def test_signatures_autolog_cannot_enforce_are_left_out_with_a_note() -> None:
    signature, notes = _models.translate_signature(
        {"inputs": json.dumps([{"type": "object", "name": "doc", "properties": {}}]), "outputs": None}
    )
    assert signature is None and "signature not translated" in notes[0]
    columns, notes = _models.translate_signature(
        {"inputs": json.dumps([{"type": "long", "name": "age", "required": False}]),
         "params": json.dumps([{"name": "k", "type": "long", "default": 3, "shape": None}])}
    )
    assert notes == []
    assert columns == {"inputs": [{"name": "age", "type": "long", "required": False}],
                       "params": [{"name": "k", "type": "long", "default": 3, "shape": None}]}
