"""``/api/2.0/mlflow/logged-models/*``: MLflow 3's logged models -> the store's LoggedModelStore."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autolog.errors import InvalidInputError, StoreError
from autolog.server._api import Api
from autolog.server._http import Args
from autolog.server._shapes import key_values
from autolog.server._shapes import page as page_of
from autolog.core._logged_model_store import LoggedModelStore
from autolog.core._entities import LoggedModel, PagedList

#: MLflow's status enum names <-> ours
_STATUS_OUT = {"PENDING": "LOGGED_MODEL_PENDING", "READY": "LOGGED_MODEL_READY", "FAILED": "LOGGED_MODEL_UPLOAD_FAILED"}
_STATUS_IN = {v: k for k, v in _STATUS_OUT.items()}


def _store(api: Api) -> LoggedModelStore:
    if not isinstance(api.store, LoggedModelStore):
        raise StoreError(f"the tracking store {type(api.store).__name__} does not keep logged models")
    return api.store


def shape(api: Api, m: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": m.model_id,
        "experiment_id": m.experiment_id,
        "name": m.name,
        "creation_timestamp_ms": m.creation_timestamp,
        "last_updated_timestamp_ms": m.last_updated_timestamp,
        "artifact_uri": api.public_location(m.artifact_location),
        "status": _STATUS_OUT.get(m.status, "LOGGED_MODEL_STATUS_UNSPECIFIED"),
        "tags": key_values(m.tags),
    }
    if m.model_type:
        info["model_type"] = m.model_type
    if m.source_run_id:
        info["source_run_id"] = m.source_run_id
    return {"info": info, "data": {"params": key_values(m.params), "metrics": []}}


def create(api: Api, args: Args) -> dict[str, Any]:
    model = _store(api).create_logged_model(
        args.text("experiment_id"), args.opt_text("name") or "model", args.opt_text("source_run_id"),
        args.opt_text("model_type"), dict(args.key_values("tags")), dict(args.key_values("params")),
    )
    return {"model": shape(api, model)}


def get(api: Api, args: Args) -> dict[str, Any]:
    return {"model": shape(api, _store(api).get_logged_model(args.text("model_id")))}


def finalize(api: Api, args: Args) -> dict[str, Any]:
    status = args.text("status")
    if status not in _STATUS_IN:
        raise InvalidInputError(f"status must be one of {', '.join(_STATUS_IN)}, got {status!r}")
    return {"model": shape(api, _store(api).finalize_logged_model(args.text("model_id"), _STATUS_IN[status]))}


def delete(api: Api, args: Args) -> dict[str, Any]:
    _store(api).delete_logged_model(args.text("model_id"))
    return {}


def set_tags(api: Api, args: Args) -> dict[str, Any]:
    _store(api).set_logged_model_tags(args.text("model_id"), dict(args.key_values("tags")))
    return {}


def delete_tag(api: Api, args: Args) -> dict[str, Any]:
    _store(api).delete_logged_model_tag(args.text("model_id"), args.text("tag_key"))
    return {}


def log_params(api: Api, args: Args) -> dict[str, Any]:
    """Params after creation are kept as the model's params (MLflow logs them in batches)."""
    store = _store(api)
    model = store.get_logged_model(args.text("model_id"))
    if args.key_values("params"):
        raise InvalidInputError(
            f"logged model {model.model_id}: this server takes a logged model's params when it "
            "is created (mlflow.log_model(..., params=...)), not afterwards"
        )
    return {}


def search(api: Api, args: Args) -> dict[str, Any]:
    from autolog.server.experiments import page_size

    if args.items("datasets") or args.items("order_by"):
        raise InvalidInputError("searching logged models by datasets or with order_by is not supported; use filter")
    page = search_logged_models(
        _store(api), args.texts("experiment_ids"), args.opt_text("filter"),
        page_size(args, 100), args.opt_text("page_token"),
    )
    return page_of("models", [shape(api, m) for m in page], page.token)


def list_artifacts(api: Api, args: Args) -> dict[str, Any]:
    """The files of a logged model: ``?artifact_directory_path=`` below its root."""
    from autolog.server.artifacts import listing

    model = _store(api).get_logged_model(args.text("model_id"))
    return listing(api, model.artifact_location, args.opt_text("artifact_directory_path"), f"logged model {model.model_id}")


def search_logged_models(
    store: LoggedModelStore,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    max_results: int = 100,
    page_token: str | None = None,
) -> PagedList:
    """Models of ``experiment_ids`` matching a filter over ``name``, ``status``,
    ``source_run_id``, ``model_type``, ``model_id`` and ``tags.<key>``, newest first."""
    from autolog.core._search import MISSING, matches, paginate
    from autolog.registry._search import _RegistryParser

    attributes: dict[str, type] = {
        "name": str, "status": str, "source_run_id": str, "model_type": str, "model_id": str,
        "creation_timestamp": int, "last_updated_timestamp": int,
    }
    node = None
    if filter_string and filter_string.strip():
        node = _RegistryParser(filter_string, attributes, "logged models").filter()

    def lookup(model: LoggedModel, entity: str, key: str) -> object:
        if entity == "tag":
            return model.tags.get(key, MISSING)
        value = getattr(model, key, MISSING)
        return MISSING if value is None else value

    found = [m for m in store.list_logged_models(experiment_ids) if matches(node, m, lookup)]
    found.sort(key=lambda m: (m.creation_timestamp, m.model_id), reverse=True)
    return paginate(found, max_results, page_token)
