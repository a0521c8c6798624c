"""Go's regular expressions: RE2 syntax and matching, Go's error messages (regexp/syntax)."""

from __future__ import annotations

import pytest

from setpoint.apimachinery import goregexp


@pytest.mark.parametrize("pattern,text,found", [
    ("^(?i)(abort|warn)?$", "WARN", True),  # prometheus-operator's PrometheusRule
    ("^(?i)(abort|warn)?$", "stop", False),
    ("^((?i)january|february)$", "JANUARY", True),  # AlertmanagerConfig: flags inside a group
    ("^((?i)january|february)$", "FEBRUARY", True),  # the flag holds to the group's end
    ("^(a(?i)b)c$", "aBC", False),
    (r"^\d+\z", "12", True),
    (r"\pL+", "é", True),
    (r"^[[:alpha:]]+$", "abc", True),
    (r"(?P<x>a)(?<y>b)", "ab", True),
    (r"\Qa.b\E", "a.b", True),
    (r"\Qa.b\E", "axb", False),
    ("(a+)+$", "a" * 5000 + "b", False),  # linear time: no catastrophic backtracking
])
def test_matches_as_go(pattern: str, text: str, found: bool) -> None:
    assert (goregexp.compile(pattern).search(text) is not None) is found


@pytest.mark.parametrize("pattern,message", [
    # Go's regexp/syntax ErrorCode texts and the offending fragment.
    ("(abc", "missing closing ): `(abc`"),
    ("[a", "missing closing ]: `[a`"),
    ("a)", "unexpected ): `a)`"),
    ("a\\", "trailing backslash at end of expression: ``"),
    ("*a", "missing argument to repetition operator: `*`"),
    ("a{1001}", "invalid repeat count: `{1001}`"),
    ("a**", "invalid nested repetition operator: `**`"),
    ("\\8", "invalid escape sequence: `\\8`"),
    ("\\C", "invalid escape sequence: `\\C`"),
    ("[z-a]", "invalid character class range: `z-a`"),
    ("(?P<>a)", "invalid named capture: `(?P<>`"),
    ("(?<x", "invalid named capture: `(?<x`"),
])
def test_errors_in_go_words(pattern: str, message: str) -> None:
    with pytest.raises(goregexp.GoRegexpError) as exc:
        goregexp.compile(pattern)
    assert str(exc.value) == f"error parsing regexp: {message}"


def test_compiled_once() -> None:
    assert goregexp.compile("^a+$") is goregexp.compile("^a+$")
