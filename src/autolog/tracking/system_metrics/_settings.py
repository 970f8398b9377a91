"""When system metrics are sampled, how often, and under which node id.

Off by default. A run samples when ``start_run(log_system_metrics=True)`` says so; with
``log_system_metrics=None`` (the default) it follows the process-wide switch
(``enable_system_metrics_logging()`` / ``disable_system_metrics_logging()``, or
``autolog.enable(log_system_metrics=...)``), and without one the environment variable
``AUTOLOG_ENABLE_SYSTEM_METRICS``. Values set in code win over the environment; the
environment is read when a run starts, so a test or a notebook may change it in between.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from typing import Any

from autolog.errors import InvalidInputError, MissingDependencyError

ENABLE_ENV = "AUTOLOG_ENABLE_SYSTEM_METRICS"
INTERVAL_ENV = "AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL"
SAMPLES_ENV = "AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING"
NODE_ENV = "AUTOLOG_SYSTEM_METRICS_NODE_ID"

DEFAULT_INTERVAL_S = 10.0
DEFAULT_SAMPLES = 1

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})

_lock = threading.Lock()
_switch: bool | None = None  # None: follow AUTOLOG_ENABLE_SYSTEM_METRICS
_interval: float | None = None
_samples: int | None = None
_node_id: str | None = None
#: the switch as it was before ``autolog.enable(log_system_metrics=...)`` set it, so that
#: ``autolog.disable()`` can put it back; absent while enable() has not set it
_before_enable: list[bool | None] = []


@dataclass(frozen=True)
class Settings:
    """What the sampler thread runs with (read once when it starts)."""

    interval: float
    samples: int
    node_id: str | None

    @property
    def prefix(self) -> str:
        """``system/`` or, for a multi-node run, ``system/<node_id>/`` (MLflow's layout)."""
        return f"system/{self.node_id}/" if self.node_id else "system/"


# -- the public switch (MLflow's names) ---------------------------------------------------------
def enable_system_metrics_logging(
    sampling_interval: float | None = None,
    samples_before_logging: int | None = None,
    node_id: str | None = None,
) -> None:
    """Sample system metrics (CPU, memory, disk, network, GPU) in every run started from now on
    in this process, unless ``start_run(log_system_metrics=False)`` says otherwise.

    ``sampling_interval`` (seconds, default 10 or ``AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL``),
    ``samples_before_logging`` (samples averaged into each logged point, default 1 or
    ``AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING``) and ``node_id`` (metric names become
    ``system/<node_id>/...``) apply from the next time sampling starts. Needs psutil
    (``pip install 'autolog[system]'``).
    """
    global _switch, _interval, _samples, _node_id
    interval = check_interval(sampling_interval, "sampling_interval") if sampling_interval is not None else None
    samples = check_samples(samples_before_logging, "samples_before_logging") if samples_before_logging is not None else None
    node = check_node_id(node_id, "node_id") if node_id is not None else None
    require_psutil()
    with _lock:
        _switch = True
        _interval = interval if interval is not None else _interval
        _samples = samples if samples is not None else _samples
        _node_id = node if node is not None else _node_id


def disable_system_metrics_logging() -> None:
    """Sample no system metrics in runs started from now on (unless a run asks with
    ``start_run(log_system_metrics=True)``); runs already sampled go on until they end."""
    global _switch
    with _lock:
        _switch = False


# -- autolog.enable() / disable() ---------------------------------------------------------------
def set_by_enable(on: Any) -> None:
    """``autolog.enable(log_system_metrics=on)``: None leaves the switch as it is."""
    global _switch
    if on is None:
        return
    if not isinstance(on, bool):
        raise InvalidInputError(f"log_system_metrics must be True, False or None, got {on!r}")
    if on:
        require_psutil()
    with _lock:
        if not _before_enable:
            _before_enable.append(_switch)
        _switch = on


def release_enable() -> bool:
    """``autolog.disable()``: put the switch back as it was before ``enable()`` set it.
    Returns whether enable() had set it."""
    global _switch
    with _lock:
        if not _before_enable:
            return False
        _switch = _before_enable.pop()
        return True


# -- reading --------------------------------------------------------------------------------------
def wanted(requested: Any) -> bool:
    """Whether a run started now samples: ``requested`` (start_run's argument) if not None,
    else the switch set in code, else the environment."""
    if requested is not None:
        if not isinstance(requested, bool):
            raise InvalidInputError(
                f"log_system_metrics must be True, False or None (follow the process setting), "
                f"got {requested!r}"
            )
        return requested
    if _switch is not None:
        return _switch
    raw = os.environ.get(ENABLE_ENV, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise InvalidInputError(f"{ENABLE_ENV}={os.environ[ENABLE_ENV]!r}: use true or false")


def current() -> Settings:
    """The interval, samples per point and node id in force now (code, else environment,
    else the defaults; the node id else the one torchrun's environment implies)."""
    interval = _interval
    if interval is None:
        raw = os.environ.get(INTERVAL_ENV, "").strip()
        interval = check_interval(_number(raw, INTERVAL_ENV), INTERVAL_ENV) if raw else DEFAULT_INTERVAL_S
    samples = _samples
    if samples is None:
        raw = os.environ.get(SAMPLES_ENV, "").strip()
        samples = check_samples(_number(raw, SAMPLES_ENV), SAMPLES_ENV) if raw else DEFAULT_SAMPLES
    node = _node_id
    if node is None:
        raw = os.environ.get(NODE_ENV, "").strip()
        node = check_node_id(raw, NODE_ENV) if raw else _torchrun_node()
    return Settings(interval, samples, node)


def _torchrun_node() -> str | None:
    """``node_<rank>`` when torchrun (torch.distributed.elastic) runs this process as part of a
    job spanning several nodes, so that every node's samples keep their own names."""
    env = os.environ
    try:
        if int(env["WORLD_SIZE"]) > int(env["LOCAL_WORLD_SIZE"]):
            return f"node_{int(env['GROUP_RANK'])}"
    except (KeyError, ValueError):
        pass
    return None


def require_psutil() -> None:
    """Raise a clear error when psutil (the ``system`` extra) is missing."""
    import importlib.util

    if importlib.util.find_spec("psutil") is None:
        raise MissingDependencyError(
            "psutil",
            "system",
            "system metrics need psutil, which is not installed: "
            "pip install 'autolog[system]' (or pip install psutil)",
        )


# -- checks ---------------------------------------------------------------------------------------
def _number(raw: str, where: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise InvalidInputError(f"{where}={raw!r} is not a number") from None


def check_interval(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InvalidInputError(f"{where} must be a number of seconds > 0, got {value!r}")
    return float(value)


def check_samples(value: Any, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{where} must be a whole number >= 1, got {value!r}")
    return value


def check_node_id(value: Any, where: str) -> str:
    if (
        not isinstance(value, str)
        or not value
        or "/" in value
        or value == ".."
        or any(c < " " or c == "\x7f" for c in value)
    ):
        raise InvalidInputError(
            f"{where} must be a name without '/' or control characters (it becomes part of the "
            f"metric names, system/<node_id>/...), got {value!r}"
        )
    return value


def _reset() -> None:
    """Forget everything set in code (tests)."""
    global _switch, _interval, _samples, _node_id
    with _lock:
        _switch = _interval = _samples = _node_id = None
        _before_enable.clear()
