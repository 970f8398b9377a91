"""Copying one run's artifacts and models into the imported run.

Files are streamed (a local file is handed over by path, a remote one goes through a
temporary file in 1 MiB blocks), never held whole in memory. A file already in the target
with the same size is left alone, so an interrupted import picks up where it stopped.
MLflow model directories (an ``MLmodel`` inside the run's artifacts, or an MLflow 3 logged
model of the run) are written as autolog model directories at the same path, or copied as
plain files when they do not convert (a note in the report says why).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from autolog.migrate import _models
from autolog.migrate._records import Source, SourceLoggedModel, SourceRun, Tree
from autolog.migrate._report import ImportReport
from autolog.migrate._trees import EmptyTree, LocalTree, StoreTree, local_dir

_BLOCK = 1 << 20
MODEL_FILE = "model.yaml"


class ProgressBar(Protocol):
    def advance(self, n: int) -> None: ...

    def close(self) -> None: ...


#: ``(total bytes, label) -> bar``: how the caller shows a transfer (the CLI draws a bar)
ProgressFactory = Callable[[int, str], ProgressBar]


def model_paths(models: list[SourceLoggedModel], taken: set[str]) -> dict[str, str]:
    """model id -> its path in the run's artifacts: its name, or ``<name>-<id>`` when the
    name is taken (by a plain artifact or an earlier model); the same answer every time."""
    paths: dict[str, str] = {}
    used = set(taken)
    for model in sorted(models, key=lambda m: (m.creation_time, m.model_id)):
        path = model.name.strip("/") or model.model_id
        if path in used:
            path = f"{path}-{model.model_id}"
        used.add(path)
        paths[model.model_id] = path
    return paths


class RunCopier:
    """Copies artifacts and models of the runs of one import into their target runs."""

    def __init__(self, source: Source, report: ImportReport, dry_run: bool, progress: ProgressFactory | None) -> None:
        self.source, self.report, self.dry_run, self.progress = source, report, dry_run, progress
        self.missing_locations = 0

    def copy(self, run: SourceRun, artifact_uri: str | None, models: list[SourceLoggedModel]) -> dict[str, str]:
        """Copy the run's artifacts and logged models; return model id -> path in the run.

        ``artifact_uri`` is the target run's root (None in a dry run of a run not there yet)."""
        tree = self.source.run_artifacts(run)
        files = self._listing(tree, run.run_id)
        if isinstance(tree, EmptyTree) and tree.moved:
            self.missing_locations += 1
        target = _target_files(artifact_uri)
        inner_models = _models.model_dirs(list(files))
        plain = {p: s for p, s in files.items() if not any(_under(p, d) for d in inner_models)}
        paths = model_paths(models, {p.split("/", 1)[0] for p in files})
        bar = self._bar(sum(s or 0 for p, s in plain.items() if target.get(p) != s), run)
        try:
            for path, size in plain.items():
                self._file(tree, path, size, artifact_uri, target, bar)
            for directory in inner_models:
                sub = {p[len(directory) + 1:] if directory else p: s for p, s in files.items() if _under(p, directory)}
                self._model(run, _SubTree(tree, directory) if tree else None, sub, directory, artifact_uri, target, bar, {})
            for model in models:
                model_tree = self.source.model_artifacts(model)
                if model_tree is None:
                    continue
                sub = self._listing(model_tree, model.model_id)
                meta = {"mlflow": {"model_id": model.model_id, "name": model.name,
                                   "tags": dict(model.tags), "params": dict(model.params)}}
                self._model(run, model_tree, sub, paths[model.model_id], artifact_uri, target, bar, meta)
        finally:
            if bar is not None:
                bar.close()
        return paths

    def _listing(self, tree: Tree | None, item: str) -> dict[str, int | None]:
        """Every file of ``tree``; none (and a problem) when it cannot be listed."""
        if tree is None:
            return {}
        try:
            return dict(tree.walk())
        except Exception as exc:  # a lost connection, an unreadable folder: the rest goes on
            self.source.problem("artifact", item, f"artifacts not listed ({type(exc).__name__}: {exc})")
            return {}

    def _bar(self, total: int, run: SourceRun) -> ProgressBar | None:
        if self.progress is None or self.dry_run or total == 0:
            return None
        return self.progress(total, f"run {run.run_id[:8]} artifacts")

    def _file(self, tree: Tree | None, path: str, size: int | None, artifact_uri: str | None,
              target: dict[str, int | None], bar: ProgressBar | None) -> None:
        if path in target and (size is None or target[path] == size):
            self.report.existing["artifacts"] += 1
            return
        if self.dry_run or tree is None or artifact_uri is None:
            self.report.imported["artifacts"] += 1
            self.report.imported["artifact_bytes"] += size or 0
            return
        try:
            written = _put(tree, path, artifact_uri, bar)
        except FileNotFoundError:
            self.source.problem("artifact", f"{self.source_label(tree)}/{path}", "listed, but the file is missing; not copied")
            return
        except Exception as exc:
            self.source.problem("artifact", f"{self.source_label(tree)}/{path}", f"not copied ({type(exc).__name__}: {exc})")
            return
        self.report.imported["artifacts"] += 1
        self.report.imported["artifact_bytes"] += written

    @staticmethod
    def source_label(tree: Tree | None) -> str:
        return getattr(tree, "root", "") or getattr(tree, "label", "") or "artifacts"

    def _model(self, run: SourceRun, tree: Tree | None, files: dict[str, int | None], path: str,
               artifact_uri: str | None, target: dict[str, int | None], bar: ProgressBar | None,
               metadata: dict[str, Any]) -> None:
        label = f"{run.run_id}/{path or '.'}"
        if _join(path, MODEL_FILE) in target:
            self.report.existing["models"] += 1
            return
        if tree is None:
            return
        try:
            with _local_copy(tree, files) as root:
                plan = _models.plan(root, load=not self.dry_run)
                if not self.dry_run and artifact_uri is not None:
                    _write_model(plan, root, artifact_uri, path, run.run_id, metadata)
        except Exception as exc:
            why = str(exc) if isinstance(exc, _models.NotConvertible) else f"{type(exc).__name__}: {exc}"
            self.report.notes.append(f"model {label}: not converted, kept as plain artifacts: {why}")
            for rel, size in files.items():
                self._file(_Prefixed(tree, path), _join(path, rel), size, artifact_uri, target, bar)
            return
        self.report.imported["models"] += 1
        for note in plan.notes:
            self.report.notes.append(f"model {label}: {note}")


def _write_model(plan: _models.Plan, root: Path, artifact_uri: str, path: str, run_id: str,
                 metadata: dict[str, Any]) -> None:
    meta = {**metadata, "imported_from": "mlflow"}
    local = local_dir(artifact_uri)
    if local is not None:
        dest = Path(local, *path.split("/")) if path else Path(local)
        _models.write(plan, dest, run_id=run_id, artifact_path=path, metadata=meta)
        return
    from autolog.store import open_artifact_store

    with tempfile.TemporaryDirectory(prefix="autolog-import-") as tmp:
        dest = Path(tmp, "model")
        _models.write(plan, dest, run_id=run_id, artifact_path=path, metadata=meta)
        # model.yaml last: a model interrupted halfway has no model.yaml and is written again
        store = open_artifact_store(artifact_uri)
        for rel in sorted(_models_files(dest), key=lambda r: r == MODEL_FILE):
            store.log_artifact(str(dest / rel), os.path.dirname(_join(path, rel)) or None)


def _models_files(root: Path) -> list[str]:
    return [str(p.relative_to(root).as_posix()) for p in root.rglob("*") if p.is_file()]


def _put(tree: Tree, path: str, artifact_uri: str, bar: ProgressBar | None) -> int:
    """Copy one file; returns its size."""
    from autolog.store import open_artifact_store

    store = open_artifact_store(artifact_uri)
    parent = os.path.dirname(path) or None
    local = tree.local_path(path)
    if local is not None:
        size = os.path.getsize(local)
        store.log_artifact(local, parent)
        if bar is not None:
            bar.advance(size)
        return size
    written = 0
    with tempfile.TemporaryDirectory(prefix="autolog-import-") as tmp:
        staged = os.path.join(tmp, os.path.basename(path))
        with tree.open(path) as src, open(staged, "wb") as dst:
            for block in iter(lambda: src.read(_BLOCK), b""):
                dst.write(block)
                written += len(block)
                if bar is not None:
                    bar.advance(len(block))
        store.log_artifact(staged, parent)
    return written


@contextmanager
def _local_copy(tree: Tree, files: dict[str, int | None]) -> Iterator[Path]:
    """The model directory on this machine: in place when it is local, else downloaded."""
    if isinstance(tree, LocalTree):
        yield Path(tree.root)
        return
    if isinstance(tree, _SubTree) and isinstance(tree.tree, LocalTree):
        yield Path(tree.tree.local_path(tree.prefix) if tree.prefix else tree.tree.root)
        return
    with tempfile.TemporaryDirectory(prefix="autolog-import-model-") as tmp:
        for rel in files:
            dest = Path(tmp, *rel.split("/"))
            dest.parent.mkdir(parents=True, exist_ok=True)
            with tree.open(rel) as src, open(dest, "wb") as dst:
                shutil.copyfileobj(src, dst, _BLOCK)
        yield Path(tmp)


class _SubTree(Tree):
    """The files of ``tree`` under ``prefix``, with paths relative to it."""

    def __init__(self, tree: Tree, prefix: str) -> None:
        self.tree, self.prefix = tree, prefix

    def _full(self, path: str) -> str:
        return _join(self.prefix, path)

    def walk(self) -> Iterator[tuple[str, int | None]]:
        for path, size in self.tree.walk():
            if _under(path, self.prefix):
                yield path[len(self.prefix) + 1:] if self.prefix else path, size

    def open(self, path: str) -> Any:
        return self.tree.open(self._full(path))

    def local_path(self, path: str) -> str | None:
        return self.tree.local_path(self._full(path))


class _Prefixed(Tree):
    """``tree``'s files seen under ``prefix`` (a logged model copied into a run's artifacts)."""

    def __init__(self, tree: Tree, prefix: str) -> None:
        self.tree, self.prefix = tree, prefix
        self.root = getattr(tree, "root", "")

    def _inner(self, path: str) -> str:
        return path[len(self.prefix) + 1:] if self.prefix else path

    def walk(self) -> Iterator[tuple[str, int | None]]:
        for path, size in self.tree.walk():
            yield _join(self.prefix, path), size

    def open(self, path: str) -> Any:
        return self.tree.open(self._inner(path))

    def local_path(self, path: str) -> str | None:
        return self.tree.local_path(self._inner(path))


def _target_files(artifact_uri: str | None) -> dict[str, int | None]:
    """What the target run holds already (path -> size)."""
    if artifact_uri is None:
        return {}
    local = local_dir(artifact_uri)
    if local is not None:
        return dict(LocalTree(local).walk()) if os.path.isdir(local) else {}
    return dict(StoreTree(artifact_uri).walk())


def _under(path: str, directory: str) -> bool:
    return directory == "" or path == directory or path.startswith(directory + "/")


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p)
