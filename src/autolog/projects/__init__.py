"""Projects: run packaged training code as a tracked run, here or on a Ray cluster.

    import autolog.projects

    done = autolog.projects.run(
        "https://github.com/org/repo#training", version="v1.2", entry_point="train",
        parameters={"alpha": 0.5}, env_manager="virtualenv",
    )
    done.status        # RunStatus.FINISHED
    done.run_id        # the run that holds the params, the project's metrics and models

A project is a directory or a git repository with an ``MLproject`` file in MLflow's format
(entry points, typed parameters, a command template, a ``python_env.yaml``); without one, any
``.py``/``.sh`` file of it is an entry point. ``autolog run URI ...`` is the same from a
terminal. docs/projects.md has the whole story: the file format as read here, environments,
backends (``local``, ``ray``, or a plugin's through the entry-point group
``autolog.project_backends``), and how the run is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autolog.projects._backend import Backend, Execution, Job
from autolog.projects._launch import ProjectRun

__all__ = ["run", "ProjectRun", "Backend", "Execution", "Job"]


def run(
    uri: str,
    entry_point: str = "main",
    parameters: Mapping[str, Any] | None = None,
    version: str | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    env_manager: str | None = None,
    backend: str = "local",
    backend_config: Mapping[str, Any] | str | None = None,
    synchronous: bool = True,
) -> ProjectRun:
    """Run a project's entry point as a tracked run; returns its ``ProjectRun``.

    ``uri``: a directory or a git URL (https, ssh, ``file://``), with ``#subdir`` for a project
    inside it; ``version``: a commit, tag or branch of it. ``parameters`` are checked against
    the entry point's declared types before anything starts (InvalidInputError names the
    parameter, its type and the value). ``env_manager``: ``local`` (default: this
    interpreter), ``virtualenv`` or ``uv`` (built from the project's python_env.yaml, cached).
    ``backend``: ``local`` or ``ray`` (``backend_config``: a dict, JSON text or a JSON file).

    With ``synchronous=True`` the command's output is streamed to stdout and the call returns
    when the command has ended (a Ctrl-C stops it and records the run KILLED). With
    ``synchronous=False`` it returns once the run has started; the run goes on in a launcher
    process of its own, which the handle's ``wait()``, ``cancel()`` and ``logs()`` follow.

    A run active in this thread becomes the project run's parent.
    """
    from autolog.errors import InvalidInputError
    from autolog.projects import _backend, _detached, _launch, _spec
    from autolog.tracking import _fluent

    if not isinstance(entry_point, str) or not entry_point:
        raise InvalidInputError(f"entry_point must be a non-empty string, got {entry_point!r}")
    values = {
        _spec._check_name(name): _spec._text(name, value) for name, value in (parameters or {}).items()
    }
    client = _fluent._client()
    if experiment_name is None and experiment_id is None and _fluent._chosen_experiment is not None:
        experiment_id = _fluent._current_experiment_id(client)  # set_experiment() applies here too
    parent = _fluent.active_run()
    request = _launch.Request(
        uri=str(uri),
        tracking_uri=client.tracking_uri,
        entry_point=entry_point,
        parameters=values,
        version=version,
        experiment_name=experiment_name,
        experiment_id=None if experiment_id is None else str(experiment_id),
        run_name=run_name,
        env_manager=env_manager,
        backend=backend,
        backend_config=_backend.parse_config(backend_config),
        parent_run_id=parent.info.run_id if parent is not None else None,
    )
    if synchronous:
        return _launch.launch(request, echo=True)
    return _detached.start(request)
