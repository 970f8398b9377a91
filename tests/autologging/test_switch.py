"""enable()/disable()/enabled(): hooks, the ledger, identity on undo, options, flavor choice."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.autologging import _hooks, _patch
from autolog.errors import AutologWarning, FlavorUnavailable, InvalidInputError, UnknownFlavorError
from autolog.models import Flavor
from autolog.testing import registered_flavor
from autolog.testing._autolog import flavor_runs

from _fakeflavor import FakeFlavor


def test_enable_before_import_imports_nothing_and_patches_on_import(fakelib_path: Path) -> None:
    autolog.enable(flavors=["fakelib"])
    assert "fakelib" not in sys.modules
    assert autolog.enabled() == {"fakelib": "waiting for import of fakelib"}
    import fakelib

    assert _patch.is_ours(vars(fakelib.Model)["fit"])
    assert autolog.enabled() == {"fakelib": "active (4 patches)"}
    fakelib.Model(scale=3.0).fit([1.0, 1.0])
    (run,) = flavor_runs("fakelib")
    assert run.data.params == {"scale": "3.0", "cls": "Model"}
    assert run.data.metrics == {"coef": 6.0}
    assert run.info.run_name == "Model"


def test_enable_after_import_patches_at_once(fakelib: Any) -> None:
    autolog.enable(flavors="fakelib")
    assert _patch.is_ours(vars(fakelib.Model)["fit"])
    assert _patch.is_ours(vars(fakelib.models)["train"])


def test_submodule_imported_later_is_patched_too(fakelib: Any) -> None:
    autolog.enable(flavors=["fakelib"])
    asked = FakeFlavor.asked
    import fakelib.extra

    assert FakeFlavor.asked == asked + 1  # one outermost import, one more question
    assert _patch.is_ours(vars(fakelib.extra.Late)["fit"])
    fakelib.extra.Late().fit([1.0])
    assert [r.info.run_name for r in flavor_runs("fakelib")] == ["Late"]


def test_import_through_the_hook_leaves_the_real_loader_in_place(fakelib_path: Path) -> None:
    autolog.enable(flavors=["fakelib"])
    import fakelib.models

    for module in (fakelib, fakelib.models):
        assert type(module.__loader__).__module__ != _hooks.__name__
        assert module.__spec__.loader is module.__loader__


def test_hot_patches_are_plain_functions_that_see_what_a_wrapt_wrapper_sees(fakelib: Any) -> None:
    import types

    train, predict = fakelib.models.train, fakelib.Model.predict
    autolog.enable(flavors=["fakelib"])
    hot_train, hot_predict = vars(fakelib.models)["train"], vars(fakelib.Child)["predict"]
    for hot, original in ((hot_train, train), (hot_predict, predict)):
        assert type(hot) is types.FunctionType and _patch.is_ours(hot)
        assert hot.__wrapped__ is original and hot.__qualname__ == original.__qualname__
    assert not _patch.is_ours(train) and not _patch.is_ours(vars(fakelib.Model)["fit"].__wrapped__)
    # a method: the wrapper gets the bound original and the instance, called either way
    child = fakelib.Child(2.0).fit([1.0])
    assert child.predict([1.0]) == [2.0] and fakelib.Child.predict(child, [3.0]) == [6.0]
    assert child.predict_calls == 2
    # a module function: its training call is recorded like any other
    fakelib.models.train({"scale": 2.0}, [1.0, 2.0])
    assert "train" in [r.info.run_name for r in flavor_runs("fakelib")]
    autolog.disable()  # the gate is off for a reference kept from before: it passes through
    assert hot_predict(child, [1.0]) == [2.0] and child.predict_calls == 2


def test_disable_restores_identical_objects_including_inherited(fakelib: Any) -> None:
    fit = vars(fakelib.Model)["fit"]
    ensemble_fit = vars(fakelib.Ensemble)["fit"]
    train = fakelib.models.train
    assert "predict" not in vars(fakelib.Child)
    autolog.enable(flavors=["fakelib"])
    assert "predict" in vars(fakelib.Child)  # the inherited method got its own wrapper
    child = fakelib.Child(2.0).fit([1.0])
    assert child.predict([1.0]) == [2.0] and child.predict_calls == 1
    autolog.disable()
    assert vars(fakelib.Model)["fit"] is fit
    assert vars(fakelib.Ensemble)["fit"] is ensemble_fit
    assert fakelib.models.train is train
    assert "predict" not in vars(fakelib.Child)
    assert fakelib.Child.predict is fakelib.Model.predict
    assert not _patch.ledger() and autolog.enabled() == {}
    assert _hooks._finder not in sys.meta_path


def test_disable_twice_is_harmless_and_enable_again_works(fakelib: Any) -> None:
    autolog.enable(flavors=["fakelib"])
    autolog.disable()
    autolog.disable()
    autolog.enable(flavors=["fakelib"])
    fakelib.Model().fit([1.0])
    assert len(flavor_runs("fakelib")) == 1


def test_disable_leaves_a_later_replacement_alone_with_a_warning(fakelib: Any) -> None:
    autolog.enable(flavors=["fakelib"])
    ours = vars(fakelib.Model)["fit"]

    def theirs(self: Any, X: Any, y: Any = None) -> Any:
        return ours(self, X, y)

    fakelib.Model.fit = theirs
    with pytest.warns(AutologWarning, match="replaced by someone else"):
        autolog.disable()
    assert vars(fakelib.Model)["fit"] is theirs
    # our wrapper, still inside theirs, stays inert while autolog is off
    fakelib.Model().fit([1.0])
    assert flavor_runs("fakelib") == []


def test_second_enable_updates_options_and_wraps_nothing_twice(fakelib: Any) -> None:
    autolog.enable(flavors=["fakelib"])
    first = [(e.owner, e.attribute, e.wrapper) for e in _patch.ledger()]
    autolog.enable(flavors=["fakelib"], extra_tags={"team": "search"})
    assert [(e.owner, e.attribute, e.wrapper) for e in _patch.ledger()] == first
    fakelib.Model().fit([1.0])
    (run,) = flavor_runs("fakelib")
    assert run.data.tags["team"] == "search"


def test_nested_training_calls_open_no_run_of_their_own(fakelib: Any) -> None:
    autolog.enable(flavors=["fakelib"])
    fakelib.Ensemble(scale=2.0).fit([1.0, 2.0])  # 3 member fits + super().fit inside
    fakelib.models.train({"scale": 1.0}, [5.0])  # Model.fit inside train()
    runs = flavor_runs("fakelib")
    assert sorted(r.info.run_name for r in runs) == ["Ensemble", "train"]
    assert all(r.info.parent_run_id is None for r in runs)


def test_first_fit_logs_into_the_user_run_later_ones_into_child_runs(fakelib: Any) -> None:
    autolog.enable(flavors=["fakelib"])
    with autolog.start_run(run_name="mine") as mine:
        for scale in (1.0, 2.0, 3.0):
            fakelib.Model(scale=scale).fit([1.0])
            assert autolog.active_run().info.run_id == mine.info.run_id
    runs = {r.info.run_id: r for r in flavor_runs("fakelib")}
    parent = runs.pop(mine.info.run_id)
    assert parent.data.params["scale"] == "1.0" and parent.info.status.value == "FINISHED"
    assert sorted(r.data.params["scale"] for r in runs.values()) == ["2.0", "3.0"]
    assert all(r.info.parent_run_id == mine.info.run_id for r in runs.values())


def test_failed_training_marks_the_run_failed_and_ends_it(fakelib: Any) -> None:
    autolog.enable(flavors=["fakelib"])
    error = ValueError("bad data")
    with pytest.raises(ValueError) as raised:
        fakelib.Model(fail_with=error).fit([1.0])
    assert raised.value is error
    (run,) = flavor_runs("fakelib")
    assert run.info.status.value == "FAILED"
    assert autolog.active_run() is None


def test_unknown_flavor_name_raises(fakelib_path: Path) -> None:
    with pytest.raises(UnknownFlavorError, match="nosuchflavor"):
        autolog.enable(flavors=["nosuchflavor"])
    assert autolog.enabled() == {}


class _MissingLibFlavor(FakeFlavor):
    name = "missinglib"
    module = "autolog_test_no_such_library"


def test_named_flavor_whose_library_is_missing_raises(fakelib_path: Path) -> None:
    with registered_flavor(_MissingLibFlavor):
        with pytest.raises(FlavorUnavailable, match="autolog_test_no_such_library"):
            autolog.enable(flavors=["missinglib"])


def test_default_skips_missing_libraries_with_one_log_line(
    fakelib_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with registered_flavor(_MissingLibFlavor), caplog.at_level(logging.INFO, logger="autolog"):
        autolog.enable()
        on = autolog.enabled()
    assert "missinglib" not in on and "fakelib" in on
    lines = [r.getMessage() for r in caplog.records if "missinglib" in r.getMessage()]
    assert len(lines) == 1 and "not installed" in lines[0]


class _NoPatchesFlavor(FakeFlavor):
    name = "nopatches"
    autolog = Flavor.autolog


def test_naming_a_flavor_without_autologging_raises(fakelib_path: Path) -> None:
    with registered_flavor(_NoPatchesFlavor):
        with pytest.raises(InvalidInputError, match="no autologging"):
            autolog.enable(flavors=["nopatches"])


def test_exclude_and_environment_variable(fakelib: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    autolog.enable(exclude=["fakelib"])
    assert "fakelib" not in autolog.enabled()
    monkeypatch.setenv("AUTOLOG_DISABLED_FLAVORS", "xgboost, fakelib")
    autolog.enable()
    assert "fakelib" not in autolog.enabled()
    monkeypatch.setenv("AUTOLOG_DISABLED_FLAVORS", "*")
    autolog.enable(flavors=["fakelib"])
    assert autolog.enabled() == {}
    monkeypatch.delenv("AUTOLOG_DISABLED_FLAVORS")
    autolog.enable(flavors=["fakelib"])
    assert autolog.enabled() == {"fakelib": "active (4 patches)"}


def test_enabling_fewer_flavors_reverts_the_others(fakelib: Any) -> None:
    autolog.enable()
    assert "fakelib" in autolog.enabled()
    fit = vars(fakelib.Model)["fit"].__wrapped__
    autolog.enable(exclude=["fakelib"])
    assert vars(fakelib.Model)["fit"] is fit


@pytest.mark.parametrize(
    "options",
    [{"max_tuning_runs": -1}, {"max_tuning_runs": "5"}, {"model_formats": [1]}, {"extra_tags": ["a"]}],
)
def test_bad_options_raise_a_clear_error(fakelib_path: Path, options: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        autolog.enable(flavors=["fakelib"], **options)
    assert autolog.enabled() == {}
