"""``autolog experiments list/create/rename/delete/restore``."""

from __future__ import annotations

from typing import Any

from autolog._cli import _output as out
from autolog._cli._common import client, experiment


def _dict(e: Any) -> dict[str, Any]:
    return {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": getattr(e.lifecycle_stage, "value", e.lifecycle_stage),
        "tags": dict(e.tags),
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
    }


def list_experiments(args: Any) -> int:
    c = client(args)
    found = list(c.search_experiments(view_type="all" if args.all else "active", max_results=50_000))
    if out.wants_json(args):
        out.print_json({"experiments": [_dict(e) for e in found]})
        return 0
    rows = [
        [e.experiment_id, e.name, getattr(e.lifecycle_stage, "value", e.lifecycle_stage),
         out.when(e.creation_time), e.artifact_location]
        for e in found
    ]
    out.print_table(["ID", "NAME", "STAGE", "CREATED", "ARTIFACT LOCATION"], rows, limit=80)
    return 0


def create(args: Any) -> int:
    c = client(args)
    experiment_id = c.create_experiment(args.name, artifact_location=args.artifact_location)
    _report(args, {"experiment_id": experiment_id, "name": args.name}, f"created experiment {args.name!r} with id {experiment_id}")
    return 0


def rename(args: Any) -> int:
    c = client(args)
    e = experiment(c, args.experiment)
    c.rename_experiment(e.experiment_id, args.new_name)
    _report(args, {"experiment_id": e.experiment_id, "name": args.new_name}, f"renamed experiment {e.experiment_id} from {e.name!r} to {args.new_name!r}")
    return 0


def delete(args: Any) -> int:
    c = client(args)
    e = experiment(c, args.experiment)
    c.delete_experiment(e.experiment_id)
    _report(args, {"experiment_id": e.experiment_id, "deleted": True}, f"deleted experiment {e.experiment_id} ({e.name!r}) and its runs; 'autolog experiments restore' brings them back")
    return 0


def restore(args: Any) -> int:
    c = client(args)
    e = experiment(c, args.experiment)
    c.restore_experiment(e.experiment_id)
    _report(args, {"experiment_id": e.experiment_id, "restored": True}, f"restored experiment {e.experiment_id} ({e.name!r})")
    return 0


def _report(args: Any, data: dict[str, Any], text: str) -> None:
    if out.wants_json(args):
        out.print_json(data)
    else:
        print(text)


def register(sub: Any, common: Any) -> None:
    group = sub.add_parser("experiments", help="list, create, rename, delete and restore experiments")
    cmds = group.add_subparsers(metavar="COMMAND")
    p = cmds.add_parser("list", parents=[common], help="list experiments")
    p.add_argument("--all", action="store_true", help="deleted experiments too")
    p.set_defaults(handler="autolog._cli.experiments:list_experiments")
    p = cmds.add_parser("create", parents=[common], help="create an experiment")
    p.add_argument("name")
    p.add_argument("--artifact-location", help="where its runs' artifacts go (default: the store's)")
    p.set_defaults(handler="autolog._cli.experiments:create")
    p = cmds.add_parser("rename", parents=[common], help="rename an experiment")
    p.add_argument("experiment", metavar="NAME_OR_ID")
    p.add_argument("new_name")
    p.set_defaults(handler="autolog._cli.experiments:rename")
    for name, what in (("delete", "delete an experiment and its runs (recoverable)"), ("restore", "restore a deleted experiment")):
        p = cmds.add_parser(name, parents=[common], help=what)
        p.add_argument("experiment", metavar="NAME_OR_ID")
        p.set_defaults(handler=f"autolog._cli.experiments:{name}")
