"""The search filter language, parsed once into an AST that every store translates.

Grammar (case-insensitive keywords)::

    filter     := or_expr
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := atom ("AND" atom)*
    atom       := "(" or_expr ")" | comparison
    comparison := identifier op value
                | identifier ["NOT"] "IN" "(" value ("," value)* ")"
    identifier := ("metrics" | "params" | "tags" | "attributes" | "attribute" | "attr" | "run")
                  "." (name | `quoted name` | "quoted name")
    op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | "LIKE" | "ILIKE"

A bare attribute name (``status = 'FINISHED'``) means ``attributes.status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

Entity = Literal["metric", "param", "tag", "attribute"]
Op = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN"]

#: attribute keys a filter may name; numeric ones compare as numbers
ATTRIBUTES: dict[str, type] = {
    "run_id": str,
    "run_name": str,
    "status": str,
    "user_id": str,
    "experiment_id": str,
    "start_time": int,
    "end_time": int,
}


@dataclass(frozen=True)
class Comparison:
    """``entity.key op value``; for IN / NOT IN, ``value`` is a tuple."""

    entity: Entity
    key: str
    op: Op
    value: str | float | tuple[str | float, ...]


@dataclass(frozen=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Node", ...]


Node = Union[Comparison, And, Or]


@dataclass(frozen=True)
class OrderKey:
    """One ``order_by`` entry: ``metrics.acc DESC`` -> OrderKey("metric", "acc", False)."""

    entity: Entity
    key: str
    ascending: bool = True
