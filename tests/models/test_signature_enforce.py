"""Enforcement at predict: reorder, drop, fill, lossless conversion quietly, anything lossy loudly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autolog.errors import SignatureError
from autolog.models._signature import (
    ColSpec,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    compile_enforcer,
    enforce_input,
    enforce_params,
    infer_signature,
    make_enforcer,
)

PEOPLE = Schema(
    [ColSpec("long", "age"), ColSpec("double", "income"), ColSpec("string", "city", required=False)]
)


def _people(**overrides: object) -> pd.DataFrame:
    cols: dict[str, object] = {"age": [31, 40], "income": [1.5, 2.5], "city": ["Oslo", "Rome"]}
    cols.update(overrides)
    return pd.DataFrame(cols)


def test_matching_frame_is_returned_as_is() -> None:
    df = _people()
    enforce = compile_enforcer(PEOPLE)
    assert enforce(df) is df
    assert enforce(df) is df  # plans are cached per dtype; still the same object


def test_columns_reordered_and_extra_dropped() -> None:
    df = _people()[["city", "income", "age"]].assign(extra=[1, 2])
    out = enforce_input(PEOPLE, df)
    assert out.columns.tolist() == ["age", "income", "city"]
    pd.testing.assert_frame_equal(out, _people())


def test_missing_required_column_is_named() -> None:
    with pytest.raises(SignatureError, match=r"column 'age': missing; it is required \(long\)") as info:
        enforce_input(PEOPLE, _people().drop(columns="age"))
    message = str(info.value)
    assert "expected: [age: long, income: double, city: string (optional)]" in message
    assert "got: DataFrame of 2 rows with columns [income: float64, city:" in message


def test_missing_optional_column_is_filled_with_missing_values() -> None:
    out = enforce_input(PEOPLE, _people().drop(columns="city"))
    assert out.columns.tolist() == ["age", "income", "city"]
    assert out["city"].isna().all()


def test_lossy_float_to_int_lists_expected_and_got() -> None:
    with pytest.raises(SignatureError, match=r"column 'age': expected long, got float64; .*not whole numbers"):
        enforce_input(PEOPLE, _people(age=[31.5, 40.0]))


def test_string_to_number_is_an_error() -> None:
    with pytest.raises(SignatureError, match=r"column 'income': expected double, got str.*not converted to numbers"):
        enforce_input(PEOPLE, _people(income=["1.5", "2.5"]))


def test_every_problem_is_reported_at_once() -> None:
    df = pd.DataFrame({"income": ["x", "y"], "city": [1, 2]})
    with pytest.raises(SignatureError) as info:
        enforce_input(PEOPLE, df)
    message = str(info.value)
    assert "column 'age': missing" in message
    assert "column 'income': expected double" in message
    assert "column 'city': expected string, got int64" in message


def test_lossless_widening_is_quiet() -> None:
    schema = Schema([ColSpec("long", "a"), ColSpec("double", "b"), ColSpec("double", "c")])
    df = pd.DataFrame(
        {"a": np.array([1, 2], "int32"), "b": np.array([1, 2], "int64"), "c": np.array([0.5, 1], "float32")}
    )
    out = enforce_input(schema, df)
    assert out.dtypes.tolist() == [np.dtype("int64"), np.dtype("float64"), np.dtype("float64")]
    assert out["b"].tolist() == [1.0, 2.0]


def test_float64_to_float32_column_is_an_error() -> None:
    schema = Schema([ColSpec("float", "x")])
    with pytest.raises(SignatureError, match=r"float64 to float32 loses precision"):
        enforce_input(schema, pd.DataFrame({"x": [0.1, 0.2]}))


def test_int_narrowing_checks_the_values() -> None:
    schema = Schema([ColSpec("integer", "x")])
    out = enforce_input(schema, pd.DataFrame({"x": [1, 2]}))  # Python ints arrive as int64
    assert out["x"].dtype == np.int32
    with pytest.raises(SignatureError, match=r"values from 1 to 3000000000 do not fit int32"):
        enforce_input(schema, pd.DataFrame({"x": [1, 3_000_000_000]}))
    with pytest.raises(SignatureError, match=r"expected uint8, got int64; values from -1 to 1"):
        enforce_input(Schema([ColSpec("uint8", "x")]), pd.DataFrame({"x": [-1, 1]}))


def test_int_column_with_none_at_predict_becomes_nullable() -> None:
    # trained on a nullable Int64 column; at predict pandas makes [1, None] a float column
    schema = infer_signature(pd.DataFrame({"n": pd.array([1, None], dtype="Int64")})).inputs
    out = enforce_input(schema, {"n": [5, None]})
    assert str(out["n"].dtype) == "Int64"
    assert out["n"].tolist()[0] == 5 and out["n"].isna().tolist() == [False, True]


def test_nan_int_column_logged_as_double_takes_ints_at_predict() -> None:
    schema = infer_signature(pd.DataFrame({"age": [31, None]})).inputs
    out = enforce_input(schema, pd.DataFrame({"age": [20, 30]}))
    assert out["age"].dtype == np.float64


def test_object_strings_with_none_and_nullable_strings_pass() -> None:
    schema = Schema([ColSpec("string", "s", required=False)])
    df = pd.DataFrame({"s": pd.Series(["a", None], dtype=object)})
    assert enforce_input(schema, df) is df
    sdf = pd.DataFrame({"s": pd.array(["a", None], dtype="string")})
    assert enforce_input(schema, sdf) is sdf


def test_mixed_object_column_at_predict_is_an_error() -> None:
    schema = Schema([ColSpec("string", "s")])
    with pytest.raises(SignatureError, match=r"column 's': expected string, got object values of mixed types \(int, str\)"):
        enforce_input(schema, pd.DataFrame({"s": pd.Series(["a", 1], dtype=object)}))


def test_categorical_and_datetime_columns_go_through_unchanged() -> None:
    df = pd.DataFrame(
        {"c": pd.Categorical(["x", "y"]), "t": pd.to_datetime(["2024-01-01", None]).tz_localize("UTC")}
    )
    schema = infer_signature(df).inputs
    assert enforce_input(schema, df) is df
    with pytest.raises(SignatureError, match=r"column 't': expected datetime, got str; strings are not converted to datetimes"):
        enforce_input(schema, df.assign(t=["2024-01-01", "2024-01-02"]))


def test_dict_of_lists_records_and_single_record() -> None:
    expected = _people()
    pd.testing.assert_frame_equal(
        enforce_input(PEOPLE, {"income": [1.5, 2.5], "age": [31, 40], "city": ["Oslo", "Rome"]}), expected
    )
    records = [{"age": 31, "income": 1.5, "city": "Oslo"}, {"age": 40, "income": 2.5, "city": "Rome"}]
    pd.testing.assert_frame_equal(enforce_input(PEOPLE, records), expected)
    one = enforce_input(PEOPLE, {"age": 31, "income": 1.5})
    assert one.shape == (1, 3) and one["city"].isna().all()


def test_2d_array_for_a_column_schema_is_positional() -> None:
    schema = Schema([ColSpec("double", "a"), ColSpec("double", "b")])
    out = enforce_input(schema, np.array([[1.0, 2.0]]))
    assert out.columns.tolist() == ["a", "b"] and out.iloc[0].tolist() == [1.0, 2.0]
    with pytest.raises(SignatureError, match=r"a 2-d array needs 2 columns, one per schema column; got 3"):
        enforce_input(schema, np.zeros((1, 3)))


def test_list_of_strings_schema_keeps_the_list() -> None:
    schema = infer_signature(["good film", "bad film"]).inputs
    texts = ["great", "awful"]
    assert enforce_input(schema, texts) is texts
    series = pd.Series(texts)
    assert enforce_input(schema, series) is series
    with pytest.raises(SignatureError, match=r"expected string, got int64"):
        enforce_input(schema, [1, 2])


def test_unsupported_input_container() -> None:
    with pytest.raises(SignatureError, match=r"expected a pandas DataFrame, a dict of columns.*got int"):
        enforce_input(PEOPLE, 3)


def test_tensor_dtype_and_shape() -> None:
    schema = Schema([TensorSpec("float32", (-1, 4))])
    enforce = compile_enforcer(schema)
    x = np.zeros((3, 4), dtype="float32")
    assert enforce(x) is x
    assert enforce(x) is x
    with pytest.raises(SignatureError, match=r"expected shape \[-1, 4\], got \[3, 5\]"):
        enforce(np.zeros((3, 5), dtype="float32"))
    with pytest.raises(SignatureError, match=r"expected shape \[-1, 4\], got \[4\]; for one row use x.reshape\(1, -1\)"):
        enforce(np.zeros(4, dtype="float32"))
    with pytest.raises(SignatureError, match=r"expected float32, got float64; float64 to float32 loses precision"):
        enforce(np.zeros((3, 4), dtype="float64"))


def test_tensor_widening_and_value_checked_narrowing() -> None:
    schema = Schema([TensorSpec("float64", (-1, 2))])
    out = enforce_input(schema, np.ones((2, 2), dtype="float32"))
    assert out.dtype == np.float64
    out = enforce_input(schema, np.ones((2, 2), dtype="int32"))
    assert out.dtype == np.float64
    ints = Schema([TensorSpec("int64", (-1,))])
    assert enforce_input(ints, np.array([1.0, 2.0])).dtype == np.int64
    with pytest.raises(SignatureError, match=r"expected int64, got float64; it holds values that are not whole numbers"):
        enforce_input(ints, np.array([1.0, 2.5]))
    with pytest.raises(SignatureError, match=r"NaN or infinite"):
        enforce_input(ints, np.array([1.0, np.nan]))
    with pytest.raises(SignatureError, match=r"bools are not converted to numbers"):
        enforce_input(ints, np.array([True, False]))


def test_python_lists_fill_any_float_width() -> None:
    schema = Schema([TensorSpec("float32", (-1, 2))])
    out = enforce_input(schema, [[0.1, 0.2], [0.3, 0.4]])
    assert out.dtype == np.float32 and out.shape == (2, 2)


def test_frame_into_tensor_schema() -> None:
    schema = Schema([TensorSpec("float64", (-1, 2))])
    out = enforce_input(schema, pd.DataFrame({"a": [1.0], "b": [2.0]}))
    assert isinstance(out, np.ndarray) and out.tolist() == [[1.0, 2.0]]


def test_named_tensors() -> None:
    schema = Schema([TensorSpec("float32", (-1, 2), "x"), TensorSpec("int64", (-1,), "ids")])
    data = {"ids": np.array([1, 2], "int32"), "x": np.zeros((2, 2), "float32"), "extra": 1}
    out = enforce_input(schema, data)
    assert list(out) == ["x", "ids"] and out["ids"].dtype == np.int64
    with pytest.raises(SignatureError, match=r"tensor 'x': missing"):
        enforce_input(schema, {"ids": np.array([1])})


def test_scipy_sparse() -> None:
    sparse = pytest.importorskip("scipy.sparse")
    schema = Schema([TensorSpec("float64", (-1, 10))])
    mat = sparse.random(5, 10, density=0.3, format="csr", dtype="float32", random_state=0)
    out = enforce_input(schema, mat)
    assert sparse.issparse(out) and out.dtype == np.float64
    with pytest.raises(SignatureError, match=r"expected shape \[-1, 10\], got \[5, 11\]"):
        enforce_input(schema, sparse.random(5, 11, density=0.3, format="csr", random_state=0))


def test_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    schema = Schema([TensorSpec("float32", (-1, 3))])
    t = torch.zeros(2, 3)
    assert enforce_input(schema, t) is t
    assert enforce_input(Schema([TensorSpec("float64", (-1, 3))]), t).dtype == torch.float64
    with pytest.raises(SignatureError, match=r"expected float32, got float64"):
        enforce_input(schema, torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(SignatureError, match=r"expected shape \[-1, 3\], got \[2, 4\]"):
        enforce_input(schema, torch.zeros(2, 4))
    with pytest.raises(SignatureError, match=r"not whole numbers"):
        enforce_input(Schema([TensorSpec("int64", (-1,))]), torch.tensor([0.5]))


def test_no_schema_is_identity_and_make_enforcer_uses_inputs() -> None:
    data = object()
    assert compile_enforcer(None)(data) is data
    sig = infer_signature(np.zeros((2, 2), "float32"))
    with pytest.raises(SignatureError):
        make_enforcer(sig)(np.zeros((2, 3), "float32"))


def test_params_defaults_casts_and_errors() -> None:
    schema = ParamSchema([ParamSpec("k", "long", 3), ParamSpec("t", "double", 0.5), ParamSpec("stop", "string", ["."], (-1,))])
    assert enforce_params(schema, None) == {"k": 3, "t": 0.5, "stop": ["."]}
    assert enforce_params(schema, {"t": 1, "k": np.int64(5)}) == {"k": 5, "t": 1.0, "stop": ["."]}
    with pytest.raises(SignatureError, match=r"param 'k': expected a long value, got 'many'") as info:
        enforce_params(schema, {"k": "many", "topp": 0.9})
    assert "param 'topp': unknown; the model accepts ['k', 'stop', 't']" in str(info.value)
    with pytest.raises(SignatureError, match=r"declares no inference params, got \['k'\]"):
        enforce_params(None, {"k": 1})
    assert enforce_params(None, None) == {}


def test_frame_with_integer_labels_keeps_them() -> None:
    df = pd.DataFrame(np.ones((2, 3)))
    schema = infer_signature(df).inputs
    assert schema is not None and schema.names == ("0", "1", "2")
    assert enforce_input(schema, df) is df
    out = enforce_input(schema, df[[2, 0, 1]])
    assert out.columns.tolist() == [0, 1, 2]


def test_several_unnamed_tensors_by_position() -> None:
    schema = Schema([TensorSpec("float64", (-1,)), TensorSpec("int64", (-1, 2))])
    a, b = enforce_input(schema, [np.zeros(3, "float32"), np.zeros((3, 2), "int64")])
    assert a.dtype == np.float64 and b.dtype == np.int64
    with pytest.raises(SignatureError, match="expected a list of 2 arrays"):
        enforce_input(schema, np.zeros(3))


def test_object_array_of_mixed_values_into_tensor() -> None:
    schema = Schema([TensorSpec("float64", (-1,))])
    with pytest.raises(SignatureError, match="got an object array of mixed values or None"):
        enforce_input(schema, np.array([1.0, "a"], dtype=object))
    assert enforce_input(schema, np.array([1, 2], dtype=object)).dtype == np.float64
