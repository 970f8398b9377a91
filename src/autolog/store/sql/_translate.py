"""Search filters and order_by keys (the AST of ``autolog.core._search``) as SQLAlchemy.

Every value travels as a bound parameter. The semantics are those of the reference evaluator
``autolog.core._search.matches`` / ``sort_runs``, which the memory store uses:

- a comparison on a key the run lacks is false, whatever the operator: each key-value test is
  ``id IN (SELECT id FROM <table> WHERE key = :k AND <test>)``, so a missing row never matches;
- metrics compare as floats against the latest value; NaN (stored as NULL with ``is_nan``)
  equals nothing, so only ``!=`` and ``NOT IN`` are true for it;
- text compares by code point (SQLite's BINARY, PostgreSQL's "C" collation);
- LIKE is case-sensitive on both backends (SQLite: translated to GLOB, since SQLite's LIKE
  ignores case), ILIKE is not (PostgreSQL: ILIKE; SQLite: a function using the reference regex);
- ordering puts NaN after every number and runs lacking the key last, in both directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, String, and_, case, cast, func, literal, or_, select, true

from autolog.errors import InvalidInputError
from autolog.store.sql import _schema as t
from autolog.core._search import And, Comparison, Node, Or, OrderKey, like_regex

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, FromClause, Table

_RUN_TIEBREAK = (OrderKey("attribute", "start_time", False), OrderKey("attribute", "run_id"))
_EXPERIMENT_TIEBREAK = (
    OrderKey("attribute", "creation_time", False),
    OrderKey("attribute", "experiment_id"),
)


def sqlite_ilike(value: str | None, pattern: str | None) -> int | None:
    """ILIKE for SQLite connections (registered as ``autolog_ilike``): the reference regex."""
    if value is None or pattern is None:
        return None
    return int(like_regex(pattern, False).fullmatch(value) is not None)


@dataclass(frozen=True)
class _Subject:
    """What a filter searches: runs or experiments."""

    base: Table
    id_column: str
    tables: dict[str, Table]  # entity -> key/value table linked by id_column
    numeric: frozenset[str]  # numeric attributes
    tiebreak: tuple[OrderKey, ...]

    def attribute(self, key: str, dialect: str) -> ColumnElement[Any]:
        if key not in self.base.c:
            raise InvalidInputError(f"cannot search on attribute {key!r}")
        column: ColumnElement[Any] = self.base.c[key]
        if key == "experiment_id":  # an integer column, compared as the string the API shows
            column = cast(column, String)
            if dialect == "postgresql":
                column = column.collate("C")
        return column

    def table(self, entity: str) -> Table:
        table = self.tables.get(entity)
        if table is None:
            what = "runs" if self.base is t.runs else "experiments"
            raise InvalidInputError(f"{what} cannot be searched on {entity}s")
        return table


RUNS = _Subject(
    t.runs,
    "run_id",
    {"metric": t.latest_metrics, "param": t.params, "tag": t.tags},
    frozenset({"start_time", "end_time"}),
    _RUN_TIEBREAK,
)
EXPERIMENTS = _Subject(
    t.experiments,
    "experiment_id",
    {"tag": t.experiment_tags},
    frozenset({"creation_time", "last_update_time"}),
    _EXPERIMENT_TIEBREAK,
)


# -- filters ----------------------------------------------------------------------------------


def where(subject: _Subject, node: Node | None, dialect: str) -> ColumnElement[bool] | None:
    """The WHERE expression for a parsed filter (None for no filter)."""
    if node is None:
        return None
    return _node(subject, node, dialect)


def _node(subject: _Subject, node: Node, dialect: str) -> ColumnElement[bool]:
    if isinstance(node, And):
        return and_(*(_node(subject, item, dialect) for item in node.items))
    if isinstance(node, Or):
        return or_(*(_node(subject, item, dialect) for item in node.items))
    if isinstance(node, Comparison):
        return _comparison(subject, node, dialect)
    raise InvalidInputError(f"not a filter node: {node!r}")


def _comparison(subject: _Subject, cmp: Comparison, dialect: str) -> ColumnElement[bool]:
    if cmp.entity == "attribute":
        numeric = cmp.key in subject.numeric
        column = subject.attribute(cmp.key, dialect)
        return _test(column, cmp, numeric, None, dialect)
    table = subject.table(cmp.entity)
    numeric = cmp.entity == "metric"
    nan = table.c.is_nan if numeric else None
    test = _test(table.c.value, cmp, numeric, nan, dialect)
    link = table.c[subject.id_column]
    matching = select(link).where(table.c.key == cmp.key, test)
    return subject.base.c[subject.id_column].in_(matching)


def _test(
    column: ColumnElement[Any],
    cmp: Comparison,
    numeric: bool,
    is_nan: ColumnElement[bool] | None,
    dialect: str,
) -> ColumnElement[bool]:
    op = cmp.op
    if op in ("IN", "NOT IN"):
        values = cmp.value if isinstance(cmp.value, tuple) else (cmp.value,)
        checked = [_value(cmp, v, numeric) for v in values]
        if op == "IN":
            return _with_prefix(column.in_(checked), column, checked, dialect)
        test: ColumnElement[bool] = column.not_in(checked)
        return or_(test, is_nan) if is_nan is not None else test
    value: object = _value(cmp, cmp.value, numeric)
    if op in ("LIKE", "ILIKE"):
        if numeric:
            raise InvalidInputError(f"{op} compares text; {cmp.entity} {cmp.key!r} is a number")
        return _like(column, str(value), op == "LIKE", dialect)
    if op == "=":
        return _with_prefix(column == value, column, [value], dialect)
    if op == "!=":
        test = column != value
        return or_(test, is_nan) if is_nan is not None else test
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    raise InvalidInputError(f"unknown comparison operator {op!r}")


def _value(cmp: Comparison, value: Any, numeric: bool) -> Any:
    if isinstance(value, tuple):
        raise InvalidInputError(f"{cmp.op} takes one value, got the list {value!r}")
    if numeric:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidInputError(
                f"{cmp.entity} {cmp.key!r} is a number; compare it with a number, got {value!r}"
            )
        if value != value:
            raise InvalidInputError("NaN cannot be a comparison value: it equals nothing")
        return float(value)
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{cmp.entity} {cmp.key!r} is text; compare it with a quoted string, got {value!r}"
        )
    return value


def _with_prefix(
    test: ColumnElement[bool],
    column: ColumnElement[Any],
    values: list[Any],
    dialect: str,
) -> ColumnElement[bool]:
    # PostgreSQL indexes left(value, N) of params and tags (see the migration); repeating the
    # equality on that prefix lets the planner use the index. It never changes the result.
    if dialect != "postgresql" or getattr(column, "table", None) not in (t.params, t.tags):
        return test
    prefix = func.left(column, t.PREFIX_INDEXED)
    return and_(prefix.in_([v[: t.PREFIX_INDEXED] for v in values]), test)


def _pattern_parts(pattern: str) -> list[tuple[str, str]]:
    """A LIKE pattern as ('lit', char) / ('any', '') / ('one', ''), as ``like_regex`` reads it."""
    parts: list[tuple[str, str]] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(("lit", next(chars, "\\")))
        elif char == "%":
            parts.append(("any", ""))
        elif char == "_":
            parts.append(("one", ""))
        else:
            parts.append(("lit", char))
    return parts


def _like(
    column: ColumnElement[Any], pattern: str, case_sensitive: bool, dialect: str
) -> ColumnElement[bool]:
    if dialect == "sqlite":
        if not case_sensitive:
            return func.autolog_ilike(column, pattern, type_=Boolean)
        glob = {"any": "*", "one": "?"}
        text = "".join(
            glob[kind] if kind in glob else f"[{c}]" if c in "*?[" else c
            for kind, c in _pattern_parts(pattern)
        )
        return column.op("GLOB", is_comparison=True)(text)
    like = {"any": "%", "one": "_"}
    text = "".join(
        like[kind] if kind in like else f"\\{c}" if c in "%_\\" else c
        for kind, c in _pattern_parts(pattern)
    )
    if case_sensitive:
        return column.like(text, escape="\\")
    # the database's own collation folds case for every script; "C" folds only ASCII
    if dialect == "postgresql":
        # the pattern must not carry the column's "C" collation either (a collation clash)
        return column.collate("default").ilike(literal(text, String()), escape="\\")
    return column.ilike(text, escape="\\")


# -- order_by ---------------------------------------------------------------------------------


def order(
    subject: _Subject, keys: Sequence[OrderKey], dialect: str
) -> tuple[FromClause, list[ColumnElement[Any]]]:
    """The FROM clause (base plus outer joins) and ORDER BY expressions for ``keys``.

    The subject's tiebreak keys follow, unless named already, so pages are deterministic.
    """
    named = {(k.entity, k.key) for k in keys}
    keys = [*keys, *(k for k in subject.tiebreak if (k.entity, k.key) not in named)]
    source: FromClause = subject.base
    clauses: list[ColumnElement[Any]] = []
    for index, key in enumerate(keys):
        if key.entity == "attribute":
            column = subject.attribute(key.key, dialect)
            if key.key in ("end_time",):  # the only nullable attribute: missing goes last
                clauses.append(case((column.is_(None), 1), else_=0))
        else:
            table = subject.table(key.entity).alias(f"order_{index}")
            link = table.c[subject.id_column]
            source = source.outerjoin(
                table, and_(link == subject.base.c[subject.id_column], table.c.key == key.key)
            )
            rank: list[tuple[ColumnElement[bool], int]] = [(link.is_(None), 2)]
            if key.entity == "metric":
                rank.append((table.c.is_nan == true(), 1))
            clauses.append(case(*rank, else_=0))
            column = table.c.value
        clauses.append(column.asc() if key.ascending else column.desc())
    return source, clauses
