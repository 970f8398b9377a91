"""``autolog doctor``: what is installed, which flavors work here (and why not), where the store is."""

from __future__ import annotations

import platform
import sys
from typing import Any

from autolog._cli import _output as out

_PACKAGES = (
    "SQLAlchemy", "alembic", "PyYAML", "cloudpickle", "wrapt", "psycopg", "fsspec", "s3fs", "pandas", "numpy",
    "psutil", "nvidia-ml-py",  # system metrics: the host, NVIDIA GPUs
)


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _store_report(uri: str) -> dict[str, Any]:
    from autolog.store._by_uri import uri_scheme

    report: dict[str, Any] = {"tracking_uri": uri, "scheme": uri_scheme(uri)}
    try:
        from autolog.store._by_uri import open_store

        store = open_store(uri)
    except Exception as exc:  # the report is the point: say what is wrong, keep going
        report["error"] = f"{type(exc).__name__}: {exc}"
        return report
    report["store"] = type(store).__name__
    report["artifact_root"] = getattr(store, "artifact_root", None)
    db = getattr(store, "db", None)
    if db is not None:
        from autolog.store.sql import _migrate

        report["database"] = db.target.display
        report["schema_revision"] = db.read(lambda conn: _migrate.current_revision(conn)[1])
        report["schema_head"] = _migrate.head_revision()
    return report


def doctor(args: Any) -> int:
    import autolog

    flavors = []
    for record in autolog.flavors():
        flavors.append(
            {
                "name": record.name, "available": record.available, "library": record.library,
                "library_version": record.library_version, "requirement": record.requirement,
                "distribution": record.distribution, "reason": record.reason,
            }
        )
    data: dict[str, Any] = {
        "autolog": autolog.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "executable": sys.executable,
        "packages": {name: _version(name) for name in _PACKAGES},
        "flavors": flavors,
        "store": _store_report(getattr(args, "tracking_uri", None) or autolog.get_tracking_uri()),
    }
    if out.wants_json(args):
        out.print_json(data)
        return 0
    out.print_pairs("autolog", {"version": data["autolog"], "python": data["python"], "platform": data["platform"], "executable": data["executable"]})
    out.print_pairs("packages", {k: v or "not installed" for k, v in data["packages"].items()})
    print("flavors:")
    out.print_table(
        ["NAME", "USABLE", "LIBRARY", "VERSION", "SUPPORTED", "NOTE"],
        [[f["name"], "yes" if f["available"] else "no", f["library"], f["library_version"] or "-",
          f["requirement"], f["reason"] or ""] for f in flavors],
        limit=100,
    )
    out.print_pairs("store", data["store"])
    return 0


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser("doctor", parents=[common], help="installed versions, usable flavors, the store")
    p.set_defaults(handler="autolog._cli.doctor:doctor")
