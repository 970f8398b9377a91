"""Bad input gets a clear error at the call, and nothing is written."""

from __future__ import annotations

import math

import pytest

import autolog
from autolog.errors import InvalidInputError, NotFoundError, RunStateError

BAD_KEYS = [
    ("", "empty"),
    ("x" * 251, "251 characters"),
    ("../secrets", "'..'"),
    ("a/../b", "'..'"),
    ("/abs", "starts with '/'"),
    ("tab\there", "control character"),
    ("new\nline", "control character"),
    ("nul\x00", "control character"),
]
GOOD_KEYS = ["lr", "loss/train", "a.b", "with space", "x" * 250, "a..b", "ünïcode", "model-1_acc"]


@pytest.fixture(params=["memory", "sqlite-dir"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "memory":
        monkeypatch.setenv("AUTOLOG_TRACKING_URI", "memory:")
    return autolog.get_tracking_uri()


@pytest.mark.parametrize(("key", "rule"), BAD_KEYS)
def test_bad_keys_are_refused_naming_key_and_rule(backend: str, key: str, rule: str) -> None:
    with autolog.start_run() as run:
        for call in (
            lambda: autolog.log_param(key, 1),
            lambda: autolog.log_metric(key, 1.0),
            lambda: autolog.log_metrics({"fine": 1.0, key: 2.0}),
            lambda: autolog.set_tag(key, "v"),
            lambda: autolog.set_tags({key: "v"}),
            lambda: autolog.log_params({key: 1}),
        ):
            with pytest.raises(InvalidInputError) as caught:
                call()
            assert isinstance(caught.value, ValueError)
            assert repr(key)[:60].rstrip("'") in str(caught.value)
            assert rule in str(caught.value)
    data = autolog.get_run(run.info.run_id).data
    assert data.metrics == {} and data.params == {}


def test_non_string_key(backend: str) -> None:
    with autolog.start_run():
        with pytest.raises(InvalidInputError, match="must be a string, got int"):
            autolog.log_param(3, "x")  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="must be a string"):
            autolog.log_metric(["a"], 1.0)  # type: ignore[arg-type]


def test_good_keys(backend: str) -> None:
    with autolog.start_run() as run:
        for key in GOOD_KEYS:
            autolog.log_param(key, 1)
            autolog.log_metric(key, 1.0)
            autolog.set_tag(key, "v")
    data = autolog.get_run(run.info.run_id).data
    assert set(GOOD_KEYS) <= set(data.params) and set(GOOD_KEYS) == set(data.metrics)


def test_param_value_length(backend: str) -> None:
    with autolog.start_run() as run:
        autolog.log_param("ok", "v" * 6000)
        with pytest.raises(InvalidInputError, match="6001 characters.*not truncated"):
            autolog.log_param("long", "v" * 6001)
    assert autolog.get_run(run.info.run_id).data.params == {"ok": "v" * 6000}


@pytest.mark.parametrize("value", ["1.0", b"1", None, True, [1.0], {"a": 1}, object()])
def test_metric_values_that_are_not_numbers(backend: str, value: object) -> None:
    with autolog.start_run():
        with pytest.raises(TypeError, match="'acc'"):
            autolog.log_metric("acc", value)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="'acc'"):
            autolog.log_metrics({"acc": value})


def test_nan_inf_and_numeric_scalars_round_trip(backend: str) -> None:
    np = pytest.importorskip("numpy")
    with autolog.start_run() as run:
        autolog.log_metric("nan", float("nan"))
        autolog.log_metric("inf", math.inf)
        autolog.log_metric("ninf", -math.inf)
        autolog.log_metric("int", 3)
        autolog.log_metric("f32", np.float32(0.5), step=np.int64(2))
        autolog.log_metric("i64", np.int64(7))
        with pytest.raises(TypeError, match="'b'"):
            autolog.log_metric("b", np.bool_(True))
        with pytest.raises(TypeError, match="single number"):
            autolog.log_metric("arr", np.array([1.0, 2.0]))
    metrics = autolog.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["inf"] == math.inf and metrics["ninf"] == -math.inf
    assert metrics == {**metrics, "int": 3.0, "f32": 0.5, "i64": 7.0}
    history = autolog.Client().get_metric_history(run.info.run_id, "f32")
    assert [(h.step, type(h.step)) for h in history] == [(2, int)]


@pytest.mark.parametrize("step", [1.5, "1", True])
def test_step_must_be_an_int(backend: str, step: object) -> None:
    with autolog.start_run():
        with pytest.raises(TypeError, match="step of metric 'm' must be an int"):
            autolog.log_metric("m", 1.0, step=step)  # type: ignore[arg-type]


def test_timestamp_must_be_milliseconds(backend: str) -> None:
    with autolog.start_run():
        with pytest.raises(TypeError, match="timestamp of metric 'm'"):
            autolog.log_metric("m", 1.0, timestamp="now")  # type: ignore[arg-type]


def test_runs_that_cannot_take_data(backend: str) -> None:
    client = autolog.Client()
    with autolog.start_run() as finished:
        pass
    with pytest.raises(RunStateError, match=f"{finished.info.run_id} is FINISHED"):
        client.log_metric(finished.info.run_id, "m", 1.0)
    with pytest.raises(NotFoundError, match="0123456789abcdef" * 2):
        client.log_param("0123456789abcdef" * 2, "p", 1)
    with pytest.raises(InvalidInputError, match="run_id"):
        client.log_param("", "p", 1)
