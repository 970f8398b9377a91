"""``enable()``, ``disable()``, ``enabled()``: the switch, and which flavors it applies to.

``enable()`` does little by itself, so that it stays fast and imports no ML library: it picks
the flavors, checks that their libraries are installed (without importing them) and registers
a post-import hook per library. The hook fires at once for a library already imported, and
otherwise when the user imports it; it asks the flavor for its patches and applies the ones
not applied yet. It fires again after later imports of the library's submodules, so classes
that arrive with them are patched too.
"""

from __future__ import annotations

import functools
import operator
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from autolog import _installed
from autolog.autologging import _config, _hooks, _patch
from autolog.autologging._recorder import Recorder
from autolog.autologging._safe import _safe
from autolog.errors import FlavorUnavailable, InvalidInputError
from autolog.models._flavor import Flavor

if TYPE_CHECKING:
    from autolog.models import _flavor

_lock = threading.RLock()
#: flavor names whose wrappers are live; wrappers' ``enabled`` gates read it
_on: set[str] = set()


@dataclass
class _State:
    flavor: Flavor
    root: str
    recorder: Recorder
    gate: Any

    def install(self, root: str) -> None:
        """The post-import hook: apply what the flavor declares and is not applied yet."""
        name = self.flavor.name
        with _safe(f"the {name} patches"):
            # the flavor-side protocol is open-ended (``__getattr__``), which mypy matches only
            # against classes that define ``__getattr__`` themselves
            recorder = cast("_flavor.Recorder", self.recorder)
            patches = list(self.flavor.autolog(recorder))
            for patch in patches:
                with _safe(f"the {name} patch of {getattr(patch.owner, '__name__', patch.owner)}.{patch.attribute}"):
                    _patch.apply(name, patch, self.gate)


_states: dict[str, _State] = {}


def enable(
    flavors: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str = (),
    log_models: bool = True,
    model_formats: Iterable[str] | str | None = None,
    log_signatures: bool = True,
    log_input_examples: bool = False,
    log_datasets: bool = True,
    log_plots: bool = True,
    max_tuning_runs: int = 5,
    extra_tags: Mapping[str, Any] | None = None,
    silent: bool = False,
    log_system_metrics: bool | None = None,
) -> None:
    """Record training by itself: every supported library's training calls log a run.

    Call it before or after importing the libraries. ``flavors`` names the libraries to
    autolog (default: every installed one; a named flavor whose library is missing raises
    ``FlavorUnavailable``); ``exclude`` leaves some out, and so does the environment variable
    ``AUTOLOG_DISABLED_FLAVORS`` (comma list, ``*`` for all). Calling it again updates the
    options (and the set of flavors) without wrapping anything twice. See docs/autologging.md
    for what each library logs and what the options do. ``log_system_metrics=True`` samples
    CPU, memory, disk, network and GPU in every run started from now on, autologged or not
    (docs/system-metrics.md); ``disable()`` turns that off again.
    """
    config = _config.make_config(
        log_models=log_models,
        model_formats=model_formats,
        log_signatures=log_signatures,
        log_input_examples=log_input_examples,
        log_datasets=log_datasets,
        log_plots=log_plots,
        max_tuning_runs=max_tuning_runs,
        extra_tags=extra_tags,
        silent=silent,
    )
    chosen = _choose(flavors, exclude, config.silent)
    # system metrics belong to the tracking layer (every run, autologged or not): enable()
    # only flips its process-wide switch, remembering the old state for disable()
    from autolog.tracking.system_metrics import _settings as _system_settings

    _system_settings.set_by_enable(log_system_metrics)
    with _lock:
        _config.set_current(config)
        for name in [n for n in _states if n not in chosen]:
            _drop(name)
        for name, flavor in chosen.items():
            if name in _states:
                continue
            root = flavor.module.partition(".")[0]
            gate = functools.partial(operator.contains, _on, name)
            state = _State(flavor, root, Recorder(name, gate), gate)
            _states[name] = state
            _on.add(name)
            _hooks.register(root, state.install)


def disable() -> None:
    """Turn autologging off: every patched function is put back (the identical object).
    System metrics that ``enable(log_system_metrics=...)`` switched are switched back, and the
    runs sampled because of it stop being sampled."""
    with _lock:
        for name in list(_states):
            _drop(name)
    from autolog.tracking.system_metrics import _monitor, _settings as _system_settings

    if _system_settings.release_enable():
        _monitor.stop_implicit()


def enabled() -> dict[str, str]:
    """What is on: flavor name -> 'active (N patches)' or 'waiting for import of <module>'.
    Empty (falsy) when autologging is off."""
    with _lock:
        report = {}
        for name, state in _states.items():
            count = _patch.patched_count(name)
            if count or state.root in sys.modules:
                report[name] = f"active ({count} patches)"
            else:
                report[name] = f"waiting for import of {state.root}"
        return report


def _drop(name: str) -> None:
    state = _states.pop(name)
    _on.discard(name)
    _hooks.unregister(state.root, state.install)
    _patch.revert({name})


def _names(value: Iterable[str] | str | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    names = list(value)
    if not all(isinstance(n, str) for n in names):
        raise InvalidInputError(f"{what} must be flavor names such as ['sklearn'], got {value!r}")
    return names


def _choose(flavors: Iterable[str] | str | None, exclude: Iterable[str] | str, silent: bool) -> dict[str, Flavor]:
    """The flavors to enable: named ones must work (else raise), the default skips quietly."""
    from autolog.models import _discovery

    explicit = flavors is not None
    names = _names(flavors, "flavors") if explicit else _discovery.ordered_names()
    skip = set(_names(exclude, "exclude"))
    all_off, env_off = _config.disabled_by_env()
    installed = _installed.Snapshot()
    chosen: dict[str, Flavor] = {}
    for name in names:
        if name in skip:
            continue
        if all_off or name in env_off:
            _info("autolog: %s skipped (%s)", name, _config.DISABLED_ENV)
            continue
        if explicit:
            flavor = _discovery.get_flavor(name)  # unknown or broken: raises
        else:
            found = _discovery._load(name)
            if isinstance(found, str):
                continue  # a broken plugin: discovery already warned once
            flavor = found
        if type(flavor).autolog is Flavor.autolog:
            if explicit:
                raise InvalidInputError(
                    f"flavor {name!r} has no autologging (it declares no patches); "
                    "log its models with autolog.log_model instead"
                )
            continue
        problem = _unusable(flavor, installed)
        if problem is not None:
            if explicit:
                raise FlavorUnavailable(name, f"cannot autolog {name}: {problem}")
            if not silent:
                _info("autolog: %s skipped: %s", name, problem)
            continue
        chosen[name] = flavor
    return chosen


def _info(message: str, *args: Any) -> None:
    """Log a skip at INFO. Importing logging costs enable() milliseconds; while nothing has
    imported it, nothing has configured it either, and an INFO record would reach no handler."""
    if "logging" in sys.modules:
        sys.modules["logging"].getLogger("autolog").info(message, *args)


def _unusable(flavor: Flavor, installed: _installed.Snapshot) -> str | None:
    from autolog.models import _discovery

    if not _discovery.module_available(flavor.module):
        return f"{flavor.module!r} is not installed; {_discovery.install_hint(flavor)}"
    if flavor.requirement and flavor.package:
        version = installed.version(flavor.package)
        if version and not _in_range(flavor.requirement, version):
            return f"installed version {version} is outside the supported range {flavor.requirement}"
    return None


_OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


def _release(text: str) -> tuple[int, ...]:
    import re

    parts = []
    for piece in text.strip().split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _in_range(requirement: str, installed: str) -> bool:
    """``installed`` satisfies the release comparisons in ``requirement`` ("lib>=1.3,<2").
    A tiny check on purpose: importing ``packaging`` costs ``enable()`` 140 ms. Clauses it
    does not understand (~=, wildcards, markers) are treated as satisfied."""
    import re

    version = _release(installed)
    for op, bound in re.findall(r"(>=|<=|==|!=|>|<)\s*([0-9][0-9A-Za-z.]*)", requirement):
        if "*" in bound:
            continue
        if not _OPS[op](version, _release(bound)):
            return False
    return True
