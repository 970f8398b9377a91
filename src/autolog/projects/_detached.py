"""Detached project runs (``autolog run --detach``, ``run(..., synchronous=False)``).

The caller starts ``python -m autolog.projects._detached`` and hands it the request; that
process forks a launcher that belongs to no terminal (so neither the caller's exit nor a
Ctrl-C in its terminal stops it), and exits. The launcher runs the project exactly like a
synchronous ``autolog run`` would, with its output going to the run's log only, and tells the
caller, on a pipe, the run id (or the error that stopped it before the run started). The
caller's handle follows the launcher by its pid, and ``cancel()`` sends it SIGTERM.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from typing import Any

from autolog import errors
from autolog.projects._launch import ProjectRun, Request, launch


def start(request: Request) -> ProjectRun:
    """Start ``request`` in a detached launcher; return once its run exists."""
    process = subprocess.Popen(
        [sys.executable, "-m", "autolog.projects._detached"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert process.stdin is not None and process.stdout is not None
    with process.stdin:
        process.stdin.write(json.dumps(dataclasses.asdict(request)).encode())
    with process.stdout:
        line = process.stdout.readline()
    process.wait()  # the first process leaves at once; the launcher it forked goes on
    try:
        message: dict[str, Any] = json.loads(line)
    except ValueError:
        raise errors.ProjectError(
            f"the detached launcher exited (code {process.returncode}) before it started the run"
        ) from None
    if "error" in message:
        raise _error(str(message.get("kind")), str(message["error"]))
    return ProjectRun(message["run_id"], request.tracking_uri, supervisor_pid=int(message["pid"]))


def _error(kind: str, text: str) -> errors.AutologError:
    """The launcher's error, as the same class where its class takes a message alone."""
    found = getattr(errors, kind, None)
    if isinstance(found, type) and issubclass(found, errors.AutologError):
        try:
            return found(text)
        except TypeError:  # a class whose constructor takes its subject too
            pass
    return errors.ProjectError(text)


def main() -> int:
    request = Request(**json.loads(sys.stdin.read()))
    if os.fork() != 0:
        os._exit(0)  # the caller reaps this one; the launcher below is adopted by init
    reply = os.fdopen(os.dup(1), "w")
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)  # nothing of the launcher's own goes to the caller's terminal
    os.close(quiet)

    def report(message: dict[str, Any]) -> None:
        if not reply.closed:
            reply.write(json.dumps(message) + "\n")
            reply.close()

    try:
        launch(
            request, echo=False, stop_on_sigterm=True,
            on_started=lambda run_id: report({"run_id": run_id, "pid": os.getpid()}),
        )
    except BaseException as exc:
        kind = type(exc).__name__ if isinstance(exc, errors.AutologError) else "ProjectError"
        report({"error": str(exc) or type(exc).__name__, "kind": kind})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
