"""Field selectors (``setpoint.apimachinery.fields``): kube's grammar, semantics and exact messages.

Cases follow apimachinery's ``pkg/fields/selector_test.go`` and what kube-apiserver answers.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.apimachinery.fields import Requirement, Selector, escape_value, parse, unescape_value
from setpoint.apimachinery.selection import EQUALS, NOT_EQUALS, SelectorError


def field_error(text: str) -> str:
    with pytest.raises(SelectorError) as info:
        parse(text)
    return str(info.value)


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
    sel = parse(text)
    assert [(r.field, r.operator, r.value) for r in sel.requirements] == reqs
    assert str(sel) == canonical
    assert parse(canonical) == sel
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
    assert escape_value("a\\b,c=d") == "a\\\\b\\,c\\=d"
    assert unescape_value("a\\\\b\\,c\\=d") == "a\\b,c=d"
    assert unescape_value("plain") == "plain"


def test_field_selector_matches() -> None:
    sel = parse("metadata.name=a,status.phase!=Running")
    assert sel.matches({"metadata.name": "a", "status.phase": "Pending"})
    assert sel.matches({"metadata.name": "a"})  # a missing field reads as ""
    assert not sel.matches({"metadata.name": "a", "status.phase": "Running"})
    assert not sel.matches({"metadata.name": "b"})
    assert parse("spec.nodeName=").matches({})
    assert not parse("spec.nodeName!=").matches({})
    assert parse("").matches({})
    assert sel.requires_exact_match("metadata.name") == "a"
    assert sel.requires_exact_match("status.phase") is None


field_names = st.text(alphabet="abc.xyz", min_size=1, max_size=6)
field_values = st.text(alphabet="ab=,\\!x ", max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(field_names, st.sampled_from([EQUALS, NOT_EQUALS]), field_values), max_size=4),
    st.lists(st.dictionaries(field_names, field_values, max_size=4), min_size=1, max_size=5),
)
def test_field_selector_round_trip(terms: list[tuple[str, str, str]], objects: list[dict[str, str]]) -> None:
    sel = Selector(Requirement(f, op, v) for f, op, v in terms)
    parsed = parse(str(sel))
    assert sorted(map(repr, parsed.requirements)) == sorted(map(repr, sel.requirements))
    assert str(parse(str(parsed))) == str(parsed)
    for fields in objects:
        assert parsed.matches(fields) == sel.matches(fields)
