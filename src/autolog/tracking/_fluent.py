"""The fluent tracking API: module-level functions acting on the active run (MLflow's names).

Each thread has its own stack of active runs (a thread the user starts begins with none).
Logging with no active run starts one, as MLflow does. Runs still active when the interpreter
exits are ended after the background writer is drained: FINISHED, or FAILED when the
interpreter exits because of an uncaught exception.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from autolog.errors import AutologError, InvalidInputError, NotFoundError, RunStateError
from autolog.tracking import _client as _client_mod
from autolog.core import _tags, _rules
from autolog.tracking import _writer as _writer_mod
from autolog.tracking._client import Client, check_run_id, run_status
from autolog.core._entities import (
    Experiment,
    LifecycleStage,
    PagedList,
    Run,
    RunStatus,
    ViewType,
)
from autolog.tracking._writer import METRIC

if TYPE_CHECKING:
    import logging
    import pandas


def _logger() -> logging.Logger:
    import logging  # imported late: it costs milliseconds that `import autolog` should not pay

    return logging.getLogger("autolog")


DEFAULT_EXPERIMENT = "Default"
DEFAULT_DIRECTORY = "autolog-runs"


@dataclass(frozen=True)
class ActiveRun(Run):
    """The run ``start_run`` returned: a Run snapshot, and a context manager that ends it.

    Leaving the ``with`` block normally ends the run FINISHED; an exception ends it FAILED and
    propagates unchanged.
    """

    def __enter__(self) -> "ActiveRun":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        status = RunStatus.FINISHED if exc_type is None else RunStatus.FAILED
        if exc_type is None:
            _end_through(self.info.run_id, status)
        else:
            # the user's exception wins: ours must not replace it
            try:
                _end_through(self.info.run_id, status)
            except Exception as ours:
                _logger().error("autolog could not end run %s cleanly: %s", self.info.run_id, ours)
        return False


class _Frame:
    """One active run of one thread, with what the hot path needs at hand."""

    __slots__ = ("run", "run_id", "client", "store")

    def __init__(self, run: ActiveRun, client: Client) -> None:
        self.run = run
        self.run_id = run.info.run_id
        self.client = client
        self.store = client.store


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.last_run_id: str | None = None
        self.last_uri: str | None = None


_local = _ThreadState()
_lock = threading.RLock()
_tracking_uri: str | None = None  # set by set_tracking_uri
_default_uri: str | None = None  # ./autolog-runs, made absolute at first use
_chosen_experiment: tuple[str | None, str | None, str | None] | None = None  # (uri, id, name)
_experiment_ids: dict[tuple[str, str], str] = {}  # (uri, name) -> id
_clients: dict[str, Client] = {}
_open_frames: dict[str, _Frame] = {}  # every run the fluent API started and did not end
_exiting_on_error = False
_hooks_installed = False
_end_hooks: dict[str, list[Callable[[], None]]] = {}  # run_id -> callbacks before it ends


# -- tracking URI and experiment ------------------------------------------------------------------
def normalize_uri(uri: str) -> str:
    """A tracking URI as stored: plain paths (and file:// URIs) become absolute paths."""
    if not isinstance(uri, (str, os.PathLike)):
        raise InvalidInputError(f"a tracking URI must be a string, got {type(uri).__name__}")
    uri = os.fspath(uri).strip()
    if not uri:
        raise InvalidInputError(
            "the tracking URI is empty; use a directory path, sqlite:///..., or memory:"
        )
    from autolog.store._by_uri import uri_scheme

    if uri_scheme(uri) == "file":
        return os.path.abspath(os.path.expanduser(uri.removeprefix("file://")))
    return uri


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Where runs are recorded: a directory, ``sqlite:///x.db``, ``postgresql://...``, ``memory:``."""
    global _tracking_uri
    _tracking_uri = normalize_uri(uri)  # type: ignore[arg-type]


def get_tracking_uri() -> str:
    """The current tracking URI: set_tracking_uri, else AUTOLOG_TRACKING_URI, else ./autolog-runs."""
    global _default_uri
    if _tracking_uri is not None:
        return _tracking_uri
    env = os.environ.get("AUTOLOG_TRACKING_URI")
    if env:
        return normalize_uri(env)
    if _default_uri is None:
        _default_uri = os.path.abspath(DEFAULT_DIRECTORY)
    return _default_uri


def _client() -> Client:
    uri = get_tracking_uri()
    client = _clients.get(uri)
    if client is None:
        client = _clients.setdefault(uri, Client(uri))
    return client


def set_experiment(name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment the current one, creating it (by name) if missing; returns it."""
    global _chosen_experiment
    if (name is None) == (experiment_id is None):
        raise InvalidInputError("set_experiment needs exactly one of name= or experiment_id=")
    client = _client()
    if name is not None:
        experiment = _get_or_create_experiment(client, name)
    else:
        experiment = client.get_experiment(str(experiment_id))
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidInputError(
            f"experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted; restore it "
            "with Client().restore_experiment(id), or choose another name"
        )
    _chosen_experiment = (client.tracking_uri, experiment.experiment_id, name)
    return experiment


def _get_or_create_experiment(client: Client, name: str) -> Experiment:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"experiment name must be a non-empty string, got {name!r}")
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            client.create_experiment(name)
        except InvalidInputError:  # another process created it first
            pass
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise NotFoundError(f"experiment {name!r} could not be created")
    return experiment


def _current_experiment_id(client: Client) -> str:
    chosen = _chosen_experiment
    if chosen is not None:
        uri, experiment_id, name = chosen
        if uri == client.tracking_uri or name is None:
            return experiment_id  # type: ignore[return-value]
        return set_experiment(name).experiment_id  # the URI changed: find it there
    name = os.environ.get("AUTOLOG_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
    key = (client.tracking_uri, name)
    found = _experiment_ids.get(key)
    if found is None:
        experiment = _get_or_create_experiment(client, name)
        if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidInputError(
                f"the current experiment {name!r} is deleted; restore it or set another one"
            )
        found = _experiment_ids[key] = experiment.experiment_id
    return found


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id (deleted or not); NotFoundError if unknown."""
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None."""
    return _client().get_experiment_by_name(name)


def search_experiments(
    view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Experiments of the current tracking URI (filter on ``name`` and ``tags.*``)."""
    client = _client()
    if max_results is not None:
        return list(client.search_experiments(view_type, max_results, filter_string, order_by))
    found: list[Experiment] = []
    token: str | None = None
    while True:
        page = client.search_experiments(view_type, 1000, filter_string, order_by, token)
        found.extend(page)
        token = page.token
        if not token or not page:
            return found


# -- runs --------------------------------------------------------------------------------------
def _stack() -> list[_Frame]:
    return _local.stack


# `autolog run` (autolog.projects) creates the run of a project and starts the project's command
# with its id in AUTOLOG_RUN_ID, so that what the project logs (start_run(), log_* without a
# run, autologged training) goes into that run rather than a new one, as MLflow does with
# MLFLOW_RUN_ID. The first top-level start_run() without a run_id resumes it; the variable is
# then removed from this process, so later runs, and runs of processes it starts, are new ones.
# The launcher stays alive while the command runs and owns the run (its pid is the run's
# autolog.pid), so resuming it here does not make it look like a run whose process died.
RUN_ID_ENV = "AUTOLOG_RUN_ID"
# The launcher may start the command while it is still creating the run; it then passes the
# read end of a pipe ("fd:inode") that it closes once the run exists.
RUN_GATE_ENV = "AUTOLOG_RUN_GATE"


def handed_over_run() -> str | None:
    """The run id `autolog run` handed to this process, while it has not been resumed."""
    return os.environ.get(RUN_ID_ENV) or None


def _adopt_experiment(uri: str, experiment_id: str) -> None:
    global _chosen_experiment
    _chosen_experiment = (uri, experiment_id, None)


def _take_handed_over_run() -> str | None:
    run_id = os.environ.pop(RUN_ID_ENV, None)
    gate = os.environ.pop(RUN_GATE_ENV, None)
    if run_id and gate:
        _wait_for_gate(gate)
    return run_id or None


def _wait_for_gate(gate: str) -> None:
    """Block until the launcher closes its end of the pipe (the run exists, or the launcher
    is gone). Only when that fd is still the pipe: a process that inherited the variable but
    not the fd must not read whatever file has that number now."""
    import stat

    try:
        fd_text, _, inode = gate.partition(":")
        fd = int(fd_text)
        info = os.fstat(fd)
        if not stat.S_ISFIFO(info.st_mode) or str(info.st_ino) != inode:
            return
        while os.read(fd, 64):
            pass
        os.close(fd)
    except (ValueError, OSError):
        return


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it this thread's active run.

    With a run already active, ``nested=True`` starts a child of it; otherwise it is an error.
    Use it as a context manager to end the run when the block ends. ``log_system_metrics``
    samples CPU, memory, disk, network and GPU into ``system/...`` metrics while the run is
    active (None: as ``enable_system_metrics_logging()`` or ``AUTOLOG_ENABLE_SYSTEM_METRICS``
    say; off by default).
    """
    stack = _stack()
    if stack and not nested:
        current = stack[-1].run_id
        raise RunStateError(
            current,
            f"run {current} is already active in this thread. End it first with end_run(), or "
            "pass nested=True to start a child run inside it",
        )
    # system metrics (tracking/system_metrics): decided before the run exists, so that a bad
    # value or a missing psutil refuses the call instead of leaving a half-started run
    from autolog.tracking.system_metrics import _monitor as _system

    sample_system = _system.wanted(log_system_metrics)
    handed = run_id is None and not stack and RUN_ID_ENV in os.environ
    if handed:
        run_id = _take_handed_over_run()  # inside `autolog run`: the project's run
    client = _client()
    extra = dict(tags or {})
    if description is not None:
        extra[_tags.NOTE] = description
    if run_id is not None:
        run = _resume(client, check_run_id(run_id), experiment_id, run_name, extra)
        if handed and _chosen_experiment is None:
            # runs the project starts later (nested ones too) go to its run's experiment,
            # unless the project chose one itself (MLflow passes MLFLOW_EXPERIMENT_ID for this)
            _adopt_experiment(client.tracking_uri, run.info.experiment_id)
    else:
        parent = stack[-1].run_id if stack else None
        exp_id = str(experiment_id) if experiment_id is not None else _current_experiment_id(client)
        run = client._create_run(exp_id, None, extra, run_name, parent)
    _install_exit_hooks()
    active = ActiveRun(run.info, run.data)
    frame = _Frame(active, client)
    stack.append(frame)
    with _lock:
        _open_frames[active.info.run_id] = frame
    if sample_system:
        _system.start(
            active.info.run_id, client.store, explicit=bool(log_system_metrics), resumed=run_id is not None
        )
    return active


def _resume(
    client: Client,
    run_id: str,
    experiment_id: str | None,
    run_name: str | None,
    tags: dict[str, Any],
) -> Run:
    run = client.get_run(run_id)
    if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
        raise RunStateError(
            run_id, f"run {run_id} is deleted; restore it with Client().restore_run() first"
        )
    if experiment_id is not None and str(experiment_id) != run.info.experiment_id:
        raise InvalidInputError(
            f"run {run_id} belongs to experiment {run.info.experiment_id}, not {experiment_id}"
        )
    if any(frame.run_id == run_id for frame in _open_frames.values()):
        raise RunStateError(run_id, f"run {run_id} is already active; it cannot be resumed twice")
    if run.info.status != RunStatus.RUNNING or run_name is not None:
        client.store.update_run_info(run_id, status=RunStatus.RUNNING, run_name=run_name)
    if tags:
        client.store.log_batch(run_id, tags=[_tag(k, v) for k, v in tags.items()])
    return client.get_run(run_id)


def _tag(key: str, value: Any) -> Any:
    from autolog.core._entities import RunTag

    return RunTag(_rules.check_key(key, "tag key"), _rules.tag_value(key, value))


def end_run(status: RunStatus | str = "FINISHED") -> None:
    """End this thread's active run (no-op without one), after writing what is queued for it."""
    stack = _stack()
    if not stack:
        return
    _end_frame(stack[-1], run_status(status))


def before_run_end(run_id: str, callback: Callable[[], None]) -> None:
    """Call ``callback()`` once, right before the fluent API ends run ``run_id`` (``end_run``,
    the end of its ``with`` block, interpreter exit), while the run is still active.

    For autologging of training that has no single call to wrap: a torch loop logs its model
    when its run ends. A callback that raises is logged and the run is ended all the same.
    """
    with _lock:
        _end_hooks.setdefault(run_id, []).append(callback)


def run_end_hooks(run_id: str) -> None:
    """Run (and forget) the callbacks registered for ``run_id`` by ``before_run_end``."""
    with _lock:
        hooks = _end_hooks.pop(run_id, [])
    for hook in hooks:
        try:
            hook()
        except Exception as exc:
            _logger().error("autolog: a callback at the end of run %s failed: %s", run_id, exc)


def _end_frame(frame: _Frame, status: RunStatus) -> None:
    if _end_hooks:
        run_end_hooks(frame.run_id)
    stack = _stack()
    pending: BaseException | None = None
    try:
        frame.client.set_terminated(frame.run_id, status)
    except AutologError as exc:
        from autolog.errors import BackgroundWriteError

        if not isinstance(exc, BackgroundWriteError):
            raise
        pending = exc  # the run is ended all the same; report the lost writes after
    finally:
        if frame in stack:
            stack.remove(frame)
        with _lock:
            _open_frames.pop(frame.run_id, None)
        _local.last_run_id = frame.run_id
        _local.last_uri = frame.client.tracking_uri
    if pending is not None:
        raise pending


def _end_through(run_id: str, status: RunStatus) -> None:
    """End ``run_id`` and the runs nested above it in this thread (if it is still active)."""
    stack = _stack()
    for index, frame in enumerate(stack):
        if frame.run_id == run_id:
            for child in reversed(stack[index:]):
                _end_frame(child, status)
            return


def active_run() -> ActiveRun | None:
    """This thread's active run (as it was when started), or None."""
    stack = _stack()
    return stack[-1].run if stack else None


def last_active_run() -> Run | None:
    """The active run, else the run most recently ended in this thread (fresh from the store)."""
    stack = _stack()
    if stack:
        return stack[-1].client.get_run(stack[-1].run_id)
    if _local.last_run_id is None:
        return None
    return _clients.get(_local.last_uri or "", _client()).get_run(_local.last_run_id)


def get_run(run_id: str) -> Run:
    """The run with its latest metrics, params and tags (queued writes are written first)."""
    return _client().get_run(run_id)


def _frame() -> _Frame:
    """The active run of this thread; start one if there is none (as MLflow does)."""
    stack = _local.stack
    if stack:
        frame = stack[-1]
        if frame.run_id in _client_mod._live:
            return frame
        frame.client._require_live(frame.run_id)  # ended elsewhere: raises naming it
        return frame
    start_run()
    return _local.stack[-1]


# -- logging -----------------------------------------------------------------------------------
def log_param(key: str, value: Any) -> Any:
    """Log a param of the active run; returns ``value``. Params are write-once."""
    frame = _frame()
    _client_mod._queue_param(frame.store, frame.run_id, key, value)
    return value


def log_params(params: dict[str, Any]) -> None:
    """Log several params of the active run at once (each write-once)."""
    if not hasattr(params, "items"):
        raise TypeError(f"log_params needs a dict of name -> value, got {type(params).__name__}")
    frame = _frame()
    for key, value in params.items():
        _client_mod._queue_param(frame.store, frame.run_id, key, value)


def log_metric(
    key: str, value: float, step: int | None = None, timestamp: int | None = None
) -> None:
    """Log one metric point of the active run; returns at once (the writer persists it)."""
    stack = _local.stack
    frame = stack[-1] if stack else None
    if frame is None or frame.run_id not in _client_mod._live:
        frame = _frame()
    # the common case (str key seen before, float value, int step) costs a few checks
    if key.__class__ is not str or key not in _client_mod._valid_keys:
        _rules.check_key(key, "metric key")
    if value.__class__ is not float:
        value = _rules.metric_value(key, value)
    if step is None:
        step = 0
    elif step.__class__ is not int:
        step = _rules.step(key, step)
    if timestamp is None:
        timestamp = time.time_ns() // 1_000_000  # now_ms() inlined: the hot path
    elif timestamp.__class__ is not int:
        timestamp = _rules.timestamp(key, timestamp)
    _writer_mod._writer.put((METRIC, frame.store, frame.run_id, key, value, timestamp, step))


def log_metrics(metrics: dict[str, Any], step: int | None = None) -> None:
    """Log several metrics of the active run at one step and timestamp."""
    frame = _frame()
    _client_mod._queue_metrics(frame.store, frame.run_id, metrics, step)


def set_tag(key: str, value: Any) -> None:
    """Set a tag of the active run (tags can change; the last value wins)."""
    frame = _frame()
    _client_mod._queue_tag(frame.store, frame.run_id, key, value)


def set_tags(tags: dict[str, Any]) -> None:
    """Set several tags of the active run."""
    frame = _frame()
    _client_mod._queue_tags(frame.store, frame.run_id, tags)


def delete_tag(key: str) -> None:
    """Remove a tag from the active run."""
    frame = _frame()
    frame.client.delete_tag(frame.run_id, key)


def flush() -> None:
    """Write everything queued in this process; raise BackgroundWriteError if a write failed."""
    _writer_mod.writer().drain()


# -- artifacts ---------------------------------------------------------------------------------
def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Copy a local file into the active run's artifacts (under ``artifact_path``)."""
    frame = _frame()
    frame.client.log_artifact(frame.run_id, local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Copy the contents of a local directory into the active run's artifacts."""
    frame = _frame()
    frame.client.log_artifacts(frame.run_id, local_dir, artifact_path)


def log_text(text: str, artifact_file: str) -> None:
    """Write ``text`` as the artifact ``artifact_file`` of the active run."""
    frame = _frame()
    frame.client.log_text(frame.run_id, text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str) -> None:
    """Write a dict as JSON (or YAML for .yaml/.yml) as an artifact of the active run."""
    frame = _frame()
    frame.client.log_dict(frame.run_id, dictionary, artifact_file)


def log_figure(figure: Any, artifact_file: str) -> None:
    """Save a matplotlib figure as an artifact of the active run, in the format of its extension."""
    frame = _frame()
    frame.client.log_figure(frame.run_id, figure, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The URI of the active run's artifact root, or of ``artifact_path`` under it."""
    root = _frame().run.info.artifact_uri
    if not artifact_path:
        return root
    return root.rstrip("/") + "/" + artifact_path.lstrip("/")


# -- search ------------------------------------------------------------------------------------
def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: Literal["list", "pandas"] = "list",
    experiment_names: Sequence[str] | None = None,
    page_token: str | None = None,
) -> "PagedList | pandas.DataFrame":
    """Runs matching ``filter_string`` in the given experiments (default: the current one).

    Returns a list of Run, or with ``output_format="pandas"`` a DataFrame with MLflow's
    columns (run_id, experiment_id, status, artifact_uri, start_time, end_time, metrics.*,
    params.*, tags.*).
    """
    if output_format not in ("list", "pandas"):
        raise InvalidInputError(f"output_format must be 'list' or 'pandas', got {output_format!r}")
    client = _client()
    ids: list[str] = []
    if isinstance(experiment_ids, str):
        experiment_ids = [experiment_ids]
    ids.extend(str(e) for e in experiment_ids or ())
    for name in [experiment_names] if isinstance(experiment_names, str) else experiment_names or ():
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise NotFoundError(f"no experiment named {name!r} at {client.tracking_uri}")
        ids.append(experiment.experiment_id)
    if not ids and experiment_ids is None and experiment_names is None:
        ids.append(_current_experiment_id(client))
    runs = (
        client.search_runs(ids, filter_string, run_view_type, max_results, order_by, page_token)
        if ids
        else PagedList()
    )
    if output_format == "list":
        return runs
    return _to_pandas(runs)


def _to_pandas(runs: Sequence[Run]) -> "pandas.DataFrame":
    import pandas as pd

    base = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    metrics = sorted({k for r in runs for k in r.data.metrics})
    params = sorted({k for r in runs for k in r.data.params})
    tags = sorted({k for r in runs for k in r.data.tags})
    rows = [
        {
            "run_id": r.info.run_id,
            "experiment_id": r.info.experiment_id,
            "status": r.info.status.value,
            "artifact_uri": r.info.artifact_uri,
            "start_time": r.info.start_time,
            "end_time": r.info.end_time,
            **{f"metrics.{k}": r.data.metrics.get(k, float("nan")) for k in metrics},
            **{f"params.{k}": r.data.params.get(k) for k in params},
            **{f"tags.{k}": r.data.tags.get(k) for k in tags},
        }
        for r in runs
    ]
    columns = (
        base
        + [f"metrics.{k}" for k in metrics]
        + [f"params.{k}" for k in params]
        + [f"tags.{k}" for k in tags]
    )
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], unit="ms", utc=True)
    return frame


# -- interpreter exit --------------------------------------------------------------------------
def _install_exit_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    with _lock:
        if _hooks_installed:
            return
        previous = sys.excepthook

        def excepthook(
            exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
        ) -> None:
            global _exiting_on_error
            _exiting_on_error = True
            previous(exc_type, exc, tb)

        sys.excepthook = excepthook
        atexit.register(_at_exit)
        _hooks_installed = True


def _at_exit() -> None:
    """Write what is queued, then end the runs still active (children first)."""
    with _lock:
        ending = list(_open_frames)
    for run_id in reversed(ending):
        run_end_hooks(run_id)
    writer = _writer_mod.writer()
    try:
        writer.drain()
    except Exception as exc:
        _logger().error("autolog: %s", exc)
    status = RunStatus.FAILED if _exiting_on_error else RunStatus.FINISHED
    with _lock:
        frames = list(_open_frames.values())
        _open_frames.clear()
    for frame in reversed(frames):
        try:
            frame.client.set_terminated(frame.run_id, status)
        except Exception as exc:
            _logger().error("autolog: could not end run %s at exit: %s", frame.run_id, exc)
    writer.stop()


def _reset_state() -> None:
    """Forget all fluent state (tests): active runs, URI, experiment, writer, open stores.

    Runs left active are not ended: nothing is written to the store here.
    """
    global _tracking_uri, _chosen_experiment
    from autolog.store._by_uri import forget_store
    from autolog.tracking.system_metrics import _monitor as _system

    _system._reset()  # before the writer stops: the sampler queues nothing more
    writer = _writer_mod.writer()
    writer.stop()
    writer.failures.clear()
    writer.queue.clear()
    with _lock:
        _open_frames.clear()
        _end_hooks.clear()
    _local.stack.clear()
    _local.last_run_id = None
    _local.last_uri = None
    _tracking_uri = None
    _chosen_experiment = None
    _experiment_ids.clear()
    _client_mod._reset_caches()
    _clients.clear()
    uris = set(_client_mod._opened_uris)
    _client_mod._opened_uris.clear()
    for uri in uris:
        forget_store(uri)
