"""The recorder: which run a training call logs into, and the nesting guard.

Run handling (DESIGN rule 4; docs/autologging.md says the same to users):

- A top-level training call with no active run opens a run named after the model, logs into
  it and ends it when the call returns: FINISHED, or FAILED when training raised.
- With an active run the user started, the *first* autologged training call logs straight into
  that run and leaves it open. Every later one inside the same user run gets its own child run
  (``parent_run_id`` = the user's run), so loops over hyperparameters never collide on
  "param changed" and each trial stays comparable.
- Inside ``autolog run`` (``AUTOLOG_RUN_ID`` set) the project's run counts as the user's run:
  the first top-level training call resumes it and logs into it.
- A training call nested in another one (Pipeline steps, a search's inner fits, joblib
  workers started by it) opens nothing: a contextvar says "inside training", and a wrapper sees
  it with one ``ContextVar.get``.
- Threads: each thread has its own active run and its own guard, so threads training in
  parallel log into their own runs.

Everything here that touches the store runs inside ``_safe``: a store that fails costs a
warning and leaves ``run_id`` None (later logging becomes a no-op), never the training.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from autolog.autologging import _config
from autolog.autologging._safe import _safe
from autolog.core import _tags

#: param values longer than this are cut, with a marker saying so (the store refuses > 6000)
MAX_PARAM_CHARS = 500
_TRUNCATED = "...[truncated]"

_current: contextvars.ContextVar[TrainingCall | None] = contextvars.ContextVar(
    "autolog_training_call", default=None
)
_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar("autolog_suppressed", default=False)

_lock = threading.Lock()
#: user runs an autologged call already logged into (later calls there get child runs)
_claimed: OrderedDict[str, None] = OrderedDict()
_MAX_REMEMBERED = 10_000
#: model object -> the run that trained it (post-training metrics go there)
_model_runs: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
#: id(prediction array) -> (weak or strong ref, run_id, dataset name)
_predictions: OrderedDict[int, tuple[Callable[[], Any], str, str]] = OrderedDict()
_MAX_PREDICTIONS = 256
_post_counts: dict[tuple[str, str], itertools.count[int]] = {}


def truncate_param(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_PARAM_CHARS:
        return text[: MAX_PARAM_CHARS - len(_TRUNCATED)] + _TRUNCATED
    return text


class TrainingCall:
    """One outermost training call and the run it logs into.

    Use as ``with recorder.training(model) as call:`` around the user's call; the logging
    methods may raise (call them inside ``_safe``) and do nothing when no run could be opened.
    """

    def __init__(self, recorder: Recorder, model: Any, run_name: str, tags: Mapping[str, Any]) -> None:
        self.recorder = recorder
        self.model = model
        self.run_name = run_name
        self.tags = dict(tags)
        self.run_id: str | None = None
        self._owned = False
        self._token: contextvars.Token[TrainingCall | None] | None = None
        self._client_obj: Any = None
        self._experiment: str | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> TrainingCall:
        self._token = _current.set(self)
        with _safe(f"the start of a {self.recorder.flavor} run"):
            self._open()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            with _safe(f"the end of a {self.recorder.flavor} run"):
                self._close(failed=exc_type is not None)
        finally:
            if self._token is not None:
                _current.reset(self._token)
        # returning None: an exception from the user's call propagates unchanged

    def _open(self) -> None:
        import autolog
        from autolog.tracking import _fluent

        config = self.recorder.config
        tags = {_tags.AUTOLOG_FLAVOR: self.recorder.flavor, **config.extra_tags, **self.tags}
        active = autolog.active_run()
        if active is None and _fluent.handed_over_run() is not None:
            # inside `autolog run`: the project's run takes this training (start_run resumes
            # it) and, like a run the user started, stays open after it; it ends with the
            # process, and later training calls get child runs of it
            active = autolog.start_run()
        if active is not None and _claim(active.info.run_id):
            self.run_id = active.info.run_id
            self._experiment = active.info.experiment_id
            self.set_tags(tags)
            return
        # no active run: a top-level run of ours; an active run already used: a child of it
        run = autolog.start_run(run_name=self.run_name, nested=active is not None, tags=tags)
        self.run_id = run.info.run_id
        self._experiment = run.info.experiment_id
        self._owned = True
        _note_new_run(self.run_id)

    def _close(self, failed: bool) -> None:
        if self.run_id is None:
            return
        if self.model is not None and not failed:
            self.recorder.remember_model(self.model, self.run_id)
        if self._owned:
            import autolog

            active = autolog.active_run()
            if active is not None and active.info.run_id == self.run_id:
                autolog.end_run(status="FAILED" if failed else "FINISHED")
            else:  # the user ended or switched runs inside the call; end ours explicitly
                autolog.Client().set_terminated(self.run_id, "FAILED" if failed else "FINISHED")

    # -- training that spans many calls (a torch loop has no single call to wrap) ---------------
    def start(self) -> TrainingCall:
        """Open the run now, without entering a call: no nesting guard is set, so other
        libraries' training keeps logging. End it with ``finish()``; ``at_end`` callbacks
        run whichever way the run ends."""
        with _safe(f"the start of a {self.recorder.flavor} run"):
            self._open()
        return self

    def finish(self, failed: bool = False) -> None:
        """End a run opened by ``start()`` (a user's run is left open), after the ``at_end``
        callbacks."""
        with _safe(f"the end of a {self.recorder.flavor} run"):
            if self.run_id is not None:
                from autolog.tracking import _fluent

                _fluent.run_end_hooks(self.run_id)
            self._close(failed=failed)

    def at_end(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` right before this call's run ends, while it is still active:
        ``finish()``, the user's ``end_run``, or interpreter exit (nothing without a run)."""
        if self.run_id is not None:
            from autolog.tracking import _fluent

            _fluent.before_run_end(self.run_id, callback)

    # -- logging (queued: no I/O until the background writer runs) -----------------------------
    def _client(self) -> Any:
        if self._client_obj is None:
            import autolog

            self._client_obj = autolog.Client()
        return self._client_obj

    def log_params(self, params: Mapping[str, Any]) -> None:
        if self.run_id is None or not params:
            return
        client = self._client()
        for key, value in params.items():
            client.log_param(self.run_id, key, truncate_param(value))

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self.run_id is None:
            return
        client = self._client()
        for key, value in metrics.items():
            client.log_metric(self.run_id, key, float(value), step=step)

    def log_metric_history(self, key: str, values: Any, start: int = 0) -> None:
        """One metric over epochs/iterations: ``values[i]`` at step ``start + i`` (``start``
        is the iteration training resumed from when it continues an earlier model)."""
        if self.run_id is None:
            return
        client = self._client()
        for step, value in enumerate(values, start):
            client.log_metric(self.run_id, key, float(value), step=step)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        if self.run_id is None:
            return
        client = self._client()
        for key, value in tags.items():
            client.set_tag(self.run_id, key, str(value))

    def log_dict(self, dictionary: Any, artifact_file: str) -> None:
        if self.run_id is not None:
            self._client().log_dict(self.run_id, dictionary, artifact_file)

    def log_text(self, text: str, artifact_file: str) -> None:
        if self.run_id is not None:
            self._client().log_text(self.run_id, text, artifact_file)

    def log_model(
        self, model: Any, signature: Any = None, input_example: Any = None, name: str = "model"
    ) -> Any:
        """Save ``model`` in the run with this flavor's default format plus
        ``model_formats``; returns the ModelInfo (None when no run)."""
        if self.run_id is None:
            return None
        import autolog
        from autolog.models import _discovery

        flavor = _discovery.get_flavor(self.recorder.flavor)
        formats = [flavor.formats[0]]
        for extra in self.recorder.config.model_formats or ():
            if extra not in formats:
                formats.append(extra)
        active = autolog.active_run()
        if active is None or active.info.run_id != self.run_id:
            return None  # log_model writes into the active run only
        return autolog.log_model(
            model,
            name,
            signature=signature,
            input_example=input_example,
            formats=formats,
            flavor=self.recorder.flavor,
        )

    def child(self, run_name: str, tags: Mapping[str, Any] | None = None) -> ChildRun:
        """A child run of this call's run (a search candidate), collected in memory until
        ``record_children`` writes it."""
        from autolog.core._clock import now_ms

        config = self.recorder.config
        child = ChildRun(run_name, now_ms())
        child.set_tags({_tags.AUTOLOG_FLAVOR: self.recorder.flavor, **config.extra_tags, **(tags or {})})
        return child

    def record_children(self, children: list[ChildRun]) -> None:
        """Write ``children`` as finished runs nested in this call's run, all at once."""
        # _open sets the experiment together with the run id
        if self.run_id is None or self._experiment is None or not children:
            return
        for run in self._client()._record_runs(self._experiment, children, parent_run_id=self.run_id):
            _note_new_run(run.info.run_id)


class ChildRun:
    """A child run's name, start, params, metrics and tags before it is written."""

    def __init__(self, run_name: str, start_time: int) -> None:
        self.run_name = run_name
        self.start_time = start_time
        self.params: dict[str, str] = {}
        self.metrics: dict[str, float] = {}
        self.tags: dict[str, str] = {}

    def log_params(self, params: Mapping[str, Any]) -> None:
        for key, value in params.items():
            self.params.setdefault(key, truncate_param(value))

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        self.metrics.update((key, float(value)) for key, value in metrics.items())

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self.tags.update((key, str(value)) for key, value in tags.items())


class Recorder:
    """What a flavor's wrappers hand their findings to (one per flavor).

    Cheap checks first: ``should_record()`` is what every training wrapper asks before doing
    anything; ``training(model)`` opens the run and sets the nesting guard.
    """

    def __init__(self, flavor: str, is_on: Callable[[], bool]) -> None:
        self.flavor = flavor
        self._is_on = is_on

    @property
    def config(self) -> _config.AutologConfig:
        """The options of the latest ``enable()``."""
        return _config.current()

    def should_record(self) -> bool:
        """On, not suppressed, and not inside another training call."""
        return self._is_on() and _current.get() is None and not _suppressed.get()

    def inside_training(self) -> bool:
        return _current.get() is not None

    def current(self) -> TrainingCall | None:
        """The outermost training call this code runs inside, if any."""
        return _current.get()

    def training(self, model: Any, run_name: str | None = None, tags: Mapping[str, Any] | None = None) -> TrainingCall:
        return TrainingCall(self, model, run_name or type(model).__name__, tags or {})

    def carries_context(self) -> bool:
        """Inside a training call or a suppressed block: work handed to other threads should
        take that along (``propagate``)."""
        return _current.get() is not None or _suppressed.get()

    def propagate(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` made to run inside the current training call (or suppression), in
        whichever thread runs it (joblib workers start with an empty context)."""
        call, quiet = _current.get(), _suppressed.get()
        if call is None and not quiet:
            return function
        return _InTraining(function, call, quiet)

    # -- post-training: predictions of autologged models ---------------------------------------
    def remember_model(self, model: Any, run_id: str) -> None:
        try:
            _model_runs[model] = run_id
        except TypeError:  # not weak-referenceable: post-training metrics are not tracked
            pass

    def run_of(self, model: Any) -> str | None:
        try:
            return _model_runs.get(model)
        except TypeError:
            return None

    def remember_prediction(self, prediction: Any, run_id: str, dataset: str) -> None:
        try:
            ref: Callable[[], Any] = weakref.ref(prediction)
        except TypeError:
            ref = lambda: prediction  # noqa: E731  (kept alive, but the table is bounded)
        with _lock:
            _predictions[id(prediction)] = (ref, run_id, dataset)
            _predictions.move_to_end(id(prediction))
            while len(_predictions) > _MAX_PREDICTIONS:
                _predictions.popitem(last=False)

    def prediction_source(self, prediction: Any) -> tuple[str, str] | None:
        """(run_id, dataset name) when ``prediction`` came from an autologged model."""
        found = _predictions.get(id(prediction))
        if found is None or found[0]() is not prediction:
            return None
        return found[1], found[2]

    def log_post_training_metric(self, run_id: str, name: str, value: float) -> str:
        """Log ``value`` into ``run_id`` (even when that run has ended) under ``name``, or
        ``name-2``, ``name-3``... when called again; returns the key used."""
        with _lock:
            counter = _post_counts.setdefault((run_id, name), itertools.count(1))
            n = next(counter)
        key = name if n == 1 else f"{name}-{n}"
        _log_into_any_run(run_id, {key: float(value)})
        return key

    @contextmanager
    def suppressed(self) -> Iterator[None]:
        """Our own calls into the library (predict for metrics) are not recorded."""
        token = _suppressed.set(True)
        try:
            yield
        finally:
            _suppressed.reset(token)


class _InTraining:
    """A callable that runs inside a given training call (see ``Recorder.propagate``)."""

    def __init__(self, function: Callable[..., Any], call: TrainingCall | None, quiet: bool) -> None:
        self.function = function
        self.call = call
        self.quiet = quiet

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        token = _current.set(self.call)
        quiet = _suppressed.set(self.quiet)
        try:
            return self.function(*args, **kwargs)
        finally:
            _suppressed.reset(quiet)
            _current.reset(token)

    def __reduce__(self) -> tuple[Any, ...]:
        # another process has no training call of ours: it gets the plain function
        return (_identity, (self.function,))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.function, name)


def _identity(function: Callable[..., Any]) -> Callable[..., Any]:
    return function


def _note_new_run(run_id: str) -> None:
    """A run we just created has no logged models: log_model need not read it back."""
    import autolog
    from autolog.models import _save

    _save.note_new_run(autolog.get_tracking_uri(), run_id)


def _claim(run_id: str) -> bool:
    """True the first time an autologged call meets the user's run ``run_id``."""
    with _lock:
        if run_id in _claimed:
            return False
        _claimed[run_id] = None
        while len(_claimed) > _MAX_REMEMBERED:
            _claimed.popitem(last=False)
        return True


def _log_into_any_run(run_id: str, metrics: Mapping[str, float]) -> None:
    """Metrics into a run that may have ended: reopened for the write, then ended again with
    its own status and end time."""
    import autolog
    from autolog.core._entities import Metric, RunStatus
    from autolog.core._clock import now_ms

    client = autolog.Client()
    run = client.get_run(run_id)
    points = [Metric(k, v, now_ms(), 0) for k, v in metrics.items()]
    if not run.info.status.is_terminated:
        client.log_batch(run_id, metrics=points)
        return
    status, end_time = run.info.status, run.info.end_time
    client.update_run(run_id, status=RunStatus.RUNNING)
    try:
        client.log_batch(run_id, metrics=points)
    finally:
        client.set_terminated(run_id, status, end_time)


def reset() -> None:
    """Forget claimed runs, models and predictions (tests)."""
    with _lock:
        _claimed.clear()
        _model_runs.clear()
        _predictions.clear()
        _post_counts.clear()
