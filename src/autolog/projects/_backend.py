"""The execution backend seam: where a project's command runs.

A backend is a class registered under the entry-point group ``autolog.project_backends``
(the built-ins ``local`` and ``ray`` are registered the same way in autolog's own
pyproject.toml). ``autolog run --backend NAME`` instantiates it and calls ``submit(job,
config)`` once; the ``Execution`` it returns is what the launcher streams, waits for and
cancels. The launcher does everything else: it fetches the project, checks the parameters,
creates the tracking run, saves the output and sets the run's final status.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from autolog import _plugins
from autolog.errors import InvalidInputError, ProjectError
from autolog.projects._env import Environment
from autolog.core._entities import RunStatus

registry = _plugins.project_backends


@dataclass(frozen=True)
class Job:
    """One project run, as a backend receives it."""

    run_id: str
    tracking_uri: str
    project_dir: str  # the directory to run in (or to ship to the cluster)
    command: str  # a shell command line, parameters already quoted into it
    environment: Environment  # ``prepare(output)`` builds it here; ``spec`` describes it
    #: AUTOLOG_RUN_ID, AUTOLOG_TRACKING_URI, ...: set them in the command's environment
    env_vars: dict[str, str] = field(default_factory=dict)
    #: writes to the run's output (the terminal and the saved log): build steps, messages
    output: Callable[[bytes], None] = lambda data: None
    #: for ``starts_here`` backends: a file descriptor the command's process must inherit
    #: (``pass_fds``); the run is created while the command starts, see docs/projects.md
    gate_fd: int | None = None


class Execution(abc.ABC):
    """A submitted command: its output, its end, a way to stop it."""

    #: tags the run gets once the command is submitted (the cluster's job id, ...)
    tags: Mapping[str, str] = {}

    def output(self) -> Iterator[bytes]:
        """The command's output as it comes; ends when the command ends."""
        return iter(())

    @abc.abstractmethod
    def wait(self) -> RunStatus:
        """Block until the command ends: FINISHED (exit 0), FAILED, or KILLED (cancelled)."""

    @abc.abstractmethod
    def cancel(self) -> None:
        """Stop the command (nothing when it has ended); ``wait`` then returns KILLED."""


class Backend(abc.ABC):
    """Runs a project's command somewhere."""

    name: ClassVar[str] = ""
    #: True when the command runs on this machine and its process can inherit
    #: ``job.gate_fd``: the launcher then starts the command first and creates the run while
    #: the command's interpreter starts (the command's own autolog waits on the gate).
    starts_here: ClassVar[bool] = False

    def check_config(self, config: Mapping[str, Any]) -> None:
        """Refuse a bad ``--backend-config`` before anything runs (default: accept none)."""
        if config:
            raise InvalidInputError(
                f"the {self.name} backend takes no --backend-config, got {sorted(config)}"
            )

    @abc.abstractmethod
    def submit(self, job: Job, config: Mapping[str, Any]) -> Execution:
        """Start ``job`` and return at once; raise ProjectError when it cannot start."""


def load(name: str) -> Backend:
    """An instance of the backend registered as ``name``."""
    entry = registry.get(name)
    if entry is None:
        known = ", ".join(sorted(registry.entries)) or "none"
        raise InvalidInputError(f"no project backend named {name!r}; registered backends: {known}")
    try:
        backend_class = entry.load()
    except ImportError as exc:
        raise ProjectError(f"the project backend {name!r} could not be imported: {exc}") from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, Backend)):
        raise ProjectError(
            f"the project backend {name!r} ({entry.target}) is not a subclass of "
            "autolog.projects.Backend"
        )
    return backend_class()


def parse_config(config: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """``--backend-config``: a mapping, JSON text, or the path of a JSON file."""
    import json
    import os

    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    text = str(config).strip()
    if not text.startswith("{") and os.path.isfile(text):
        try:
            with open(text, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise InvalidInputError(f"cannot read the backend config file {config}: {exc}") from None
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidInputError(
            f"--backend-config must be a JSON object or the path of a file holding one, got {config!r}"
        ) from None
    if not isinstance(value, dict):
        raise InvalidInputError(f"--backend-config must be a JSON object, got {type(value).__name__}")
    return value
