"""``autolog import-mlflow``: bring an MLflow store's history across (see autolog.migrate)."""

from __future__ import annotations

from typing import Any

from autolog._cli import _output as out


def _map(items: list[str] | None) -> dict[str, str]:
    mapping = {}
    for item in items or []:
        old, eq, new = item.partition("=")
        if not eq or not old or not new:
            raise out.CliError(f"--map-artifacts takes OLD=NEW (two locations), got {item!r}")
        mapping[old] = new
    return mapping


def import_mlflow(args: Any) -> int:
    """Import, print the report; exit 1 when some item could not be imported."""
    from autolog.migrate import import_mlflow as run_import

    report = run_import(
        args.source,
        experiments=args.experiment or None,
        to=args.to or getattr(args, "tracking_uri", None),
        dry_run=args.dry_run,
        artifact_map=_map(args.map_artifacts),
        progress=None if out.wants_json(args) else lambda total, label: out.Progress(total, label, threshold=1 << 20),
    )
    if out.wants_json(args):
        out.print_json(report.to_dict())
    else:
        print(report.format())
    return 0 if report.ok else 1


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser(
        "import-mlflow", parents=[common],
        help="import experiments, runs, artifacts, models and the registry from MLflow",
        description="Import an MLflow tracking store: a file store directory (mlruns/), a "
        "database (sqlite:///mlflow.db, postgresql://...) or a tracking server "
        "(http://host:5000). MLflow need not be installed. Run ids are kept; running it again "
        "imports only what is missing. Exit code 1 when some item could not be imported "
        "(the report says which and why).",
    )
    p.add_argument("source", metavar="SOURCE", help="the MLflow store: directory, database URI or server URL")
    p.add_argument("--experiment", "-e", action="append", metavar="NAME",
                   help="import only this experiment (name or MLflow id; repeat for more)")
    p.add_argument("--to", metavar="STORE-URI",
                   help="the autolog store to import into (default: --tracking-uri, "
                   "$AUTOLOG_TRACKING_URI, else ./autolog-runs)")
    p.add_argument("--dry-run", action="store_true", help="read everything, write nothing, report what would be imported")
    p.add_argument("--map-artifacts", action="append", metavar="OLD=NEW",
                   help="artifacts recorded under location OLD are now under NEW (a moved store)")
    p.set_defaults(handler="autolog._cli.migrate:import_mlflow")
