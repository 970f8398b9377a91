"""``Client``: the explicit, run-id-taking tracking API (MLflow's ``MlflowClient`` names).

Writes of params, metrics and tags are validated here, synchronously, then queued for the
background writer; every read of run data first drains the writer so a process always reads
what it wrote.
"""

from __future__ import annotations

import os
import posixpath
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autolog.core._clock import now_ms
from autolog.errors import InvalidInputError, ParamChangedError, RunStateError
from autolog.tracking import _context
from autolog.core import _tags, _rules
from autolog.tracking import _writer as _writer_mod
from autolog.core._entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    PagedList,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from autolog.registry._client import RegistryClient
from autolog.tracking._writer import METRIC, PARAM, TAG

if TYPE_CHECKING:
    from autolog.core._store import ArtifactStore, Store

# Per-process knowledge about runs, shared by every Client so that checks stay cheap:
# runs known to be RUNNING, runs this process saw end (id -> why), params this process
# logged (to refuse a changed value at the call that changes it), artifact roots.
_live: set[str] = set()
_ended: dict[str, str] = {}
_params: dict[str, dict[str, str]] = {}
_artifact_uris: dict[str, str] = {}
_opened_uris: set[str] = set()  # stores opened through a Client (tests forget them)

_PAGE = 10_000  # runs fetched per store call when a caller asks for more


def _reset_caches() -> None:
    _live.clear()
    _ended.clear()
    _params.clear()
    _artifact_uris.clear()




def run_status(status: RunStatus | str) -> RunStatus:
    if isinstance(status, RunStatus):
        return status
    try:
        return RunStatus(str(status).upper())
    except ValueError:
        known = ", ".join(s.value for s in RunStatus)
        raise InvalidInputError(f"unknown run status {status!r}; expected one of {known}") from None


def check_run_id(run_id: Any) -> str:
    if not isinstance(run_id, str) or not run_id:
        raise InvalidInputError(f"run_id must be a non-empty string, got {run_id!r}")
    return run_id


def _run_tags(
    tags: dict[str, Any] | None, run_name: str | None, parent_run_id: str | None
) -> tuple[dict[str, str], str]:
    """A new run's tags (system tags, then the caller's, then name and parent) and its name."""
    all_tags = _context.system_tags()
    for key, value in (tags or {}).items():
        all_tags[_rules.check_key(key, "tag key")] = _rules.tag_value(key, value)
    if run_name is None:
        run_name = all_tags.get(_tags.RUN_NAME) or _context.run_name()
    elif not isinstance(run_name, str):
        raise InvalidInputError(f"run_name must be a string, got {type(run_name).__name__}")
    all_tags[_tags.RUN_NAME] = run_name
    if parent_run_id is not None:
        all_tags[_tags.PARENT_RUN_ID] = parent_run_id
    return all_tags, run_name


class Client(RegistryClient):
    """The tracking API with explicit ids, bound to one tracking URI.

    ``Client()`` uses the current tracking URI (``autolog.get_tracking_uri()``).
    """

    def __init__(self, tracking_uri: str | None = None) -> None:
        from autolog.tracking import _fluent

        self.tracking_uri = (
            _fluent.normalize_uri(tracking_uri) if tracking_uri else _fluent.get_tracking_uri()
        )
        self._store: Store | None = None

    def __repr__(self) -> str:
        return f"Client(tracking_uri={self.tracking_uri!r})"

    def _user(self) -> str:
        return _context.user()

    def _check_run(self, run_id: str) -> None:
        self.get_run(run_id)

    @property
    def store(self) -> Store:
        """The Store behind this client (opened on first use, shared per process)."""
        if self._store is None:
            from autolog.store._by_uri import open_store

            self._store = open_store(self.tracking_uri)
            _opened_uris.add(self.tracking_uri)
        return self._store

    # -- experiments ------------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        """Create an experiment; returns its id. A name already in use raises InvalidInputError."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(f"experiment name must be a non-empty string, got {name!r}")
        clean = {
            _rules.check_key(k, "tag key"): _rules.tag_value(k, v)
            for k, v in (tags or {}).items()
        }
        return self.store.create_experiment(name, artifact_location, clean)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id (deleted or not); NotFoundError if unknown."""
        return self.store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or None."""
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Experiments, one page (``.token`` fetches the next); filter on ``name`` and ``tags.*``."""
        from autolog.core._search import parse_filter, parse_order_by

        return self.store.search_experiments(
            view_type=ViewType.coerce(view_type),
            max_results=_positive(max_results, "max_results") if max_results is not None else 1000,
            filter=parse_filter(filter_string, "experiments") if filter_string else None,
            order_by=tuple(parse_order_by(order_by, "experiments")) if order_by else (),
            page_token=page_token,
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new name (unique among experiments)."""
        if not isinstance(new_name, str) or not new_name.strip():
            raise InvalidInputError(f"experiment name must be a non-empty string, got {new_name!r}")
        self.store.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs (restore_experiment brings them back)."""
        self.flush()
        self.store.delete_experiment(str(experiment_id))
        # its runs are deleted with it: forget what we knew about them
        _live.clear()

    def restore_experiment(self, experiment_id: str) -> None:
        """Bring back a deleted experiment and its runs."""
        self.store.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set a tag on an experiment."""
        _rules.check_key(key, "tag key")
        self.store.set_experiment_tag(str(experiment_id), key, _rules.tag_value(key, value))

    # -- runs ---------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """A new RUNNING run with the system tags (user, source, git, host, pid...)."""
        return self._create_run(str(experiment_id), start_time, tags, run_name, None)

    def _create_run(
        self,
        experiment_id: str,
        start_time: int | None,
        tags: dict[str, Any] | None,
        run_name: str | None,
        parent_run_id: str | None,
        run_id: str | None = None,
    ) -> Run:
        # run_id: `autolog run` picks the id first, so that the project's command can start
        # while the run is being created (autolog.projects._launch)
        all_tags, run_name = _run_tags(tags, run_name, parent_run_id)
        run = self.store.create_run(
            experiment_id=experiment_id,
            user_id=all_tags[_tags.USER],
            start_time=start_time if start_time is not None else now_ms(),
            tags=[RunTag(k, v) for k, v in all_tags.items()],
            run_name=run_name,
            parent_run_id=parent_run_id,
            run_id=run_id,
        )
        self._remember(run)
        return run

    def _record_runs(self, experiment_id: str, runs: Sequence[Any], parent_run_id: str | None = None) -> list[Run]:
        """Write runs that are already over, whole and at once (one transaction where the
        store can), ended now. Each of ``runs`` has ``run_name``, ``start_time`` (ms) and
        ``params``, ``metrics`` (one value each), ``tags`` dicts; system tags are added."""
        from autolog.core._store import FinishedRun

        end = now_ms()
        records = []
        for run in runs:
            all_tags, run_name = _run_tags(run.tags, run.run_name, parent_run_id)
            records.append(
                FinishedRun(
                    user_id=all_tags[_tags.USER],
                    start_time=run.start_time,
                    end_time=end,
                    status=RunStatus.FINISHED,
                    tags=[RunTag(k, v) for k, v in all_tags.items()],
                    params=[Param(k, str(v)) for k, v in run.params.items()],
                    metrics=[Metric(k, float(v), end, 0) for k, v in run.metrics.items()],
                    run_name=run_name,
                    parent_run_id=parent_run_id,
                )
            )
        written = self.store.record_runs(experiment_id, records)
        for run in written:
            self._remember(run)
        return written

    def _remember(self, run: Run) -> None:
        run_id = run.info.run_id
        _artifact_uris[run_id] = run.info.artifact_uri
        if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
            _live.discard(run_id)
            _ended[run_id] = "deleted"
        elif run.info.status.is_terminated:
            _live.discard(run_id)
            _ended[run_id] = run.info.status.value
        else:
            _live.add(run_id)
            _ended.pop(run_id, None)
            known = _params.setdefault(run_id, {})
            for key, value in run.data.params.items():
                known.setdefault(key, value)

    def get_run(self, run_id: str) -> Run:
        """The run with its latest metrics, params and tags (after writing what is queued)."""
        self.flush()
        run = self.store.get_run(check_run_id(run_id))
        self._remember(run)
        return run

    def set_terminated(
        self, run_id: str, status: RunStatus | str = "FINISHED", end_time: int | None = None
    ) -> None:
        """End a run: everything queued for it is written first."""
        status = run_status(status)
        check_run_id(run_id)
        _stop_system_metrics(run_id)
        end = end_time if end_time is not None else now_ms()
        store = self.store
        writer = _writer_mod.writer()
        # the run's last queued data and its end go to the store together (one transaction)
        ended = writer.drain_ending(
            store, run_id, lambda m, p, t: store.finish_run(run_id, status, end, m, p, t)
        )
        if not ended:  # nothing was queued for it, or that write failed (kept as a failure)
            store.update_run_info(run_id, status=status, end_time=end)
        pending = self._failures()
        if status.is_terminated:
            _live.discard(run_id)
            _ended[run_id] = status.value
            _params.pop(run_id, None)
        else:
            _ended.pop(run_id, None)
        if pending is not None:
            raise pending

    def update_run(
        self, run_id: str, status: RunStatus | str | None = None, name: str | None = None
    ) -> None:
        """Change a run's status and/or name."""
        check_run_id(run_id)
        new_status = run_status(status) if status is not None else None
        if new_status is not None and new_status.is_terminated:
            _stop_system_metrics(run_id)
        self.flush()
        self.store.update_run_info(run_id, status=new_status, run_name=name)
        if new_status is not None:
            _live.discard(run_id)
            _ended.pop(run_id, None)  # re-read its state at the next write

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run (restore_run brings it back); it no longer takes data."""
        check_run_id(run_id)
        _stop_system_metrics(run_id)
        self.flush()
        self.store.delete_run(run_id)
        _live.discard(run_id)
        _ended[run_id] = "deleted"

    def restore_run(self, run_id: str) -> None:
        """Bring back a deleted run."""
        check_run_id(run_id)
        self.store.restore_run(run_id)
        _ended.pop(run_id, None)

    def search_runs(
        self,
        experiment_ids: str | Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Runs of the given experiments matching ``filter_string``, as a list of Run.

        The result carries ``.token`` for the next page (None when there is none).
        """
        from autolog.core._search import parse_filter, parse_order_by

        if isinstance(experiment_ids, str):
            experiment_ids = [experiment_ids]
        ids = [str(e) for e in experiment_ids]
        node = parse_filter(filter_string) if filter_string else None
        keys = tuple(parse_order_by(order_by)) if order_by else ()
        view = ViewType.coerce(run_view_type)
        wanted = _positive(max_results, "max_results")
        self.flush()
        runs: list[Run] = []
        token = page_token
        while True:
            page = self.store.search_runs(
                ids,
                filter=node,
                run_view_type=view,
                max_results=min(wanted - len(runs), _PAGE),
                order_by=keys,
                page_token=token,
            )
            runs.extend(page)
            token = page.token
            if token is None or len(runs) >= wanted or not page:
                break
        return PagedList(runs, token)

    # -- run data ---------------------------------------------------------------------------
    def _require_live(self, run_id: str) -> None:
        """Refuse a write to a run that is finished, deleted or unknown (cheap when cached)."""
        if run_id in _live:
            return
        why = _ended.get(run_id)
        if why is None:
            run = self.store.get_run(check_run_id(run_id))  # NotFoundError names the run
            self._remember(run)
            if run_id in _live:
                return
            why = _ended[run_id]
        raise RunStateError(
            run_id,
            f"run {run_id} is {why}, it cannot take new data; start a new run, or resume it "
            f"with start_run(run_id={run_id!r})"
            + (" after restore_run()" if why == "deleted" else ""),
        )

    def log_param(self, run_id: str, key: str, value: Any) -> Any:
        """Log a param (write-once: another value for the same key raises ParamChangedError)."""
        self._require_live(run_id)
        _queue_param(self.store, run_id, key, value)
        return value

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: Any,
        timestamp: int | None = None,
        step: int | None = None,
    ) -> None:
        """Log one metric point (queued; written by the background writer)."""
        self._require_live(run_id)
        _queue_metric(self.store, run_id, key, value, step, timestamp)

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        """Set a run tag (the last value wins)."""
        self._require_live(run_id)
        _queue_tag(self.store, run_id, key, value)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a run tag."""
        self._require_live(run_id)
        _rules.check_key(key, "tag key")
        self.flush()
        self.store.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Write metrics, params and tags at once, synchronously: all of them or none."""
        self._require_live(run_id)
        clean_metrics = [
            Metric(
                _rules.check_key(m.key, "metric key"),
                _rules.metric_value(m.key, m.value),
                _rules.timestamp(m.key, m.timestamp) if m.timestamp is not None else now_ms(),
                _rules.step(m.key, m.step),
            )
            for m in metrics
        ]
        known = _params.setdefault(run_id, {})
        clean_params: dict[str, Param] = {}
        for p in params:
            key = _rules.check_key(p.key, "param key")
            value = _rules.param_value(key, p.value)
            old = known.get(key, clean_params[key].value if key in clean_params else None)
            if old is not None and old != value:
                raise ParamChangedError(run_id, key, old, value)
            clean_params[key] = Param(key, value)
        clean_tags = {
            _rules.check_key(t.key, "tag key"): RunTag(
                t.key, _rules.tag_value(t.key, t.value)
            )
            for t in tags
        }
        self.flush()
        self.store.log_batch(
            run_id, clean_metrics, list(clean_params.values()), list(clean_tags.values())
        )
        known.update((k, p.value) for k, p in clean_params.items())

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point logged for ``key``, ordered by step then timestamp."""
        self.flush()
        return self.store.get_metric_history(check_run_id(run_id), key)

    def flush(self) -> None:
        """Write everything queued by this process; raise BackgroundWriteError if a write failed."""
        _writer_mod.writer().drain()

    def _failures(self) -> BaseException | None:
        """The background writer's failures so far, as an error to raise once the caller has
        finished its own work."""
        try:
            _writer_mod.writer().raise_failures()
        except Exception as exc:
            return exc
        return None

    # -- artifacts --------------------------------------------------------------------------
    def _artifacts(self, run_id: str, *, write: bool) -> ArtifactStore:
        from autolog.store._by_uri import open_artifact_store

        if write:
            self._require_live(run_id)
        uri = _artifact_uris.get(check_run_id(run_id))
        if uri is None:
            uri = self.store.get_run(run_id).info.artifact_uri
            _artifact_uris[run_id] = uri
        return open_artifact_store(uri)

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local file into the run's artifacts (under ``artifact_path`` when given)."""
        path = os.fspath(local_path)
        if not os.path.isfile(path):
            raise InvalidInputError(
                f"log_artifact needs an existing file, {path!r} is "
                + (
                    "a directory (use log_artifacts for directories)"
                    if os.path.isdir(path)
                    else "missing"
                )
            )
        self._artifacts(run_id, write=True).log_artifact(path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy the contents of a local directory into the run's artifacts."""
        path = os.fspath(local_dir)
        if not os.path.isdir(path):
            raise InvalidInputError(f"log_artifacts needs an existing directory, got {path!r}")
        self._artifacts(run_id, write=True).log_artifacts(path, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Write ``text`` (UTF-8) as the artifact ``artifact_file``, e.g. 'notes/summary.txt'."""
        if not isinstance(text, str):
            raise TypeError(f"log_text needs str text, got {type(text).__name__}")
        self._artifacts(run_id, write=True).write_bytes(artifact_file, text.encode("utf-8"))

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Write a dict as JSON, or as YAML when ``artifact_file`` ends in .yaml/.yml."""
        import json

        ext = posixpath.splitext(artifact_file)[1].lower()
        if ext in (".yaml", ".yml"):
            import yaml

            text = yaml.safe_dump(dictionary, default_flow_style=False, sort_keys=False)
        else:
            text = json.dumps(dictionary, indent=2)
        self.log_text(run_id, text, artifact_file)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        """Save a matplotlib figure in the format its extension names ('.png', '.svg'...)."""
        if not hasattr(figure, "savefig"):
            raise TypeError(
                f"log_figure needs a matplotlib figure (an object with savefig), got {type(figure).__name__}"
            )
        ext = posixpath.splitext(artifact_file)[1].lower().lstrip(".")
        if not ext:
            raise InvalidInputError(
                f"artifact_file {artifact_file!r} has no extension; name the format, e.g. 'plot.png'"
            )
        import io

        artifacts = self._artifacts(run_id, write=True)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=ext)
        artifacts.write_bytes(artifact_file, buffer.getvalue())

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path`` (the root when None): entries with path, is_dir, file_size."""
        return self._artifacts(run_id, write=False).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Copy an artifact file or directory to ``dst_path`` (a new temp dir when None)."""
        return self._artifacts(run_id, write=False).download_artifacts(path, dst_path)


def _stop_system_metrics(run_id: str) -> None:
    """Stop the system-metrics sampler for a run that ends (its last point is queued first,
    so nothing of it arrives after the end); nothing to do when the sampler never ran."""
    monitor = sys.modules.get("autolog.tracking.system_metrics._monitor")
    if monitor is not None:
        monitor.stop(run_id)


# -- the queueing hot path (shared with the fluent API) ------------------------------------------
_valid_keys = _rules._valid_keys


def _queue_metric(
    store: Store, run_id: str, key: str, value: Any, step: Any, timestamp: Any
) -> None:
    if key.__class__ is not str or key not in _valid_keys:
        _rules.check_key(key, "metric key")
    if type(value) is not float:
        value = _rules.metric_value(key, value)
    if type(step) is not int:
        step = _rules.step(key, step)
    if timestamp is None:
        timestamp = time.time_ns() // 1_000_000  # now_ms() inlined: the hot path
    elif type(timestamp) is not int:
        timestamp = _rules.timestamp(key, timestamp)
    _writer_mod._writer.put((METRIC, store, run_id, key, value, timestamp, step))


def _queue_metrics(
    store: Store, run_id: str, metrics: dict[str, Any], step: Any, timestamp: Any = None
) -> None:
    if not hasattr(metrics, "items"):
        raise TypeError(f"log_metrics needs a dict of name -> number, got {type(metrics).__name__}")
    ts = (
        now_ms()
        if timestamp is None
        else _rules.timestamp("metrics", timestamp)
    )
    entries = []
    for key, value in metrics.items():
        if key.__class__ is not str or key not in _valid_keys:
            _rules.check_key(key, "metric key")
        value = _rules.metric_value(key, value)
        entries.append((METRIC, store, run_id, key, value, ts, _rules.step(key, step)))
    _writer_mod._writer.put_many(entries)


def _queue_param(store: Store, run_id: str, key: str, value: Any) -> None:
    if key.__class__ is not str or key not in _valid_keys:
        _rules.check_key(key, "param key")
    text = _rules.param_value(key, value)
    known = _params.get(run_id)
    if known is None:
        known = _params[run_id] = {}
    old = known.get(key)
    if old is None:
        known[key] = text
        _writer_mod._writer.put((PARAM, store, run_id, key, text, 0, 0))
    elif old != text:
        raise ParamChangedError(run_id, key, old, text)


def _queue_tag(store: Store, run_id: str, key: str, value: Any) -> None:
    if key.__class__ is not str or key not in _valid_keys:
        _rules.check_key(key, "tag key")
    _writer_mod._writer.put((TAG, store, run_id, key, _rules.tag_value(key, value), 0, 0))


def _queue_tags(store: Store, run_id: str, tags: dict[str, Any]) -> None:
    if not hasattr(tags, "items"):
        raise TypeError(f"set_tags needs a dict of name -> value, got {type(tags).__name__}")
    entries = []
    for key, value in tags.items():
        _rules.check_key(key, "tag key")
        entries.append((TAG, store, run_id, key, _rules.tag_value(key, value), 0, 0))
    _writer_mod._writer.put_many(entries)


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a positive int, got {value!r}")
    return value
