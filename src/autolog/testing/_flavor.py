"""``FlavorConformance``: the checks every flavor passes, built-in or third-party.

Subclass it in your plugin's tests and provide three fixtures::

    from autolog.testing import FlavorConformance

    class TestMyFlavor(FlavorConformance):
        @pytest.fixture
        def flavor_class(self):
            return MyFlavor

        @pytest.fixture
        def model(self):
            return mylib.Model().fit(X, y)

        @pytest.fixture
        def model_input(self):
            return X[:5]

Override ``assert_predictions_equal`` when your predictions are not numbers or lists, and
set ``approximate_formats`` for formats that only agree within a tolerance (ONNX).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest

from autolog.models._flavor import Flavor


@contextmanager
def registered_flavor(flavor_class: type[Flavor], name: str | None = None) -> Iterator[None]:
    """Register ``flavor_class`` through the real registry for the duration of a block.

    Whatever was registered under that name before comes back afterwards.
    """
    from autolog import _plugins
    from autolog.models import _discovery

    name = name or flavor_class.name
    with _plugins.flavors.registered(name, flavor_class):
        _discovery.forget(name)
        try:
            yield
        finally:
            _discovery.forget(name)


class FlavorConformance:
    """Checks for one flavor. Fixtures to provide: ``flavor_class``, ``model``, ``model_input``."""

    #: formats whose predictions only agree within ``rtol`` (conversions such as ONNX)
    approximate_formats: ClassVar[tuple[str, ...]] = ("onnx",)
    rtol: ClassVar[float] = 1e-5
    #: formats not to round-trip here (say why in a comment where you set it)
    skip_formats: ClassVar[tuple[str, ...]] = ()
    #: False for a flavor that is deliberately not registered as an entry point
    check_entry_point: ClassVar[bool] = True

    @pytest.fixture
    def flavor(self, flavor_class: type[Flavor]) -> Flavor:
        return flavor_class()

    def assert_predictions_equal(self, expected: Any, actual: Any, format: str) -> None:
        """Predictions of the original and the reloaded model agree (exactly unless approximate)."""
        try:
            import numpy as np
        except ImportError:  # a pure-python library: compare as plain values
            assert actual == expected, f"format {format!r}: {actual!r} != {expected!r}"
            return
        expected, actual = _as_array(expected), _as_array(actual)
        if format in self.approximate_formats:
            np.testing.assert_allclose(actual, expected, rtol=self.rtol, atol=self.rtol,
                                       err_msg=f"format {format!r}")
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=f"format {format!r}")

    # -- declarations ----------------------------------------------------------------------
    def test_declares_name_module_and_formats(self, flavor_class: type[Flavor]) -> None:
        assert isinstance(flavor_class.name, str) and flavor_class.name, "name must be set"
        assert isinstance(flavor_class.module, str) and flavor_class.module, "module must be set"
        formats = flavor_class.formats
        assert isinstance(formats, tuple) and formats, "formats must be a non-empty tuple"
        assert all(isinstance(f, str) and f for f in formats), f"formats must be strings: {formats}"
        assert len(set(formats)) == len(formats), f"formats repeat: {formats}"
        for method in ("save", "load", "predict"):
            assert getattr(flavor_class, method) is not getattr(Flavor, method), f"{method} is not implemented"

    def test_name_equals_entry_point_name(self, flavor_class: type[Flavor]) -> None:
        if not self.check_entry_point:
            pytest.skip("check_entry_point = False")
        from importlib.metadata import entry_points

        package = flavor_class.__module__.split(".", 1)[0]
        names = []
        for ep in entry_points(group="autolog.flavors"):
            if ep.value.split(".", 1)[0].split(":", 1)[0] != package:
                continue  # other packages' plugins are not imported here
            try:
                loaded = ep.load()
            except Exception:  # another package's broken plugin is not this flavor's problem
                continue
            if loaded is flavor_class:
                names.append(ep.name)
        assert names, (
            f"{flavor_class.__module__}:{flavor_class.__qualname__} is not registered under the "
            "entry-point group 'autolog.flavors' (is the package installed?)"
        )
        assert names == [flavor_class.name], (
            f"registered as {names}, but Flavor.name is {flavor_class.name!r}; they must be equal"
        )

    # -- handles ---------------------------------------------------------------------------
    def test_handles_its_model(self, flavor: Flavor, model: Any) -> None:
        assert flavor.handles(model) is True

    def test_handles_rejects_other_objects(self, flavor: Flavor) -> None:
        for other in (object(), 42, "text", None, {"a": 1}):
            assert not flavor.handles(other), f"handles({other!r}) should be False"

    def test_import_does_not_import_its_library(self, flavor_class: type[Flavor]) -> None:
        root = flavor_class.module.split(".", 1)[0]
        code = (
            "import importlib, json, sys\n"
            f"cls = importlib.import_module({flavor_class.__module__!r})\n"
            f"for part in {flavor_class.__qualname__!r}.split('.'): cls = getattr(cls, part)\n"
            "cls().handles(object())\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m == {root!r} "
            f"or m.startswith({root + '.'!r}))))\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=120, env=_child_env())
        assert result.returncode == 0, result.stderr
        imported = json.loads(result.stdout.strip().splitlines()[-1])
        assert imported == [], (
            f"importing {flavor_class.__module__} and calling handles() imported {imported}; "
            f"import {root} inside the methods that need it"
        )

    # -- round trips -----------------------------------------------------------------------
    def test_save_load_predict_every_format(
        self, flavor: Flavor, model: Any, model_input: Any, tmp_path: Path
    ) -> None:
        import yaml

        from autolog.models import _discovery
        from autolog.models._directory import _takes_example

        expected = flavor.predict(model, model_input)
        # plain ``type``: mypy wrongly finds ``type[Flavor]`` unhashable for the lru_cache
        flavor_type: type = type(flavor)
        for fmt in flavor.formats:
            if fmt in self.skip_formats:
                continue
            path = tmp_path / fmt
            path.mkdir()
            # flavors that trace the model (ONNX) get a batch to trace with
            extra = {"example": model_input} if _takes_example(flavor_type) else {}
            meta = flavor.save(model, path, fmt, **extra)
            assert isinstance(meta, dict), f"save(..., {fmt!r}) must return a dict, got {meta!r}"
            yaml.safe_dump(meta)  # must be plain data: it goes into model.yaml
            assert any(path.iterdir()), f"save(..., {fmt!r}) wrote no file"
            target = meta.get("flavor", flavor.name)
            server = flavor if target == flavor.name else _discovery.get_flavor(target)
            native = server.load(path, meta)
            self.assert_predictions_equal(expected, server.predict(native, model_input), fmt)

    def test_round_trip_through_model_directory(
        self, flavor_class: type[Flavor], flavor: Flavor, model: Any, model_input: Any, tmp_path: Path
    ) -> None:
        from autolog.models import load_model, save_model

        with registered_flavor(flavor_class):
            info = save_model(model, tmp_path / "model", flavor=flavor.name)
            assert list(info.flavors)[0] == flavor.name
            loaded = load_model(tmp_path / "model")
            assert loaded.flavor == flavor.name
            expected = flavor.predict(model, model_input)
            self.assert_predictions_equal(expected, loaded.predict(model_input), flavor.formats[0])


def _as_array(value: Any) -> Any:
    import numpy as np

    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    elif hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _child_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


__all__ = ["FlavorConformance", "registered_flavor"]
