"""Finding flavors through entry points: listing, choosing, and surviving broken plugins."""

from __future__ import annotations

import warnings

import pytest

import autolog
from autolog.errors import InvalidInputError, PluginWarning, UnknownFlavorError
from autolog.models import _discovery

GOOD = '''
import sys
from autolog import Flavor

class Thing:
    def predict(self, data):
        return [len(str(x)) for x in data]

class ThingFlavor(Flavor):
    name = "thing"
    module = "thingplug"
    formats = ("txt",)
    package = "autolog-thing"
    pickle_formats = ()

    def handles(self, model):
        return type(model).__name__ == "Thing"

    def save(self, model, path, format):
        (path / "thing.txt").write_text("thing")
        return {"files": ["thing.txt"]}

    def load(self, path, meta):
        return Thing()

    def predict(self, native, data):
        return native.predict(data)
'''

IMPORT_ERROR = '''
import a_module_that_is_not_installed_anywhere
'''

MISMATCH = '''
from autolog import Flavor

class NamedOtherwise(Flavor):
    name = "other-name"
    module = "json"
    formats = ("x",)
    def save(self, model, path, format): return {}
    def load(self, path, meta): return None
    def predict(self, native, data): return None
'''

MISSING_METHODS = '''
from autolog import Flavor

class Incomplete(Flavor):
    name = "incomplete"
    module = "json"
    formats = ("x",)
    def save(self, model, path, format): return {}
'''


def test_builtin_flavors_are_listed_with_their_details(fresh_registry: None) -> None:
    records = {r.name: r for r in autolog.flavors()}
    assert {"sklearn", "xgboost", "torch", "onnx", "python"} <= set(records)
    python = records["python"]
    assert python.distribution == "autolog"
    assert python.version == autolog.__version__
    assert python.library == "cloudpickle"
    assert python.library_version
    assert python.requirement.startswith("cloudpickle")
    assert python.available is True and python.reason is None
    # python is the fallback, tried and listed last
    assert list(records)[-1] == "python"


def test_a_third_party_plugin_is_listed_and_chosen(make_plugin) -> None:
    make_plugin("autolog-thing", {"thing": "thingplug:ThingFlavor"}, {"thingplug.py": GOOD})
    record = next(r for r in autolog.flavors() if r.name == "thing")
    assert (record.distribution, record.version) == ("autolog-thing", "1.0")
    assert record.available is True
    import thingplug

    # Thing has a predict method, so the python flavor would take it: the plugin comes first
    assert _discovery.flavor_for(thingplug.Thing()).name == "thing"
    assert _discovery.flavor_for(lambda x: x).name == "python"


def test_broken_plugins_warn_once_each_and_the_rest_keep_working(make_plugin) -> None:
    make_plugin("autolog-thing", {"thing": "thingplug:ThingFlavor"}, {"thingplug.py": GOOD})
    make_plugin("autolog-badimport", {"badimport": "badimportplug:Flavor"}, {"badimportplug.py": IMPORT_ERROR})
    make_plugin("autolog-mismatch", {"mismatch": "mismatchplug:NamedOtherwise"}, {"mismatchplug.py": MISMATCH})
    make_plugin("autolog-incomplete", {"incomplete": "incompleteplug:Incomplete"}, {"incompleteplug.py": MISSING_METHODS})

    with pytest.warns(PluginWarning) as caught:
        records = {r.name: r for r in autolog.flavors()}
    messages = [str(w.message) for w in caught]
    for dist, why in [
        ("autolog-badimport", "a_module_that_is_not_installed_anywhere"),
        ("autolog-mismatch", "'other-name'"),
        ("autolog-incomplete", "does not implement load, predict"),
    ]:
        mine = [m for m in messages if dist in m]
        assert len(mine) == 1, messages
        assert why in mine[0]
    assert len(messages) == 3

    for broken in ("badimport", "mismatch", "incomplete"):
        assert records[broken].available is False
        assert "skipped" in (records[broken].reason or "")
    assert records["thing"].available and records["python"].available

    # once is once: using the registry again does not warn again, and saving still works
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        autolog.flavors()
        assert _discovery.flavor_for(lambda x: x).name == "python"


def test_flavor_for_names_what_it_cannot_save(fresh_registry: None) -> None:
    with pytest.raises(InvalidInputError, match=r"no flavor knows how to save a builtins.int.*python"):
        _discovery.flavor_for(42)


def test_an_unknown_flavor_name_lists_the_known_ones(fresh_registry: None) -> None:
    with pytest.raises(UnknownFlavorError, match=r"'nope'.*python"):
        autolog.save_model(lambda x: x, "unused", flavor="nope")
