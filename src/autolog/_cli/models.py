"""``autolog models list/show/register/alias/versions/history``."""

from __future__ import annotations

from typing import Any

from autolog._cli import _output as out
from autolog._cli._common import client, parse_tags


def list_models(args: Any) -> int:
    found = client(args).search_registered_models(args.filter, max_results=args.max)
    if out.wants_json(args):
        out.print_json({"registered_models": [m.to_dict() for m in found]})
        return 0
    rows = [
        [m.name, m.latest_version, ", ".join(f"{a}->{v}" for a, v in m.aliases.items()),
         out.when(m.last_updated_timestamp), m.description]
        for m in found
    ]
    out.print_table(["NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"], rows)
    return 0


def show(args: Any) -> int:
    c = client(args)
    model = c.get_registered_model(args.name)
    versions = c.search_model_versions(f"name = '{_quote(args.name)}'")
    if out.wants_json(args):
        out.print_json({**model.to_dict(), "versions": [v.to_dict() for v in versions]})
        return 0
    out.print_pairs(
        f"registered model {model.name!r}",
        {
            "description": model.description,
            "created": out.when(model.creation_timestamp),
            "updated": out.when(model.last_updated_timestamp),
            "latest version": model.latest_version,
        },
    )
    out.print_pairs("aliases", {a: f"version {v}" for a, v in model.aliases.items()})
    out.print_pairs("tags", model.tags)
    _versions_table(versions)
    return 0


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _versions_table(versions: list[Any]) -> None:
    sys_rows = [
        [v.version, ", ".join(v.aliases), out.when(v.creation_timestamp), v.user_id, v.run_id, v.source]
        for v in versions
    ]
    print("versions:")
    out.print_table(["VERSION", "ALIASES", "CREATED", "USER", "RUN ID", "SOURCE"], sys_rows, limit=80)


def versions(args: Any) -> int:
    found = client(args).search_model_versions(f"name = '{_quote(args.name)}'")
    if not found:
        client(args).get_registered_model(args.name)  # unknown names fail with the list
    if out.wants_json(args):
        out.print_json({"model_versions": [v.to_dict() for v in found]})
    else:
        _versions_table(found)
    return 0


def register_model(args: Any) -> int:
    from autolog.tracking._register import register_model as register

    version = register(args.model_uri, args.name, tags=parse_tags(args.tag))
    if args.description:
        version = client(args).update_model_version(args.name, version.version, args.description)
    if out.wants_json(args):
        out.print_json(version.to_dict())
    else:
        print(f"registered {args.model_uri} as version {version.version} of {args.name!r} ({version.model_uri})")
    return 0


def alias(args: Any) -> int:
    c = client(args)
    if args.delete:
        if args.version is not None:
            from autolog._cli._output import CliError

            raise CliError("--delete takes no VERSION: autolog models alias NAME ALIAS --delete")
        c.delete_registered_model_alias(args.name, args.alias)
        message = f"removed alias {args.alias!r} of {args.name!r}"
        data: dict[str, Any] = {"name": args.name, "alias": args.alias, "deleted": True}
    else:
        if args.version is None:
            version = c.get_model_version_by_alias(args.name, args.alias)
            data = version.to_dict()
            message = f"{args.name}@{args.alias} -> version {version.version} ({version.source})"
        else:
            c.set_registered_model_alias(args.name, args.alias, args.version)
            message = f"{args.name}@{args.alias} -> version {args.version}"
            data = {"name": args.name, "alias": args.alias, "version": int(args.version)}
    if out.wants_json(args):
        out.print_json(data)
    else:
        print(message)
    return 0


def delete_version(args: Any) -> int:
    removed = client(args).delete_model_version(args.name, args.version)
    if out.wants_json(args):
        out.print_json({"name": args.name, "version": int(args.version), "removed_aliases": removed})
    else:
        print(f"deleted version {args.version} of {args.name!r}")
        if removed:
            print(f"removed the aliases that pointed at it: {', '.join(removed)}")
    return 0


def history(args: Any) -> int:
    events = client(args).get_registered_model_events(args.name)
    if out.wants_json(args):
        out.print_json({"events": [e.to_dict() for e in events]})
        return 0
    rows = [[out.when(e.timestamp), e.user_id, _describe(e)] for e in events]
    out.print_table(["WHEN", "USER", "WHAT"], rows, limit=120)
    return 0


def _describe(e: Any) -> str:
    if e.kind == "model_created":
        return "created the registered model"
    if e.kind == "model_renamed":
        return f"renamed from {e.detail!r}"
    if e.kind == "version_created":
        return f"created version {e.version}"
    if e.kind == "version_deleted":
        return f"deleted version {e.version}"
    if e.kind == "alias_set":
        moved = f" (was version {e.previous_version})" if e.previous_version is not None else ""
        return f"pointed @{e.alias} at version {e.version}{moved}"
    return f"removed @{e.alias} (was version {e.previous_version})"


def register(sub: Any, common: Any) -> None:
    group = sub.add_parser("models", help="the model registry: names, versions, aliases")
    cmds = group.add_subparsers(metavar="COMMAND")
    p = cmds.add_parser("list", parents=[common], help="list registered models")
    p.add_argument("--filter", "-f", help="e.g. \"name LIKE 'fraud%%' AND tags.team = 'risk'\"")
    p.add_argument("--max", "-n", type=int, default=1000, help="at most this many")
    p.set_defaults(handler="autolog._cli.models:list_models")
    p = cmds.add_parser("show", parents=[common], help="a registered model, its aliases and versions")
    p.add_argument("name")
    p.set_defaults(handler="autolog._cli.models:show")
    p = cmds.add_parser("versions", parents=[common], help="the versions of a registered model")
    p.add_argument("name")
    p.set_defaults(handler="autolog._cli.models:versions")
    p = cmds.add_parser("register", parents=[common], help="register a model URI as the next version of NAME")
    p.add_argument("model_uri", help="runs:/<run_id>/<path>, a model directory, or any model URI")
    p.add_argument("name")
    p.add_argument("--tag", action="append", metavar="KEY=VALUE", help="version tag (repeatable)")
    p.add_argument("--description", help="version description")
    p.set_defaults(handler="autolog._cli.models:register_model")
    p = cmds.add_parser(
        "alias", parents=[common],
        help="point ALIAS at VERSION; without VERSION show it; --delete removes it",
    )
    p.add_argument("name")
    p.add_argument("alias")
    p.add_argument("version", nargs="?")
    p.add_argument("--delete", action="store_true", help="remove the alias")
    p.set_defaults(handler="autolog._cli.models:alias")
    p = cmds.add_parser("delete-version", parents=[common], help="delete a version (and the aliases on it)")
    p.add_argument("name")
    p.add_argument("version")
    p.set_defaults(handler="autolog._cli.models:delete_version")
    p = cmds.add_parser("history", parents=[common], help="who created versions and moved aliases, when")
    p.add_argument("name")
    p.set_defaults(handler="autolog._cli.models:history")
