"""Uploading a spool file: its requests in order, each once, then the offline runs' artifacts.

Why nothing is stored twice (docs/remote.md, "Replay"): requests go out strictly in the order
they were made, and each is deleted from the spool as soon as the server acknowledged it. So
only one request can be in doubt at any moment: the one that was on its way when the network,
the server or this process failed. That one is sent again in a form that cannot apply twice:

- a run is created with the id this machine gave it; a create re-sent with ``"dedupe": true``
  is answered with the run the server already has under that id;
- params are write-once (the same value again is accepted), tags and run ends are plain
  overwrites;
- a batch of metric points carries ``"dedupe": true``, and the server drops the points it
  already holds (equal key, value, step and timestamp) and params and tags it already has.

A request the server refuses (say, a param changed on a run someone else wrote to) is moved to
the spool's ``failed`` table with the server's answer, and the others go on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autolog.errors import AutologError, NotFoundError, RunStateError, ServerUnreachableError, StoreError

if TYPE_CHECKING:
    from autolog.store.rest._http import Http
    from autolog.store.rest._spool import Op, Spool

_log = logging.getLogger("autolog")

MLFLOW = "/api/2.0/mlflow"
LOG_BATCH = f"{MLFLOW}/runs/log-batch"
COLUMNS = "/api/autolog/v1/runs/log-metric-columns"
CREATE_RUN = f"{MLFLOW}/runs/create"
UPDATE_RUN = f"{MLFLOW}/runs/update"
GET_RUN = f"{MLFLOW}/runs/get"
DELETE_TAG = f"{MLFLOW}/runs/delete-tag"
FINISH = "/api/autolog/v1/runs/finish"
#: requests whose repeat would store points twice: re-sent with "dedupe": true
DATA_PATHS = frozenset({LOG_BATCH, COLUMNS, FINISH})
#: requests re-sent with "dedupe": true after a doubt (a create then answers with its run)
DEDUPE_PATHS = DATA_PATHS | {CREATE_RUN}

#: a spooled file upload (``ProxyArtifactStore``): {"url": proxy path, "file": local copy}
UPLOAD = "PUT /api/2.0/mlflow-artifacts/artifacts"
#: experiment ids given while the server could not be asked: "offline:<name>"
PROVISIONAL = "offline:"

Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    """What one upload of a spool file did."""

    ops: int = 0
    points: int = 0
    files: int = 0
    refused: list[str] = field(default_factory=list)
    #: the server stopped answering before the end
    interrupted: bool = False


def experiment_name(experiment_id: str) -> str | None:
    """The experiment name inside a provisional id, else None."""
    return experiment_id[len(PROVISIONAL):] if experiment_id.startswith(PROVISIONAL) else None


def real_experiment_id(http: Http, experiment_id: str) -> str:
    """The server's id for a provisional one (the experiment is created if missing)."""
    name = experiment_name(experiment_id)
    if name is None:
        return experiment_id
    from autolog.errors import AlreadyExistsError

    try:
        return str(http.call("GET", f"{MLFLOW}/experiments/get-by-name", params={"experiment_name": name})["experiment"]["experiment_id"])
    except NotFoundError:
        pass
    try:
        return str(http.call("POST", f"{MLFLOW}/experiments/create", {"name": name})["experiment_id"])
    except AlreadyExistsError:  # created meanwhile by someone else
        return str(http.call("GET", f"{MLFLOW}/experiments/get-by-name", params={"experiment_name": name})["experiment"]["experiment_id"])


def upload(spool: Spool, http: Http, progress: Progress | None = None) -> Outcome:
    """Send what ``spool`` holds, in order, until it is empty or the server stops answering."""
    outcome = Outcome()
    first = True  # a previous upload may have died with the head on its way: re-send it safely
    experiments: dict[str, str] = {}
    while True:
        batch = spool.head(64)
        if not batch:
            break
        for op in batch:
            try:
                answer = _send(http, op, dedupe=first or op.uncertain, experiments=experiments)
            except ServerUnreachableError as exc:
                if exc.sent:
                    spool.mark_uncertain(op)
                outcome.interrupted = True
                return outcome
            except (AutologError, ValueError) as exc:
                if isinstance(exc, StoreError) and not isinstance(exc, ServerUnreachableError):
                    _log.warning("autolog: the tracking server failed on a spooled request: %s", exc)
                spool.refused(op, f"{type(exc).__name__}: {exc}")
                outcome.refused.append(f"{op.path} (run {op.run_id}): {exc}")
            else:
                if op.path == CREATE_RUN and op.run_id is not None:
                    _note_created(spool, http, op.run_id, answer)
                spool.done(op)
                if op.path == UPLOAD:
                    os.unlink(op.doc["file"])
                outcome.ops += 1
                outcome.points += op.points
                if progress is not None:
                    progress(outcome.ops, outcome.points)
            first = False
    outcome.interrupted = not upload_artifacts(spool, http, outcome)
    return outcome


def _send(http: Http, op: Op, *, dedupe: bool, experiments: dict[str, str]) -> dict[str, Any]:
    doc = op.doc
    if op.path == UPLOAD:
        return _upload_file(http, doc["url"], doc["file"])
    if op.path == CREATE_RUN and str(doc.get("experiment_id", "")).startswith(PROVISIONAL):
        provisional = str(doc["experiment_id"])
        if provisional not in experiments:
            experiments[provisional] = real_experiment_id(http, provisional)
        doc = {**doc, "experiment_id": experiments[provisional]}
    if dedupe and op.path in DEDUPE_PATHS:
        doc = {**doc, "dedupe": True}
    try:
        return http.call("POST", op.path, doc, again={**doc, "dedupe": True} if op.path in DEDUPE_PATHS else doc, subject=op.run_id)
    except NotFoundError:
        if op.path == DELETE_TAG and dedupe:
            return {}  # it was deleted by the copy that went out before
        raise
    except RunStateError:
        if op.path not in DATA_PATHS or not _reopen_killed(http, op.run_id):
            raise
        return http.call("POST", op.path, doc, again={**doc, "dedupe": True}, subject=op.run_id)


def _upload_file(http: Http, url: str, local_file: str) -> dict[str, Any]:
    from autolog.store.rest._http import from_answer

    with open(local_file, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        answer = http.send("PUT", url, handle, headers=headers)  # a repeat writes the same file
    if answer.status >= 400:
        raise from_answer(http.base_url, answer.status, answer.data)
    return {}


def _reopen_killed(http: Http, run_id: str | None) -> bool:
    """A run whose process is gone may have been marked KILLED by a server on the same host
    while its spooled data waited; the data is the run's own, so the run takes it: it is
    set RUNNING again (its own spooled end, if any, comes later and ends it properly)."""
    if run_id is None:
        return False
    info = http.call("GET", GET_RUN, params={"run_id": run_id})["run"]["info"]
    if info.get("status") != "KILLED" or info.get("lifecycle_stage") != "active":
        return False
    http.call("POST", UPDATE_RUN, {"run_id": run_id, "status": "RUNNING"}, subject=run_id)
    return True


def _note_created(spool: Spool, http: Http, run_id: str, answer: dict[str, Any]) -> None:
    from autolog.store.rest._wire import from_server

    if run_id in spool.offline_runs():
        location = answer.get("run", {}).get("info", {}).get("artifact_uri")
        if location:
            spool.set_server_uri(run_id, from_server(http.base_url, location))


def upload_artifacts(spool: Spool, http: Http, outcome: Outcome) -> bool:
    """Upload the files of runs created offline that the server does not have yet; False
    when the server stopped answering."""
    from autolog.store.artifacts._paths import TEMP_PREFIX
    from autolog.store.artifacts._sources import walk_files
    from autolog.store.rest._artifacts import ProxyArtifactStore

    for run_id, server_uri in spool.offline_runs().items():
        local = os.path.join(spool.artifacts_dir, run_id)
        if server_uri is None or not os.path.isdir(local):
            continue
        done = spool.uploaded(run_id)
        store = ProxyArtifactStore(server_uri, spool=False)
        for path, rel in walk_files(local, action="upload artifacts", skip_temp=True):
            if any(part.startswith(TEMP_PREFIX) for part in rel.split("/")):
                continue
            stat = os.stat(path)
            if done.get(rel) == (stat.st_size, stat.st_mtime_ns):
                continue
            try:
                store.put_path(path, rel)
            except ServerUnreachableError:
                return False
            spool.mark_uploaded(run_id, rel, stat.st_size, stat.st_mtime_ns)
            outcome.files += 1
    return True


def is_empty(spool: Spool) -> bool:
    """Nothing left to send: no request waits, and every offline run's files are up."""
    if spool.pending()[0]:
        return False
    from autolog.store.artifacts._sources import walk_files

    for run_id, server_uri in spool.offline_runs().items():
        local = os.path.join(spool.artifacts_dir, run_id)
        if not os.path.isdir(local):
            continue
        if server_uri is None:
            return False
        done = spool.uploaded(run_id)
        for path, rel in walk_files(local, action="check artifacts", skip_temp=True):
            stat = os.stat(path)
            if done.get(rel) != (stat.st_size, stat.st_mtime_ns):
                return False
    return True
