"""The python flavor: objects with predict, plain functions, models that carry files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.errors import InvalidInputError
from autolog.flavors.python import PythonFlavor, PythonModel
from autolog.testing import FlavorConformance


class Doubler:
    def __init__(self, factor: int = 2) -> None:
        self.factor = factor

    def predict(self, data: list[int]) -> list[int]:
        return [x * self.factor for x in data]


def add_one(data: list[int]) -> list[int]:
    return [x + 1 for x in data]


class Vocabulary(PythonModel):
    def load_context(self, artifacts: dict[str, Path]) -> None:
        self.words = artifacts["vocab"].read_text().split()
        self.stop = sorted(p.name for p in artifacts["stopwords"].iterdir())

    def predict(self, data: list[str]) -> list[bool]:
        return [w in self.words and w not in self.stop for w in data]


class TestPythonFlavorConformance(FlavorConformance):
    @pytest.fixture
    def flavor_class(self) -> type[PythonFlavor]:
        return PythonFlavor

    @pytest.fixture
    def model(self) -> Doubler:
        return Doubler(3)

    @pytest.fixture
    def model_input(self) -> list[int]:
        return [1, 2, 3]


def test_an_object_with_predict_round_trips(tmp_path: Path) -> None:
    info = autolog.save_model(Doubler(5), tmp_path / "m")
    assert list(info.flavors) == ["python"]
    assert info.flavors["python"]["kind"] == "object"
    loaded = autolog.load_model(tmp_path / "m")
    assert loaded.flavor == "python"
    assert isinstance(loaded.native, Doubler) and loaded.native.factor == 5
    assert loaded.predict([1, 2]) == [5, 10]


def test_a_plain_function_round_trips(tmp_path: Path) -> None:
    info = autolog.save_model(add_one, tmp_path / "f")
    assert info.flavors["python"]["kind"] == "function"
    assert autolog.load_model(tmp_path / "f").predict([1, 2]) == [2, 3]


def test_a_lambda_round_trips_by_value(tmp_path: Path) -> None:
    offset = 10
    autolog.save_model(lambda xs: [x + offset for x in xs], tmp_path / "f")
    assert autolog.load_model(tmp_path / "f").predict([1]) == [11]


def test_extra_files_travel_with_the_model(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("apple banana cherry")
    stop = tmp_path / "stop"
    stop.mkdir()
    (stop / "banana").write_text("")
    model = Vocabulary(artifacts={"vocab": vocab, "stopwords": str(stop)})

    info = autolog.save_model(model, tmp_path / "m")
    assert set(info.file_sizes) >= {"artifacts/vocab/vocab.txt", "artifacts/stopwords/stop/banana"}
    assert model.artifacts == {"vocab": vocab, "stopwords": str(stop)}  # the user's object is untouched

    vocab.unlink()  # the model no longer needs the originals
    loaded = autolog.load_model(tmp_path / "m")
    assert loaded.predict(["apple", "banana", "kiwi"]) == [True, False, False]
    assert loaded.native.artifacts["vocab"] == tmp_path / "m" / "artifacts" / "vocab" / "vocab.txt"


def test_a_missing_artifact_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    model = Vocabulary(artifacts={"vocab": tmp_path / "absent.txt"})
    with pytest.raises(InvalidInputError, match=r"artifact 'vocab' points at .*absent.txt"):
        autolog.save_model(model, tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("thing", [42, "text", Doubler])
def test_objects_without_predict_are_not_python_models(thing: Any) -> None:
    assert PythonFlavor().handles(thing) is False


def test_a_class_without_predict_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no flavor knows how to save"):
        autolog.save_model(object(), tmp_path / "m")
