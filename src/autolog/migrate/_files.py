"""Reading an MLflow file store (``mlruns/``) directly, without MLflow.

The layout, as MLflow writes it::

    mlruns/<experiment_id>/meta.yaml            name, lifecycle_stage, artifact_location
    mlruns/<experiment_id>/tags/<key>           one file per tag (keys with '/' nest)
    mlruns/<experiment_id>/<run_id>/meta.yaml   run_name, status (1..5), times, user_id, ...
    mlruns/<experiment_id>/<run_id>/params/<key>, tags/<key>
    mlruns/<experiment_id>/<run_id>/metrics/<key>   lines "timestamp value step"
    mlruns/<experiment_id>/<run_id>/artifacts/
    mlruns/<experiment_id>/models/<model_id>/   MLflow 3 logged models (meta.yaml, tags/,
                                                params/, artifacts/)
    mlruns/.trash/<experiment_id>/              deleted experiments
    mlruns/models/<name>/meta.yaml              the registry: aliases in meta.yaml,
    mlruns/models/<name>/version-<n>/meta.yaml  tags/ beside each
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from autolog.migrate._records import (
    Known,
    Problem,
    Source,
    SourceExperiment,
    SourceLoggedModel,
    SourceRegisteredModel,
    SourceRun,
    SourceVersion,
    Tree,
)
from autolog.migrate._trees import open_tree

#: RunStatus as the file store writes it (an int enum)
_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
#: folders of an experiment directory that are not runs
_RESERVED = {"tags", "datasets", "traces", "models"}
_BATCH = 200


def _yaml(path: str) -> Any:
    import yaml

    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _files_in(folder: str) -> Iterator[tuple[str, str]]:
    """Every file under ``folder`` as (key: its '/' path below the folder, its path)."""
    if not os.path.isdir(folder):
        return
    for parent, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            yield os.path.relpath(path, folder).replace(os.sep, "/"), path


def _values(folder: str) -> dict[str, str]:
    """Every file under ``folder`` as key -> text (params, tags)."""
    found: dict[str, str] = {}
    for key, path in _files_in(folder):
        with open(path, encoding="utf-8") as f:
            found[key] = f.read()
    return found


def _metric_points(folder: str) -> list[tuple[str, float, int, int]]:
    points: list[tuple[str, float, int, int]] = []
    for key, path in _files_in(folder):
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if not parts:
                    continue
                # "timestamp value step"; files from before steps existed lack the step
                step = int(parts[2]) if len(parts) > 2 else 0
                points.append((key, float(parts[1]), int(parts[0]), step))
    return points


class FileStoreSource(Source):
    """An ``mlruns/`` directory. ``artifact_map`` rewrites recorded artifact locations."""

    def __init__(self, root: str, artifact_map: Mapping[str, str] | None = None) -> None:
        self.root = os.path.abspath(root)
        self.uri = self.root
        self.artifact_map = dict(artifact_map or {})
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self._dirs: dict[str, str] = {}  # experiment id -> its directory

    @staticmethod
    def looks_like(path: str) -> bool:
        return os.path.isdir(path) and (
            os.path.isfile(os.path.join(path, "0", "meta.yaml"))
            or os.path.isdir(os.path.join(path, ".trash"))
        )

    def experiments(self) -> list[SourceExperiment]:
        found = []
        for parent in (self.root, os.path.join(self.root, ".trash")):
            if not os.path.isdir(parent):
                continue
            for name in sorted(os.listdir(parent)):
                folder = os.path.join(parent, name)
                if name.startswith(".") or name == "models" or not os.path.isdir(folder):
                    continue
                try:
                    meta = _yaml(os.path.join(folder, "meta.yaml"))
                    experiment = SourceExperiment(
                        experiment_id=str(meta["experiment_id"]),
                        name=str(meta["name"]),
                        lifecycle_stage=str(meta.get("lifecycle_stage") or "active"),
                        tags=_values(os.path.join(folder, "tags")),
                    )
                except Exception as exc:
                    self.problem("experiment", folder, f"unreadable meta.yaml ({_why(exc)}); its runs are skipped")
                    continue
                self._dirs[experiment.experiment_id] = folder
                found.append(experiment)
        return found

    def runs(self, experiment_id: str, known: Known | None = None) -> Iterator[list[SourceRun]]:
        folder = self._dirs[experiment_id]
        names = [n for n in sorted(os.listdir(folder)) if n not in _RESERVED and os.path.isdir(os.path.join(folder, n))]
        for start in range(0, len(names), _BATCH):
            chunk = names[start:start + _BATCH]
            there = known(chunk) if known else set()  # a run's folder is named by its id
            batch = []
            for name in chunk:
                run_dir = os.path.join(folder, name)
                try:
                    batch.append(self._run(run_dir, partial=name in there))
                except Exception as exc:
                    self.problem("run", run_dir, f"unreadable run ({_why(exc)}); skipped")
            if batch:
                yield batch

    def _run(self, run_dir: str, partial: bool) -> SourceRun:
        meta = _yaml(os.path.join(run_dir, "meta.yaml"))
        if not isinstance(meta, dict):
            raise ValueError("meta.yaml is not a mapping")
        run_id = str(meta.get("run_id") or meta["run_uuid"])
        tags = {} if partial else _values(os.path.join(run_dir, "tags"))
        status = meta.get("status", 1)
        return SourceRun(
            run_id=run_id,
            experiment_id=str(meta["experiment_id"]),
            name=str(meta.get("run_name") or tags.get("mlflow.runName") or ""),
            status=_STATUS.get(status, str(status)) if isinstance(status, int) else str(status),
            start_time=int(meta.get("start_time") or 0),
            end_time=None if meta.get("end_time") is None else int(meta["end_time"]),
            user_id=str(meta.get("user_id") or tags.get("mlflow.user") or ""),
            lifecycle_stage=str(meta.get("lifecycle_stage") or "active"),
            artifact_uri=str(meta.get("artifact_uri") or os.path.join(run_dir, "artifacts")),
            params={} if partial else _values(os.path.join(run_dir, "params")),
            tags=tags,
            metrics=[] if partial else _metric_points(os.path.join(run_dir, "metrics")),
            partial=partial,
        )

    def run_artifacts(self, run: SourceRun) -> Tree | None:
        fallback = os.path.join(self._dirs[run.experiment_id], run.run_id, "artifacts")
        return open_tree(self, run.artifact_uri, ("artifact", run.run_id), fallback)

    def logged_models(self, experiment_id: str) -> list[SourceLoggedModel]:
        folder = os.path.join(self._dirs[experiment_id], "models")
        found = []
        for model_id in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
            model_dir = os.path.join(folder, model_id)
            try:
                meta = _yaml(os.path.join(model_dir, "meta.yaml"))
                found.append(
                    SourceLoggedModel(
                        model_id=str(meta["model_id"]),
                        experiment_id=experiment_id,
                        name=str(meta["name"]),
                        source_run_id=meta.get("source_run_id") or None,
                        artifact_location=str(meta.get("artifact_location") or ""),
                        ready=meta.get("status") in (2, "READY", "LOGGED_MODEL_READY"),
                        creation_time=int(meta.get("creation_timestamp") or 0),
                        tags=_values(os.path.join(model_dir, "tags")),
                        params=_values(os.path.join(model_dir, "params")),
                    )
                )
            except Exception as exc:
                self.problem("model", model_dir, f"unreadable logged model ({_why(exc)}); skipped")
        return found

    def model_artifacts(self, model: SourceLoggedModel) -> Tree | None:
        fallback = os.path.join(self._dirs[model.experiment_id], "models", model.model_id, "artifacts")
        return open_tree(self, model.artifact_location or fallback, ("model", model.model_id), fallback)

    def registered_models(self) -> list[SourceRegisteredModel]:
        folder = os.path.join(self.root, "models")
        found = []
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
            model_dir = os.path.join(folder, name)
            try:
                meta = _yaml(os.path.join(model_dir, "meta.yaml"))
                versions = []
                for entry in sorted(os.listdir(model_dir)):
                    if not entry.startswith("version-"):
                        continue
                    version = self._version(os.path.join(model_dir, entry), name)
                    if version is not None:
                        versions.append(version)
                found.append(
                    SourceRegisteredModel(
                        name=str(meta["name"]),
                        description=str(meta.get("description") or ""),
                        tags=_values(os.path.join(model_dir, "tags")),
                        aliases={str(k): int(v) for k, v in (meta.get("aliases") or {}).items()},
                        versions=sorted(versions, key=lambda v: v.version),
                    )
                )
            except Exception as exc:
                self.problem("registered_model", model_dir, f"unreadable ({_why(exc)}); skipped")
        return found

    def _version(self, folder: str, name: str) -> SourceVersion | None:
        try:
            meta = _yaml(os.path.join(folder, "meta.yaml"))
            if meta.get("current_stage") == "Deleted_Internal":
                return None
            return SourceVersion(
                version=int(meta["version"]),
                source=str(meta.get("source") or ""),
                run_id=meta.get("run_id") or None,
                user_id=str(meta.get("user_id") or ""),
                description=str(meta.get("description") or ""),
                stage=str(meta.get("current_stage") or "None"),
                tags=_values(os.path.join(folder, "tags")),
                model_id=meta.get("model_id") or None,
            )
        except Exception as exc:
            self.problem("model_version", f"{name}/{os.path.basename(folder)}", f"unreadable ({_why(exc)}); skipped")
            return None


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
