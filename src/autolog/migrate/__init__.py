"""Bring a team's MLflow history into autolog: ``import_mlflow`` (``autolog import-mlflow``).

    from autolog.migrate import import_mlflow

    report = import_mlflow("mlruns/", to="./autolog-runs")     # or sqlite:///mlflow.db,
    print(report.format())                                      # postgresql://..., http://host:5000

Reads an MLflow file store directory, an MLflow SQL database or a running MLflow tracking
server (its REST API) directly; MLflow itself need not be installed. Experiments, runs (with
their ids), params, tags, full metric histories, artifacts, models and the model registry
come across; see docs/migrating-from-mlflow.md. Running it again imports only what is new.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from autolog.migrate._artifacts import ProgressBar, ProgressFactory
from autolog.migrate._records import Problem, Source
from autolog.migrate._report import ImportReport

__all__ = ["import_mlflow", "open_source", "ImportReport", "Problem", "ProgressBar", "ProgressFactory"]


def open_source(uri: str, artifact_map: Mapping[str, str] | None = None) -> Source:
    """The reader for an MLflow store URI: ``http(s)://`` a tracking server, a SQLAlchemy
    URI (``sqlite:///``, ``postgresql://``, ``mysql://``) a database, a directory (or
    ``file://``) a file store, a plain file a SQLite database."""
    from autolog.errors import InvalidInputError

    if uri.startswith(("http://", "https://")):
        from autolog.migrate._rest import RestSource

        return RestSource(uri)
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if scheme and scheme != "file":
        from autolog.migrate._sql import SqlStoreSource

        return SqlStoreSource(uri, artifact_map)
    path = uri[len("file://"):] if scheme == "file" else uri
    path = os.path.expanduser(path)
    if os.path.isfile(path):
        from autolog.migrate._sql import SqlStoreSource

        return SqlStoreSource(f"sqlite:///{os.path.abspath(path)}", artifact_map)
    from autolog.migrate._files import FileStoreSource

    if not FileStoreSource.looks_like(path):
        raise InvalidInputError(
            f"{uri} is not an MLflow store: expected a file store directory (mlruns/, with "
            "0/meta.yaml), a database URI (sqlite:///mlflow.db, postgresql://...) or a "
            "tracking server URL (http://host:5000)"
        )
    return FileStoreSource(path, artifact_map)


def import_mlflow(
    source: str,
    *,
    experiments: Sequence[str] | None = None,
    to: str | None = None,
    dry_run: bool = False,
    artifact_map: Mapping[str, str] | None = None,
    progress: ProgressFactory | None = None,
) -> ImportReport:
    """Import the MLflow store ``source`` into the autolog store ``to`` (default: the current
    tracking URI); returns the report.

    ``experiments``: names (or MLflow ids) to import, default all; the registry then brings
    only versions whose runs came along. ``dry_run``: read everything, write nothing, report
    what would be imported. ``artifact_map``: ``{old location prefix: new}`` for a store
    whose artifacts moved since they were logged. ``progress``: ``(total_bytes, label) ->
    bar`` with ``advance(n)`` and ``close()``, for artifact copies.

    Items the source cannot give or autolog refuses are listed in ``report.problems`` and
    the rest is imported; running it again imports what is still missing.
    """
    from autolog.migrate._importer import Importer
    from autolog.store import open_store
    from autolog.tracking._fluent import get_tracking_uri

    target = to or get_tracking_uri()
    reader = open_source(source, artifact_map)
    report = ImportReport(source=_shown(source), target=_shown(target), dry_run=dry_run)
    stand_in = _new_local_store(target) if dry_run else None
    try:
        # a dry run into a store that does not exist yet reads an empty one: creating the
        # database would be a write
        store = open_store(stand_in or target)
        Importer(reader, store, report, dry_run=dry_run, progress=progress).run(experiments)
    finally:
        reader.close()
        if stand_in is not None:
            from autolog.store._by_uri import forget_store

            forget_store(stand_in)
    report.notes[:0] = reader.notes
    report.problems.extend(reader.problems)
    return report


def _new_local_store(uri: str) -> str | None:
    """A fresh ``memory:`` URI when ``uri`` is a local store that does not exist yet."""
    import uuid

    from autolog.store._by_uri import uri_scheme

    scheme = uri_scheme(uri)
    if scheme == "file":
        database = os.path.join(os.path.abspath(os.path.expanduser(uri.removeprefix("file://"))), "autolog.db")
    elif scheme == "sqlite":
        from sqlalchemy.engine import make_url

        database = os.path.abspath(os.path.expanduser(make_url(uri).database or ""))
    else:
        return None
    return None if os.path.exists(database) else f"memory:dry-run-{uuid.uuid4().hex}"


def _shown(uri: str) -> str:
    """``uri`` without a password, for reports and the runs' source tag."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
