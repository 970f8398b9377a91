"""The import itself: experiments, runs, artifacts and models, then the registry.

Every step first looks at what the target holds, so running it again writes nothing twice and
an interrupted import resumes: experiments are matched by name, runs by their (kept) id,
artifacts by path and size, models by their ``model.yaml``, registered models by name and
versions by number. A run is written whole in one transaction (``Store.record_runs``), so an
interruption never leaves half a run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from autolog.errors import AutologError, InvalidInputError, NotFoundError
from autolog.migrate._artifacts import ProgressFactory, RunCopier
from autolog.migrate._records import STAGES, Source, SourceExperiment, SourceLoggedModel, SourceRun
from autolog.migrate._report import ImportReport
from autolog.store import Store
from autolog.core._store import FinishedRun
from autolog.core import _rules as check
from autolog.core._entities import LifecycleStage, Param, RunStatus, RunTag, ViewType

#: the run tag that says where an imported run came from
SOURCE_TAG = "autolog.import.source"


class Importer:
    def __init__(self, source: Source, store: Store, report: ImportReport, *, dry_run: bool,
                 progress: ProgressFactory | None) -> None:
        self.source, self.store, self.report, self.dry_run = source, store, report, dry_run
        self.copier = RunCopier(source, report, dry_run, progress)
        self.runs_seen: set[str] = set()
        self._closed = self._reopened = False  # the experiment being imported: see _experiment
        #: run id -> (artifact URI, lifecycle stage) in the target, None when it is not there
        self._asked: dict[str, tuple[str, str] | None] = {}
        #: logged model id -> (run id, path in the run's artifacts)
        self.model_paths: dict[str, tuple[str, str]] = {}

    # -- experiments ---------------------------------------------------------------------------
    def run(self, names: Sequence[str] | None) -> None:
        experiments = _select(self.source.experiments(), names)
        for experiment in experiments:
            try:
                self._experiment(experiment)
            except AutologError as exc:
                self.source.problem("experiment", experiment.name, f"not imported: {exc}")
        self._registry(whole=names is None)
        if self.copier.missing_locations:
            self.report.notes.append(
                f"{self.copier.missing_locations} run(s) have no artifact folder at their recorded "
                "location: runs that logged no artifact have none; if the store was moved, give "
                "the old location with --map-artifacts OLD=NEW"
            )

    def _experiment(self, experiment: SourceExperiment) -> None:
        target = self.store.get_experiment_by_name(experiment.name)
        deleted = experiment.lifecycle_stage == LifecycleStage.DELETED.value
        if target is None:
            self.report.imported["experiments"] += 1
            if self.dry_run:
                experiment_id = None
            else:
                experiment_id = self.store.create_experiment(experiment.name, tags=_clean(experiment.tags, "experiment tag"))
        else:
            self.report.existing["experiments"] += 1
            experiment_id = target.experiment_id
            if not self.dry_run:
                for key, value in experiment.tags.items():
                    if target.tags.get(key) != value:
                        self.store.set_experiment_tag(experiment_id, key, value)
        # runs go into live experiments only: a deleted one is restored for the first new run
        # and deleted again at the end; one that needs no new run is left as it is
        self._closed = target is not None and target.lifecycle_stage is LifecycleStage.DELETED
        self._reopened = False
        models = self._models_by_run(experiment)
        known = self._known if experiment_id is not None else None
        for batch in self.source.runs(experiment.experiment_id, known):
            self._runs(experiment_id, batch, models)
        if experiment_id is not None and (self._reopened or (deleted and target is None)) and not self.dry_run:
            self.store.delete_experiment(experiment_id)

    def _models_by_run(self, experiment: SourceExperiment) -> dict[str, list[SourceLoggedModel]]:
        by_run: dict[str, list[SourceLoggedModel]] = {}
        for model in self.source.logged_models(experiment.experiment_id):
            if not model.ready:
                self.report.notes.append(f"logged model {model.model_id} ({model.name}) was not finished in MLflow; skipped")
            elif model.source_run_id is None:
                self.source.problem("model", model.model_id, "the logged model belongs to no run; autolog keeps models in runs")
            else:
                by_run.setdefault(model.source_run_id, []).append(model)
        return by_run

    # -- runs ----------------------------------------------------------------------------------
    def _runs(self, experiment_id: str | None, batch: list[SourceRun], models: dict[str, list[SourceLoggedModel]]) -> None:
        present: dict[str, tuple[str, str]] = {}
        if experiment_id is not None:
            unasked = [run.run_id for run in batch if run.run_id not in self._asked]
            if unasked:  # a reader that did not ask (it must read every run whole then)
                self._known(unasked)
            for run in batch:
                found = self._asked.get(run.run_id)
                if found is not None:
                    present[run.run_id] = found
        records = []
        for run in batch:
            self.runs_seen.add(run.run_id)
            if run.run_id in present:
                self.report.existing["runs"] += 1
            else:
                record = self._record(run)
                if record is not None:
                    records.append((run, record))
        uris: dict[str, str] = {run_id: found[0] for run_id, found in present.items()}
        if records and not self.dry_run:
            assert experiment_id is not None
            if self._closed and not self._reopened:
                self.store.restore_experiment(experiment_id)
                self._reopened = True
            records, written_uris = self._write(experiment_id, records)
            uris.update(written_uris)
        for run, record in records:
            self.report.imported["runs"] += 1
            self.report.imported["params"] += len(record.params)
            self.report.imported["tags"] += len(record.tags)
            self.report.imported["metric_points"] += len(record.metric_points)
        written = {run.run_id for run, _ in records}
        for run in batch:
            if run.run_id not in present and run.run_id not in written:
                continue
            uri = uris.get(run.run_id)
            deleted = run.lifecycle_stage == LifecycleStage.DELETED.value
            if not self.dry_run and deleted and present.get(run.run_id, ("", "active"))[1] != LifecycleStage.DELETED.value:
                self.store.delete_run(run.run_id)
            paths = self.copier.copy(run, uri, models.get(run.run_id, []))
            self.model_paths.update({mid: (run.run_id, path) for mid, path in paths.items()})

    def _known(self, run_ids: list[str]) -> set[str]:
        """Which of ``run_ids`` the target has (the reader then skips their data)."""
        found = self._present(run_ids)
        self._asked.update({run_id: found.get(run_id) for run_id in run_ids})
        return set(found)

    def _present(self, run_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Runs of ``run_ids`` the target has: id -> (artifact URI, lifecycle stage)."""
        from autolog.core._search import parse_filter

        listed = ", ".join(f"'{run_id}'" for run_id in run_ids if re.fullmatch(r"[0-9a-f]{32}", run_id))
        if not listed:
            return {}
        experiments = [e.experiment_id for e in self.store.search_experiments(view_type=ViewType.ALL, max_results=50_000)]
        found: dict[str, tuple[str, str]] = {}
        token = None
        while True:
            page = self.store.search_runs(experiments, parse_filter(f"attributes.run_id IN ({listed})"),
                                          run_view_type=ViewType.ALL, max_results=1000, page_token=token)
            found.update({r.info.run_id: (r.info.artifact_uri, r.info.lifecycle_stage.value) for r in page})
            token = page.token
            if not token:
                return found

    def _record(self, run: SourceRun) -> FinishedRun | None:
        """The run as autolog writes it; items autolog refuses are dropped and reported."""
        label = run.run_id
        if not re.fullmatch(r"[0-9a-f]{32}", run.run_id):
            self.source.problem("run", label, "its id is not 32 lowercase hex characters; skipped")
            return None
        try:
            status = RunStatus(run.status.upper())
        except ValueError:
            self.source.problem("run", label, f"unknown status {run.status!r}; skipped")
            return None
        params = [Param(k, v) for k, v in _clean(run.params, "param", label, self.source).items()]
        tags = [RunTag(k, v) for k, v in _clean(run.tags, "tag", label, self.source).items()]
        tags.append(RunTag(SOURCE_TAG, self.report.source))
        bad = set()
        for key in {point[0] for point in run.metrics}:  # each key checked once, not per point
            problem = _key_problem(key, "metric key")
            if problem is not None:
                bad.add(key)
                self.source.problem("metric", f"{label}/{key}", problem)
        points = [point for point in run.metrics if point[0] not in bad] if bad else run.metrics
        return FinishedRun(
            user_id=run.user_id, start_time=run.start_time,
            end_time=run.end_time if status.is_terminated or run.end_time is not None else None,
            status=status, tags=tags, params=params, metric_points=points, run_name=run.name,
            parent_run_id=run.parent_run_id, run_id=run.run_id,
        )

    def _write(self, experiment_id: str, records: list[tuple[SourceRun, FinishedRun]]
               ) -> tuple[list[tuple[SourceRun, FinishedRun]], dict[str, str]]:
        """Write the batch in one transaction; when the store refuses it, run by run, so one
        refused run does not keep the others out. Returns what was written and the runs'
        artifact URIs."""
        try:
            runs = self.store.record_runs(experiment_id, [record for _, record in records])
            return records, {r.info.run_id: r.info.artifact_uri for r in runs}
        except AutologError as exc:
            if len(records) == 1:
                self.source.problem("run", records[0][0].run_id, f"not imported: {exc}")
                return [], {}
        written, uris = [], {}
        for pair in records:
            try:
                run = self.store.record_runs(experiment_id, [pair[1]])[0]
            except AutologError as exc:
                self.source.problem("run", pair[0].run_id, f"not imported: {exc}")
                continue
            written.append(pair)
            uris[run.info.run_id] = run.info.artifact_uri
        return written, uris

    # -- registry ------------------------------------------------------------------------------
    def _registry(self, whole: bool) -> None:
        from autolog.core import _model_rules as _validate
        from autolog.core._model_store import RegistryStore

        models = self.source.registered_models()
        if not models:
            return
        if not isinstance(self.store, RegistryStore):
            self.source.problem("registered_model", "*", f"the target store {type(self.store).__name__} has no registry")
            return
        for model in models:
            try:
                _validate.model_name(model.name)
                self._registered_model(self.store, model, whole)
            except (AutologError, ValueError) as exc:
                self.source.problem("registered_model", model.name, f"not imported: {exc}")

    def _registered_model(self, store: Any, model: Any, whole: bool) -> None:
        from autolog.core import _model_rules as _validate

        versions = [v for v in model.versions if whole or v.run_id is None or v.run_id in self.runs_seen]
        if model.versions and not versions:
            self.report.notes.append(f"registered model {model.name}: none of its versions comes from an imported run; skipped")
            return
        try:
            target = store.get_registered_model(model.name)
            self.report.existing["registered_models"] += 1
        except NotFoundError:
            target = None
            self.report.imported["registered_models"] += 1
            if not self.dry_run:
                target = store.create_registered_model(model.name, model.description, _clean(model.tags, "tag"), "")
        if target is not None and not self.dry_run:
            for key, value in model.tags.items():
                if target.tags.get(key) != value:
                    store.set_registered_model_tag(model.name, key, value)
            if model.description and not target.description:
                store.update_registered_model(model.name, model.description)
        have = {v.version for v in store.list_model_versions(model.name)} if target is not None else set()
        for version in versions:
            label = f"{model.name}/{version.version}"
            if version.version in have:
                self.report.existing["model_versions"] += 1
                continue
            source = self._version_source(version)
            if source is None:
                self.source.problem("model_version", label, f"its source {version.source} was not imported")
                continue
            if not self.dry_run:
                try:
                    store.create_model_version(
                        model.name, source, version.run_id, _clean(version.tags, "tag"), version.description,
                        version.user_id, create_model=False, version=version.version,
                    )
                except AutologError as exc:
                    self.source.problem("model_version", label, f"not imported: {exc}")
                    continue
            have.add(version.version)
            self.report.imported["model_versions"] += 1
        current = store.get_registered_model(model.name).aliases if target is not None else {}
        for alias, number in _aliases(model, versions, self.report).items():
            if number not in have:
                continue
            try:
                _validate.alias(alias)
            except InvalidInputError as exc:
                self.source.problem("alias", f"{model.name}@{alias}", str(exc))
                continue
            if current.get(alias) == number:
                self.report.existing["aliases"] += 1
                continue
            if not self.dry_run:
                store.set_registered_model_alias(model.name, alias, number, "")
            self.report.imported["aliases"] += 1

    def _version_source(self, version: Any) -> str | None:
        """The model URI in autolog: a logged model's new place, runs:/ kept, run artifact
        paths turned into runs:/ URIs; None when the model it names was not imported."""
        source = str(version.source)
        model_id = version.model_id or (source[len("models:/"):] if source.startswith("models:/m-") else None)
        if model_id is not None:
            found = self.model_paths.get(model_id)
            return None if found is None else f"runs:/{found[0]}/{found[1]}"
        if source.startswith("runs:/"):
            return source
        if version.run_id:
            match = re.search(rf"/{version.run_id}/artifacts/(.+)$", source)
            if match:
                return f"runs:/{version.run_id}/{match.group(1).strip('/')}"
        return source


def _aliases(model: Any, versions: list[Any], report: ImportReport) -> dict[str, int]:
    """MLflow's aliases, plus one per stage (``production``...) on its highest version, unless
    the model has an alias of that name already."""
    aliases = dict(model.aliases)
    for stage in STAGES:
        numbers = sorted(v.version for v in versions if v.stage == stage)
        if not numbers:
            continue
        alias = stage.lower()
        if alias in aliases:
            report.notes.append(f"registered model {model.name}: stage {stage} not made an alias; the alias {alias!r} exists")
            continue
        aliases[alias] = numbers[-1]
        others = f" (versions {', '.join(map(str, numbers[:-1]))} were in {stage} too)" if len(numbers) > 1 else ""
        report.notes.append(f"registered model {model.name}: stage {stage} became alias {alias!r} on version {numbers[-1]}{others}")
    return aliases


def _select(experiments: list[SourceExperiment], names: Sequence[str] | None) -> list[SourceExperiment]:
    if not names:
        return experiments
    wanted = set(names)
    chosen = [e for e in experiments if e.name in wanted or e.experiment_id in wanted]
    unknown = wanted - {e.name for e in chosen} - {e.experiment_id for e in chosen}
    if unknown:
        listed = ", ".join(sorted(e.name for e in experiments)) or "none"
        raise InvalidInputError(
            f"the MLflow store has no experiment named or numbered {', '.join(sorted(unknown))}; "
            f"its experiments: {listed}"
        )
    return chosen


def _key_problem(key: str, what: str) -> str | None:
    try:
        check.check_key(key, what)
    except InvalidInputError as exc:
        return str(exc)
    return None


def _clean(values: dict[str, str], what: str, label: str = "", source: Source | None = None) -> dict[str, str]:
    """``values`` without the keys (or param values) autolog refuses, each reported."""
    kept = {}
    for key, value in values.items():
        try:
            check.check_key(key, f"{what} key")
            kept[key] = check.param_value(key, value) if what == "param" else check.tag_value(key, value)
        except InvalidInputError as exc:
            if source is not None:
                source.problem(what, f"{label}/{key}", str(exc))
    return kept
