"""``models:/`` URIs: ``models:/<name>/<version>``, ``models:/<name>@<alias>``,
``models:/<name>/latest``, resolved through the registry of the current tracking URI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from autolog.errors import InvalidInputError

if TYPE_CHECKING:
    from autolog.registry._entities import ModelVersion

_FORMS = "models:/<name>/<version>, models:/<name>@<alias> or models:/<name>/latest"


@dataclass(frozen=True)
class ModelsUri:
    """A parsed ``models:/`` URI: exactly one of ``version``, ``alias``, ``latest`` is set."""

    name: str
    version: int | None = None
    alias: str | None = None
    latest: bool = False


def parse(uri: str) -> ModelsUri:
    """Parse a ``models:/`` URI; InvalidInputError naming the accepted forms otherwise."""
    if not uri.startswith("models:"):
        raise InvalidInputError(f"{uri!r} is not a models:/ URI; expected {_FORMS}")
    rest = uri[len("models:") :].lstrip("/")
    if "@" in rest:
        name, _, alias = rest.rpartition("@")
        if name and alias and "/" not in name and "/" not in alias:
            return ModelsUri(name, alias=alias)
    else:
        name, _, tail = rest.partition("/")
        if name and tail.lower() == "latest":
            return ModelsUri(name, latest=True)
        if name and tail.isdigit() and int(tail) > 0:
            return ModelsUri(name, version=int(tail))
    raise InvalidInputError(f"model URI {uri!r} is not of the form {_FORMS}")


def lookup(uri: str, tracking_uri: str | None = None) -> ModelVersion:
    """The model version a ``models:/`` URI names (NotFoundError listing what exists)."""
    from autolog.tracking._client import Client

    parsed = parse(uri)
    client = Client(tracking_uri)
    if parsed.alias is not None:
        return client.get_model_version_by_alias(parsed.name, parsed.alias)
    if parsed.latest:
        return client.get_latest_version(parsed.name)
    assert parsed.version is not None
    return client.get_model_version(parsed.name, parsed.version)
