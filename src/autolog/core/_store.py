"""The two storage interfaces every backend implements.

``Store`` holds experiments, runs, params, metrics and tags. It has one write path for run
data, ``log_batch``: the fluent API, the Client and the background writer all go through it,
so a backend validates and persists in exactly one place.

``ArtifactStore`` holds files under one root URI (a run's artifact root, or a model directory).
Paths given to it are relative and use '/'; a path that escapes the root is refused before
anything is written.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from collections.abc import Sequence
from typing import IO, Any

from autolog.core._entities import (
    Experiment,
    FileInfo,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from autolog.core._search import MAX_RESULTS, Node, OrderKey
from autolog.core._summaries import (
    Activity,
    DataKeys,
    MetricBuckets,
    XAxis,
    bucket_points,
    check_bucket_args,
)


@dataclass(frozen=True)
class FinishedRun:
    """A run written whole by ``Store.record_runs``.

    ``run_id`` keeps a given id (an imported run); None draws a fresh one. ``end_time`` is
    None only for a run that never ended where it came from (still RUNNING there).
    ``metric_points`` are more metric points as ``(key, value, timestamp_ms, step)`` tuples,
    as ``log_metric_points`` takes them: a whole imported history without a ``Metric`` each.
    """

    user_id: str
    start_time: int
    end_time: int | None
    status: RunStatus
    tags: Sequence[RunTag] = ()
    params: Sequence[Param] = ()
    metrics: Sequence[Metric] = ()
    run_name: str | None = None
    parent_run_id: str | None = None
    run_id: str | None = None
    metric_points: Sequence[tuple[str, float, int, int]] = ()


class Store(abc.ABC):
    """Run metadata. Construct through ``autolog.store.open_store(uri)``."""

    #: the URI this store was opened with
    uri: str

    @classmethod
    @abc.abstractmethod
    def from_uri(cls, uri: str) -> "Store":
        """Open (creating if needed) the store a tracking URI names."""

    # -- experiments ------------------------------------------------------------------------
    @abc.abstractmethod
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        """Create an experiment and return its id; a name in use raises InvalidInputError."""

    @abc.abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment, deleted or not; NotFoundError if unknown."""

    @abc.abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    @abc.abstractmethod
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter: Node | None = None,
        order_by: Sequence[OrderKey] = (),
        page_token: str | None = None,
    ) -> PagedList:
        """Experiments; ``filter`` may compare ``attributes.name`` and ``tags.*``."""

    @abc.abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    @abc.abstractmethod
    def delete_experiment(self, experiment_id: str) -> None:
        """Soft delete: the experiment and its runs move to lifecycle stage 'deleted'."""

    @abc.abstractmethod
    def restore_experiment(self, experiment_id: str) -> None: ...

    @abc.abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    # -- runs --------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
        parent_run_id: str | None = None,
        run_id: str | None = None,
    ) -> Run:
        """A new RUNNING run with a 32-hex id (or ``run_id`` when given) and its artifact root."""

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run:
        """The run with latest metrics, params and tags; NotFoundError if unknown."""

    @abc.abstractmethod
    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> None: ...

    @abc.abstractmethod
    def restore_run(self, run_id: str) -> None: ...

    @abc.abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """The one write path for run data: all of it lands, or none of it (one transaction).

        Refuses a finished or deleted run (RunStateError), an unknown run (NotFoundError),
        a param re-logged with a different value (ParamChangedError).
        """

    def log_metric_points(
        self, run_id: str, points: Sequence[tuple[str, float, int, int]]
    ) -> None:
        """Log metric points given as ``(key, value, timestamp_ms, step)`` tuples.

        The same rules and atomicity as ``log_batch(run_id, metrics=...)``. It exists so the
        background writer can hand over tens of thousands of points without building a
        ``Metric`` per point; a backend may override it with a leaner path.
        """
        self.log_batch(run_id, [Metric(key, value, ts, step) for key, value, ts, step in points])

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        end_time: int,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> RunInfo:
        """Write a run's last batch and end it with ``status`` at ``end_time``.

        The rules of ``log_batch`` then ``update_run_info``; a refused batch ends nothing.
        Ending a run is the moment its queued data is written, so every run pays for this
        call: a backend that can do both in one transaction should override it.
        """
        if metrics or params or tags:
            self.log_batch(run_id, metrics, params, tags)
        return self.update_run_info(run_id, status=status, end_time=end_time)

    def record_runs(self, experiment_id: str, runs: Sequence[FinishedRun]) -> list[Run]:
        """Write runs that are already over (search candidates, imported runs), each whole.

        ``create_run`` then ``finish_run`` per run; a backend that can write them all in one
        transaction, so that no half-written run is ever seen, should override it. A run whose
        given ``run_id`` is taken is refused (InvalidInputError).
        """
        written = []
        for record in runs:
            run = self.create_run(
                experiment_id,
                record.user_id,
                record.start_time,
                tags=record.tags,
                run_name=record.run_name,
                parent_run_id=record.parent_run_id,
                run_id=record.run_id,
            )
            run_id = run.info.run_id
            if record.metric_points:
                self.log_metric_points(run_id, record.metric_points)
            if record.end_time is None:  # never ended where it came from
                if record.metrics or record.params:
                    self.log_batch(run_id, record.metrics, record.params)
                self.update_run_info(run_id, status=record.status)
            else:
                self.finish_run(run_id, record.status, record.end_time, record.metrics, record.params)
            written.append(self.get_run(run_id))
        return written

    @abc.abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None: ...

    @abc.abstractmethod
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged point of one metric, ordered by step then timestamp."""

    @abc.abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter: Node | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[OrderKey] = (),
        page_token: str | None = None,
    ) -> PagedList:
        """Runs matching ``filter`` (an AST from ``autolog.core._search``), one page.

        Default order: start_time DESC, then run_id. Runs that lack an ordering key sort last.
        """

    # -- summaries for views over many runs (the web UI) ----------------------------------
    # Correct for every backend as written here, by reading runs and histories whole; a
    # backend that can aggregate where the data lives (SQL) should override them.

    def experiment_activity(self, experiment_ids: Sequence[str]) -> dict[str, Activity]:
        """For each id: its active runs' count and latest start or end time."""
        found: dict[str, Activity] = {}
        for experiment_id in experiment_ids:
            runs, last = 0, None
            for run in self._every_run([experiment_id]):
                runs += 1
                moment = max(run.info.start_time, run.info.end_time or 0)
                last = moment if last is None else max(last, moment)
            found[experiment_id] = Activity(runs, last)
        return found

    def run_data_keys(self, experiment_ids: Sequence[str]) -> DataKeys:
        """The sorted param, metric and tag keys of the active runs of ``experiment_ids``."""
        params: set[str] = set()
        metrics: set[str] = set()
        tags: set[str] = set()
        for run in self._every_run(experiment_ids):
            params.update(run.data.params)
            metrics.update(run.data.metrics)
            tags.update(run.data.tags)
        return DataKeys(sorted(params), sorted(metrics), sorted(tags))

    def metric_buckets(
        self, run_id: str, key: str, buckets: int, x: XAxis = "step", lo: int | None = None, hi: int | None = None
    ) -> MetricBuckets:
        """One metric's history cut into at most ``buckets`` buckets of ``x`` over ``[lo, hi]``.

        See ``autolog.core._summaries``: the answer must equal ``bucket_points`` over the
        whole history (an unknown run is NotFoundError, an unknown key no buckets).
        """
        check_bucket_args(buckets, x, lo, hi)
        history = self.get_metric_history(run_id, key)
        pairs = ((m.step if x == "step" else m.timestamp, m.value) for m in history)
        return bucket_points(pairs, buckets, x, lo, hi)

    def _every_run(self, experiment_ids: Sequence[str]) -> list[Run]:
        runs: list[Run] = []
        token = None
        while True:
            page = self.search_runs(experiment_ids, max_results=MAX_RESULTS, page_token=token)
            runs += page
            token = page.token
            if not token:
                return runs

    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""


class ArtifactStore(abc.ABC):
    """Files under one root URI. Construct through ``open_artifact_store(root_uri)``."""

    def __init__(self, root_uri: str) -> None:
        self.root_uri = root_uri

    @abc.abstractmethod
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Copy one local file into ``artifact_path`` (a directory under the root)."""

    @abc.abstractmethod
    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy the contents of a local directory into ``artifact_path``."""

    @abc.abstractmethod
    def write_bytes(self, path: str, data: bytes) -> None:
        """Write one file at ``path`` (relative to the root), replacing it atomically."""

    def put_file(self, local_file: str, path: str) -> None:
        """Store the local file as the file ``path`` (relative to the root), whole or not at all.

        The local file is the caller's to give away: a backend may move it into place instead
        of copying it (the tracking server receives uploads this way). This default copies it
        through ``log_artifact`` under its final name.
        """
        import os
        import shutil
        import tempfile

        from autolog.errors import UnsafeArtifactPathError

        directory, _, name = path.rpartition("/")
        if name in ("", ".", "..") or "\\" in name or "\x00" in name or path.startswith("/") or directory.endswith("/"):
            # the directory part is checked by log_artifact; the name becomes a local file name
            raise UnsafeArtifactPathError(path, "it does not name a file below the root")
        with tempfile.TemporaryDirectory(prefix="autolog-put-") as tmp:
            named = os.path.join(tmp, name)
            shutil.move(local_file, named)
            self.log_artifact(named, directory or None)

    @abc.abstractmethod
    def open(self, path: str, mode: str = "rb") -> IO[Any]:
        """Open a file under the root for reading ('rb'/'r')."""

    @abc.abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path`` (root when None), with paths relative to the root."""

    @abc.abstractmethod
    def download_artifacts(self, path: str = "", dst_path: str | None = None) -> str:
        """Copy a file or directory to a local path (a new temp dir when None); return it."""

    @abc.abstractmethod
    def delete_artifacts(self, path: str | None = None) -> int:
        """Remove ``path`` (everything when None); return the bytes freed."""
