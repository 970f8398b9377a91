"""The ``local`` backend: the command in a subprocess on this machine.

The command runs through ``bash -c`` (``sh`` where there is no bash) in the project directory,
in a session of its own: a Ctrl-C in the terminal reaches the launcher only, which then stops
the whole process group (SIGTERM, then SIGKILL after a grace period), and so does ``cancel()``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from autolog.errors import ProjectError
from autolog.projects._backend import Backend, Execution, Job
from autolog.projects._env import chunks
from autolog.core._entities import RunStatus

GRACE_S = 10.0  # between SIGTERM and SIGKILL when a run is cancelled


class LocalBackend(Backend):
    """Runs the command here, in the environment the env manager prepared."""

    name = "local"
    starts_here = True

    def submit(self, job: Job, config: Mapping[str, Any]) -> Execution:
        env = dict(os.environ)
        env.pop("PYTHONHOME", None)
        env.update(job.environment.prepare(job.output))
        env.update(job.env_vars)
        shell = shutil.which("bash") or "/bin/sh"
        try:
            process = subprocess.Popen(
                [shell, "-c", job.command],
                cwd=job.project_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: cancel stops all of it
                pass_fds=() if job.gate_fd is None else (job.gate_fd,),
            )
        except OSError as exc:
            raise ProjectError(f"could not start {shell} in {job.project_dir}: {exc}") from exc
        return LocalExecution(process)


class LocalExecution(Execution):
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.tags = {}
        self._cancelled = threading.Event()

    def output(self) -> Iterator[bytes]:
        stream = self.process.stdout
        assert stream is not None
        with stream:
            yield from chunks(stream)

    def wait(self) -> RunStatus:
        code = self.process.wait()
        if self._cancelled.is_set():
            return RunStatus.KILLED
        return RunStatus.FINISHED if code == 0 else RunStatus.FAILED

    def cancel(self) -> None:
        self._cancelled.set()
        group = self.process.pid  # the session (and group) leader's pid names the group
        if not _signal(group, signal.SIGTERM):
            return
        try:
            self.process.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            pass
        _signal(group, signal.SIGKILL)  # whatever of the group is left
        self.process.wait()


def _signal(group: int, sig: int) -> bool:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True
