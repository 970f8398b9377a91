"""The background writer: queued metrics, params and tags, written in big batches.

``log_metric`` and friends validate in the caller's thread, then append one tuple to a deque
(thread-safe, no lock) and return. One daemon thread per process wakes on a timer, or early when
the queue grows past a threshold, and writes everything queued through ``Store.log_batch``,
grouped per run, thousands of rows per call.

Guarantees:

- ``drain()`` (used by ``flush()``, ``end_run()``, every read in this process and interpreter
  exit) returns only when everything queued before it was called is written, or has failed.
- A failed write is never swallowed: it is kept, with the data that was not written, and raised
  as ``BackgroundWriteError`` (the original error as ``__cause__``) at the next logging call or
  drain, in whichever thread comes first. Transient backend errors are retried first.
- Memory stays bounded: past ``_MAX_QUEUED`` entries the logging thread writes a batch itself.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from autolog.errors import AutologError, BackgroundWriteError
from autolog.core._entities import Metric, Param, RunTag


def _logger() -> logging.Logger:
    import logging  # imported late: it costs milliseconds that `import autolog` should not pay

    return logging.getLogger("autolog")


if TYPE_CHECKING:
    import logging

#: entry kinds (first element of a queued tuple)
METRIC, PARAM, TAG = 0, 1, 2

_INTERVAL_S = 0.5  # how often the thread looks at the queue when nobody wakes it
_WAKE_AT = 20_000  # queue length that wakes the thread early
_MAX_QUEUED = 500_000  # past this, the logging thread writes a batch itself
_BATCH = 20_000  # rows per Store.log_batch call
_RETRIES = (0.05, 0.2, 1.0)  # back-off before retrying a transient failure

# (kind, store, run_id, key, value, timestamp_ms, step)
Entry = tuple[int, Any, str, str, Any, int, int]
_store_and_run = itemgetter(1, 2)


@dataclass
class FailedWrite:
    """A batch the writer could not persist: the error and what was not written."""

    run_id: str
    error: BaseException
    metrics: list[Metric] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    tags: list[RunTag] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{len(self.metrics)} metric points, {len(self.params)} params and "
            f"{len(self.tags)} tags for run {self.run_id} were not written "
            f"({type(self.error).__name__}: {self.error})"
        )


class Writer:
    """One per process (see ``writer()``); thread-safe."""

    def __init__(self) -> None:
        self.queue: deque[Entry] = deque()
        #: failures not yet reported to the user; read without a lock on the hot path
        self.failures: list[FailedWrite] = []
        self._drain_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None

    # -- the hot path ----------------------------------------------------------------------
    def put(self, entry: Entry) -> None:
        """Queue one entry; raises a failure met earlier, if any."""
        if self.failures:
            self.raise_failures()
        queue = self.queue
        queue.append(entry)
        if self._thread is None:
            self._start()
        n = len(queue)
        if n >= _WAKE_AT:
            if n >= _MAX_QUEUED:
                self._write_some(_BATCH)
            elif not self._wake.is_set():
                self._wake.set()

    def put_many(self, entries: Iterable[Entry]) -> None:
        if self.failures:
            self.raise_failures()
        self.queue.extend(entries)
        if self._thread is None:
            self._start()
        if len(self.queue) >= _WAKE_AT:
            self._wake.set()

    def put_quietly(self, entries: Iterable[Entry]) -> None:
        """Queue entries without raising a failure met earlier: for producers in a thread of
        ours (the system-metrics sampler), which must leave a failure for the user's own next
        logging call to report rather than take it."""
        self.queue.extend(entries)
        if self._thread is None:
            self._start()

    # -- draining --------------------------------------------------------------------------
    def drain(self, *, raise_errors: bool = True) -> None:
        """Write everything queued so far; then raise any failure (unless told not to)."""
        if self.queue or self._thread is not None:
            # taking the lock also waits for a batch the thread is writing right now
            with self._drain_lock:
                while self.queue:
                    self._write_locked(_BATCH)
        if raise_errors and self.failures:
            self.raise_failures()

    def raise_failures(self) -> None:
        """Raise (and forget) the failures met so far, as one BackgroundWriteError."""
        failures, self.failures = self.failures, []
        if not failures:
            return
        lines = "; ".join(f.describe() for f in failures)
        error = BackgroundWriteError(
            f"the background writer could not persist logged data: {lines}. The data is "
            "attached to this error as .failures (run_id, metrics, params, tags); fix the "
            "cause and log it again."
        )
        error.failures = failures  # type: ignore[attr-defined]
        raise error from failures[0].error

    def drain_ending(self, store: Any, run_id: str, end: Callable[[list[Metric], list[Param], list[RunTag]], Any]) -> bool:
        """``drain()``, but ``run_id``'s last queued entries go to ``end(metrics, params, tags)``
        instead of a batch of their own: a run's last batch and its end become one store call.

        Returns whether ``end`` was called and succeeded (False when nothing was queued for the
        run, or when the write failed: its data is then kept as a failure like any other).
        """
        with self._drain_lock:
            while len(self.queue) > _BATCH:
                self._write_locked(_BATCH)
            popleft = self.queue.popleft
            mine: list[Entry] = []
            others: list[Entry] = []
            for entry in [popleft() for _ in range(len(self.queue))]:
                (mine if entry[2] == run_id and entry[1] is store else others).append(entry)
            if others:
                self._write_entries(others)
            return bool(mine) and self._persist_batch(run_id, mine, end)

    def _write_some(self, limit: int) -> None:
        with self._drain_lock:
            self._write_locked(limit)

    def _write_locked(self, limit: int) -> None:
        """Pop up to ``limit`` entries and write them."""
        popleft = self.queue.popleft
        self._write_entries([popleft() for _ in range(min(limit, len(self.queue)))])

    def _write_entries(self, entries: list[Entry]) -> None:
        """Write ``entries``, grouped per (store, run)."""
        groups: dict[tuple[int, str], tuple[Any, list[Entry]]] = {}
        # consecutive entries nearly always belong to the same run: group runs of them in C
        for (store, run_id), same_run in groupby(entries, _store_and_run):
            group = groups.get((id(store), run_id))
            if group is None:
                groups[(id(store), run_id)] = (store, list(same_run))
            else:
                group[1].extend(same_run)
        for (_, run_id), (store, run_entries) in groups.items():
            self._write_run(store, run_id, run_entries)

    def _write_run(self, store: Any, run_id: str, entries: list[Entry]) -> None:
        points = [entry[3:] for entry in entries if entry[0] == METRIC]
        if len(points) == len(entries):  # metrics only, the common case: no entity per point
            self._persist(lambda: store.log_metric_points(run_id, points), run_id, points, {}, {})
            return
        self._persist_batch(run_id, entries, lambda m, p, t: store.log_batch(run_id, m, p, t))

    def _persist_batch(
        self, run_id: str, entries: list[Entry], write: Callable[[list[Metric], list[Param], list[RunTag]], Any]
    ) -> bool:
        """``write(metrics, params, tags)`` of one run's entries, through ``_persist``."""
        points, params, tags = _batch(entries)
        metrics = [Metric(*point) for point in points]
        return self._persist(
            lambda: write(metrics, list(params.values()), list(tags.values())), run_id, points, params, tags
        )

    def _persist(
        self,
        write: Callable[[], Any],
        run_id: str,
        points: list[tuple[Any, ...]],
        params: dict[str, Param],
        tags: dict[str, RunTag],
    ) -> bool:
        """Call ``write`` (retrying transient failures); record a failure with its data.
        Returns whether the write succeeded."""
        for attempt, pause in enumerate((*_RETRIES, None)):
            try:
                write()
                return True
            except AutologError as exc:  # a refusal (bad state, changed param...): final
                error: BaseException = exc
                if not _transient(exc):
                    break
            except Exception as exc:  # the backend itself failed: maybe transient
                error = exc
            if pause is None:
                break
            _logger().debug("retrying a failed background write (attempt %d): %s", attempt + 1, error)
            time.sleep(pause)
        self.failures.append(
            FailedWrite(
                run_id, error, [Metric(*p) for p in points], list(params.values()), list(tags.values())
            )
        )
        return False

    # -- the thread ------------------------------------------------------------------------
    def _start(self) -> None:
        with self._drain_lock:
            if self._thread is not None:
                return
            self._stop = False
            thread = threading.Thread(target=self._run, name="autolog-writer", daemon=True)
            thread.start()
            self._thread = thread
        _register_exit_drain()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(_INTERVAL_S)
            self._wake.clear()
            while self.queue and not self._stop:
                try:
                    self._write_some(_BATCH)
                except Exception:  # never let the thread die; failures are recorded per batch
                    _logger().exception("autolog background writer failed")

    def stop(self) -> None:
        """Write what is queued and stop the thread (tests, interpreter exit)."""
        thread = self._thread
        self._stop = True
        self._wake.set()
        if thread is not None:
            thread.join(timeout=10)
        self._thread = None
        self.drain(raise_errors=False)


def _batch(entries: list[Entry]) -> tuple[list[tuple[Any, ...]], dict[str, Param], dict[str, RunTag]]:
    """One run's entries as (metric points, params, tags): the first value of a param and
    the last value of a tag win."""
    points = []
    params: dict[str, Param] = {}
    tags: dict[str, RunTag] = {}
    for entry in entries:
        kind, key, value = entry[0], entry[3], entry[4]
        if kind == METRIC:
            points.append(entry[3:])
        elif kind == PARAM:
            params.setdefault(key, Param(key, value))
        elif kind == TAG:
            tags[key] = RunTag(key, value)
    return points, params, tags


def _transient(exc: AutologError) -> bool:
    # StoreError means the backend failed (locked, connection lost); everything else is a
    # deliberate refusal that a retry cannot fix
    from autolog.errors import BackgroundWriteError, StoreError

    return isinstance(exc, StoreError) and not isinstance(exc, BackgroundWriteError)


_writer = Writer()


def writer() -> Writer:
    """This process's writer."""
    return _writer


_exit_drain_registered = False


def _register_exit_drain() -> None:
    # a daemon thread dies with the interpreter: what is still queued at exit is written here
    global _exit_drain_registered
    if not _exit_drain_registered:
        import atexit

        atexit.register(_drain_at_exit)
        _exit_drain_registered = True


def _drain_at_exit() -> None:
    try:
        _writer.drain()
    except Exception as exc:  # nobody is left to catch it: say what was lost
        _logger().error("autolog: %s", exc)


def _after_fork_in_child() -> None:
    # the parent's thread does not exist in the child, and its queued entries are the
    # parent's to write: start empty
    global _writer
    _writer = Writer()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
