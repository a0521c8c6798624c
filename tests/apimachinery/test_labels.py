"""Label selectors (``setpoint.apimachinery.labels``): kube's grammar, semantics and exact messages.

Cases follow apimachinery's ``pkg/labels/selector_test.go`` and what kube-apiserver
answers; the runtime's ``setpoint.runtime.labels`` is the same code, which the last
section proves.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.apimachinery.labels import Requirement, Selector, as_selector, everything, nothing, parse
from setpoint.apimachinery.selection import (
    DOES_NOT_EXIST,
    DOUBLE_EQUALS,
    EQUALS,
    EXISTS,
    GREATER_THAN,
    IN,
    LESS_THAN,
    NOT_EQUALS,
    NOT_IN,
    SelectorError,
)
from setpoint.runtime import labels as runtime_labels

NAME_PART = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def label_error(text: str) -> str:
    with pytest.raises(SelectorError) as info:
        parse(text)
    assert isinstance(info.value, ValueError)
    return str(info.value)


# --- label selector grammar --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("   \t", ""),
        ("a=b", "a=b"),
        ("a==b", "a==b"),
        ("a!=b", "a!=b"),
        ("a", "a"),
        ("!a", "!a"),
        ("a>1", "a>1"),
        ("a<10", "a<10"),
        ("a in (x,y)", "a in (x,y)"),
        ("a notin (x)", "a notin (x)"),
        # whitespace tolerant, requirements sorted by key, values sorted and deduplicated
        ("  b = 1 ,a in ( z , y, z ) ,  ! c , d  ", "a in (y,z),b=1,!c,d"),
        ("a=b,a!=c", "a=b,a!=c"),
        # empty values
        ("a=", "a="),
        ("a!=", "a!="),
        ("a=,b", "a=,b"),
        ("a in ()", "a in ()"),
        ("a in (,x)", "a in (,x)"),
        ("a in (x,,y)", "a in (,x,y)"),
        ("a in (x,)", "a in (,x)"),
        # keywords are ordinary identifiers where a key or a value is expected
        ("in in (in)", "in in (in)"),
        ("notin notin (notin)", "notin notin (notin)"),
        ("x=in,in", "in,x=in"),
        ("!notin", "!notin"),
        ("example.com/app=web", "example.com/app=web"),
        ("app.kubernetes.io/name in (a.b, c_d, e-f)", "app.kubernetes.io/name in (a.b,c_d,e-f)"),
        ("a>007", "a>007"),
    ],
)
def test_label_selector_grammar(text: str, canonical: str) -> None:
    sel = parse(text)
    assert str(sel) == canonical
    assert str(parse(canonical)) == canonical


def test_label_selector_requirements() -> None:
    sel = parse("x in (b,a), !y, z, w>3, v==1, u!=2, t notin (q)")
    assert [(r.key, r.operator, r.values) for r in sel.requirements] == [
        ("t", NOT_IN, ("q",)),
        ("u", NOT_EQUALS, ("2",)),
        ("v", DOUBLE_EQUALS, ("1",)),
        ("w", GREATER_THAN, ("3",)),
        ("x", IN, ("a", "b")),
        ("y", DOES_NOT_EXIST, ()),
        ("z", EXISTS, ()),
    ]
    assert parse("a<1").requirements == (Requirement("a", LESS_THAN, ["1"]),)
    assert parse("a=1").requirements == (Requirement("a", EQUALS, ["1"]),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("a=b=c", "found '=', expected: ',' or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a,", "found '', expected: identifier after ','"),
        ("a=b,,c", "found ',', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("!!a", "unable to parse requirement: found '!', expected: identifier"),
        ("a=(", "unable to parse requirement: found '(', expected: identifier"),
        ("a in x", "unable to parse requirement: found 'x' expected: '('"),
        ("a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"),
        ("a in (x,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
        ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
        (
            "a>x",
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, "
            "the value must be an integer",
        ),
        ("a@b=c", 'unable to parse requirement: <nil>: Invalid value: "a@b": ' + NAME_PART),
        ("A_=c", 'unable to parse requirement: <nil>: Invalid value: "A_": ' + NAME_PART),
        (
            "a" * 64,
            'unable to parse requirement: <nil>: Invalid value: "'
            + "a" * 64
            + '": name part must be no more than 63 bytes',
        ),
        ("/a", 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'),
        (
            "a/",
            'unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; '
            + NAME_PART,
        ),
        (
            "a/b/c",
            'unable to parse requirement: <nil>: Invalid value: "a/b/c": a valid label key must consist of '
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
            "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')",
        ),
        (
            "Example.com/a",
            'unable to parse requirement: <nil>: Invalid value: "Example.com/a": prefix part a lowercase RFC '
            "1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
            "end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
        ("a=-b", 'unable to parse requirement: values[0][a]: Invalid value: "-b": ' + LABEL_VALUE),
        ("a>-1", 'unable to parse requirement: values[0][a]: Invalid value: "-1": ' + LABEL_VALUE),
        (
            "a in (-x,-y)",
            'unable to parse requirement: [values[0][a]: Invalid value: "-x": '
            + LABEL_VALUE
            + ', values[1][a]: Invalid value: "-y": '
            + LABEL_VALUE
            + "]",
        ),
        (
            "a=" + "v" * 64,
            'unable to parse requirement: values[0][a]: Invalid value: "'
            + "v" * 64
            + '": must be no more than 63 bytes',
        ),
    ],
)
def test_label_selector_errors(text: str, message: str) -> None:
    assert label_error(text) == message


def test_label_selector_nul_reads_as_separator_like_go() -> None:
    # Go's lexer returns 0 for a NUL byte, which ends the identifier.
    assert (
        label_error("a\x00b")
        == "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
    )


# --- label selector semantics ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("", None, True),
        ("", {"a": "b"}, True),
        ("env=prod", {"env": "prod"}, True),
        ("env=prod", {"env": "dev"}, False),
        ("env=prod", {}, False),
        ("env=prod", None, False),
        ("env==prod", {"env": "prod"}, True),
        ("env!=prod", {"env": "dev"}, True),
        ("env!=prod", {"env": "prod"}, False),
        ("env!=prod", {}, True),  # != matches objects lacking the key
        ("env!=prod", None, True),
        ("env in (prod,dev)", {"env": "dev"}, True),
        ("env in (prod,dev)", {"env": "qa"}, False),
        ("env in (prod,dev)", {}, False),
        ("env notin (prod,dev)", {"env": "qa"}, True),
        ("env notin (prod,dev)", {"env": "prod"}, False),
        ("env notin (prod)", {}, True),  # notin matches objects lacking the key
        ("env", {"env": ""}, True),
        ("env", {}, False),
        ("!env", {}, True),
        ("!env", {"env": "x"}, False),
        ("env=", {"env": ""}, True),
        ("env=", {}, False),
        ("env in ()", {"env": ""}, True),
        ("n>5", {"n": "6"}, True),
        ("n>5", {"n": "5"}, False),
        ("n>5", {"n": "x"}, False),
        ("n>5", {"n": "+7"}, True),
        ("n>5", {"n": "99999999999999999999"}, False),  # out of int64: ParseInt fails
        ("n>5", {}, False),
        ("n<5", {"n": "-3"}, True),
        ("n<5", {"n": "5"}, False),
        ("n<5", {}, False),
        ("a=1,b=2", {"a": "1", "b": "2", "c": "3"}, True),
        ("a=1,b=2", {"a": "1"}, False),
        ("a,!b,c notin (x)", {"a": "1"}, True),
    ],
)
def test_label_selector_matches(text: str, labels: dict[str, str] | None, expected: bool) -> None:
    sel = parse(text)
    assert sel.matches(labels) is expected
    assert all(r.matches(labels or {}) for r in sel.requirements) is expected


def test_label_selector_empty_and_exact_match() -> None:
    assert parse("").empty
    assert everything().empty
    assert not parse("a").empty
    sel = parse("a=1,b in (2),c in (3,4),d!=5")
    assert sel.requires_exact_match("a") == "1"
    assert sel.requires_exact_match("b") == "2"
    assert sel.requires_exact_match("c") is None
    assert sel.requires_exact_match("d") is None
    assert sel.requires_exact_match("zz") is None
    assert sel == parse(" d!=5, c in (4,3), b in (2), a=1")
    assert hash(sel) == hash(parse(str(sel)))


# --- metav1.LabelSelector form -----------------------------------------------


def test_as_selector() -> None:
    none_sel = as_selector(None)
    assert none_sel.nothing and not none_sel.empty
    assert not none_sel.matches({}) and not none_sel.matches({"a": "b"})
    assert str(none_sel) == ""

    all_sel = as_selector({})
    assert all_sel.empty and all_sel.matches({"x": "y"})
    assert as_selector({"matchLabels": {}, "matchExpressions": []}).empty

    sel = as_selector(
        {
            "matchLabels": {"app": "web", "tier": "front"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "zone", "operator": "NotIn", "values": ["z1"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "owner", "operator": "Exists", "values": []},
            ],
        }
    )
    assert str(sel) == "app=web,!canary,env in (dev,prod),owner,tier=front,zone notin (z1)"
    assert sel.matches({"app": "web", "tier": "front", "env": "dev", "owner": "me"})
    assert not sel.matches({"app": "web", "tier": "front", "env": "dev", "owner": "me", "canary": "1"})
    assert not sel.matches({"app": "web", "tier": "front", "env": "dev", "owner": "me", "zone": "z1"})
    assert sel.matches({"app": "web", "tier": "front", "env": "prod", "owner": "", "zone": "z2"})
    assert str(parse(str(sel))) == str(sel)
    assert sel.requires_exact_match("app") == "web"


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "NotIn"}]},
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            'values: Invalid value: ["x"]: values set must be empty for exists and does not exist',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
            '"Gt" is not a valid label selector operator',
        ),
        ({"matchExpressions": [{"key": "a"}]}, '"" is not a valid label selector operator'),
        ({"matchLabels": {"a@b": "x"}}, 'key: Invalid value: "a@b": ' + NAME_PART),
        ({"matchLabels": {"a": "-x"}}, 'values[0][a]: Invalid value: "-x": ' + LABEL_VALUE),
        (
            {"matchLabels": {"a@b": "-x"}},
            '[key: Invalid value: "a@b": '
            + NAME_PART
            + ', values[0][a@b]: Invalid value: "-x": '
            + LABEL_VALUE
            + "]",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["ok", "-x"]}]},
            'values[1][a]: Invalid value: "-x": ' + LABEL_VALUE,
        ),
    ],
)
def test_label_selector_from_dict_errors(selector: dict[str, object], message: str) -> None:
    with pytest.raises(SelectorError) as info:
        as_selector(selector)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "garbage",
    [
        5,
        "a=b",
        [],
        {"matchLabels": "a=b"},
        {"matchLabels": {"a": 1}},
        {"matchLabels": {"a": ["b"]}},
        {"matchExpressions": {"key": "a"}},
        {"matchExpressions": ["a"]},
        {"matchExpressions": [{"key": 1, "operator": "In", "values": ["a"]}]},
        {"matchExpressions": [{"key": "a", "operator": ["In"], "values": ["a"]}]},
        {"matchExpressions": [{"key": "a", "operator": "In", "values": "a"}]},
        {"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]},
    ],
)
def test_label_selector_from_dict_garbage_is_refused(garbage: object) -> None:
    with pytest.raises(SelectorError, match="in body must be of type"):
        as_selector(garbage)


def test_label_selector_from_dict_nulls_read_as_empty() -> None:
    sel = as_selector({"matchLabels": {"a": None}, "matchExpressions": None})
    assert str(sel) == "a="


# --- round trip property -----------------------------------------------------

KEYS = ["a", "b", "in", "notin", "example.com/c", "x.y_z-1", "Up"]
VALUES = ["", "1", "v", "in", "notin", "a.b", "X_y-2"]
INTS = ["0", "1", "5", "10", "007"]


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    key = draw(st.sampled_from(KEYS))
    op = draw(
        st.sampled_from(
            [EQUALS, DOUBLE_EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN]
        )
    )
    if op in (EXISTS, DOES_NOT_EXIST):
        return Requirement(key, op)
    if op in (GREATER_THAN, LESS_THAN):
        return Requirement(key, op, [draw(st.sampled_from(INTS))])
    if op in (IN, NOT_IN):
        return Requirement(key, op, draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=4)))
    return Requirement(key, op, [draw(st.sampled_from(VALUES))])


label_sets = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES + INTS + ["-4", "x"]), max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.lists(requirements(), max_size=5), st.lists(label_sets, min_size=1, max_size=8))
def test_label_selector_round_trip(reqs: list[Requirement], labelsets: list[dict[str, str]]) -> None:
    sel = Selector(reqs)
    text = str(sel)
    parsed = parse(text)
    assert str(parse(str(parsed))) == str(parsed)
    for labels in labelsets:
        assert parsed.matches(labels) == sel.matches(labels)
        assert sel.matches(labels) == all(r.matches(labels) for r in reqs)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab=!(), inotx>1<", max_size=20))
def test_label_parser_never_crashes(text: str) -> None:
    try:
        sel = parse(text)
    except SelectorError as err:
        assert str(err)
    else:
        assert str(parse(str(sel))) == str(sel)


def test_everything_nothing_and_truthiness() -> None:
    assert everything().empty and not everything() and everything().matches(None)
    assert nothing().nothing and nothing() and not nothing().matches({})
    assert nothing() == as_selector(None)
    assert parse("a") and not parse("")
    sel = parse("a=1,b==2,c in (3),d in (4,5),e!=6,f")
    assert sel.equalities() == [("a", "1"), ("b", "2"), ("c", "3")]


# --- the runtime parses with the same code ----------------------------------------

RUNTIME_CASES = [
    "app=web, tier != db,env in (prod,staging),!legacy,team",
    "x in (b,a), !y, z, w>3, v==1, u!=2, t notin (q)",
    "a=",
    "example.com/role in (db,,cache)",
]


@pytest.mark.parametrize("text", RUNTIME_CASES)
def test_runtime_and_server_parse_alike(text: str) -> None:
    server = parse(text)
    client = runtime_labels.parse(text)
    assert client == server and str(client) == str(server)
    for labels in ({}, {"app": "web", "env": "prod", "team": "x"}, {"t": "q", "z": "", "w": "4", "v": "1"},
                   {"a": ""}, {"example.com/role": ""}, {"example.com/role": "web"}):
        assert client.matches(labels) == server.matches(labels)


@pytest.mark.parametrize(("text", "message"), [
    ("app in prod", "unable to parse requirement: found 'prod' expected: '('"),
    ("a@b=c", 'unable to parse requirement: <nil>: Invalid value: "a@b": ' + NAME_PART),
    ("a=-b", 'unable to parse requirement: values[0][a]: Invalid value: "-b": ' + LABEL_VALUE),
    ("(a)", "found '(', expected: !, identifier, or 'end of string'"),
])
def test_runtime_refuses_what_the_server_refuses_with_its_words(text: str, message: str) -> None:
    assert label_error(text) == message
    with pytest.raises(ValueError) as info:
        runtime_labels.parse(text)
    assert str(info.value) == message


def test_runtime_from_label_selector_is_as_selector() -> None:
    spec = {"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}
    assert runtime_labels.from_label_selector(spec) == as_selector(spec)
    assert str(runtime_labels.from_label_selector(spec)) == "app=web,tier notin (db)"
    bad = {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}
    with pytest.raises(SelectorError, match='"Gt" is not a valid label selector operator'):
        runtime_labels.from_label_selector(bad)
    # No selector given selects everything on the runtime side (kube's nil pointer would select nothing).
    assert runtime_labels.from_label_selector(None).matches({}) and runtime_labels.from_label_selector({}).empty
    assert runtime_labels.parse(None) is runtime_labels.EVERYTHING and runtime_labels.parse("  ").empty
