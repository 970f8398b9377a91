"""``/api/2.0/mlflow/experiments/*``: experiments, request -> Store call -> MLflow's shape."""

from __future__ import annotations

from typing import Any

from autolog.errors import NotFoundError
from autolog.server import _shapes as shape
from autolog.server._api import Api
from autolog.server._http import Args
from autolog.core._entities import ViewType

_VIEW_TYPES = {"ACTIVE_ONLY": ViewType.ACTIVE_ONLY, "DELETED_ONLY": ViewType.DELETED_ONLY, "ALL": ViewType.ALL}


def view_type(args: Args, name: str) -> ViewType:
    """MLflow's ViewType enum, by name ("ACTIVE_ONLY") or number (1, 2, 3)."""
    value = args.get(name, "ACTIVE_ONLY")
    if isinstance(value, str) and value.upper() in _VIEW_TYPES:
        return _VIEW_TYPES[value.upper()]
    try:
        return ViewType.coerce(int(value) if isinstance(value, str) and value.isdigit() else value)
    except ValueError as exc:
        from autolog.errors import InvalidInputError

        raise InvalidInputError(f"{name} must be one of ACTIVE_ONLY, DELETED_ONLY, ALL; got {value!r}") from exc


def page_size(args: Args, default: int, name: str = "max_results") -> int:
    from autolog.errors import InvalidInputError

    value = args.integer(name, default)
    assert value is not None
    if value < 1 or value > 50_000:
        raise InvalidInputError(f"{name} must be between 1 and 50000, got {value}")
    return value


def create(api: Api, args: Args) -> dict[str, Any]:
    tags = dict(args.key_values("tags"))
    location = api.check_location(args.opt_text("artifact_location"))
    return {"experiment_id": api.store.create_experiment(args.text("name"), location, tags)}


def get(api: Api, args: Args) -> dict[str, Any]:
    return {"experiment": shape.experiment(api, api.store.get_experiment(args.text("experiment_id")))}


def get_by_name(api: Api, args: Args) -> dict[str, Any]:
    name = args.text("experiment_name")
    found = api.store.get_experiment_by_name(name)
    if found is None:
        raise NotFoundError(f"Could not find experiment with name '{name}'")
    return {"experiment": shape.experiment(api, found)}


def search(api: Api, args: Args) -> dict[str, Any]:
    from autolog.core._search import parse_filter, parse_order_by

    page = api.store.search_experiments(
        view_type=view_type(args, "view_type"),
        max_results=page_size(args, 1000),
        filter=parse_filter(args.opt_text("filter"), "experiments"),
        order_by=parse_order_by(args.texts("order_by"), "experiments"),
        page_token=args.opt_text("page_token"),
    )
    return shape.page("experiments", [shape.experiment(api, e) for e in page], page.token)


def update(api: Api, args: Args) -> dict[str, Any]:
    new_name = args.opt_text("new_name")
    if new_name is not None:
        api.store.rename_experiment(args.text("experiment_id"), new_name)
    else:
        api.store.get_experiment(args.text("experiment_id"))
    return {}


def delete(api: Api, args: Args) -> dict[str, Any]:
    api.store.delete_experiment(args.text("experiment_id"))
    return {}


def restore(api: Api, args: Args) -> dict[str, Any]:
    api.store.restore_experiment(args.text("experiment_id"))
    return {}


def set_tag(api: Api, args: Args) -> dict[str, Any]:
    api.store.set_experiment_tag(args.text("experiment_id"), args.text("key"), args.get("value", ""))
    return {}
