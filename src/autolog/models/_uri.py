"""Turning a model URI into a local directory.

    /path/to/model, file:///path/to/model     used in place
    runs:/<run_id>/<artifact path>            the run's artifact root, through the tracking store
    s3://..., memory://..., any artifact URI  downloaded through its artifact store

Each scheme is one resolver in ``_RESOLVERS``; the registry adds ``models:/`` the same way.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autolog.errors import InvalidInputError


@dataclass
class Resolved:
    """Where a model URI's files are on this machine."""

    local_path: Path
    #: the files came from somewhere else (downloaded); pickles from there are untrusted
    remote: bool
    #: the run the model belongs to, when the URI says so
    run_id: str | None = None
    #: a temporary download directory to delete when the model is no longer used
    temp_dir: str | None = None


Resolver = Callable[[str], Resolved]


def _scheme(uri: str) -> str:
    from autolog.store._by_uri import uri_scheme

    return uri_scheme(uri)


def _local(path: str) -> Resolved:
    return Resolved(Path(path).expanduser().resolve(), remote=False)


def _download(artifact_uri: str) -> Resolved:
    """Copy the model directory at an artifact URI into a temporary directory."""
    if _scheme(artifact_uri) == "file":
        return _local(artifact_uri.removeprefix("file://"))
    from autolog.store import open_artifact_store

    tmp = tempfile.mkdtemp(prefix="autolog-model-")
    try:
        local = open_artifact_store(artifact_uri).download_artifacts("", str(Path(tmp) / "model"))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Resolved(Path(local), remote=True, temp_dir=tmp)


def _runs(uri: str) -> Resolved:
    rest = uri[len("runs:") :].lstrip("/")
    run_id, _, path = rest.partition("/")
    if not run_id or not path.strip("/"):
        raise InvalidInputError(
            f"model URI {uri!r} is not of the form runs:/<run_id>/<artifact path>, "
            "for example runs:/0a1b2c.../model"
        )
    from autolog.store._by_uri import run_artifact_uri
    from autolog.tracking._fluent import get_tracking_uri

    root = run_artifact_uri(get_tracking_uri(), run_id).rstrip("/")
    resolved = _download(f"{root}/{path.strip('/')}")
    resolved.run_id = run_id
    return resolved


def _models(uri: str) -> Resolved:
    from autolog.tracking._client import Client

    version = Client().get_model_version_by_uri(uri)
    resolved = resolve(version.source)
    resolved.run_id = resolved.run_id or version.run_id
    return resolved


_RESOLVERS: dict[str, Resolver] = {
    "runs": _runs,
    "models": _models,
    "file": lambda uri: _download(uri),
}


def resolve(uri: str | Path) -> Resolved:
    """The local directory holding the model ``uri`` names (downloaded when remote)."""
    if isinstance(uri, Path):
        return _local(str(uri))
    if not isinstance(uri, str) or not uri:
        raise InvalidInputError(f"a model URI must be a non-empty string or path, got {uri!r}")
    resolver = _RESOLVERS.get(_scheme(uri), _download)
    return resolver(uri)
