"""infer_signature on real pandas / numpy / scipy / torch data, and the stored form's round trip."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

import autolog
from autolog.errors import InvalidInputError, SignatureInferenceError
from autolog.models._signature import (
    ColSpec,
    ParamSchema,
    ParamSpec,
    Schema,
    Signature,
    TensorSpec,
    infer_signature,
)


def _cols(sig: Signature) -> dict[str | None, tuple[str, bool]]:
    assert sig.inputs is not None
    return {s.name: (s.type, s.required) for s in sig.inputs}  # type: ignore[union-attr]


def test_public_names_are_the_same_objects() -> None:
    assert autolog.infer_signature is infer_signature
    assert autolog.Signature is Signature and autolog.ColSpec is ColSpec


def test_numpy_column_dtypes() -> None:
    df = pd.DataFrame(
        {
            "i8": np.array([1, 2], dtype="int8"),
            "i16": np.array([1, 2], dtype="int16"),
            "i32": np.array([1, 2], dtype="int32"),
            "i64": np.array([1, 2], dtype="int64"),
            "u8": np.array([1, 2], dtype="uint8"),
            "u64": np.array([1, 2], dtype="uint64"),
            "f32": np.array([1, 2], dtype="float32"),
            "f64": np.array([1.5, 2], dtype="float64"),
            "b": [True, False],
        }
    )
    assert _cols(infer_signature(df)) == {
        "i8": ("int8", True),
        "i16": ("int16", True),
        "i32": ("integer", True),
        "i64": ("long", True),
        "u8": ("uint8", True),
        "u64": ("uint64", True),
        "f32": ("float", True),
        "f64": ("double", True),
        "b": ("boolean", True),
    }


def test_nullable_strings_datetimes_and_optional_columns() -> None:
    df = pd.DataFrame(
        {
            "I64": pd.array([1, None], dtype="Int64"),
            "I32": pd.array([1, 2], dtype="Int32"),
            "U8": pd.array([1, None], dtype="UInt8"),
            "B": pd.array([True, None], dtype="boolean"),
            "F": pd.array([0.5, None], dtype="Float64"),
            "s": pd.array(["a", "b"], dtype="string"),
            "s_na": pd.array(["a", None], dtype="string"),
            "obj": pd.Series(["a", "b"], dtype=object),
            "obj_none": pd.Series(["a", None], dtype=object),
            "bytes": pd.Series([b"a", None], dtype=object),
            "ts": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "ts_tz": pd.to_datetime(["2024-01-01", None]).tz_localize("Europe/Paris"),
            "cat": pd.Categorical(["x", "y"]),
            "cat_int": pd.Categorical([1, None]),
        }
    )
    assert _cols(infer_signature(df)) == {
        "I64": ("long", False),
        "I32": ("integer", True),
        "U8": ("uint8", False),
        "B": ("boolean", False),
        "F": ("double", False),
        "s": ("string", True),
        "s_na": ("string", False),
        "obj": ("string", True),
        "obj_none": ("string", False),
        "bytes": ("binary", False),
        "ts": ("datetime", True),
        "ts_tz": ("datetime", False),
        "cat": ("string", True),
        "cat_int": ("long", False),
    }


def test_nan_in_int_column_and_none_values_keep_the_signature() -> None:
    # pandas turns an int column with a missing value into float64: typed double, optional
    df = pd.DataFrame({"age": [31, None, 40], "city": ["Oslo", None, "Rome"], "n": [1, 2, 3]})
    assert df["age"].dtype == np.float64
    assert _cols(infer_signature(df)) == {
        "age": ("double", False),
        "city": ("string", False),
        "n": ("long", True),
    }


def test_object_column_of_python_ints_with_none() -> None:
    col = pd.Series([1, None, 3], dtype=object)
    assert _cols(infer_signature(pd.DataFrame({"x": col}))) == {"x": ("long", False)}


def test_mixed_object_column_is_an_error_naming_the_column() -> None:
    df = pd.DataFrame({"ok": [1, 2], "bad": pd.Series(["a", 1], dtype=object)})
    with pytest.raises(SignatureInferenceError, match=r"'bad'.*int, str") as info:
        infer_signature(df)
    assert info.value.column == "bad"
    assert isinstance(info.value, ValueError)


def test_all_missing_object_column_is_an_error_with_a_fix() -> None:
    df = pd.DataFrame({"empty": pd.Series([None, None], dtype=object)})
    with pytest.raises(SignatureInferenceError, match=r"'empty'.*every value is missing.*astype"):
        infer_signature(df)


def test_unsupported_dtype_names_column() -> None:
    df = pd.DataFrame({"d": pd.to_timedelta([1, 2], unit="s")})
    with pytest.raises(SignatureInferenceError, match=r"column 'd'.*timedelta"):
        infer_signature(df)


def test_dict_of_columns_records_and_single_record() -> None:
    expected = {"a": ("long", True), "b": ("string", True)}
    assert _cols(infer_signature({"a": [1, 2], "b": ["x", "y"]})) == expected
    assert _cols(infer_signature({"a": np.array([1, 2]), "b": ["x", "y"]})) == expected
    assert _cols(infer_signature([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])) == expected
    assert _cols(infer_signature({"a": 1, "b": "x"})) == expected


def test_list_of_strings() -> None:
    assert infer_signature(["good film", "bad film"]).inputs == Schema([ColSpec("string")])
    assert infer_signature(["good", None]).inputs == Schema([ColSpec("string", required=False)])


def test_numpy_arrays_are_tensors_with_free_batch_dim() -> None:
    sig = infer_signature(np.zeros((7, 20), dtype="float32"), np.zeros(7, dtype="int64"))
    assert sig.inputs == Schema([TensorSpec("float32", (-1, 20))])
    assert sig.outputs == Schema([TensorSpec("int64", (-1,))])
    images = infer_signature(np.zeros((2, 3, 28, 28), dtype="uint8")).inputs
    assert images == Schema([TensorSpec("uint8", (-1, 3, 28, 28))])
    assert infer_signature(np.array(["a", "bb"])).inputs == Schema([TensorSpec("str", (-1,))])


def test_list_of_number_rows_is_a_tensor() -> None:
    assert infer_signature([[1.0, 2.0], [3.0, 4.0]]).inputs == Schema([TensorSpec("float64", (-1, 2))])


def test_dict_of_arrays_is_named_tensors() -> None:
    sig = infer_signature({"image": np.zeros((4, 8, 8), "float32"), "mask": np.zeros((4, 8), "bool")})
    assert sig.inputs == Schema(
        [TensorSpec("float32", (-1, 8, 8), "image"), TensorSpec("bool", (-1, 8), "mask")]
    )


def test_scipy_sparse_matrix() -> None:
    sparse = pytest.importorskip("scipy.sparse")
    mat = sparse.random(10, 50, density=0.1, format="csr", dtype="float64", random_state=0)
    assert infer_signature(mat).inputs == Schema([TensorSpec("float64", (-1, 50))])


def test_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    sig = infer_signature(torch.zeros(5, 3, dtype=torch.float32), torch.zeros(5, dtype=torch.int64))
    assert sig.inputs == Schema([TensorSpec("float32", (-1, 3))])
    assert sig.outputs == Schema([TensorSpec("int64", (-1,))])
    assert infer_signature(torch.zeros(2, 4, dtype=torch.bfloat16)).inputs == Schema(
        [TensorSpec("bfloat16", (-1, 4))]
    )
    named = infer_signature({"ids": torch.zeros(2, 9, dtype=torch.int32)}).inputs
    assert named == Schema([TensorSpec("int32", (-1, 9), "ids")])


def test_outputs_from_series_frame_and_list() -> None:
    out = pd.Series([0.1, 0.2], name="proba")
    assert infer_signature(None, out).outputs == Schema([ColSpec("double", "proba")])
    assert infer_signature(None, pd.Series([1, 2])).outputs == Schema([ColSpec("long")])
    frame = pd.DataFrame({"p0": [0.5], "p1": [0.5]})
    assert infer_signature(None, frame).outputs == Schema([ColSpec("double", "p0"), ColSpec("double", "p1")])
    assert infer_signature(None, ["cat", "dog"]).outputs == Schema([ColSpec("string")])
    assert infer_signature(None, [1, 0, 1]).outputs == Schema([TensorSpec("int64", (-1,))])


def test_params() -> None:
    when = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
    sig = infer_signature(
        ["x"],
        params={"k": 3, "t": 0.5, "greedy": False, "stop": ["\n", "."], "w": [1, 2.5], "since": when, "n": np.int32(4)},
    )
    assert sig.params == ParamSchema(
        [
            ParamSpec("k", "long", 3),
            ParamSpec("t", "double", 0.5),
            ParamSpec("greedy", "boolean", False),
            ParamSpec("stop", "string", ["\n", "."], (-1,)),
            ParamSpec("w", "double", [1.0, 2.5], (-1,)),
            ParamSpec("since", "datetime", when),
            ParamSpec("n", "long", 4),
        ]
    )
    with pytest.raises(SignatureInferenceError, match=r"param 'bad'.*dict"):
        infer_signature(["x"], params={"bad": {"a": 1}})


def test_unsupported_input_type_says_what_is_supported() -> None:
    with pytest.raises(SignatureInferenceError, match=r"cannot infer a schema from model_input of type .*set.*DataFrame"):
        infer_signature({1, 2})


@pytest.fixture
def rich_signature() -> Signature:
    df = pd.DataFrame(
        {
            "age": [31, None],
            "name": ["a", None],
            "n": pd.array([1, 2], dtype="Int16"),
            "ts": pd.to_datetime(["2024-01-01", "2024-01-02"]).tz_localize("UTC"),
            "raw": [b"x", b"y"],
        }
    )
    when = dt.datetime(2024, 5, 1, 12, 30)
    return infer_signature(
        df,
        np.zeros((2, 3), dtype="float32"),
        params={"k": 3, "stop": ["a"], "since": when, "blob": b"\x00\x01", "t": 0.25},
    )


def test_to_dict_is_readable(rich_signature: Signature) -> None:
    d = rich_signature.to_dict()
    assert d["inputs"][0] == {"name": "age", "type": "double", "required": False}
    assert d["inputs"][2] == {"name": "n", "type": "int16", "required": True}
    assert d["outputs"] == [{"type": "tensor", "dtype": "float32", "shape": [-1, 3]}]
    assert d["params"][0] == {"name": "k", "type": "long", "default": 3, "shape": None}


def test_round_trip_is_exact_through_json_and_yaml(rich_signature: Signature) -> None:
    d = rich_signature.to_dict()
    assert Signature.from_dict(d) == rich_signature
    assert Signature.from_dict(json.loads(json.dumps(d))) == rich_signature
    assert Signature.from_dict(yaml.safe_load(yaml.safe_dump(d))) == rich_signature
    tensors = infer_signature({"a": np.zeros((2, 4), "int8"), "b": np.zeros((2,), "complex64")})
    assert Signature.from_dict(yaml.safe_load(yaml.safe_dump(tensors.to_dict()))) == tensors
    assert Signature.from_dict({}) == Signature()


def test_bad_stored_signature_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="unknown column type 'lng'"):
        Signature.from_dict({"inputs": [{"name": "a", "type": "lng"}]})
    with pytest.raises(InvalidInputError, match="unknown keys"):
        Signature.from_dict({"input": []})
    with pytest.raises(InvalidInputError, match="either every spec"):
        Schema([ColSpec("long", "a"), ColSpec("long")])
    with pytest.raises(InvalidInputError, match="only ColSpecs or only TensorSpecs"):
        Schema([ColSpec("long", "a"), TensorSpec("float32", (-1,), "b")])
    with pytest.raises(InvalidInputError, match="duplicate names"):
        Schema([ColSpec("long", "a"), ColSpec("long", "a")])
    with pytest.raises(InvalidInputError, match="expected a long value"):
        ParamSpec("k", "long", "3")


def test_type_aliases_are_stored_canonical() -> None:
    assert ColSpec("int64", "a") == ColSpec("long", "a")
    assert ColSpec("float32").type == "float"
    assert TensorSpec(np.float32, [-1, 2]) == TensorSpec("float32", (-1, 2))


def test_importing_signatures_imports_no_numpy_or_pandas() -> None:
    code = (
        "import sys, autolog.models._signature as s; "
        "s.Signature.from_dict({'inputs': [{'name': 'a', 'type': 'long'}]}); "
        "print(sorted(m for m in ('numpy', 'pandas', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_numpy_input_does_not_import_torch() -> None:
    code = (
        "import sys, numpy as np, autolog; "
        "autolog.infer_signature(np.zeros((2, 2))); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
