"""``autolog run URI``: run a project's entry point as a tracked run (see docs/projects.md)."""

from __future__ import annotations

import sys
from typing import Any

from autolog._cli import _output as out

_EXIT = {"FINISHED": 0, "FAILED": 1, "KILLED": 130}


def run(args: Any) -> int:
    from autolog.projects import _backend, _detached, _launch
    from autolog.tracking import _fluent

    request = _launch.Request(
        uri=args.uri,
        tracking_uri=_fluent.get_tracking_uri(),
        entry_point=args.entry_point,
        parameters=_parameters(args.param),
        version=args.version,
        experiment_name=args.experiment_name,
        experiment_id=args.experiment_id,
        run_name=args.run_name,
        env_manager=args.env_manager,
        backend=args.backend,
        backend_config=_backend.parse_config(args.backend_config),
    )
    if args.detach:
        handle = _detached.start(request)
        if out.wants_json(args):
            out.print_json({"run_id": handle.run_id, "status": "RUNNING", "detached": True})
        else:
            print(f"run {handle.run_id} started in the background; see it with: autolog runs show {handle.run_id}")
        return 0
    try:
        # with --json the project's output goes to stderr: stdout is for the JSON alone
        done = _launch.launch(request, echo=sys.stderr if out.wants_json(args) else sys.stdout,
                              stop_on_sigterm=True)
    except _launch.Cancelled:
        sys.stderr.write("autolog: stopped by SIGTERM; the run is recorded KILLED\n")
        return 143
    status = done.status.value
    if out.wants_json(args):
        out.print_json({"run_id": done.run_id, "status": status})
    else:
        sys.stderr.write(f"autolog: run {done.run_id} {status}\n")
    return _EXIT.get(status, 1)


def _parameters(items: list[str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items or []:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise out.CliError(f"-P takes NAME=VALUE, got {item!r}")
        values[name] = value
    return values


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser(
        "run", parents=[common], help="run a project (directory or git URI) as a tracked run",
        description="Run an entry point of a project, a directory or a git repository with an "
        "MLproject file in MLflow's format (or plain .py/.sh files), as a tracked run: its "
        "params, the project's own autologged metrics and models, its output. See "
        "docs/projects.md.",
    )
    p.add_argument("uri", metavar="URI",
                   help="a directory, or a git URL (https://, ssh://, git@host:..., file://); "
                   "#subdir for a project inside it")
    p.add_argument("-e", "--entry-point", default="main", metavar="NAME",
                   help="an entry point of the MLproject, or a .py/.sh file of the project (default main)")
    p.add_argument("-P", "--param", action="append", metavar="NAME=VALUE",
                   help="a parameter value (repeatable); undeclared ones are passed as --NAME VALUE")
    p.add_argument("-v", "--version", metavar="REF", help="the git commit, tag or branch to run")
    p.add_argument("--experiment-name", metavar="NAME", help="record into this experiment (created if missing)")
    p.add_argument("--experiment-id", metavar="ID", help="record into the experiment with this id")
    p.add_argument("--run-name", metavar="NAME", help="the run's name")
    p.add_argument("--env-manager", choices=["local", "virtualenv", "uv"],
                   help="local (default: this interpreter), or an environment built from the "
                   "project's python_env.yaml and cached")
    p.add_argument("-b", "--backend", default="local", metavar="NAME",
                   help="where it runs: local (default), ray, or a plugin's backend")
    p.add_argument("-c", "--backend-config", metavar="JSON_OR_FILE",
                   help="backend settings as JSON text or a JSON file, e.g. "
                   "'{\"address\": \"http://head:8265\", \"num_cpus\": 2}' for ray")
    p.add_argument("--detach", action="store_true",
                   help="return once the run has started; it goes on in the background")
    p.set_defaults(handler="autolog._cli.run:run")
