"""The options of ``autolog.enable()``, and the process-wide switch the wrappers read."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from autolog.errors import InvalidInputError

#: comma-separated flavor names that ``enable()`` leaves alone; ``*`` means all of them
DISABLED_ENV = "AUTOLOG_DISABLED_FLAVORS"


@dataclass(frozen=True)
class AutologConfig:
    """What autologging records. Frozen: ``enable()`` swaps in a new one atomically."""

    log_models: bool = True
    #: model formats to write besides the flavor's default (e.g. ("onnx",)); None: default only
    model_formats: tuple[str, ...] | None = None
    log_signatures: bool = True
    log_input_examples: bool = False
    log_datasets: bool = True
    log_plots: bool = True
    max_tuning_runs: int = 5
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    silent: bool = False

    def updated(self, **changes: Any) -> AutologConfig:
        return replace(self, **changes)


def make_config(
    *,
    log_models: bool,
    model_formats: Iterable[str] | str | None,
    log_signatures: bool,
    log_input_examples: bool,
    log_datasets: bool,
    log_plots: bool,
    max_tuning_runs: int,
    extra_tags: Mapping[str, Any] | None,
    silent: bool,
) -> AutologConfig:
    """Validate ``enable()``'s arguments into a config; bad values raise InvalidInputError."""
    if isinstance(model_formats, str):
        model_formats = (model_formats,)
    formats = tuple(model_formats) if model_formats is not None else None
    if formats is not None and not all(isinstance(f, str) and f for f in formats):
        raise InvalidInputError(
            f"model_formats must be format names such as ('pickle', 'onnx'), got {model_formats!r}"
        )
    if isinstance(max_tuning_runs, bool) or not isinstance(max_tuning_runs, int) or max_tuning_runs < 0:
        raise InvalidInputError(
            f"max_tuning_runs must be an int >= 0 (0 logs no child runs), got {max_tuning_runs!r}"
        )
    if extra_tags is not None and not isinstance(extra_tags, Mapping):
        raise InvalidInputError(
            f"extra_tags must be a mapping of tag name to value, got {type(extra_tags).__name__}"
        )
    return AutologConfig(
        log_models=bool(log_models),
        model_formats=formats,
        log_signatures=bool(log_signatures),
        log_input_examples=bool(log_input_examples),
        log_datasets=bool(log_datasets),
        log_plots=bool(log_plots),
        max_tuning_runs=max_tuning_runs,
        extra_tags={str(k): str(v) for k, v in (extra_tags or {}).items()},
        silent=bool(silent),
    )


def disabled_by_env() -> tuple[bool, frozenset[str]]:
    """(all disabled, names disabled) from ``AUTOLOG_DISABLED_FLAVORS``."""
    raw = os.environ.get(DISABLED_ENV, "")
    names = frozenset(n.strip() for n in raw.split(",") if n.strip())
    return "*" in names, names - {"*"}


_current = AutologConfig()


def current() -> AutologConfig:
    """The options of the latest ``enable()`` (the defaults before any)."""
    return _current


def set_current(config: AutologConfig) -> None:
    global _current
    _current = config
