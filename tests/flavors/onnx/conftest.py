"""Skips this folder when onnx or onnxruntime is missing; small hand-built ONNX graphs."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def linear_proto() -> Any:
    """y = x @ W + b for x of shape (n, 3), float32."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    W = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
    b = np.array([0.5, -1.0], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], ["y"]),
        ],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.fixture(scope="module")
def two_input_proto() -> Any:
    """total = price * cast(count) for two (n, 1) inputs, a float and an int64, and a second
    output ``count_twice``."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["count"], ["count_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["price", "count_f"], ["total"]),
            helper.make_node("Add", ["count", "count"], ["count_twice"]),
        ],
        "two_inputs",
        [
            helper.make_tensor_value_info("price", TensorProto.FLOAT, [None, 1]),
            helper.make_tensor_value_info("count", TensorProto.INT64, [None, 1]),
        ],
        [
            helper.make_tensor_value_info("total", TensorProto.FLOAT, [None, 1]),
            helper.make_tensor_value_info("count_twice", TensorProto.INT64, [None, 1]),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
