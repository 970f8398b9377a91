"""``autolog db``: the schema version of a SQL tracking database, and its upgrade."""

from __future__ import annotations

from typing import Any

from autolog._cli import _output as out


def _uri(args: Any) -> str:
    if args.uri:
        return str(args.uri)
    import autolog

    return autolog.get_tracking_uri()


def upgrade(args: Any) -> int:
    """Bring the database to the schema this autolog needs (creating it if it is new)."""
    from autolog.store.sql import _migrate

    db = _migrate.open_database(_uri(args))
    try:
        before, after = _migrate.upgrade(db, db.target.artifact_root)
    finally:
        db.close()
    if out.wants_json(args):
        out.print_json({"uri": db.target.display, "from": before, "to": after})
    elif before == after:
        print(f"{db.target.display} is already at schema revision {after} (the newest)")
    else:
        print(f"upgraded {db.target.display} from schema revision {before or 'none'} to {after}")
    return 0


def current(args: Any) -> int:
    """Print the schema revision the database records, and the one this autolog needs."""
    from autolog.store.sql import _migrate

    db = _migrate.open_database(_uri(args))
    try:
        revision = db.read(lambda conn: _migrate.current_revision(conn)[1])
    finally:
        db.close()
    head = _migrate.head_revision()
    if out.wants_json(args):
        out.print_json({"uri": db.target.display, "current": revision, "head": head})
    elif revision == head:
        print(f"{revision} (up to date)")
    else:
        print(
            f"{revision or 'none'} (this autolog needs {head}; run: autolog db upgrade "
            f"{db.target.display})"
        )
    return 0


def register(sub: Any, common: Any) -> None:
    db = sub.add_parser(
        "db", parents=[common],
        help="the tracking database's schema: show its revision, upgrade it",
        description="Schema versions of a SQL tracking database (a directory, sqlite:///, "
        "postgresql://). URI defaults to the tracking URI.",
    )
    commands = db.add_subparsers(metavar="COMMAND")
    for name, handler, text in (
        ("upgrade", "upgrade", "upgrade the schema to this autolog's (back the database up first)"),
        ("current", "current", "print the schema revision the database records"),
    ):
        p = commands.add_parser(name, parents=[common], help=text, description=text)
        p.add_argument("uri", nargs="?", metavar="URI", help="the tracking URI (default: the current one)")
        p.set_defaults(handler=f"autolog._cli.db:{handler}")
