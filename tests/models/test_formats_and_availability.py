"""Several formats in one model, formats served by another flavor, and missing libraries.

``Gadget`` is a model of a library that is not installed here ("gadgetlib"): its flavor can
save (it needs nothing to write JSON) but not load, which is exactly the situation of a
machine that serves an ONNX copy of a model without the training library.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

import autolog
from autolog.errors import FlavorUnavailable, FormatConversionWarning, InvalidInputError, ModelError
from autolog.models._flavor import Flavor
from autolog.testing import registered_flavor


class Gadget:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class GadgetFlavor(Flavor):
    name = "gadget"
    module = "gadgetlib_not_installed"
    package = "gadgetlib"
    requirement = "gadgetlib>=2"
    formats = ("native", "portable", "broken", "twin")

    def handles(self, model: Any) -> bool:
        return isinstance(model, Gadget)

    def save(self, model: Any, path: Path, format: str) -> dict[str, Any]:
        if format == "native":
            (path / "gadget.json").write_text(json.dumps({"offset": model.offset}))
            return {"files": ["gadget.json"]}
        if format == "portable":
            # a plain function the python flavor can serve, like an ONNX export the onnx
            # flavor serves
            offset = model.offset
            with open(path / "model.pkl", "wb") as f:
                cloudpickle.dump(lambda xs: [x + offset for x in xs], f)
            return {"files": ["model.pkl"], "flavor": "python", "kind": "function", "converted_from": "gadget"}
        if format == "twin":
            (path / "twin.json").write_text("{}")
            return {"files": ["twin.json"]}
        raise RuntimeError("the converter does not support this gadget")

    def load(self, path: Path, meta: dict[str, Any]) -> Any:
        import gadgetlib_not_installed  # noqa: F401  (the library this flavor needs)

    def predict(self, native: Any, data: Any) -> Any:
        return [x + native.offset for x in data]


@pytest.fixture
def gadget_flavor(fresh_registry: None) -> Any:
    with registered_flavor(GadgetFlavor):
        yield


def test_a_model_carries_several_formats_each_under_its_flavor(tmp_path: Path, gadget_flavor: None) -> None:
    info = autolog.save_model(Gadget(5), tmp_path / "m", formats=["native", "portable"])
    assert list(info.flavors) == ["gadget", "python"]
    assert info.flavors["gadget"]["files"] == ["gadget.json"]
    python = info.flavors["python"]
    assert python["format"] == "portable" and python["converted_from"] == "gadget"
    assert "flavor" not in python
    # requirements name both the training library and what serves the other format
    assert any(r.startswith("cloudpickle==") for r in info.requirements)

    # gadgetlib is not installed: the first flavor that works here serves the model
    loaded = autolog.load_model(tmp_path / "m")
    assert loaded.flavor == "python"
    assert loaded.predict([1, 2]) == [6, 7]
    assert autolog.load_model(tmp_path / "m", flavor="python").predict([0]) == [5]


def test_a_missing_library_names_the_package_and_the_alternatives(tmp_path: Path, gadget_flavor: None) -> None:
    autolog.save_model(Gadget(5), tmp_path / "m", formats=["native", "portable"])
    with pytest.raises(FlavorUnavailable) as caught:
        autolog.load_model(tmp_path / "m", flavor="gadget")
    message = str(caught.value)
    assert caught.value.flavor == "gadget"
    assert "needs gadgetlib, which is not installed" in message
    assert "pip install 'gadgetlib>=2'" in message
    assert f"This model also has: python (load_model('{tmp_path / 'm'}', flavor='python'))" in message


def test_no_loadable_flavor_explains_each_one(tmp_path: Path, gadget_flavor: None) -> None:
    autolog.save_model(Gadget(5), tmp_path / "m")
    with pytest.raises(FlavorUnavailable, match=r"none of the flavors .* flavor 'gadget' needs gadgetlib"):
        autolog.load_model(tmp_path / "m")


def test_a_flavor_the_model_lacks_lists_those_it_has(tmp_path: Path, gadget_flavor: None) -> None:
    autolog.save_model(Gadget(5), tmp_path / "m", formats="native")
    with pytest.raises(ModelError, match=r"has no flavor 'onnx'; it has: gadget"):
        autolog.load_model(tmp_path / "m", flavor="onnx")


def test_a_model_whose_plugin_is_gone_says_which_to_install(tmp_path: Path, gadget_flavor: None) -> None:
    autolog.save_model(Gadget(5), tmp_path / "m", formats=["native", "portable"])
    path = tmp_path / "m" / "model.yaml"
    path.write_text(path.read_text().replace("gadget:", "gizmo:\n    plugin: autolog-gizmo", 1))
    with pytest.raises(FlavorUnavailable, match=r"flavor 'gizmo' is not registered here; install the plugin: pip install 'autolog-gizmo'.*also has: python"):
        autolog.load_model(tmp_path / "m", flavor="gizmo")


def test_a_failing_extra_format_warns_and_the_others_are_written(tmp_path: Path, gadget_flavor: None) -> None:
    with pytest.warns(FormatConversionWarning, match=r"format 'broken' was not written \(RuntimeError: the converter does not support this gadget\); the model is saved in 'native', 'portable'"):
        info = autolog.save_model(Gadget(1), tmp_path / "m", formats=["native", "broken", "portable"])
    assert list(info.flavors) == ["gadget", "python"]
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["gadget.json", "model.pkl", "model.yaml", "requirements.txt"]


def test_a_failing_first_format_is_an_error(tmp_path: Path, gadget_flavor: None) -> None:
    with pytest.raises(ModelError, match="could not save the model in format 'broken'"):
        autolog.save_model(Gadget(1), tmp_path / "m", formats=["broken", "native"])
    assert list(tmp_path.iterdir()) == []


def test_two_formats_for_one_flavor_are_refused(tmp_path: Path, gadget_flavor: None) -> None:
    with pytest.warns(FormatConversionWarning, match="both served by flavor 'gadget'"):
        info = autolog.save_model(Gadget(1), tmp_path / "m", formats=["native", "twin"])
    assert list(info.flavors) == ["gadget"]
    with pytest.raises(InvalidInputError, match="writes formats native, portable, broken, twin; got 'nope'"):
        autolog.save_model(Gadget(1), tmp_path / "n", formats=["native", "nope"])
