"""``models:/`` URIs: ``models:/<name>/<version>``, ``models:/<name>@<alias>``,
``models:/<name>/latest``, parsed here; ``Client.get_model_version_by_uri`` resolves them."""

from __future__ import annotations

from dataclasses import dataclass

from autolog.errors import InvalidInputError

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

