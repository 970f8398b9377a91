"""Search filters over registered models and model versions.

The grammar is the tracking filter language's (``autolog.core._search``): comparisons,
``LIKE``/``ILIKE``, ``IN``, ``AND``/``OR`` and parentheses, over ``tags.<key>`` and the
attributes listed below. A registry holds hundreds of names, not millions of runs, so every
backend evaluates the parsed filter here in Python; both stores therefore agree exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, Union

from autolog.errors import FilterSyntaxError, InvalidInputError
from autolog.core._model_entities import ModelVersion, RegisteredModel
from autolog.core._search import MISSING, Node, OrderKey, _Parser
from autolog.core._search import matches as _matches

MODEL_ATTRIBUTES: dict[str, type] = {
    "name": str,
    "description": str,
    "creation_timestamp": int,
    "last_updated_timestamp": int,
}
VERSION_ATTRIBUTES: dict[str, type] = {
    "name": str,
    "version": int,
    "run_id": str,
    "source": str,
    "user_id": str,
    "status": str,
    "description": str,
    "creation_timestamp": int,
    "last_updated_timestamp": int,
}

Target = Union[RegisteredModel, ModelVersion]
T = TypeVar("T", RegisteredModel, ModelVersion)


class _RegistryParser(_Parser):
    """The tracking parser with registry attributes; metrics and params do not exist here."""

    def __init__(self, text: str, attributes: dict[str, type], what: str) -> None:
        super().__init__(text, "registry")  # type: ignore[arg-type]
        self.attributes = attributes
        self.what = what

    def identifier(self) -> Any:
        start = self.tok
        entity, key, tok = super().identifier()
        if entity in ("metric", "param"):
            raise self.error(
                f"{self.what} have no {entity}s; filter on tags.<key> or one of "
                f"{', '.join(self.attributes)}",
                start,
            )
        return entity, key, tok

    def prefix_list(self) -> str:
        return "tags.<key> or attributes.<name>"

    def status(self, text: str, tok: Any) -> str:
        return text  # version statuses are not run statuses


def _kind(versions: bool) -> tuple[dict[str, type], str]:
    return (VERSION_ATTRIBUTES, "model versions") if versions else (MODEL_ATTRIBUTES, "registered models")


@functools.lru_cache(maxsize=256)
def parse_filter(text: str | None, versions: bool = False) -> Node | None:
    """Parse a registry filter; raises FilterSyntaxError pointing at the bad column."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidInputError(f"a filter must be a string such as \"name LIKE 'fraud%'\", got {text!r}")
    if not text.strip():
        return None
    attributes, what = _kind(versions)
    return _RegistryParser(text, attributes, what).filter()


def parse_order_by(items: Sequence[str] | None, versions: bool = False) -> list[OrderKey]:
    """Parse order_by entries such as ``"name"`` or ``"last_updated_timestamp DESC"``."""
    if not items:
        return []
    if isinstance(items, str):
        items = [items]
    attributes, what = _kind(versions)
    keys = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise FilterSyntaxError(f"an order_by entry must be a non-empty string, got {item!r}")
        parser = _RegistryParser(item, attributes, what)
        entity, key, _ = parser.identifier()
        ascending = True
        if parser.tok.is_word("asc", "desc"):
            ascending = parser.advance().text.lower() == "asc"
        if parser.tok.kind != "end":
            raise parser.expected("ASC, DESC or the end of the order_by entry")
        keys.append(OrderKey(entity, key, ascending))
    return keys


def _lookup(target: Target, entity: str, key: str) -> Any:
    if entity == "tag":
        return target.tags.get(key, MISSING)
    value = getattr(target, key, MISSING)
    return MISSING if value is None else value


def matches(node: Node | None, target: Target) -> bool:
    """Whether ``target`` passes the parsed filter (a missing tag compares false)."""
    return _matches(node, target, _lookup)


def select(
    items: Iterable[T], node: Node | None, order_by: Sequence[OrderKey], default: Sequence[OrderKey]
) -> list[T]:
    """Filter then sort (stable, last key first); targets lacking a key sort last."""
    found = [item for item in items if matches(node, item)]
    for key in reversed([*order_by, *default]):
        present = [i for i in found if _lookup(i, key.entity, key.key) is not MISSING]
        absent = [i for i in found if _lookup(i, key.entity, key.key) is MISSING]
        present.sort(key=lambda i: _lookup(i, key.entity, key.key), reverse=not key.ascending)
        found = present + absent
    return found


MODEL_ORDER = (OrderKey("attribute", "name"),)
VERSION_ORDER = (OrderKey("attribute", "name"), OrderKey("attribute", "version", False))
