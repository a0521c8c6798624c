"""Label and field selectors: kube's grammar, semantics and exact error messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.apimachinery.selectors import (
    DOES_NOT_EXIST,
    DOUBLE_EQUALS,
    EQUALS,
    EXISTS,
    GREATER_THAN,
    IN,
    LESS_THAN,
    NOT_EQUALS,
    NOT_IN,
    FieldRequirement,
    FieldSelector,
    LabelSelector,
    Requirement,
    escape_field_value,
    field_label_not_supported,
    label_selector_from_dict,
    parse_field_selector,
    parse_label_selector,
    unescape_field_value,
)
from setpoint.apiserver.encoding.errors import StatusError

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
    with pytest.raises(StatusError) as info:
        parse_label_selector(text)
    err = info.value
    assert err.code == 400
    assert err.reason == "BadRequest"
    assert err.status()["message"] == err.message
    return err.message


def field_error(text: str) -> str:
    with pytest.raises(StatusError) as info:
        parse_field_selector(text)
    assert info.value.code == 400
    assert info.value.reason == "BadRequest"
    return info.value.message


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
    sel = parse_label_selector(text)
    assert str(sel) == canonical
    assert str(parse_label_selector(canonical)) == canonical


def test_label_selector_requirements() -> None:
    sel = parse_label_selector("x in (b,a), !y, z, w>3, v==1, u!=2, t notin (q)")
    assert [(r.key, r.operator, r.values) for r in sel.requirements] == [
        ("t", NOT_IN, ("q",)),
        ("u", NOT_EQUALS, ("2",)),
        ("v", DOUBLE_EQUALS, ("1",)),
        ("w", GREATER_THAN, ("3",)),
        ("x", IN, ("a", "b")),
        ("y", DOES_NOT_EXIST, ()),
        ("z", EXISTS, ()),
    ]
    assert parse_label_selector("a<1").requirements == (Requirement("a", LESS_THAN, ["1"]),)
    assert parse_label_selector("a=1").requirements == (Requirement("a", EQUALS, ["1"]),)


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
    sel = parse_label_selector(text)
    assert sel.matches(labels) is expected
    assert all(r.matches(labels or {}) for r in sel.requirements) is expected


def test_label_selector_empty_and_exact_match() -> None:
    assert parse_label_selector("").empty
    assert LabelSelector.everything().empty
    assert not parse_label_selector("a").empty
    sel = parse_label_selector("a=1,b in (2),c in (3,4),d!=5")
    assert sel.requires_exact_match("a") == "1"
    assert sel.requires_exact_match("b") == "2"
    assert sel.requires_exact_match("c") is None
    assert sel.requires_exact_match("d") is None
    assert sel.requires_exact_match("zz") is None
    assert sel == parse_label_selector(" d!=5, c in (4,3), b in (2), a=1")
    assert hash(sel) == hash(parse_label_selector(str(sel)))


# --- metav1.LabelSelector form -----------------------------------------------


def test_label_selector_from_dict() -> None:
    nothing = label_selector_from_dict(None)
    assert nothing.nothing and not nothing.empty
    assert not nothing.matches({}) and not nothing.matches({"a": "b"})
    assert str(nothing) == ""

    everything = label_selector_from_dict({})
    assert everything.empty and everything.matches({"x": "y"})
    assert label_selector_from_dict({"matchLabels": {}, "matchExpressions": []}).empty

    sel = label_selector_from_dict(
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
    assert str(parse_label_selector(str(sel))) == str(sel)
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
    with pytest.raises(StatusError) as info:
        label_selector_from_dict(selector)
    assert info.value.code == 400
    assert info.value.reason == "BadRequest"
    assert info.value.message == message


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
def test_label_selector_from_dict_garbage_is_a_bad_request(garbage: object) -> None:
    with pytest.raises(StatusError) as info:
        label_selector_from_dict(garbage)
    assert info.value.code == 400
    assert info.value.reason == "BadRequest"


def test_label_selector_from_dict_nulls_read_as_empty() -> None:
    sel = label_selector_from_dict({"matchLabels": {"a": None}, "matchExpressions": None})
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
    sel = LabelSelector(reqs)
    text = str(sel)
    parsed = parse_label_selector(text)
    assert str(parse_label_selector(str(parsed))) == str(parsed)
    for labels in labelsets:
        assert parsed.matches(labels) == sel.matches(labels)
        assert sel.matches(labels) == all(r.matches(labels) for r in reqs)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab=!(), inotx>1<", max_size=20))
def test_label_parser_never_crashes(text: str) -> None:
    try:
        sel = parse_label_selector(text)
    except StatusError as err:
        assert err.code == 400
    else:
        assert str(parse_label_selector(str(sel))) == str(sel)


# --- field selectors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reqs", "canonical"),
    [
        ("", [], ""),
        ("a=b", [("a", "=", "b")], "a=b"),
        ("a==b", [("a", "=", "b")], "a=b"),
        ("a!=b", [("a", "!=", "b")], "a!=b"),
        ("b=1,a==2,c!=3", [("a", "=", "2"), ("b", "=", "1"), ("c", "!=", "3")], "a=2,b=1,c!=3"),
        ("a=b,", [("a", "=", "b")], "a=b"),
        (",,a=b", [("a", "=", "b")], "a=b"),
        ("a=", [("a", "=", "")], "a="),
        ("=", [], ""),  # empty field and value selects everything and is dropped
        ("a=b\\,c,d=e", [("a", "=", "b,c"), ("d", "=", "e")], "a=b\\,c,d=e"),
        ("a=b\\=c", [("a", "=", "b=c")], "a=b\\=c"),
        ("a=b\\\\c", [("a", "=", "b\\c")], "a=b\\\\c"),
        ("a!=\\=x", [("a", "!=", "=x")], "a!=\\=x"),
        ("spec.nodeName=", [("spec.nodeName", "=", "")], "spec.nodeName="),
    ],
)
def test_field_selector_grammar(text: str, reqs: list[tuple[str, str, str]], canonical: str) -> None:
    sel = parse_field_selector(text)
    assert [(r.field, r.operator, r.value) for r in sel.requirements] == reqs
    assert str(sel) == canonical
    assert parse_field_selector(canonical) == sel
    assert sel.empty == (not reqs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a", "invalid selector: 'a'; can't understand 'a'"),
        ("x=1,abc", "invalid selector: 'x=1,abc'; can't understand 'abc'"),
        ("a=b=c", "invalid field selector: unescaped character in value: 61"),
        ("a=b\\,c,d=e,f=g,h", "invalid selector: 'a=b\\,c,d=e,f=g,h'; can't understand 'h'"),
        ("a==b,c", "invalid selector: 'a==b,c'; can't understand 'c'"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
        ("a=\\x", "invalid field selector: invalid escape sequence: \\x"),
    ],
)
def test_field_selector_errors(text: str, message: str) -> None:
    assert field_error(text) == message


def test_field_value_escaping() -> None:
    assert escape_field_value("a\\b,c=d") == "a\\\\b\\,c\\=d"
    assert unescape_field_value("a\\\\b\\,c\\=d") == "a\\b,c=d"
    assert unescape_field_value("plain") == "plain"


def test_field_selector_matches() -> None:
    sel = parse_field_selector("metadata.name=a,status.phase!=Running")
    assert sel.matches({"metadata.name": "a", "status.phase": "Pending"})
    assert sel.matches({"metadata.name": "a"})  # a missing field reads as ""
    assert not sel.matches({"metadata.name": "a", "status.phase": "Running"})
    assert not sel.matches({"metadata.name": "b"})
    assert parse_field_selector("spec.nodeName=").matches({})
    assert not parse_field_selector("spec.nodeName!=").matches({})
    assert parse_field_selector("").matches({})
    assert sel.requires_exact_match("metadata.name") == "a"
    assert sel.requires_exact_match("status.phase") is None


POD_FIELDS = {"metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"}


def test_field_selector_check() -> None:
    sel = parse_field_selector("metadata.name=a,spec.host=n1")
    checked = sel.check(POD_FIELDS, "Pod", aliases={"spec.host": "spec.nodeName"})
    assert str(checked) == "metadata.name=a,spec.nodeName=n1"
    assert checked.requirements[1] == FieldRequirement("spec.nodeName", "=", "n1")
    assert parse_field_selector("").check(set(), "Pod").empty


@pytest.mark.parametrize(
    ("kind", "kwargs", "allowed", "message"),
    [
        ("Pod", {}, POD_FIELDS, "field label not supported: spec.bogus"),
        ("Node", {}, {"metadata.name", "spec.unschedulable"}, "field label not supported: spec.bogus"),
        ("Event", {"group": "events.k8s.io"}, {"metadata.name"}, "field label not supported: spec.bogus"),
        (
            "Job",
            {},
            {"metadata.name", "metadata.namespace", "status.successful"},
            'field label "spec.bogus" not supported for batchv1.Job',
        ),
        (
            "ResourceSlice",
            {"version": "v1"},
            {"metadata.name"},
            "field label not supported for resource.k8s.io/v1, Kind=ResourceSlice: spec.bogus",
        ),
        # a built-in kind with no conversion func: DefaultMetaV1FieldSelectorConversion
        (
            "ConfigMap",
            {},
            {"metadata.name", "metadata.namespace"},
            '"spec.bogus" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        (
            "Deployment",
            {"group": "apps"},
            {"metadata.name", "metadata.namespace"},
            '"spec.bogus" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        (
            "generic",
            {},
            {"metadata.name", "metadata.namespace"},
            '"spec.bogus" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        # custom resources: crConverter
        (
            "Widget",
            {"custom": True},
            {"metadata.name", "metadata.namespace"},
            "field label not supported: spec.bogus",
        ),
        ("crd", {}, {"metadata.name"}, "field label not supported: spec.bogus"),
        ("Widget", {}, {"metadata.name", "spec.color"}, "field label not supported: spec.bogus"),
    ],
)
def test_field_selector_unsupported_field(
    kind: str, kwargs: dict[str, object], allowed: set[str], message: str
) -> None:
    sel = parse_field_selector("metadata.name=x,spec.bogus=1")
    with pytest.raises(StatusError) as info:
        sel.check(allowed, kind, **kwargs)  # type: ignore[arg-type]
    assert info.value.code == 400
    assert info.value.reason == "BadRequest"
    assert info.value.message == message


def test_field_label_not_supported_quotes_like_go() -> None:
    assert field_label_not_supported('a"b', "generic") == (
        '"a\\"b" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )


def test_field_selector_check_reports_first_sorted_term() -> None:
    sel = parse_field_selector("z.bad=1,b.bad=2")
    with pytest.raises(StatusError) as info:
        sel.check({"metadata.name"}, "Pod")
    assert info.value.message == "field label not supported: b.bad"


field_names = st.text(alphabet="abc.xyz", min_size=1, max_size=6)
field_values = st.text(alphabet="ab=,\\!x ", max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(field_names, st.sampled_from([EQUALS, NOT_EQUALS]), field_values), max_size=4),
    st.lists(st.dictionaries(field_names, field_values, max_size=4), min_size=1, max_size=5),
)
def test_field_selector_round_trip(terms: list[tuple[str, str, str]], objects: list[dict[str, str]]) -> None:
    sel = FieldSelector(FieldRequirement(f, op, v) for f, op, v in terms)
    parsed = parse_field_selector(str(sel))
    assert sorted(map(repr, parsed.requirements)) == sorted(map(repr, sel.requirements))
    assert str(parse_field_selector(str(parsed))) == str(parsed)
    for fields in objects:
        assert parsed.matches(fields) == sel.matches(fields)
