"""``autolog gc``: free the artifact space of deleted runs."""

from __future__ import annotations

from typing import Any

from autolog._cli import _output as out
from autolog._cli._common import client


def _size(store: Any, path: str | None = None) -> int:
    total = 0
    for entry in store.list_artifacts(path):
        total += _size(store, entry.path) if entry.is_dir else entry.file_size or 0
    return total


def gc(args: Any) -> int:
    """Delete the artifacts of every deleted run, except runs whose models are registered."""
    from autolog.core._model_store import RegistryStore
    from autolog.store import open_artifact_store

    c = client(args)
    experiments = [e.experiment_id for e in c.search_experiments(view_type="all", max_results=50_000)]
    registered: set[str] = set()
    if isinstance(c.store, RegistryStore):
        registered = {v.run_id for v in c.search_model_versions() if v.run_id}
    freed, cleaned, kept = 0, [], []
    token = None
    while True:
        page = c.search_runs(experiments, run_view_type="deleted", max_results=1000, page_token=token) if experiments else []
        for run in page:
            if run.info.run_id in registered:
                kept.append(run.info.run_id)
                continue
            store = open_artifact_store(run.info.artifact_uri)
            size = _size(store)
            if size == 0 and not store.list_artifacts():
                continue
            freed += size if args.dry_run else store.delete_artifacts()
            cleaned.append({"run_id": run.info.run_id, "bytes": size})
        token = getattr(page, "token", None)
        if not token:
            break
    if out.wants_json(args):
        out.print_json({"dry_run": args.dry_run, "bytes_freed": freed, "runs": cleaned, "kept_registered": kept})
        return 0
    verb = "would free" if args.dry_run else "freed"
    print(f"{verb} {out.size(freed)} ({freed} bytes) from {len(cleaned)} deleted run(s)")
    if kept:
        print(f"kept the artifacts of {len(kept)} deleted run(s) whose models are registered: {', '.join(kept)}")
    return 0


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser(
        "gc", parents=[common],
        help="delete the artifacts of deleted runs and report the bytes freed",
        description="Delete the artifacts of deleted runs (not of runs with registered model "
        "versions) and report the bytes freed. The runs' metadata stays.",
    )
    p.add_argument("--dry-run", action="store_true", help="only report what would be freed")
    p.set_defaults(handler="autolog._cli.gc:gc")
