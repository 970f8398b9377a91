r"""The search filter language, parsed once into an AST that every store translates.

Grammar (case-insensitive keywords)::

    filter     := or_expr
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := atom ("AND" atom)*
    atom       := "(" or_expr ")" | comparison
    comparison := identifier op value
                | identifier ["NOT"] "IN" "(" value ("," value)* ")"
    identifier := ("metrics" | "params" | "tags" | "attributes" | "attribute" | "attr" | "run")
                  "." (name | `quoted name` | "quoted name")
    op         := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" | "LIKE" | "ILIKE"
    value      := 'string' | "string" | number

A bare attribute name (``status = 'FINISHED'``) means ``attributes.status``; ``metric.``,
``param.``, ``tag.`` are accepted too. Unquoted names may hold letters, digits, ``_ . - /``.
Strings know the escapes ``\\ \' \" \n \t`` and doubled quotes; other backslashes are kept, so
LIKE patterns keep ``\%``. Numbers: ``-1.5e-3``, ``inf``, ``-inf``; ``nan`` is refused (it
equals nothing). Types are checked while parsing: metrics and numeric attributes take
numbers, everything else quoted strings; ``status`` must name a RunStatus.

``parse_filter(text, kind="experiments")`` parses the experiment dialect (attributes
``name``, ``experiment_id``, ``creation_time``, ``last_update_time``, and ``tags.<key>``).

Below the parser: the reference semantics in Python (``matches``, ``sort_runs``,
``sort_experiments``), which every store must agree with, and page tokens. docs/search.md is
the user-facing description.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar, Union

from autolog.errors import FilterSyntaxError, InvalidInputError
from autolog.core._entities import Experiment, PagedList, Run, RunStatus

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


# -- the parser ------------------------------------------------------------------------------
#
# A hand-written tokenizer and a recursive-descent parser: the grammar is small, the errors
# must point at a column, and a parse should cost microseconds, which rules out a generic
# SQL parser. Results are cached on the text because the AST nodes are frozen.

Kind = Literal["runs", "experiments"]

#: attribute keys an experiment filter or order_by may name
EXPERIMENT_ATTRIBUTES: dict[str, type] = {
    "name": str,
    "experiment_id": str,
    "creation_time": int,
    "last_update_time": int,
}

#: the largest page a search returns
MAX_RESULTS: Final = 50_000

_PREFIXES: dict[str, Entity] = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
}
# older or MLflow spellings of run attributes
_ATTRIBUTE_ALIASES = {"run_uuid": "run_id", "created": "start_time", "user": "user_id"}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<num>[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan)(?![\w.]))
    |(?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
    |(?P<bq>`[^`]*`)
    |(?P<op><=|>=|!=|<>|==|=|<|>)
    |(?P<punct>[(),])
    |(?P<word>[^\W\d][\w.\-/]*)
    |(?P<unterminated>['"`])
    |(?P<badnum>[+-]?\.?\d[\w.]*)
    """,
    re.VERBOSE | re.IGNORECASE,
)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_KEYWORDS = frozenset({"and", "or", "not", "in", "like", "ilike", "asc", "desc"})
_OPS: dict[str, Op] = {
    "=": "=", "==": "=", "!=": "!=", "<>": "!=",
    "<": "<", "<=": "<=", ">": ">", ">=": ">=",
}  # fmt: skip


@dataclass(frozen=True)
class _Token:
    kind: str  # num, str, bq, op, punct, word, end
    text: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            hint = ""
            if pos and (text[pos - 1].isalnum() or text[pos - 1] in "_.-/"):
                hint = "; a name with other characters goes in backticks, like metrics.`a@b`"
            raise FilterSyntaxError(f"unexpected character {text[pos]!r}{hint}", text, pos)
        kind = match.lastgroup or ""
        if kind == "badnum":
            raise FilterSyntaxError(
                f"malformed number {match.group()!r}; write numbers like 3, -0.5 or 1e-3",
                text,
                pos,
            )
        if kind == "unterminated":
            quote = text[pos]
            what = "quoted name" if quote == "`" else "string"
            raise FilterSyntaxError(f"unterminated {what}: no closing {quote}", text, pos)
        if kind != "ws":
            tokens.append(_Token(kind, match.group(), pos, match.end()))
        pos = match.end()
    tokens.append(_Token("end", "", len(text), len(text)))
    return tokens


def _unquote(token: _Token) -> str:
    quote, body = token.text[0], token.text[1:-1]
    if quote == "`":
        return body
    body = body.replace(quote * 2, quote)
    # unknown escapes stay as written, so LIKE patterns keep their \% and \_
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group()), body)


class _Parser:
    def __init__(self, text: str, kind: Kind) -> None:
        self.text = text
        self.kind = kind
        self.attributes = ATTRIBUTES if kind == "runs" else EXPERIMENT_ATTRIBUTES
        self.tokens = _tokenize(text)
        self.i = 0

    # -- helpers ---------------------------------------------------------------------------
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, message: str, at: _Token | int | None = None) -> FilterSyntaxError:
        if at is None:
            at = self.tok
        column = at if isinstance(at, int) else at.start
        return FilterSyntaxError(message, self.text, column)

    def expected(self, what: str) -> FilterSyntaxError:
        tok = self.tok
        got = "the end of the filter" if tok.kind == "end" else repr(tok.text)
        return self.error(f"expected {what}, got {got}")

    # -- grammar ---------------------------------------------------------------------------
    def filter(self) -> Node:
        node = self.or_expr()
        if self.tok.kind != "end":
            raise self.expected("AND, OR or the end of the filter")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.tok.is_word("or"):
            self.advance()
            items.append(self.and_expr())
        return _flatten(Or, items)

    def and_expr(self) -> Node:
        items = [self.atom()]
        while self.tok.is_word("and"):
            self.advance()
            items.append(self.atom())
        return _flatten(And, items)

    def atom(self) -> Node:
        if self.tok.text == "(":
            opening = self.advance()
            node = self.or_expr()
            if self.tok.text != ")":
                if self.tok.kind == "end":
                    raise self.error("unclosed parenthesis: no matching ')'", opening)
                raise self.expected("')', AND or OR")
            self.advance()
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        entity, key, ident = self.identifier()
        numeric = self.is_numeric(entity, key)
        op_tok = self.tok
        op: Op
        if op_tok.kind == "op":
            op = _OPS[op_tok.text]
        elif op_tok.is_word("like", "ilike"):
            op = "LIKE" if op_tok.text.lower() == "like" else "ILIKE"
        elif op_tok.is_word("in"):
            op = "IN"
        elif op_tok.is_word("not"):
            self.advance()
            if not self.tok.is_word("in"):
                raise self.expected("IN after NOT (NOT only negates IN)")
            op = "NOT IN"
        else:
            raise self.expected("a comparison operator (= != < <= > >= LIKE ILIKE IN NOT IN)")
        self.advance()
        if op in ("LIKE", "ILIKE") and numeric:
            raise self.error(
                f"{op} compares text, but {_describe(entity, key)} is a number; "
                "use = != < <= > >= or IN",
                op_tok,
            )
        if op in ("IN", "NOT IN"):
            value: str | float | tuple[str | float, ...] = self.value_list(entity, key, numeric)
        else:
            value = self.value(entity, key, numeric, op)
        return Comparison(entity, key, op, value)

    def identifier(self) -> tuple[Entity, str, _Token]:
        tok = self.tok
        if tok.kind != "word" or tok.text.lower() in _KEYWORDS:
            raise self.expected("a name such as metrics.<key>, params.<key> or tags.<key>")
        self.advance()
        prefix, dot, key = tok.text.partition(".")
        if not dot:
            return "attribute", self.attribute(prefix, tok, tok.start), tok
        entity = _PREFIXES.get(prefix.lower())
        if entity is None:
            raise self.error(f"unknown prefix {prefix!r}; expected {self.prefix_list()}", tok)
        if self.kind == "experiments" and entity in ("metric", "param"):
            raise self.error(
                f"experiments have no {entity}s; filter experiments on attributes "
                f"({', '.join(EXPERIMENT_ATTRIBUTES)}) or tags.<key>",
                tok,
            )
        if not key:
            quoted = self.tok
            if quoted.kind == "bq" or (quoted.kind == "str" and quoted.text[0] == '"'):
                self.advance()
                key = _unquote(quoted)
            else:
                raise self.error(f"expected a key after '{prefix}.'", quoted)
            if not key:
                raise self.error("the quoted key is empty", quoted)
        if entity == "attribute":
            key = self.attribute(key, tok, tok.start + len(prefix) + 1)
        return entity, key, tok

    def attribute(self, name: str, tok: _Token, column: int) -> str:
        key = name.lower()
        if self.kind == "runs":
            key = _ATTRIBUTE_ALIASES.get(key, key)
        if key in self.attributes:
            return key
        valid = ", ".join(self.attributes)
        if "." not in tok.text and name.lower() in _PREFIXES:
            raise self.error(f"expected '.' and a key after {name!r}, such as {name}.loss", tok)
        if "." not in tok.text:
            raise self.error(
                f"unknown name {name!r}; expected {self.prefix_list()}, "
                f"or one of the attributes {valid}",
                tok,
            )
        raise self.error(f"unknown attribute {name!r}; valid attributes: {valid}", column)

    def prefix_list(self) -> str:
        if self.kind == "experiments":
            return "attributes.<name> or tags.<key>"
        return "metrics.<key>, params.<key>, tags.<key> or attributes.<name>"

    def is_numeric(self, entity: Entity, key: str) -> bool:
        return entity == "metric" or (entity == "attribute" and self.attributes[key] is int)

    def value_list(self, entity: Entity, key: str, numeric: bool) -> tuple[str | float, ...]:
        if self.tok.text != "(":
            raise self.expected("'(' to open the IN list")
        self.advance()
        values = [self.value(entity, key, numeric)]
        while self.tok.text == ",":
            self.advance()
            values.append(self.value(entity, key, numeric))
        if self.tok.text != ")":
            raise self.expected("',' or ')' in the IN list")
        self.advance()
        return tuple(values)

    def value(self, entity: Entity, key: str, numeric: bool, op: Op = "IN") -> str | float:
        tok = self.tok
        subject = _describe(entity, key)
        if tok.kind == "num":
            if not numeric:
                raise self.error(
                    f"{subject} is text, so the value must be a quoted string: '{tok.text}'", tok
                )
            number = float(tok.text)
            if number != number:
                raise self.error(
                    "NaN cannot be a comparison value: NaN equals nothing, not even itself; "
                    "compare with a number, inf or -inf",
                    tok,
                )
            self.advance()
            return number
        if tok.kind == "str":
            if numeric:
                raise self.error(
                    f"{subject} is a number, so the value must be a number, "
                    f"got the string {tok.text}",
                    tok,
                )
            self.advance()
            text = _unquote(tok)
            # a LIKE pattern on status is matched, not checked against the statuses
            if entity == "attribute" and key == "status" and op not in ("LIKE", "ILIKE"):
                return self.status(text, tok)
            return text
        if tok.kind == "word" and tok.text.lower() not in _KEYWORDS:
            hint = "a number" if numeric else f"a quoted string such as '{tok.text}'"
            raise self.error(f"expected {hint} as the value, got the bare word {tok.text!r}")
        raise self.expected("a quoted string or a number")

    def status(self, text: str, tok: _Token) -> str:
        upper = text.upper()
        if upper in RunStatus.__members__:
            return upper
        raise self.error(
            f"unknown run status {text!r}; expected one of {', '.join(RunStatus.__members__)}",
            tok,
        )


def _flatten(cls: type[And] | type[Or], items: list[Node]) -> Node:
    if len(items) == 1:
        return items[0]
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, cls) else (item,))
    return cls(tuple(flat))


def _describe(entity: Entity, key: str) -> str:
    return f"{'attributes' if entity == 'attribute' else entity + 's'}.{key}"


def parse_filter(text: str | None, kind: Kind = "runs") -> Node | None:
    """Parse a search filter into an AST; None or a blank filter gives None (match all).

    ``kind="experiments"`` parses an experiment filter: ``attributes.name``,
    ``attributes.experiment_id``, ``attributes.creation_time``, ``attributes.last_update_time``
    and ``tags.<key>``. Raises FilterSyntaxError pointing at the column where parsing failed.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidInputError(
            f'a filter must be a string such as "metrics.acc > 0.9", got {type(text).__name__}'
        )
    return _parse_filter(text, kind)


@functools.lru_cache(maxsize=512)
def _parse_filter(text: str, kind: Kind) -> Node | None:
    if kind not in ("runs", "experiments"):
        raise InvalidInputError(f"kind must be 'runs' or 'experiments', got {kind!r}")
    if not text.strip():
        return None
    return _Parser(text, kind).filter()


def parse_order_by(items: Sequence[str] | None, kind: Kind = "runs") -> list[OrderKey]:
    """Parse ``order_by`` entries such as ``"metrics.acc DESC"`` or ``"run_name"``.

    Raises FilterSyntaxError for an entry that does not parse.
    """
    if not items:
        return []
    if isinstance(items, str):  # a lone string is one key, not a sequence of letters
        items = [items]
    keys = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise FilterSyntaxError(
                "an order_by entry must be a non-empty string like 'metrics.acc DESC', "
                f"got {item!r}"
            )
        keys.append(_parse_order_key(item, kind))
    return keys


@functools.lru_cache(maxsize=512)
def _parse_order_key(item: str, kind: Kind) -> OrderKey:
    parser = _Parser(item, kind)
    entity, key, _ = parser.identifier()
    ascending = True
    if parser.tok.is_word("asc", "desc"):
        ascending = parser.advance().text.lower() == "asc"
    if parser.tok.kind != "end":
        if parser.tok.text == ",":
            raise parser.error("pass each order_by key as a separate list item")
        raise parser.expected("ASC, DESC or the end of the order_by entry")
    return OrderKey(entity, key, ascending)


# -- evaluation in Python (the memory store; the SQL stores must agree with it) ---------------

#: what a lookup returns for a key the target lacks
MISSING: Any = object()
_MISSING = MISSING
_T = TypeVar("_T")


def _lookup(target: Run | Experiment, entity: Entity, key: str) -> Any:
    if isinstance(target, Run):
        if entity == "metric":
            return target.data.metrics.get(key, _MISSING)
        if entity == "param":
            return target.data.params.get(key, _MISSING)
        if entity == "tag":
            return target.data.tags.get(key, _MISSING)
        value = getattr(target.info, key, None)
        if isinstance(value, RunStatus):
            return value.value
    else:
        if entity == "tag":
            return target.tags.get(key, _MISSING)
        if entity != "attribute":
            return _MISSING
        value = getattr(target, key, None)
    return _MISSING if value is None else value


@functools.lru_cache(maxsize=256)
def like_regex(pattern: str, case_sensitive: bool = True) -> re.Pattern[str]:
    """The regex equivalent to SQL ``LIKE pattern ESCAPE '\\'`` (``%`` any run, ``_`` one char)."""
    parts = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    return re.compile("".join(parts), flags)


def compare(actual: Any, op: Op, value: Any) -> bool:
    """``actual op value`` with the filter language's semantics (LIKE matches text)."""
    if op == "=":
        return bool(actual == value)
    if op == "!=":
        return bool(actual != value)
    if op == "IN":
        return any(actual == v for v in value)
    if op == "NOT IN":
        return all(actual != v for v in value)
    if op == "LIKE" or op == "ILIKE":
        return like_regex(value, op == "LIKE").fullmatch(str(actual)) is not None
    if op == "<":
        return bool(actual < value)
    if op == "<=":
        return bool(actual <= value)
    if op == ">":
        return bool(actual > value)
    return bool(actual >= value)


def matches(
    node: Node | None, target: Any, lookup: Callable[[Any, Entity, str], Any] = _lookup
) -> bool:
    """Whether a run (or an experiment) passes a parsed filter; None matches everything.

    A comparison on a key the target lacks is false, whatever the operator. Numbers compare
    as floats, NaN being unequal to everything (only ``!=`` and ``NOT IN`` are true for it);
    text compares by code point; LIKE is case-sensitive, ILIKE is not.
    """
    if node is None:
        return True
    if isinstance(node, And):
        return all(matches(item, target, lookup) for item in node.items)
    if isinstance(node, Or):
        return any(matches(item, target, lookup) for item in node.items)
    actual = lookup(target, node.entity, node.key)
    if actual is _MISSING:
        return False
    return compare(actual, node.op, node.value)


_RUN_TIEBREAK = (OrderKey("attribute", "start_time", False), OrderKey("attribute", "run_id"))
_EXPERIMENT_TIEBREAK = (
    OrderKey("attribute", "creation_time", False),
    OrderKey("attribute", "experiment_id"),
)


def _sorted(
    items: Sequence[_T], keys: Sequence[OrderKey], tiebreak: Sequence[OrderKey]
) -> list[_T]:
    named = {(k.entity, k.key) for k in keys}
    keys = [*keys, *(k for k in tiebreak if (k.entity, k.key) not in named)]
    result = list(items)
    # stable sorts from the last key to the first; missing values (then NaN) go last in
    # either direction, so they are kept out of the reversed sort
    for order in reversed(keys):
        present, nans, missing = [], [], []
        for item in result:
            value = _lookup(item, order.entity, order.key)  # type: ignore[arg-type]
            if value is _MISSING:
                missing.append(item)
            elif value != value:
                nans.append(item)
            else:
                present.append((value, item))
        present.sort(key=lambda pair: pair[0], reverse=not order.ascending)
        result = [item for _, item in present] + nans + missing
    return result


def sort_runs(runs: Iterable[Run], order_by: Sequence[OrderKey] = ()) -> list[Run]:
    """Runs in ``order_by`` order, then start_time DESC, then run_id ASC.

    Runs lacking a key sort last in both directions; a NaN metric sorts after every number
    and before the runs lacking it.
    """
    return _sorted(list(runs), order_by, _RUN_TIEBREAK)


def sort_experiments(
    experiments: Iterable[Experiment], order_by: Sequence[OrderKey] = ()
) -> list[Experiment]:
    """Experiments in ``order_by`` order, then creation_time DESC, then experiment_id ASC."""
    return _sorted(list(experiments), order_by, _EXPERIMENT_TIEBREAK)


# -- paging ----------------------------------------------------------------------------------


def check_max_results(max_results: int) -> int:
    """``max_results`` itself if it is an int from 1 to MAX_RESULTS, else InvalidInputError."""
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        raise InvalidInputError(
            f"max_results must be an int, got {type(max_results).__name__} {max_results!r}"
        )
    if not 1 <= max_results <= MAX_RESULTS:
        raise InvalidInputError(
            f"max_results must be between 1 and {MAX_RESULTS:,}, got {max_results:,}; "
            "use page tokens to read more"
        )
    return max_results


def encode_page_token(offset: int) -> str:
    """The opaque token for the page that starts at ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode("ascii")


def decode_page_token(token: str | None) -> int:
    """The offset a page token stands for; None or "" is the first page (0)."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        offset = data["offset"]
        if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
            return offset
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeError):
        pass
    raise InvalidInputError(
        f"invalid page_token {token!r}: pass the token from the previous page's result "
        "(its .token attribute), or None for the first page"
    )


def paginate(items: Sequence[_T], max_results: int, page_token: str | None) -> PagedList:
    """One page of already-sorted ``items``, with the token of the next page if there is one."""
    check_max_results(max_results)
    start = decode_page_token(page_token)
    end = start + max_results
    return PagedList(items[start:end], encode_page_token(end) if end < len(items) else None)
