"""``save_model`` and ``log_model``: one model, one self-describing directory."""

from __future__ import annotations

import json
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autolog.errors import InvalidInputError
from autolog.models import _directory, _discovery
from autolog.models._flavor import Flavor

#: history entries beyond this many characters are dropped, oldest first (tags are bounded)
_HISTORY_LIMIT = 4000
#: (tracking URI, run id) -> the history this process last wrote, so that logging several
#: models into one run reads the run once
_histories: OrderedDict[tuple[str, str], list[dict[str, Any]]] = OrderedDict()
_histories_lock = threading.Lock()


@dataclass(frozen=True)
class ModelInfo:
    """What ``save_model`` / ``log_model`` wrote."""

    #: ``runs:/<run_id>/<name>`` for a logged model, the directory for a saved one
    model_uri: str
    run_id: str | None
    #: the model's path inside the run's artifacts (None for save_model)
    artifact_path: str | None
    #: flavor name -> its entry in model.yaml (format, files, library version, ...)
    flavors: dict[str, dict[str, Any]]
    #: the signature object (or its dict form), None when none was given
    signature: Any
    #: total size of the model directory
    model_size_bytes: int
    #: every file of the directory (relative path) -> size in bytes
    file_sizes: dict[str, int]
    #: ISO 8601 time of saving, UTC
    created: str
    requirements: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: the version created by ``log_model(..., registered_model_name=...)``, else None
    registered_model_version: int | None = None


def signature_to_dict(signature: Any) -> dict[str, Any] | None:
    """The readable form stored in model.yaml."""
    if signature is None:
        return None
    if isinstance(signature, Mapping):
        return dict(signature)
    to_dict = getattr(signature, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, Mapping):
            return dict(result)
    raise InvalidInputError(
        f"signature must come from autolog.infer_signature(...) (or be its dict form); "
        f"got {type(signature).__name__}"
    )


def _formats(flavor: Flavor, formats: str | Sequence[str] | None) -> list[str]:
    if formats is None:
        return [flavor.formats[0]]
    wanted = [formats] if isinstance(formats, str) else list(formats)
    unknown = [f for f in wanted if f not in flavor.formats]
    if not wanted or unknown:
        raise InvalidInputError(
            f"flavor {flavor.name!r} writes formats {', '.join(flavor.formats)}; "
            f"got {', '.join(map(repr, unknown)) or 'an empty list'}"
        )
    return list(dict.fromkeys(wanted))


def _write(
    model: Any,
    dest: Path,
    *,
    signature: Any,
    input_example: Any,
    formats: str | Sequence[str] | None,
    flavor: str | None,
    pip_requirements: Sequence[str] | None,
    metadata: Mapping[str, Any] | None,
    run_id: str | None = None,
    artifact_path: str | None = None,
) -> tuple[dict[str, Any], dict[str, int]]:
    if metadata is not None and not isinstance(metadata, Mapping):
        raise InvalidInputError(f"metadata must be a dict, got {type(metadata).__name__}")
    if isinstance(pip_requirements, str):
        pip_requirements = [pip_requirements]
    chosen = _discovery.flavor_for(model, flavor)
    doc = _directory.write_model(
        model,
        chosen,
        _formats(chosen, formats),
        dest,
        signature=signature_to_dict(signature),
        input_example=input_example,
        pip_requirements=pip_requirements,
        metadata=metadata,
        run_id=run_id,
        artifact_path=artifact_path,
    )
    sizes = _directory.file_sizes(dest)
    return doc, sizes


def _info(doc: dict[str, Any], sizes: dict[str, int], uri: str, signature: Any) -> ModelInfo:
    return ModelInfo(
        model_uri=uri,
        run_id=doc["run_id"],
        artifact_path=doc["artifact_path"],
        flavors=doc["flavors"],
        signature=signature if signature is not None else doc["signature"],
        model_size_bytes=sum(sizes.values()),
        file_sizes=sizes,
        created=doc["created"],
        requirements=doc["requirements"],
        metadata=doc["metadata"],
    )


def save_model(
    model: Any,
    path: str | Path,
    signature: Any = None,
    input_example: Any = None,
    formats: str | Sequence[str] | None = None,
    flavor: str | None = None,
    pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> ModelInfo:
    """Save ``model`` as a model directory at ``path`` (which must not exist or be empty).

    ``flavor`` forces a flavor (default: the first whose ``handles(model)`` is true, the
    python flavor last). ``formats`` lists the serializations to write (default: the
    flavor's first); the first must succeed, a later one that fails is a warning.
    """
    dest = Path(path).expanduser().absolute()
    doc, sizes = _write(
        model, dest, signature=signature, input_example=input_example, formats=formats,
        flavor=flavor, pip_requirements=pip_requirements, metadata=metadata,
    )
    return _info(doc, sizes, str(dest), signature)


def log_model(
    model: Any,
    name: str,
    signature: Any = None,
    input_example: Any = None,
    formats: str | Sequence[str] | None = None,
    flavor: str | None = None,
    pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Save ``model`` into the active run's artifacts under ``name`` (a run is started if
    none is active); ``model_uri`` of the result is ``runs:/<run_id>/<name>``.

    ``registered_model_name`` also registers it as the next version of that registered
    model (see ``autolog.register_model``); ``registered_model_version`` says which."""
    from autolog.store import open_artifact_store
    from autolog.tracking import _fluent

    if not isinstance(name, str) or not name.strip("/ "):
        raise InvalidInputError(f"name must be a relative artifact path like 'model', got {name!r}")
    name = name.strip("/")
    run = _fluent.active_run()
    fresh = run is None
    if run is None:
        run = _fluent.start_run()
    run_id = run.info.run_id
    artifacts = open_artifact_store(run.info.artifact_uri)
    if artifacts.list_artifacts(name):
        raise InvalidInputError(
            f"run {run_id} already has artifacts under {name!r}; log the model under another name"
        )
    options: dict[str, Any] = dict(
        signature=signature, input_example=input_example, formats=formats, flavor=flavor,
        pip_requirements=pip_requirements, metadata=metadata, run_id=run_id, artifact_path=name,
    )
    in_place = getattr(artifacts, "tree_destination", None)
    if in_place is not None:
        # a local artifact root: the directory is staged beside its place and renamed in,
        # instead of written to a temp dir and copied file by file
        doc, sizes = _write(model, Path(in_place(name)), **options)
    else:
        with tempfile.TemporaryDirectory(prefix="autolog-model-") as tmp:
            local = Path(tmp) / "model"
            doc, sizes = _write(model, local, **options)
            artifacts.log_artifacts(str(local), name)
    _record_history(run_id, name, doc, sum(sizes.values()), fresh)
    info = _info(doc, sizes, f"runs:/{run_id}/{name}", signature)
    if registered_model_name is not None:
        from dataclasses import replace

        from autolog.tracking._register import register_model

        version = register_model(info.model_uri, registered_model_name)
        info = replace(info, registered_model_version=version.version)
    return info


def note_new_run(tracking_uri: str, run_id: str) -> None:
    """Say that ``run_id`` was just created by this process: it has no model history yet,
    so its first ``log_model`` need not read the run back (autologging opens its runs so)."""
    with _histories_lock:
        _histories[(tracking_uri, run_id)] = []
        _histories.move_to_end((tracking_uri, run_id))
        while len(_histories) > 64:
            _histories.popitem(last=False)


def _record_history(run_id: str, name: str, doc: dict[str, Any], size: int, fresh: bool) -> None:
    """Append this model to the run's ``autolog.log-model.history`` tag (a JSON list)."""
    from autolog.core._tags import LOGGED_MODELS
    from autolog.tracking import _fluent

    key = (_fluent.get_tracking_uri(), run_id)
    with _histories_lock:
        known = [] if fresh else _histories.get(key)
    if known is not None:
        history = list(known)
    else:
        current = _fluent.get_run(run_id).data.tags.get(LOGGED_MODELS)
        try:
            history = json.loads(current) if current else []
        except ValueError:  # someone else's value in our tag: start afresh rather than fail
            history = []
        if not isinstance(history, list):
            history = []
    history.append(
        {
            "artifact_path": name,
            "flavors": list(doc["flavors"]),
            "created": doc["created"],
            "model_size_bytes": size,
        }
    )
    text = json.dumps(history, separators=(",", ":"))
    while len(text) > _HISTORY_LIMIT and len(history) > 1:
        history.pop(0)
        text = json.dumps(history, separators=(",", ":"))
    _fluent.set_tag(LOGGED_MODELS, text)
    with _histories_lock:
        _histories[key] = history
        _histories.move_to_end(key)
        while len(_histories) > 64:
            _histories.popitem(last=False)
