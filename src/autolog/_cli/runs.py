"""``autolog runs list/show/delete/restore/compare``."""

from __future__ import annotations

from typing import Any

from autolog._cli import _output as out
from autolog._cli._common import client, experiment

_METRIC_COLUMNS = 4


def _experiments(c: Any, refs: list[str] | None, view: str) -> dict[str, str]:
    """experiment id -> name, for the experiments named (all of them when none is)."""
    if refs:
        found = [experiment(c, ref) for ref in refs]
    else:
        found = list(c.search_experiments(view_type=view, max_results=50_000))
    return {e.experiment_id: e.name for e in found}


def _run_dict(run: Any) -> dict[str, Any]:
    info = run.info
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status.value,
        "lifecycle_stage": getattr(info.lifecycle_stage, "value", info.lifecycle_stage),
        "user_id": info.user_id,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "parent_run_id": info.parent_run_id,
        "params": dict(run.data.params),
        "metrics": dict(run.data.metrics),
        "tags": dict(run.data.tags),
    }


def list_runs(args: Any) -> int:
    c = client(args)
    view = "deleted" if args.deleted else ("all" if args.all else "active")
    names = _experiments(c, args.experiment, "all" if args.experiment else "active")
    page = c.search_runs(
        list(names), filter_string=args.filter or "", run_view_type=view,
        max_results=args.max, order_by=args.order_by or None, page_token=args.page_token,
    )
    if out.wants_json(args):
        out.print_json({"runs": [_run_dict(r) for r in page], "next_page_token": page.token})
        return 0
    keys = sorted({k for r in page for k in r.data.metrics})[:_METRIC_COLUMNS]
    rows = [
        [
            r.info.run_id, names.get(r.info.experiment_id, r.info.experiment_id), r.info.run_name,
            r.info.status.value, out.when(r.info.start_time),
            out.duration(r.info.start_time, r.info.end_time),
            *[r.data.metrics.get(k) for k in keys],
        ]
        for r in page
    ]
    out.print_table(["RUN ID", "EXPERIMENT", "NAME", "STATUS", "STARTED", "DURATION", *keys], rows)
    if page.token:
        out.note(f"more runs: --page-token {page.token} (or a larger --max)")
    return 0


def show(args: Any) -> int:
    c = client(args)
    run = c.get_run(args.run_id)
    artifacts = c.list_artifacts(args.run_id)
    if out.wants_json(args):
        data = _run_dict(run)
        data["artifacts"] = [
            {"path": a.path, "is_dir": a.is_dir, "file_size": a.file_size} for a in artifacts
        ]
        out.print_json(data)
        return 0
    info = run.info
    out.print_pairs(
        f"run {info.run_id}",
        {
            "name": info.run_name,
            "experiment": c.get_experiment(info.experiment_id).name,
            "status": info.status.value,
            "user": info.user_id,
            "started": out.when(info.start_time),
            "ended": out.when(info.end_time),
            "duration": out.duration(info.start_time, info.end_time),
            "parent run": info.parent_run_id,
            "artifacts at": info.artifact_uri,
        },
    )
    out.print_pairs("params", dict(sorted(run.data.params.items())))
    out.print_pairs("metrics (latest)", dict(sorted(run.data.metrics.items())))
    out.print_pairs("tags", dict(sorted(run.data.tags.items())))
    out.print_pairs(
        "artifacts",
        {a.path + ("/" if a.is_dir else ""): "" if a.is_dir else out.size(a.file_size) for a in artifacts},
    )
    return 0


def delete(args: Any) -> int:
    c = client(args)
    for run_id in args.run_ids:
        c.delete_run(run_id)
    _done(args, "deleted", args.run_ids)
    return 0


def restore(args: Any) -> int:
    c = client(args)
    for run_id in args.run_ids:
        c.restore_run(run_id)
    _done(args, "restored", args.run_ids)
    return 0


def _done(args: Any, what: str, run_ids: list[str]) -> None:
    if out.wants_json(args):
        out.print_json({what: run_ids})
    else:
        for run_id in run_ids:
            print(f"{what} run {run_id}")


def compare(args: Any) -> int:
    c = client(args)
    runs = [c.get_run(run_id) for run_id in args.run_ids]
    if out.wants_json(args):
        out.print_json({"runs": [_run_dict(r) for r in runs]})
        return 0
    fields: list[tuple[str, list[Any]]] = [
        ("name", [r.info.run_name for r in runs]),
        ("status", [r.info.status.value for r in runs]),
        ("started", [out.when(r.info.start_time) for r in runs]),
        ("duration", [out.duration(r.info.start_time, r.info.end_time) for r in runs]),
    ]
    for prefix, attr in (("params", "params"), ("metrics", "metrics")):
        keys = sorted({k for r in runs for k in getattr(r.data, attr)})
        fields += [(f"{prefix}.{k}", [getattr(r.data, attr).get(k) for r in runs]) for k in keys]
    rows = [
        [("* " if len({out.cell(v) for v in values}) > 1 else "  ") + label, *values]
        for label, values in fields
    ]
    out.print_table(["  FIELD", *[r.info.run_id[:12] for r in runs]], rows)
    out.note("* marks values that differ between the runs")
    return 0


def register(sub: Any, common: Any) -> None:
    runs = sub.add_parser("runs", help="list, show, compare, delete and restore runs")
    cmds = runs.add_subparsers(metavar="COMMAND")
    p = cmds.add_parser("list", parents=[common], help="list runs, newest first")
    p.add_argument("--experiment", "-e", action="append", metavar="NAME_OR_ID",
                   help="only this experiment (repeatable; default: every active experiment)")
    p.add_argument("--filter", "-f", metavar="FILTER", help="e.g. \"metrics.acc > 0.9 AND params.lr = '0.1'\"")
    p.add_argument("--order-by", "-o", action="append", metavar="KEY",
                   help="e.g. 'metrics.acc DESC' (repeatable)")
    p.add_argument("--max", "-n", type=_positive, default=25, help="runs per page (default 25)")
    p.add_argument("--page-token", help="the token printed after the previous page")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--deleted", action="store_true", help="only deleted runs")
    group.add_argument("--all", action="store_true", help="active and deleted runs")
    p.set_defaults(handler="autolog._cli.runs:list_runs")
    p = cmds.add_parser("show", parents=[common], help="params, latest metrics, tags and artifacts of a run")
    p.add_argument("run_id")
    p.set_defaults(handler="autolog._cli.runs:show")
    for name, what in (("delete", "delete (recoverable with restore)"), ("restore", "restore deleted")):
        p = cmds.add_parser(name, parents=[common], help=f"{what} runs")
        p.add_argument("run_ids", nargs="+", metavar="RUN_ID")
        p.set_defaults(handler=f"autolog._cli.runs:{name}")
    p = cmds.add_parser("compare", parents=[common], help="runs side by side")
    p.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    p.set_defaults(handler="autolog._cli.runs:compare")


def _positive(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value
