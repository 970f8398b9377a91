"""``AutologConformance``: the autolog safety rules (DESIGN.md), checked for one flavor.

Every flavor that declares patches runs it; third-party flavors can too::

    from autolog.testing import AutologConformance

    class TestMyLibAutolog(AutologConformance):
        flavor = "mylib"

        @pytest.fixture
        def train(self):
            return lambda: mylib.Model(seed=0).fit(X, y)      # one training call, its result

        @pytest.fixture
        def train_raising(self):
            def run(exc):                                      # a training call that raises exc
                mylib.Model(callback=lambda: (_ for _ in ()).throw(exc)).fit(X, y)
            return run

Override ``assert_same_result`` when two trainings with the same seed are not equal as pickles.
The suite turns strict mode on (our own errors raise) except where it injects failures.
"""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest

from autolog.errors import AutologWarning
from autolog.core import _tags


@contextmanager
def autologged(*flavors: str, strict: bool = True, **options: Any) -> Iterator[None]:
    """Autologging of ``flavors`` (all when none given) on for a block, off afterwards, with
    our own errors raised instead of warned about (``strict``) so tests see them."""
    import autolog
    from autolog.autologging import _recorder, _safe

    _safe.strict(strict)
    _safe.reset_warnings()
    autolog.enable(flavors=list(flavors) or None, **options)
    try:
        yield
    finally:
        autolog.disable()
        _safe.strict(None)
        _safe.reset_warnings()
        _recorder.reset()


class _UserError(Exception):
    """Raised by the user's training in the tests; must reach the caller as the same object."""


def flavor_runs(flavor: str) -> list[Any]:
    """Runs in the current experiment that ``flavor``'s autologging made or logged into."""
    import autolog

    autolog.flush()
    return [r for r in autolog.search_runs() if r.data.tags.get(_tags.AUTOLOG_FLAVOR) == flavor]


class AutologConformance:
    """Checks for one flavor's autologging. Set ``flavor``; provide ``train`` and
    ``train_raising`` fixtures (see the module docstring)."""

    #: the registered flavor name whose autologging is checked
    flavor: ClassVar[str] = ""
    #: parallel threads in the thread test
    threads: ClassVar[int] = 4

    # -- fixtures and hooks ------------------------------------------------------------------
    @pytest.fixture
    def train(self) -> Callable[[], Any]:
        raise NotImplementedError("provide a `train` fixture: a callable running one training call")

    @pytest.fixture
    def train_raising(self) -> Callable[[BaseException], Any]:
        raise NotImplementedError(
            "provide a `train_raising` fixture: a callable(exc) whose training call raises exc"
        )

    @pytest.fixture
    def autologged(self, train: Callable[[], Any]) -> Iterator[None]:
        """Autologging of this flavor on (strict: our errors raise), off afterwards.
        (It asks for ``train`` so that whatever ``train`` sets up comes first.)"""
        with autologged(self.flavor):
            yield

    def assert_same_result(self, expected: Any, actual: Any) -> None:
        """Two trainings with the same inputs gave the same result (default: equal pickles)."""
        assert pickle.dumps(expected) == pickle.dumps(actual)

    # -- the checks --------------------------------------------------------------------------
    def test_training_logs_a_run(self, autologged: None, train: Callable[[], Any]) -> None:
        train()
        runs = flavor_runs(self.flavor)
        assert len(runs) == 1, f"one training call should leave one run, found {len(runs)}"
        run = runs[0]
        assert run.info.status.value == "FINISHED"
        assert run.data.params or run.data.metrics, "the run holds no params and no metrics"

    def test_disable_restores_identical_objects_and_logs_nothing(
        self, autologged: None, train: Callable[[], Any]
    ) -> None:
        import autolog
        from autolog.autologging import _patch

        train()  # makes sure the library is imported and patched
        entries = _patch.ledger()
        assert entries, f"enable(flavors=[{self.flavor!r}]) applied no patch"
        autolog.disable()
        for entry in entries:
            current = vars(entry.owner).get(entry.attribute, _ABSENT) if hasattr(entry.owner, "__dict__") else _ABSENT
            if entry.was_own:
                assert current is entry.original, f"{entry.owner}.{entry.attribute} is not the original"
            else:
                assert current is _ABSENT, f"{entry.owner}.{entry.attribute} was inherited and must be deleted"
        assert not _patch.ledger() and not autolog.enabled()
        before = len(flavor_runs(self.flavor))
        train()
        assert len(flavor_runs(self.flavor)) == before, "training logged after disable()"

    def test_second_enable_wraps_nothing_twice(self, autologged: None, train: Callable[[], Any]) -> None:
        import autolog
        from autolog.autologging import _patch

        train()
        first = [(id(e.owner), e.attribute, e.wrapper) for e in _patch.ledger()]
        autolog.enable(flavors=[self.flavor], log_models=False)
        again = [(id(e.owner), e.attribute, e.wrapper) for e in _patch.ledger()]
        assert again == first
        for entry in _patch.ledger():
            assert not _patch.is_ours(entry.original), f"{entry.owner}.{entry.attribute} wrapped twice"
        train()
        assert len(flavor_runs(self.flavor)) == 2

    def test_failure_in_our_code_keeps_training_and_warns_once(
        self, autologged: None, train: Callable[[], Any]
    ) -> None:
        import autolog
        from autolog.autologging import _recorder, _safe

        train()  # imports and patches with everything working
        autolog.disable()
        expected = train()
        autolog.enable(flavors=[self.flavor])
        _safe.strict(False)

        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("injected failure in autolog's own code")

        with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings(record=True) as caught:
            patch.setattr(_recorder.TrainingCall, "_open", broken)
            warnings.simplefilter("always")
            result = train()
        ours = [w for w in caught if issubclass(w.category, AutologWarning)]
        assert len(ours) == 1, [str(w.message) for w in caught]
        assert "injected failure" in str(ours[0].message)
        self.assert_same_result(expected, result)

        # every logging call failing: training intact, each failing site warns once only
        _safe.reset_warnings()
        with pytest.MonkeyPatch.context() as patch:
            for method in _LOGGING_METHODS:
                patch.setattr(_recorder.TrainingCall, method, broken)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = train()
            assert [w for w in caught if issubclass(w.category, AutologWarning)]
            self.assert_same_result(expected, result)
            with warnings.catch_warnings(record=True) as again:
                warnings.simplefilter("always")
                self.assert_same_result(expected, train())
        assert not [w for w in again if issubclass(w.category, AutologWarning)], "warned twice at one site"

    def test_user_exception_arrives_unchanged(
        self, autologged: None, train: Callable[[], Any], train_raising: Callable[[BaseException], Any]
    ) -> None:
        train()
        before = {r.info.run_id for r in flavor_runs(self.flavor)}
        error = _UserError("the user's own failure")
        with pytest.raises(_UserError) as raised:
            train_raising(error)
        assert raised.value is error
        assert raised.value.__cause__ is None and raised.value.__context__ is None
        new = [r for r in flavor_runs(self.flavor) if r.info.run_id not in before]
        assert new, "the failed training left no run"
        assert all(r.info.status.value == "FAILED" for r in new), [r.info.status for r in new]

    def test_importing_flavor_module_does_not_import_library(self, train: Callable[[], Any]) -> None:
        from autolog import _plugins
        from autolog.models import _discovery

        entry = _plugins.flavors.get(self.flavor)
        assert entry is not None, f"flavor {self.flavor!r} is not registered"
        flavor = _discovery.get_flavor(self.flavor)
        module = entry.target.partition(":")[0]
        root = flavor.module.partition(".")[0]
        code = (
            f"import sys, {module}\n"
            f"loaded = sorted(m for m in sys.modules if m == {root!r} or m.startswith({root!r} + '.'))\n"
            "assert not loaded, f'importing the flavor module imported {loaded}'\n"
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr

    def test_models_stay_picklable_and_deepcopyable(self, autologged: None, train: Callable[[], Any]) -> None:
        result = train()
        self.assert_same_result(result, pickle.loads(pickle.dumps(result)))
        self.assert_same_result(result, copy.deepcopy(result))

    def test_threads_log_into_their_own_runs(self, autologged: None, train: Callable[[], Any]) -> None:
        train()  # import and patch before the threads start
        before = {r.info.run_id for r in flavor_runs(self.flavor)}
        errors: list[BaseException] = []
        barrier = threading.Barrier(self.threads)

        def work() -> None:
            try:
                barrier.wait(timeout=30)
                train()
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(self.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        new = [r for r in flavor_runs(self.flavor) if r.info.run_id not in before]
        assert len(new) == self.threads
        assert all(r.info.parent_run_id is None for r in new)
        assert all(r.info.status.value == "FINISHED" for r in new)


_ABSENT = object()
_LOGGING_METHODS = (
    "log_params", "log_metrics", "log_metric_history", "set_tags", "log_dict", "log_text", "log_model",
)
