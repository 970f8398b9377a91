"""The launcher: one project run from URI to final status.

1. Everything that can be refused is checked before anything starts: the backend and its
   config, the project (fetched, its MLproject read), the entry point, every parameter value
   against its type, the environment.
2. The tracking run is created with the project's params and tags (source URI, git commit,
   entry point, backend, environment), and the command is submitted with the run id and the
   tracking URI in its environment, so the project's own autolog logs into this run.
   A backend that starts the command on this machine gets it started first: the run is
   created while the command's interpreter starts, and the command's autolog waits for it
   on a pipe (``AUTOLOG_RUN_GATE``) before it touches the run.
3. The output is streamed to the terminal and saved; when the command ends the output becomes
   the artifact ``project-output.log`` and the run ends FINISHED (exit 0), FAILED, or KILLED
   (cancelled, Ctrl-C, SIGTERM).

The launching process owns the run (its pid is the run's ``autolog.pid``): it stays alive
while the command runs, so the run is not taken for one whose process died.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from autolog.errors import InvalidInputError, ProjectError
from autolog.projects import _backend, _cache, _env, _fetch, _spec
from autolog.core import _tags
from autolog.core._entities import Param, Run, RunStatus

if TYPE_CHECKING:
    from autolog.tracking._client import Client

OUTPUT_ARTIFACT = "project-output.log"


class Cancelled(BaseException):
    """SIGTERM reached the launcher: stop the command, end the run KILLED."""


@dataclass(frozen=True)
class Request:
    """What ``autolog run`` was asked to do (plain data: it travels to a detached launcher)."""

    uri: str
    tracking_uri: str
    entry_point: str = "main"
    parameters: dict[str, str] = field(default_factory=dict)
    version: str | None = None
    experiment_name: str | None = None
    experiment_id: str | None = None
    run_name: str | None = None
    env_manager: str | None = None
    backend: str = "local"
    backend_config: dict[str, Any] = field(default_factory=dict)
    parent_run_id: str | None = None


@dataclass(frozen=True)
class Prepared:
    source: _fetch.Source
    project: _spec.Project
    entry_point: _spec.EntryPoint
    call: _spec.Call
    environment: _env.Environment
    backend: _backend.Backend


def prepare(request: Request) -> Prepared:
    """Everything checked and fetched; raises before anything starts or is recorded."""
    from autolog.store._by_uri import uri_scheme

    if uri_scheme(request.tracking_uri) == "memory":
        raise InvalidInputError(
            "a project run needs a tracking store its command's process can reach; memory: "
            "lives inside one process. Use a directory, sqlite:///..., postgresql://... or a server"
        )
    backend = _backend.load(request.backend)
    backend.check_config(request.backend_config)
    source = _fetch.fetch(request.uri, request.version)
    project = _spec.load(source.directory)
    entry_point = project.entry_point(request.entry_point)
    call = entry_point.call(request.parameters, project.directory)
    environment = _env.for_project(project.env_kind, project.env_file, request.env_manager)
    environment.check()
    return Prepared(source, project, entry_point, call, environment, backend)


def launch(
    request: Request,
    *,
    echo: Any = True,
    on_started: Callable[[str], None] | None = None,
    stop_on_sigterm: bool = False,
) -> ProjectRun:
    """Run the project to its end; returns its finished run. The output is echoed to
    ``echo`` (True: stdout; False: nowhere; or a text stream). ``on_started(run_id)`` is
    called once the run exists and the command is submitted. ProjectError (after the run is
    recorded FAILED) when the command could not be started; KeyboardInterrupt/Cancelled are
    re-raised after the run is recorded KILLED."""
    from autolog.tracking._client import Client

    prepared = prepare(request)
    run_id = uuid.uuid4().hex
    client = Client(request.tracking_uri)
    output = RunOutput(run_id, sys.stdout if echo is True else (echo or None))
    gate_read, gate_write = os.pipe() if prepared.backend.starts_here else (None, None)
    job = _backend.Job(
        run_id=run_id,
        tracking_uri=client.tracking_uri,
        project_dir=prepared.project.directory,
        command=prepared.call.command,
        environment=prepared.environment,
        env_vars=_env_vars(client.tracking_uri, run_id, gate_read),
        output=output.write,
        gate_fd=gate_read,
    )
    run: Run | None = None
    execution: _backend.Execution | None = None
    status = RunStatus.FAILED
    error: BaseException | None = None
    with _sigterm_cancels(stop_on_sigterm):
        try:
            if gate_read is not None:
                try:
                    execution = prepared.backend.submit(job, request.backend_config)
                finally:
                    os.close(gate_read)
                run = _create_run(client, request, prepared, run_id)
                os.close(gate_write)  # type: ignore[arg-type]
                gate_write = None
            else:
                run = _create_run(client, request, prepared, run_id)
                execution = prepared.backend.submit(job, request.backend_config)
            if execution.tags:
                _set_tags(client, run_id, execution.tags)
            if on_started is not None:
                on_started(run_id)
            for chunk in execution.output():
                output.write(chunk)
            status = execution.wait()
        except (KeyboardInterrupt, Cancelled) as exc:
            status, error = RunStatus.KILLED, exc
            output.write(b"\nautolog: interrupted; stopping the command\n")
            if execution is not None:
                execution.cancel()
        except BaseException as exc:
            error = exc
            output.write(f"\nautolog: {exc}\n".encode())
            if execution is not None:
                execution.cancel()
        finally:
            if gate_write is not None:
                os.close(gate_write)
            output.close()
    if run is None:  # the command could not even start: record the attempt all the same
        try:
            run = _create_run(client, request, prepared, run_id)
        except Exception:
            output.discard()
            raise error if error is not None else ProjectError("the run could not be created")
    _finish(client, run, status, output)
    if isinstance(error, (KeyboardInterrupt, Cancelled)):
        raise error
    if error is not None:
        if isinstance(error, ProjectError):
            raise ProjectError(f"{error} (run {run_id} is recorded FAILED)") from error
        raise error
    return ProjectRun(run_id, client.tracking_uri, status=status)


def _env_vars(tracking_uri: str, run_id: str, gate: int | None) -> dict[str, str]:
    from autolog.tracking import _fluent

    env = {
        _fluent.RUN_ID_ENV: run_id,
        "AUTOLOG_TRACKING_URI": tracking_uri,
        "PYTHONUNBUFFERED": "1",  # output reaches the terminal and the log as it is printed
    }
    if gate is not None:
        env[_fluent.RUN_GATE_ENV] = f"{gate}:{os.fstat(gate).st_ino}"
    return env


def _create_run(client: Client, request: Request, prepared: Prepared, run_id: str) -> Run:
    """The run, with the project's params and tags."""
    from autolog.tracking import _fluent

    if request.experiment_id is not None:
        experiment_id = client.get_experiment(request.experiment_id).experiment_id
    elif request.experiment_name is not None:
        experiment_id = _fluent._get_or_create_experiment(client, request.experiment_name).experiment_id
    else:
        experiment_id = _fluent._current_experiment_id(client)
    source, project = prepared.source, prepared.project
    commit, dirty = source.git()
    tags = {
        _tags.SOURCE_NAME: source.uri,
        _tags.SOURCE_TYPE: "PROJECT",
        _tags.ENTRY_POINT: prepared.call.command,
        _tags.PROJECT_NAME: project.name,
        _tags.PROJECT_ENTRY_POINT: prepared.entry_point.name,
        _tags.PROJECT_BACKEND: request.backend,
        _tags.PROJECT_ENV: prepared.environment.manager,
    }
    optional = {
        _tags.GIT_COMMIT: commit,
        _tags.GIT_DIRTY: None if dirty is None else str(dirty).lower(),
        _tags.GIT_REPO_URL: source.git_repo_url,
        _tags.GIT_BRANCH: source.git_branch,
        _tags.PROJECT_VERSION: source.version,
    }
    tags.update({k: v for k, v in optional.items() if v is not None})
    run = client._create_run(
        experiment_id, None, tags, request.run_name, request.parent_run_id, run_id=run_id
    )
    if commit is None:
        # the system tags describe the launcher's own code: not this project's
        for key in (_tags.GIT_COMMIT, _tags.GIT_DIRTY):
            if key in run.data.tags:
                client.delete_tag(run_id, key)
    if prepared.call.params:
        client.log_batch(run_id, params=[Param(k, v) for k, v in prepared.call.params.items()])
    return run


def _set_tags(client: Client, run_id: str, tags: Any) -> None:
    from autolog.core._entities import RunTag

    client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])


def _finish(client: Client, run: Run, status: RunStatus, output: RunOutput) -> None:
    """Save the output as an artifact, then end the run with ``status``."""
    from autolog.store import open_artifact_store

    try:
        # straight to the artifact store: the project's own process may have ended the run
        open_artifact_store(run.info.artifact_uri).log_artifact(output.path)
        output.discard()
    except Exception as exc:  # the run's status matters more than its log
        sys.stderr.write(f"autolog: the output of run {run.info.run_id} was not saved: {exc}\n")
    client.set_terminated(run.info.run_id, status)


@contextmanager
def _sigterm_cancels(enabled: bool) -> Iterator[None]:
    """While the block runs, SIGTERM raises Cancelled in the main thread (so ``kill`` of the
    launcher stops the command and records KILLED instead of leaving it running)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def cancel(signum: int, frame: Any) -> None:
        raise Cancelled()

    previous = signal.signal(signal.SIGTERM, cancel)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def output_path(run_id: str, create: bool = False) -> str:
    """Where the output of a run is kept locally until it is saved as an artifact."""
    folder = os.path.join(_cache.cache_dir("projects", "output"), run_id)
    if create:
        os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, OUTPUT_ARTIFACT)


class RunOutput:
    """The run's output: saved to a file (the artifact-to-be) and echoed to a terminal."""

    def __init__(self, run_id: str, echo: Any = None) -> None:
        self.path = output_path(run_id, create=True)
        self._file: BinaryIO = open(self.path, "wb")
        self._echo = echo
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._file.closed:
                return
            self._file.write(data)
            self._file.flush()
            echo = self._echo
            if echo is not None:
                buffer = getattr(echo, "buffer", None)
                if buffer is not None:
                    echo.flush()
                    buffer.write(data)
                    buffer.flush()
                else:
                    echo.write(data.decode("utf-8", "replace"))
                    echo.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def discard(self) -> None:
        shutil.rmtree(os.path.dirname(self.path), ignore_errors=True)


class ProjectRun:
    """A submitted project run: its ``run_id``, ``status``, ``wait()``, ``cancel()``, ``logs()``.

    A run started with ``synchronous=True`` (the default) has ended when you get it. One
    started with ``synchronous=False`` (``--detach``) is watched over by a launcher process
    of its own, which outlives the caller; this handle follows it.
    """

    def __init__(
        self, run_id: str, tracking_uri: str, *, status: RunStatus | None = None,
        supervisor_pid: int | None = None,
    ) -> None:
        self.run_id = run_id
        self.tracking_uri = tracking_uri
        self._final = status
        self._pid = supervisor_pid

    def __repr__(self) -> str:
        return f"ProjectRun(run_id={self.run_id!r}, status={self.status.value!r})"

    def _client(self) -> Client:
        from autolog.tracking._client import Client

        return Client(self.tracking_uri)

    @property
    def status(self) -> RunStatus:
        """RUNNING (SCHEDULED while a cluster has not started it), then FINISHED, FAILED or
        KILLED once its launcher has recorded how it ended."""
        if self._final is not None:
            return self._final
        status: RunStatus = self._client().get_run(self.run_id).info.status
        if status.is_terminated and self._launcher_gone():
            self._final = status
            return status
        # the project's own autolog may end the run before the launcher records the exit code
        return RunStatus.RUNNING if status.is_terminated else status

    def wait(self, timeout: float | None = None) -> RunStatus:
        """Block until the run has ended (or ``timeout`` seconds passed); its status."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self._final is None and not self._launcher_gone():
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        return self.status

    def cancel(self) -> None:
        """Stop the command; the run ends KILLED (nothing when it has already ended)."""
        if self._final is not None or self._pid is None or self._launcher_gone():
            return
        try:
            os.kill(self._pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        from autolog.projects._local import GRACE_S

        self.wait(timeout=GRACE_S + 60)

    def logs(self) -> str:
        """The command's output so far (all of it once the run has ended)."""
        path = output_path(self.run_id)
        if os.path.exists(path):
            with open(path, "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        from autolog.store import open_artifact_store

        run = self._client().get_run(self.run_id)
        try:
            with open_artifact_store(run.info.artifact_uri).open(OUTPUT_ARTIFACT) as handle:
                data: bytes = handle.read()
        except (OSError, LookupError):
            return ""
        return data.decode("utf-8", "replace")

    def _launcher_gone(self) -> bool:
        if self._pid is None:
            return True
        from autolog.store import _liveness

        return _liveness.is_process_gone(_liveness.this_host(), self._pid)
