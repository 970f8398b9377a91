"""``/api/2.0/mlflow/registered-models/*`` and ``model-versions/*`` -> the RegistryStore.

Arguments are checked with the registry client's rules (``autolog.registry._validate``) and
searches use its filter language (``autolog.registry._search``), so the server and the
library accept and refuse the same things.
"""

from __future__ import annotations

from typing import Any

from autolog.errors import InvalidInputError, StoreError
from autolog.core import _model_rules as check
from autolog.core._model_store import RegistryStore
from autolog.server import _shapes as shape
from autolog.server._api import Api
from autolog.server._http import Args
from autolog.server.experiments import page_size


def _registry(api: Api) -> RegistryStore:
    if not isinstance(api.store, RegistryStore):
        raise StoreError(f"the tracking store {type(api.store).__name__} has no model registry")
    return api.store


def _name(args: Args, field: str = "name") -> str:
    return check.model_name(args.text(field))


def _user(args: Args) -> str:
    """Who makes a change, for the model's history: ``user_id`` when the client sends it (ours
    on these calls; MLflow's clients send it only when creating)."""
    return args.opt_text("user_id") or ""


def _tags(args: Args) -> dict[str, str]:
    from autolog.core._logged_model_store import clean_pairs

    return clean_pairs(dict(args.key_values("tags")), "tag")


def _model_doc(api: Api, name: str) -> dict[str, Any]:
    registry = _registry(api)
    model = registry.get_registered_model(name)
    latest = registry.get_model_version(name, model.latest_version) if model.latest_version else None
    return {"registered_model": shape.registered_model(api, model, latest)}


def _page(items: list[Any], args: Args, default: int) -> tuple[list[Any], str | None]:
    from autolog.core._search import paginate

    page = paginate(items, page_size(args, default), args.opt_text("page_token"))
    return list(page), page.token


# -- registered models ------------------------------------------------------------------------
def create_model(api: Api, args: Args) -> dict[str, Any]:
    name = _name(args)
    _registry(api).create_registered_model(
        name, check.text(args.get("description", ""), "description"), _tags(args), args.opt_text("user_id") or ""
    )
    return _model_doc(api, name)


def get_model(api: Api, args: Args) -> dict[str, Any]:
    return _model_doc(api, _name(args))


def rename_model(api: Api, args: Args) -> dict[str, Any]:
    new_name = _name(args, "new_name")
    _registry(api).rename_registered_model(_name(args), new_name, _user(args))
    return _model_doc(api, new_name)


def update_model(api: Api, args: Args) -> dict[str, Any]:
    name = _name(args)
    _registry(api).update_registered_model(name, check.text(args.get("description", ""), "description"))
    return _model_doc(api, name)


def delete_model(api: Api, args: Args) -> dict[str, Any]:
    _registry(api).delete_registered_model(_name(args))
    return {}


def search_models(api: Api, args: Args) -> dict[str, Any]:
    from autolog.registry import _search

    registry = _registry(api)
    node = _search.parse_filter(args.opt_text("filter"))
    keys = _search.parse_order_by(args.texts("order_by"))
    found = _search.select(registry.list_registered_models(), node, keys, _search.MODEL_ORDER)
    items, token = _page(found, args, 100)
    docs = []
    for model in items:
        latest = registry.get_model_version(model.name, model.latest_version) if model.latest_version else None
        docs.append(shape.registered_model(api, model, latest))
    return shape.page("registered_models", docs, token)


def latest_versions(api: Api, args: Args) -> dict[str, Any]:
    registry = _registry(api)
    model = registry.get_registered_model(_name(args))
    stages = [s for s in args.texts("stages") if s.lower() != "none"]
    if stages:
        raise InvalidInputError(
            "model stages are not kept by this server (MLflow deprecated them); use aliases, "
            "e.g. models:/<name>@champion"
        )
    versions = [registry.get_model_version(model.name, model.latest_version)] if model.latest_version else []
    return {"model_versions": [shape.model_version(api, v) for v in versions]}


def set_model_tag(api: Api, args: Args) -> dict[str, Any]:
    ((key, value),) = _tags(Args({"tags": [{"key": args.text("key"), "value": args.get("value", "")}]})).items()
    _registry(api).set_registered_model_tag(_name(args), key, value)
    return {}


def delete_model_tag(api: Api, args: Args) -> dict[str, Any]:
    _registry(api).delete_registered_model_tag(_name(args), args.text("key"))
    return {}


# -- aliases -------------------------------------------------------------------------------------
def set_alias(api: Api, args: Args) -> dict[str, Any]:
    _registry(api).set_registered_model_alias(_name(args), check.alias(args.text("alias")), _version(args), _user(args))
    return {}


def delete_alias(api: Api, args: Args) -> dict[str, Any]:
    _registry(api).delete_registered_model_alias(_name(args), args.text("alias"), _user(args))
    return {}


def get_by_alias(api: Api, args: Args) -> dict[str, Any]:
    version = _registry(api).get_model_version_by_alias(_name(args), args.text("alias"))
    return {"model_version": shape.model_version(api, version)}


# -- versions ------------------------------------------------------------------------------------
def _source(api: Api, args: Args) -> tuple[str, str | None]:
    """The stored source of a new version, and its run: a logged model's files, a proxied
    location mapped back to the store's, anything else as given."""
    source = args.text("source")
    run_id = args.opt_text("run_id")
    model_id = args.opt_text("model_id")
    if source.startswith("models:/m-") and model_id is None:
        model_id = source[len("models:/"):].strip("/")
    if model_id:
        from autolog.server.logged_models import _store

        model = _store(api).get_logged_model(model_id)
        return model.artifact_location, run_id or model.source_run_id
    if source.startswith("models:/"):
        raise InvalidInputError(f"source {source!r}: register a model's files, not another registered version")
    return api.private_location(source), run_id


def create_version(api: Api, args: Args) -> dict[str, Any]:
    source, run_id = _source(api, args)
    version = _registry(api).create_model_version(
        _name(args), source, run_id, _tags(args), check.text(args.get("description", ""), "description"),
        args.opt_text("user_id") or "", create_model=False, version=args.integer("version"),
    )
    return {"model_version": shape.model_version(api, version)}


def _version(args: Args) -> int:
    return check.version(args.get("version"))


def get_version(api: Api, args: Args) -> dict[str, Any]:
    return {"model_version": shape.model_version(api, _registry(api).get_model_version(_name(args), _version(args)))}


def update_version(api: Api, args: Args) -> dict[str, Any]:
    version = _registry(api).update_model_version(
        _name(args), _version(args), check.text(args.get("description", ""), "description")
    )
    return {"model_version": shape.model_version(api, version)}


def delete_version(api: Api, args: Args) -> dict[str, Any]:
    _registry(api).delete_model_version(_name(args), _version(args), _user(args))
    return {}


def search_versions(api: Api, args: Args) -> dict[str, Any]:
    from autolog.registry import _search

    node = _search.parse_filter(args.opt_text("filter"), versions=True)
    keys = _search.parse_order_by(args.texts("order_by"), versions=True)
    found = _search.select(_registry(api).list_model_versions(), node, keys, _search.VERSION_ORDER)
    items, token = _page(found, args, 10_000)
    return shape.page("model_versions", [shape.model_version(api, v) for v in items], token)


def download_uri(api: Api, args: Args) -> dict[str, Any]:
    version = _registry(api).get_model_version(_name(args), _version(args))
    return {"artifact_uri": api.public_location(version.source)}


def set_version_tag(api: Api, args: Args) -> dict[str, Any]:
    ((key, value),) = _tags(Args({"tags": [{"key": args.text("key"), "value": args.get("value", "")}]})).items()
    _registry(api).set_model_version_tag(_name(args), _version(args), key, value)
    return {}


def delete_version_tag(api: Api, args: Args) -> dict[str, Any]:
    _registry(api).delete_model_version_tag(_name(args), _version(args), args.text("key"))
    return {}


def transition_stage(api: Api, args: Args) -> dict[str, Any]:
    raise InvalidInputError(
        "model stages are not kept by this server (MLflow deprecated them); point an alias at "
        "the version instead: registered-models/alias"
    )


def events(api: Api, args: Args) -> dict[str, Any]:
    """Our addition: the model's history, oldest first (every alias set, moved or removed)."""
    found = _registry(api).get_registered_model_events(_name(args))
    return {"events": [e.to_dict() for e in found]}
