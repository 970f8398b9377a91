"""The search filter language: parsing, errors, order_by, page tokens, Python evaluation."""

from __future__ import annotations

import math

import pytest

from autolog.errors import FilterSyntaxError, InvalidInputError
from autolog.core._entities import Experiment, Run, RunData, RunInfo, RunStatus
from autolog.core._search import (
    And,
    Comparison,
    Or,
    OrderKey,
    check_max_results,
    decode_page_token,
    encode_page_token,
    like_regex,
    matches,
    paginate,
    parse_filter,
    parse_order_by,
    sort_experiments,
    sort_runs,
)


def C(entity: str, key: str, op: str, value: object) -> Comparison:
    return Comparison(entity, key, op, value)  # type: ignore[arg-type]


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("metrics.acc = 1", C("metric", "acc", "=", 1.0)),
        ("metrics.acc == 1", C("metric", "acc", "=", 1.0)),
        ("metrics.acc != 1", C("metric", "acc", "!=", 1.0)),
        ("metrics.acc <> 1", C("metric", "acc", "!=", 1.0)),
        ("metrics.acc < 1", C("metric", "acc", "<", 1.0)),
        ("metrics.acc <= 1", C("metric", "acc", "<=", 1.0)),
        ("metrics.acc > 1", C("metric", "acc", ">", 1.0)),
        ("metrics.acc >= 1", C("metric", "acc", ">=", 1.0)),
        ("metrics.acc>=-1.5e-3", C("metric", "acc", ">=", -0.0015)),
        ("metrics.acc > .5", C("metric", "acc", ">", 0.5)),
        ("metrics.acc < +2", C("metric", "acc", "<", 2.0)),
        ("metrics.acc < inf", C("metric", "acc", "<", math.inf)),
        ("metrics.acc > -Infinity", C("metric", "acc", ">", -math.inf)),
        ("params.model LIKE 'rf%'", C("param", "model", "LIKE", "rf%")),
        ("params.model like 'rf%'", C("param", "model", "LIKE", "rf%")),
        ("params.model ILIKE 'RF%'", C("param", "model", "ILIKE", "RF%")),
        ("params.model IN ('a', \"b\")", C("param", "model", "IN", ("a", "b"))),
        ("params.model not in ('a')", C("param", "model", "NOT IN", ("a",))),
        ("metrics.acc IN (1, 2.5, -3)", C("metric", "acc", "IN", (1.0, 2.5, -3.0))),
        ("tags.team = 'vision'", C("tag", "team", "=", "vision")),
        ("tag.team = 'x'", C("tag", "team", "=", "x")),
        ("metric.acc = 1", C("metric", "acc", "=", 1.0)),
        ("param.lr = '1'", C("param", "lr", "=", "1")),
        ("attributes.status = 'FINISHED'", C("attribute", "status", "=", "FINISHED")),
        ("attribute.run_name = 'x'", C("attribute", "run_name", "=", "x")),
        ("attr.run_id = 'x'", C("attribute", "run_id", "=", "x")),
        ("run.start_time > 5", C("attribute", "start_time", ">", 5.0)),
        ("status = 'finished'", C("attribute", "status", "=", "FINISHED")),
        ("status LIKE 'FIN%'", C("attribute", "status", "LIKE", "FIN%")),
        ("run_name ILIKE '%x%'", C("attribute", "run_name", "ILIKE", "%x%")),
        ("end_time >= 0", C("attribute", "end_time", ">=", 0.0)),
        ("attributes.created > 0", C("attribute", "start_time", ">", 0.0)),
        ("METRICS.acc = 1", C("metric", "acc", "=", 1.0)),
        ('metrics."val loss" < 1', C("metric", "val loss", "<", 1.0)),
        ("metrics.`val-loss` < 1", C("metric", "val-loss", "<", 1.0)),
        ("tags.`autolog.user` = 'ann'", C("tag", "autolog.user", "=", "ann")),
        ("tags.autolog.user = 'ann'", C("tag", "autolog.user", "=", "ann")),
        ("metrics.loss/train < 1", C("metric", "loss/train", "<", 1.0)),
        ("metrics.info = 1", C("metric", "info", "=", 1.0)),
        ("params.x = 'it''s'", C("param", "x", "=", "it's")),
        ("params.x = 'it\\'s'", C("param", "x", "=", "it's")),
        ('params.x = "say \\"hi\\""', C("param", "x", "=", 'say "hi"')),
        ("params.x = 'a\\\\b'", C("param", "x", "=", "a\\b")),
        ("params.x = 'tab\\there'", C("param", "x", "=", "tab\there")),
        ("params.x LIKE '50\\%'", C("param", "x", "LIKE", "50\\%")),  # LIKE keeps its escape
        ("params.x = ''", C("param", "x", "=", "")),
        ("params.x = 'ünïcode ✓'", C("param", "x", "=", "ünïcode ✓")),
    ],
)
def test_comparisons(text: str, node: Comparison) -> None:
    assert parse_filter(text) == node


def test_blank_filter_matches_everything() -> None:
    assert parse_filter(None) is None
    assert parse_filter("") is None
    assert parse_filter("   \n ") is None


def test_and_binds_tighter_than_or() -> None:
    a, b, c = (C("metric", k, ">", 0.0) for k in "abc")
    assert parse_filter("metrics.a > 0 OR metrics.b > 0 AND metrics.c > 0") == Or((a, And((b, c))))
    assert parse_filter("metrics.a > 0 AND metrics.b > 0 OR metrics.c > 0") == Or((And((a, b)), c))


def test_parentheses_override_precedence() -> None:
    a, b, c = (C("metric", k, ">", 0.0) for k in "abc")
    assert parse_filter("(metrics.a > 0 OR metrics.b > 0) AND metrics.c > 0") == And(
        (Or((a, b)), c)
    )
    assert parse_filter("((metrics.a > 0))") == a


def test_chains_are_flat() -> None:
    a, b, c = (C("metric", k, ">", 0.0) for k in "abc")
    assert parse_filter("metrics.a > 0 and metrics.b > 0 AND metrics.c > 0") == And((a, b, c))
    assert parse_filter("metrics.a > 0 or (metrics.b > 0 or metrics.c > 0)") == Or((a, b, c))


def test_parsing_is_cached() -> None:
    text = "metrics.cached > 1 AND params.p = 'x'"
    assert parse_filter(text) is parse_filter(text)


# -- errors point at the column --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("metrics.acc >", 13, "expected a quoted string or a number, got the end"),
        ("metrics.acc 0.9", 12, "expected a comparison operator"),
        ("metrics.acc > 1 metrics.b > 2", 16, "expected AND, OR or the end"),
        ("metrics.acc > 1 AND", 19, "expected a name"),
        ("(metrics.acc > 1", 0, "unclosed parenthesis"),
        ("metrics.acc > 1)", 15, "expected AND, OR or the end"),
        ("metrics.a > 1 AND (metrics.b > 1 metrics.c > 1)", 33, "expected ')', AND or OR"),
        ("()", 1, "expected a name"),
        ("params.x = 'abc", 11, "unterminated string"),
        ("tags.`abc = 'x'", 5, "unterminated quoted name"),
        ("metrics.a ~ 1", 10, "unexpected character '~'"),
        ("metrics.a = 1 && metrics.b = 2", 14, "unexpected character '&'"),
        ("metrics.acc@1 > 0", 11, "goes in backticks"),
        ("metrics.a > 1e", 12, "malformed number '1e'"),
        ("metrics.a > 1.2.3", 12, "malformed number '1.2.3'"),
        ("metrics.a IN (1, 0x10)", 17, "malformed number '0x10'"),
        ("params.x NOT 'a'", 13, "expected IN after NOT"),
        ("params.x NOT LIKE 'a'", 13, "expected IN after NOT"),
        ("params.x IN 'a'", 12, "expected '(' to open the IN list"),
        ("params.x IN ('a' 'b')", 17, "expected ',' or ')'"),
        ("params.x IN ()", 13, "expected a quoted string or a number"),
        ("params.x = FINISHED", 11, "quoted string such as 'FINISHED'"),
        ("metrics. = 1", 9, "expected a key after 'metrics.'"),
        ("metrics.`` = 1", 8, "the quoted key is empty"),
        ("metrics = 1", 0, "expected '.' and a key after 'metrics'"),
        ("foo.bar = 1", 0, "unknown prefix 'foo'"),
        ("metricz.acc = 1", 0, "unknown prefix 'metricz'"),
        ("bogus = 'x'", 0, "unknown name 'bogus'"),
        ("attributes.bogus = 'x'", 11, "unknown attribute 'bogus'"),
        ("metrics.a = 1 AND attributes.color = 'x'", 29, "valid attributes: run_id, run_name"),
        ("status = 'DONE'", 9, "unknown run status 'DONE'"),
        ("metrics.a = nan", 12, "NaN cannot be a comparison value"),
        ("AND metrics.a = 1", 0, "expected a name"),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(text)
    error = caught.value
    assert error.column == column, str(error)
    assert message in str(error)
    assert error.text == text
    # the message shows the filter with a caret under the failing column
    assert f"\n  {text}\n  {' ' * column}^" in str(error)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("metrics.acc = 'high'", 14, "metrics.acc is a number, so the value must be a number"),
        ("metrics.acc IN (1, 'a')", 19, "metrics.acc is a number"),
        ("params.lr = 0.1", 12, "params.lr is text, so the value must be a quoted string: '0.1'"),
        ("tags.t != 1", 10, "tags.t is text"),
        ("attributes.run_name = 1", 22, "attributes.run_name is text"),
        ("attributes.start_time > '2024'", 24, "attributes.start_time is a number"),
        ("metrics.acc LIKE '1%'", 12, "LIKE compares text, but metrics.acc is a number"),
        ("end_time ILIKE '1%'", 9, "ILIKE compares text"),
    ],
)
def test_type_errors(text: str, column: int, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(text)
    assert caught.value.column == column
    assert message in str(caught.value)


def test_syntax_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_filter("metrics.")
    with pytest.raises(InvalidInputError, match="must be a string"):
        parse_filter(42)  # type: ignore[arg-type]


# -- experiments -----------------------------------------------------------------------------


def test_experiment_filters() -> None:
    assert parse_filter("name LIKE 'x%'", kind="experiments") == C(
        "attribute", "name", "LIKE", "x%"
    )
    assert parse_filter("attributes.creation_time > 5", kind="experiments") == C(
        "attribute", "creation_time", ">", 5.0
    )
    assert parse_filter("tags.team = 'a'", kind="experiments") == C("tag", "team", "=", "a")
    with pytest.raises(FilterSyntaxError, match="experiments have no metrics"):
        parse_filter("metrics.acc > 1", kind="experiments")
    with pytest.raises(FilterSyntaxError, match="valid attributes: name, experiment_id"):
        parse_filter("attributes.status = 'FINISHED'", kind="experiments")
    with pytest.raises(FilterSyntaxError, match="unknown attribute 'name'"):
        parse_filter("attributes.name = 'x'")  # runs have run_name, not name


# -- order_by --------------------------------------------------------------------------------


def test_parse_order_by() -> None:
    assert parse_order_by(None) == []
    assert parse_order_by([]) == []
    assert parse_order_by(
        ["metrics.acc DESC", "params.x", "attributes.start_time asc", "run_name", "tags.`a b` desc"]
    ) == [
        OrderKey("metric", "acc", False),
        OrderKey("param", "x", True),
        OrderKey("attribute", "start_time", True),
        OrderKey("attribute", "run_name", True),
        OrderKey("tag", "a b", False),
    ]
    assert parse_order_by("metrics.acc DESC") == [OrderKey("metric", "acc", False)]
    assert parse_order_by(["name DESC"], kind="experiments") == [
        OrderKey("attribute", "name", False)
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("metrics.acc DOWN", "expected ASC, DESC or the end"),
        ("metrics.acc DESC, params.x", "separate list item"),
        ("color", "unknown name 'color'"),
        ("metrics.", "expected a key"),
        ("", "non-empty string"),
        ("DESC", "expected a name"),
    ],
)
def test_bad_order_by(item: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError, match=message):
        parse_order_by([item])


# -- evaluation ------------------------------------------------------------------------------


def make_run(
    run_id: str,
    start: int = 0,
    metrics: dict[str, float] | None = None,
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    status: RunStatus = RunStatus.RUNNING,
    end: int | None = None,
) -> Run:
    info = RunInfo(run_id, "0", f"name-{run_id}", "u", status, start, end, "/tmp/x")
    return Run(info, RunData(metrics or {}, params or {}, tags or {}))


def check(text: str, run: Run) -> bool:
    return matches(parse_filter(text), run)


def test_matches_semantics() -> None:
    run = make_run("a", 10, {"acc": 0.5, "nan": math.nan}, {"model": "RF"}, {"t": "x"})
    assert check("metrics.acc = 0.5 AND params.model = 'RF'", run)
    assert not check("metrics.missing != 1", run)
    assert not check("metrics.missing NOT IN (1)", run)
    assert not check("attributes.end_time >= 0", run)  # a running run has no end_time
    assert check("metrics.nan != 1 AND metrics.nan NOT IN (1, 2)", run)
    assert not any(check(f"metrics.nan {op} 1", run) for op in ("=", "<", "<=", ">", ">="))
    assert not check("metrics.nan IN (1)", run)
    assert check("params.model LIKE 'R_'", run) and not check("params.model LIKE 'r_'", run)
    assert check("params.model ILIKE 'r%'", run)
    assert check("status = 'RUNNING' OR metrics.acc > 100", run)
    assert check("params.model > 'Q' AND params.model < 'a'", run)  # code point order
    assert matches(None, run)


def test_like_regex() -> None:
    assert like_regex("a%c").fullmatch("abbbc")
    assert like_regex("a_c").fullmatch("abc") and not like_regex("a_c").fullmatch("abbc")
    assert like_regex("50\\%").fullmatch("50%") and not like_regex("50\\%").fullmatch("500")
    assert like_regex("a\\_b").fullmatch("a_b") and not like_regex("a\\_b").fullmatch("axb")
    assert like_regex("a.b*").fullmatch("a.b*") and not like_regex("a.b*").fullmatch("axbb")
    assert like_regex("%\n%").fullmatch("line\nbreak")
    assert like_regex("ab", case_sensitive=False).fullmatch("AB")
    assert like_regex("trailing\\").fullmatch("trailing\\")


def test_sort_runs() -> None:
    runs = [
        make_run("b", 1, {"m": 1.0}),
        make_run("a", 1, {"m": math.nan}),
        make_run("c", 2, {}),
        make_run("d", 3, {"m": 1.0}),
        make_run("e", 0, {"m": 5.0}),
    ]
    ids = lambda found: [r.info.run_id for r in found]  # noqa: E731
    assert ids(sort_runs(runs)) == ["d", "c", "a", "b", "e"]
    assert ids(sort_runs(runs, [OrderKey("metric", "m")])) == ["d", "b", "e", "a", "c"]
    assert ids(sort_runs(runs, [OrderKey("metric", "m", False)])) == ["e", "d", "b", "a", "c"]
    by_m_then_id = [OrderKey("metric", "m"), OrderKey("attribute", "run_id", False)]
    assert ids(sort_runs(runs, by_m_then_id)) == ["d", "b", "e", "a", "c"]
    # naming start_time replaces the start_time tie-break, run_id still breaks ties
    assert ids(sort_runs(runs, [OrderKey("attribute", "start_time")])) == ["e", "a", "b", "c", "d"]


def test_sort_experiments() -> None:
    exps = [
        Experiment(str(i), n, "/x", creation_time=t)
        for i, (n, t) in enumerate([("b", 5), ("a", 5), ("c", 9)])
    ]
    assert [e.name for e in sort_experiments(exps)] == ["c", "b", "a"]
    assert [e.name for e in sort_experiments(exps, [OrderKey("attribute", "name")])] == [
        "a",
        "b",
        "c",
    ]
    tagged = Experiment("9", "t", "/x", tags={"team": "x"})
    assert matches(parse_filter("tags.team = 'x'", "experiments"), tagged)
    assert not matches(parse_filter("creation_time > 0", "experiments"), tagged)


# -- paging ----------------------------------------------------------------------------------


def test_page_tokens_round_trip() -> None:
    for offset in (0, 1, 1000, 10**9):
        assert decode_page_token(encode_page_token(offset)) == offset
    assert decode_page_token(None) == 0
    assert decode_page_token("") == 0


@pytest.mark.parametrize(
    "token", ["junk", "!!!", encode_page_token(-1), "eyJ4IjogMX0=", "bnVsbA==", "\u00e9"]
)
def test_bad_page_tokens(token: str) -> None:
    with pytest.raises(InvalidInputError, match="token from the previous page"):
        decode_page_token(token)


def test_paginate() -> None:
    items = list(range(7))
    first = paginate(items, 3, None)
    assert list(first) == [0, 1, 2] and first.token
    second = paginate(items, 3, first.token)
    third = paginate(items, 3, second.token)
    assert list(second) == [3, 4, 5] and list(third) == [6] and third.token is None
    assert paginate(items, 7, None).token is None


@pytest.mark.parametrize("value", [0, -1, 50_001, 1.5, True, "10"])
def test_max_results_is_checked(value: object) -> None:
    with pytest.raises(InvalidInputError, match="max_results"):
        check_max_results(value)  # type: ignore[arg-type]
    assert check_max_results(50_000) == 50_000
