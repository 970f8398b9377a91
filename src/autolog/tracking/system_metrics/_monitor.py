"""The sampler thread: one per process, alive while at least one run is sampled.

``start(run_id, store)`` adds a run (and starts the thread when it is the first);
``stop(run_id)`` removes it, after a last point covering the time since the previous sample
has been queued (so a run shorter than the interval still gets one point), and joins the
thread when no run is left. ``Client.set_terminated``, ``delete_run`` and ``update_run`` stop
a run before its end is written, so none of its points can arrive after it; interpreter exit
stops every run, and ``autolog.disable()`` the runs that ``enable()`` turned sampling on for.

Every interval the thread asks each sampler for one reading and adds it to each run's window;
when a window holds ``samples`` readings, their mean per name is queued for the background
writer as ordinary metrics (``system/<name>``, one step per point, counted per run). The
training thread does nothing for it: the thread wakes on a timer and holds the GIL only
while it reads (psutil and NVML calls).

Failures never reach the training: a sampler that raises is reported once (an
``AutologWarning`` naming it) and left out; a failure of the thread itself is reported once
and ends sampling in this process. Points are queued without picking up the writer's pending
failures, which stay for the user's own next logging call to report.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Mapping
from typing import Any

from autolog.errors import AutologWarning
from autolog.core import _rules
from autolog.tracking import _client
from autolog.tracking import _writer as _writer_mod
from autolog.tracking._writer import METRIC
from autolog.tracking.system_metrics import _settings
from autolog.tracking.system_metrics._sampler import Sampler

#: how long stop() waits for the thread's last point (a stuck device library must not hang
#: end_run); past it the run ends without that point
_STOP_WAIT_S = 5.0


class _Target:
    """One sampled run: where its points go, and its window of readings."""

    __slots__ = ("run_id", "store", "explicit", "step", "sums", "counts", "samples", "points", "abandoned")

    def __init__(self, run_id: str, store: Any, explicit: bool, step: int) -> None:
        self.run_id = run_id
        self.store = store
        self.explicit = explicit  # asked for by start_run(log_system_metrics=True)
        self.step = step
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.samples = 0  # readings in the window
        self.points = 0  # points queued so far
        self.abandoned = False  # stop() gave up waiting: the run may have ended since

    def add(self, reading: Mapping[str, float]) -> None:
        sums, counts = self.sums, self.counts
        for key, value in reading.items():
            sums[key] = sums.get(key, 0.0) + value
            counts[key] = counts.get(key, 0) + 1
        self.samples += 1

    def take(self) -> dict[str, float]:
        """The window's means, and an empty window."""
        means = {key: total / self.counts[key] for key, total in self.sums.items()}
        self.sums, self.counts, self.samples = {}, {}, 0
        return means


class _Stop:
    """A stop() waiting for its run's last point."""

    __slots__ = ("target", "done", "exited")

    def __init__(self, target: _Target) -> None:
        self.target = target
        self.done = threading.Event()
        self.exited = False  # the thread ended after handling it


_lock = threading.Lock()  # guards the four below; held while a run's points are queued
_runs: dict[str, _Target] = {}
_stops: list[_Stop] = []
_thread: _Sampling | None = None
_warned: set[str] = set()
_exit_hook = False


# -- the fluent API's side ----------------------------------------------------------------------
def wanted(requested: Any) -> bool:
    """Whether a run started now samples (see _settings.wanted); refuses, before any run
    exists, a bad ``log_system_metrics`` or a missing psutil."""
    if not _settings.wanted(requested):
        return False
    _settings.require_psutil()
    _settings.current()  # a bad interval / samples / node id in the environment: say so now
    return True


def start(run_id: str, store: Any, *, explicit: bool, resumed: bool) -> None:
    """Sample ``run_id`` from now on (its points go to ``store``)."""
    global _thread, _exit_hook
    settings = _settings.current()
    step = _next_step(store, run_id, settings.prefix) if resumed else 0
    with _lock:
        if run_id in _runs:
            return
        _runs[run_id] = _Target(run_id, store, explicit, step)
        if _thread is None:
            _thread = _Sampling(settings)
            _thread.start()
        if not _exit_hook:
            import atexit

            # registered after the fluent API's own exit hook, so it runs first: sampling
            # ends (last points queued) before the runs still active are ended
            atexit.register(stop_all)
            _exit_hook = True


def stop(run_id: str) -> None:
    """Stop sampling ``run_id`` (no-op when it is not sampled); its last point is queued
    before this returns, and the thread is gone when it was the last run."""
    if run_id not in _runs:  # the common case: a run without system metrics
        return
    with _lock:
        target = _runs.pop(run_id, None)
        thread = _thread
        if target is None or thread is None:
            return
        request = _Stop(target)
        _stops.append(request)
    if thread is threading.current_thread():  # a sampler that ends a run: nothing to wait for
        return
    thread.wake.set()
    if not request.done.wait(_STOP_WAIT_S):
        with _lock:
            target.abandoned = True  # a point queued later could arrive after the run's end
    elif request.exited:
        thread.join(_STOP_WAIT_S)


def stop_implicit() -> None:
    """Stop the runs sampled because of the process-wide switch (``autolog.disable()``),
    keeping those that ``start_run(log_system_metrics=True)`` asked for."""
    with _lock:
        ids = [t.run_id for t in _runs.values() if not t.explicit]
    for run_id in ids:
        stop(run_id)


def stop_all() -> None:
    """Stop every run (interpreter exit)."""
    for run_id in list(_runs):
        stop(run_id)


def _next_step(store: Any, run_id: str, prefix: str) -> int:
    """A resumed run goes on after its last system-metrics step (0 when it has none)."""
    keys = [k for k in store.get_run(run_id).data.metrics if k.startswith(prefix)]
    if not keys:
        return 0
    key = prefix + "cpu_utilization_percentage"
    history = store.get_metric_history(run_id, key if key in keys else keys[0])
    return max((m.step for m in history), default=-1) + 1


# -- the thread ---------------------------------------------------------------------------------
class _Sampling(threading.Thread):
    def __init__(self, settings: _settings.Settings) -> None:
        super().__init__(name="autolog-system-metrics", daemon=True)
        self.settings = settings
        self.wake = threading.Event()
        self.samplers: dict[str, Sampler] = {}
        self.keys: dict[str, str] = {}  # a sampler's name -> the checked metric key
        self.last_sample = 0.0
        self.ending: list[_Stop] = []  # stop() calls answered once the samplers are closed

    def run(self) -> None:
        try:
            self._open_samplers()
            self._loop()
        except Exception as exc:
            _report("system metrics", exc, "sampling stopped in this process")
            with _lock:
                _runs.clear()
                self._end()
        finally:
            for name, sampler in self.samplers.items():
                try:
                    sampler.close()
                except Exception as exc:
                    _report(f"the system metrics sampler {name!r}", exc, "it could not be closed")
            for request in self.ending:
                request.done.set()

    def _loop(self) -> None:
        interval = self.settings.interval
        self.last_sample = time.monotonic()
        due = self.last_sample + interval
        while True:
            timeout = due - time.monotonic()
            if not _stops and timeout > 0:
                self.wake.wait(timeout)
                self.wake.clear()
            if _thread is not self:  # forgotten (tests reset the state)
                return
            if _stops and self._handle_stops():
                return
            now = time.monotonic()
            if now < due:
                continue  # woken for a stop only
            # the next reading one interval on; after a long stall, one interval from now
            due = due + interval if now < due + interval else now + interval
            reading = self._sample()
            with _lock:
                for target in _runs.values():
                    target.add(reading)
                    if target.samples >= self.settings.samples:
                        self._queue(target)

    def _handle_stops(self) -> bool:
        """Give each stopped run its last point; True when no run is left (the thread ends)."""
        # a last reading when it adds something: a run without a point yet, or time passed
        # since the previous reading (not a few milliseconds, whose CPU share means little)
        fresh = time.monotonic() - self.last_sample >= self.settings.interval / 2
        reading = self._sample() if fresh or any(s.target.points == 0 for s in list(_stops)) else None
        with _lock:
            stopping = list(_stops)
            _stops.clear()
            for request in stopping:
                target = request.target
                if reading is not None:
                    target.add(reading)
                if target.samples:
                    self._queue(target)
            if reading is not None:
                for target in _runs.values():
                    target.add(reading)
            ending = not _runs
            if ending:
                self._end()
        for request in stopping:
            request.exited = ending
            if ending:
                self.ending.append(request)  # answered after the samplers are closed
            else:
                request.done.set()
        return ending

    def _end(self) -> None:
        """Leave (called with _lock held): the next start() makes a new thread."""
        global _thread
        if _thread is self:
            _thread = None
        self.ending.extend(_stops)  # stop() calls that were waiting for this thread
        _stops.clear()

    # -- samplers ------------------------------------------------------------------------------
    def _open_samplers(self) -> None:
        from autolog import _plugins

        for name, entry in sorted(_plugins.system_samplers.entries.items(), key=_builtin_first):
            try:
                sampler = entry.load()()
                if sampler.start():
                    self.samplers[name] = sampler
            except Exception as exc:
                _report(f"the system metrics sampler {name!r}", exc, "it is left out")

    def _sample(self) -> dict[str, float]:
        """One reading of every sampler, keys prefixed; a sampler that fails is dropped."""
        reading: dict[str, float] = {}
        for name, sampler in list(self.samplers.items()):
            try:
                checked = {}
                for key, value in sampler.sample().items():
                    full = self.keys.get(key)
                    if full is None:
                        full = _rules.check_key(self.settings.prefix + key, "system metric name")
                        self.keys[key] = full
                    checked[full] = _rules.metric_value(full, value)
            except Exception as exc:
                _report(f"the system metrics sampler {name!r}", exc, "it is left out from now on")
                del self.samplers[name]
                try:
                    sampler.close()
                except Exception:
                    pass
                continue
            reading.update(checked)
        self.last_sample = time.monotonic()
        return reading

    def _queue(self, target: _Target) -> None:
        """Queue the target's window as one point (called with _lock held)."""
        means = target.take()
        if not means or target.abandoned or target.run_id in _client._ended:
            return
        now = time.time_ns() // 1_000_000
        store, run_id, step = target.store, target.run_id, target.step
        _writer_mod.writer().put_quietly(
            [(METRIC, store, run_id, key, value, now, step) for key, value in means.items()]
        )
        target.step += 1
        target.points += 1


def _builtin_first(item: tuple[str, Any]) -> tuple[int, str]:
    name = item[0]
    order = ("cpu", "disk", "network", "nvidia")
    return (order.index(name), "") if name in order else (len(order), name)


def _report(site: str, exc: BaseException, consequence: str) -> None:
    """One AutologWarning per site and process; later ones at DEBUG on the 'autolog' logger."""
    import logging

    logger = logging.getLogger("autolog")
    logger.debug("autolog: %s failed", site, exc_info=exc)
    with _lock:
        if site in _warned:
            return
        _warned.add(site)
    message = (
        f"autolog: {site} failed ({type(exc).__name__}: {exc}); {consequence}. Training is not "
        "affected."
    )
    try:
        warnings.warn(message, AutologWarning, stacklevel=2)
    except Warning:  # warnings made errors (-W error) must not kill the thread silently
        logger.warning(message)


# -- tests and fork -------------------------------------------------------------------------------
def _reset() -> None:
    """Stop sampling without queueing anything more, forget settings and warnings (tests)."""
    global _thread
    with _lock:
        thread = _thread
        _runs.clear()
        _thread = None
        _warned.clear()
        waiting = list(_stops)
        _stops.clear()
    for request in waiting:
        request.done.set()
    if thread is not None:
        thread.wake.set()
        thread.join(_STOP_WAIT_S)
    _settings._reset()


def _after_fork_in_child() -> None:
    # the thread does not exist in the child, and the runs it sampled are the parent's
    global _lock, _thread
    _lock = threading.Lock()
    _runs.clear()
    _stops.clear()
    _thread = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
