"""The model directory: what it holds, hashes, tampering, bad directories, atomic writes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import autolog
from autolog.errors import IntegrityError, InvalidInputError, ModelError, SignatureError
from autolog.flavors.python import PythonModel


class Summer:
    def predict(self, data: Any) -> Any:
        return np.asarray(data).sum(axis=1)


class Exploding(PythonModel):
    def __reduce__(self) -> Any:
        raise RuntimeError("cannot pickle me")

    def predict(self, data: Any) -> Any:
        return data


def test_the_directory_holds_everything_model_yaml_describes(tmp_path: Path) -> None:
    example = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    info = autolog.save_model(
        Summer(),
        tmp_path / "m",
        signature=autolog.infer_signature(example),
        input_example=example,
        pip_requirements=["numpy>=1.0"],
        metadata={"owner": "ml-team", "tags": ["a", "b"]},
    )
    root = tmp_path / "m"
    assert sorted(p.name for p in root.iterdir()) == [
        "input_example.json", "model.pkl", "model.yaml", "requirements.txt",
    ]
    doc = yaml.safe_load((root / "model.yaml").read_text())
    assert doc["format_version"] == 1
    assert doc["run_id"] is None
    assert doc["metadata"] == {"owner": "ml-team", "tags": ["a", "b"]}
    assert doc["input_example"] == "input_example.json"
    python = doc["flavors"]["python"]
    assert python["format"] == "pickle" and python["files"] == ["model.pkl"]
    assert python["library"] == "cloudpickle" and python["library_version"]
    # the signature is stored readably, as plain data
    assert doc["signature"]["inputs"][0]["name"] == "a"
    # requirements: autolog and the flavor's package with installed versions, then the user's
    assert doc["requirements"][0] == f"autolog=={autolog.__version__}"
    assert doc["requirements"][1].startswith("cloudpickle==")
    assert doc["requirements"][-1] == "numpy>=1.0"
    assert (root / "requirements.txt").read_text().splitlines() == doc["requirements"]
    # a sha256 for every other file
    assert set(doc["files"]) == {"input_example.json", "model.pkl", "requirements.txt"}
    for rel, digest in doc["files"].items():
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest
    assert doc["created"] == info.created
    assert info.model_size_bytes == sum(p.stat().st_size for p in root.iterdir())
    assert info.file_sizes["model.pkl"] == (root / "model.pkl").stat().st_size

    loaded = autolog.load_model(root)
    assert loaded.signature == autolog.infer_signature(example)
    assert loaded.metadata == {"owner": "ml-team", "tags": ["a", "b"]}
    assert loaded.requirements == doc["requirements"]
    pd.testing.assert_frame_equal(loaded.input_example, example)


def test_numpy_and_json_input_examples_round_trip(tmp_path: Path) -> None:
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    autolog.save_model(Summer(), tmp_path / "a", input_example=array)
    back = autolog.load_model(tmp_path / "a").input_example
    assert back.dtype == np.float32 and (back == array).all()
    autolog.save_model(Summer(), tmp_path / "j", input_example={"text": ["hi"]})
    assert autolog.load_model(tmp_path / "j").input_example == {"text": ["hi"]}
    autolog.save_model(Summer(), tmp_path / "n")
    assert autolog.load_model(tmp_path / "n").input_example is None


def test_predict_enforces_the_signature(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    autolog.save_model(Summer(), tmp_path / "m", signature=autolog.infer_signature(frame))
    loaded = autolog.load_model(tmp_path / "m")
    # columns are put in the signature's order; extra columns are dropped
    reordered = pd.DataFrame({"extra": [9, 9], "b": [3, 4], "a": [1, 2]})
    assert list(loaded.predict(reordered)) == [4, 6]
    with pytest.raises(SignatureError, match="b"):
        loaded.predict(pd.DataFrame({"a": [1]}))


def test_a_tampered_file_is_refused_by_name(tmp_path: Path) -> None:
    autolog.save_model(Summer(), tmp_path / "m")
    with open(tmp_path / "m" / "model.pkl", "ab") as f:
        f.write(b"\0")
    with pytest.raises(IntegrityError, match=r"model\.pkl was changed") as caught:
        autolog.load_model(tmp_path / "m")
    assert caught.value.path == str(tmp_path / "m" / "model.pkl")


def test_a_deleted_file_is_refused_by_name(tmp_path: Path) -> None:
    autolog.save_model(Summer(), tmp_path / "m")
    (tmp_path / "m" / "requirements.txt").unlink()
    with pytest.raises(ModelError, match=r"requirements\.txt is listed in model\.yaml but missing"):
        autolog.load_model(tmp_path / "m")


def test_a_directory_that_is_not_a_model_says_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match=r"not an autolog model directory: it has no model\.yaml \(found: weights\.bin\)"):
        autolog.load_model(tmp_path)
    with pytest.raises(ModelError, match="does not exist"):
        autolog.load_model(tmp_path / "nowhere")
    (tmp_path / "model.yaml").write_text("flavors: {}\n")
    with pytest.raises(ModelError, match="lacks format_version, files"):
        autolog.load_model(tmp_path)


def test_a_model_from_a_newer_format_asks_for_an_upgrade(tmp_path: Path) -> None:
    autolog.save_model(Summer(), tmp_path / "m")
    path = tmp_path / "m" / "model.yaml"
    path.write_text(path.read_text().replace("format_version: 1", "format_version: 99"))
    with pytest.raises(ModelError, match="format_version 99; this autolog reads up to 1. Upgrade"):
        autolog.load_model(tmp_path / "m")


def test_an_existing_non_empty_path_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("mine")
    with pytest.raises(InvalidInputError, match="already exists and is not an empty directory"):
        autolog.save_model(Summer(), tmp_path / "m")
    assert [p.name for p in (tmp_path / "m").iterdir()] == ["keep.txt"]
    # an empty directory is fine
    (tmp_path / "empty").mkdir()
    autolog.save_model(Summer(), tmp_path / "empty")
    assert (tmp_path / "empty" / "model.yaml").is_file()


def test_a_failed_save_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="could not save the model in format 'pickle'.*cannot pickle me"):
        autolog.save_model(Exploding(), tmp_path / "m")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidInputError, match="metadata .* must hold only"):
        autolog.save_model(Summer(), tmp_path / "m", metadata={"when": object()})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"formats": ["onnx"]}, r"flavor 'python' writes formats pickle; got 'onnx'"),
        ({"metadata": ["not", "a", "dict"]}, r"metadata must be a dict, got list"),
        ({"signature": 42}, r"signature must come from autolog.infer_signature"),
        ({"input_example": object()}, r"input_example must be a pandas DataFrame"),
        ({"pip_requirements": [""]}, r"pip_requirements must be strings"),
    ],
)
def test_bad_arguments_are_refused_clearly(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        autolog.save_model(Summer(), tmp_path / "m", **kwargs)
    assert not (tmp_path / "m").exists()
