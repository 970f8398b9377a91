"""What every MLflow reader hands the importer: plain records, whatever the source kind.

A reader (``_files``, ``_sql``, ``_rest``) turns its source into these; the importer never
knows where they came from. Times are milliseconds since the epoch, as in MLflow.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

#: ``(run ids) -> the ones the target has already``: their params, tags and metrics go unread
Known = Callable[[list[str]], set[str]]

#: MLflow's stage names that become aliases on import (None and the deleted marker do not)
STAGES = ("Production", "Staging", "Archived")


@dataclass(frozen=True)
class SourceExperiment:
    experiment_id: str
    name: str
    lifecycle_stage: str = "active"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceRun:
    run_id: str
    experiment_id: str
    name: str
    status: str
    start_time: int
    end_time: int | None
    user_id: str
    lifecycle_stage: str
    artifact_uri: str
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    #: every point of every metric: (key, value, timestamp, step)
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)
    #: only the run's identity and artifact location were read (the target has the run)
    partial: bool = False

    @property
    def parent_run_id(self) -> str | None:
        return self.tags.get("mlflow.parentRunId") or None


@dataclass(frozen=True)
class SourceLoggedModel:
    """An MLflow 3 logged model (``m-...``): a model directory outside the run's artifacts."""

    model_id: str
    experiment_id: str
    name: str
    source_run_id: str | None
    artifact_location: str
    ready: bool
    creation_time: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceVersion:
    version: int
    source: str
    run_id: str | None
    user_id: str = ""
    description: str = ""
    stage: str = "None"
    tags: dict[str, str] = field(default_factory=dict)
    #: MLflow 3: the logged model it was registered from
    model_id: str | None = None


@dataclass(frozen=True)
class SourceRegisteredModel:
    name: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    versions: list[SourceVersion] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """One item that could not be read or written, and why."""

    kind: str  # experiment, run, artifact, model, registered_model, model_version, ...
    item: str
    reason: str


class Tree(abc.ABC):
    """Files under one artifact location: listed recursively, opened as streams."""

    @abc.abstractmethod
    def walk(self) -> Iterator[tuple[str, int | None]]:
        """Every file as (relative '/' path, size in bytes or None when unknown)."""

    @abc.abstractmethod
    def open(self, path: str) -> IO[bytes]:
        """A stream of one file; the caller closes it."""

    def local_path(self, path: str) -> str | None:
        """The file on this machine when it is one (copied without a stream), else None."""
        return None


class Source(abc.ABC):
    """An MLflow tracking store being read. Readers add what they could not read to
    ``problems`` (and remarks on what they did read to ``notes``) and go on with the rest."""

    uri: str
    problems: list[Problem]
    notes: list[str]

    @abc.abstractmethod
    def experiments(self) -> list[SourceExperiment]: ...

    @abc.abstractmethod
    def runs(self, experiment_id: str, known: Known | None = None) -> Iterator[list[SourceRun]]:
        """The experiment's runs, whole (params, tags, full metric histories), in batches;
        runs that ``known`` names come ``partial`` (a resumed import reads little)."""

    @abc.abstractmethod
    def run_artifacts(self, run: SourceRun) -> Tree | None:
        """The run's artifacts; None (and a problem) when the location cannot be read."""

    @abc.abstractmethod
    def logged_models(self, experiment_id: str) -> list[SourceLoggedModel]: ...

    @abc.abstractmethod
    def model_artifacts(self, model: SourceLoggedModel) -> Tree | None: ...

    @abc.abstractmethod
    def registered_models(self) -> list[SourceRegisteredModel]: ...

    def close(self) -> None:
        """Release connections."""

    def problem(self, kind: str, item: str, reason: str) -> None:
        self.problems.append(Problem(kind, item, reason))
