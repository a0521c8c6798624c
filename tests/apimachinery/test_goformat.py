"""Go's formatting of decoded JSON values, checked against Go's and kube's own test tables.

Each table cites the Go test it is taken from; the Go values are the decoded-JSON
types these functions stand for (float64, int64, string, bool, nil,
``map[string]interface {}``, ``[]interface {}``).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setpoint.apimachinery.goformat import (
    duration,
    field_value,
    format_float,
    json_marshal,
    quote,
    reflect_type_s,
    sharp_v,
    type_name,
    verb_s,
    verb_v,
)

# --- strconv.FormatFloat(f, 'g', -1, 64) ----------------------------------------------

# golang/go src/strconv/ftoa_test.go, ftoatests: every {f, 'g', -1, s} row.
FTOA_G_SHORTEST = [
    (1.0, "1"),
    (20.0, "20"),
    (1234567.8, "1.2345678e+06"),
    (200000.0, "200000"),
    (2000000.0, "2e+06"),
    (0.0, "0"),
    (-1.0, "-1"),
    (12.0, "12"),
    (123456700.0, "1.234567e+08"),
    (1e23, "1e+23"),
    (99999999999999974834176.0, "9.999999999999997e+22"),  # below1e23
    (100000000000000008388608.0, "1.0000000000000001e+23"),  # above1e23
    (5e-304 / 1e20, "5e-324"),
    (-5e-304 / 1e20, "-5e-324"),
    (32.0, "32"),
    (float("nan"), "NaN"),
    (-float("nan"), "NaN"),
    (float("inf"), "+Inf"),
    (-float("inf"), "-Inf"),
    (2.2250738585072012e-308, "2.2250738585072014e-308"),
    (2.2250738585072011e-308, "2.225073858507201e-308"),
    (383260575764816448.0, "3.8326057576481645e+17"),  # Issue 2625
    (-5.8339553793802237e23, "-5.8339553793802237e+23"),  # Issue 29491
]

# golang/go src/fmt/fmt_test.go, fmtTests: %v and %g of float64, which use the same digits.
FMT_FLOATS = [
    (1.2345678, "1.2345678"),  # {"%v", 1.2345678, ...}
    (1234.5678e3, "1.2345678e+06"),  # {"%g", 1234.5678e3, ...}
    (1234.5678e-8, "1.2345678e-05"),
    (-7.0, "-7"),
    (-1e-9, "-1e-09"),
    (1.23456789e3, "1234.56789"),
    (1.23456789e-3, "0.00123456789"),
    (1.23456789e20, "1.23456789e+20"),
]

# Values kube prints in CRD schema messages (setpoint's own earlier cases, Go-checked):
# the switch to exponent form at 1e+06 and below 1e-04, and -0.
MORE_FLOATS = [(100.0, "100"), (123456.0, "123456"), (0.0001, "0.0001"), (0.00001, "1e-05"),
               (2.5e-7, "2.5e-07"), (-0.0, "-0"), (1e21, "1e+21"), (1e100, "1e+100")]


@pytest.mark.parametrize(("value", "text"), FTOA_G_SHORTEST + FMT_FLOATS + MORE_FLOATS)
def test_format_float(value: float, text: str) -> None:
    assert format_float(value) == text
    assert verb_v(value) == text  # %v of a float64 is FormatFloat(f, 'g', -1, 64)


# --- strconv.Quote ---------------------------------------------------------------------

# golang/go src/strconv/quote_test.go, quotetests (the "out" column; "abc\xffdef" has no
# Python str: a decoded JSON string is valid Unicode), then fmt_test.go's %q rows.
QUOTES = [
    ("\a\b\f\r\n\t\v", '"\\a\\b\\f\\r\\n\\t\\v"'),
    ("\\", '"\\\\"'),
    ("\u263a", '"☺"'),
    ("\U0010ffff", '"\\U0010ffff"'),
    ("\x04", '"\\x04"'),
    ("!\u00a0!\u2000!\u3000!", '"!\\u00a0!\\u2000!\\u3000!"'),
    ("", '""'),
    ('"', '"\\""'),
    ("`", '"`"'),
    ("\n", '"\\n"'),
    ("\\n", '"\\\\n"'),
    ("abc", '"abc"'),
    ("日本語", '"日本語"'),
    ("\a\b\f\n\r\t\v\"\\", '"\\a\\b\\f\\n\\r\\t\\v\\"\\\\"'),
    ("☺", '"☺"'),
    ("\ufffd", '"�"'),
    # and what setpoint relied on before: DEL, U+2028, a non-printable plane-14 tag
    ("\n\t\x01\x7f", '"\\n\\t\\x01\\x7f"'),
    ("é\u2028\U0001f600\U000e0001", '"é\\u2028\U0001f600\\U000e0001"'),
]


@pytest.mark.parametrize(("text", "quoted"), QUOTES)
def test_quote(text: str, quoted: str) -> None:
    assert quote(text) == quoted


def test_quote_lone_surrogate_prints_replacement_char() -> None:
    # encoding/json decodes a lone \ud800 escape to U+FFFD, so Go has U+FFFD to quote.
    assert quote("a\ud800b") == '"a\ufffdb"'


# --- fmt verbs on decoded JSON -----------------------------------------------------------

# golang/go src/fmt/fmt_test.go, fmtTests: %v of an []interface{} {1, "hello", 2.5, nil}
# prints "[1 hello 2.5 <nil>]"; %#v prints `[]interface {}{1, "hello", 2.5, interface {}(nil)}`
# (here as a slice, Go's test uses a [4]array); "%v" nil is "<nil>", and so is "%#v" nil.
ISLICE: list[Any] = [1, "hello", 2.5, None]


def test_verb_v() -> None:
    assert verb_v(ISLICE) == "[1 hello 2.5 <nil>]"
    assert verb_v(None) == "<nil>"
    assert verb_v(12345) == "12345"
    assert verb_v(True) == "true"
    # fmt prints maps sorted by key: fmt_test.go TestMapPrinter / "map[a:1 b:2]"
    assert verb_v({"b": 2, "a": 1}) == "map[a:1 b:2]"
    assert verb_v({"k": [1, {"x": None}], "e": {}}) == "map[e:map[] k:[1 map[x:<nil>]]]"


def test_sharp_v() -> None:
    assert sharp_v(ISLICE) == '[]interface {}{1, "hello", 2.5, interface {}(nil)}'
    assert sharp_v(None) == "<nil>"
    assert sharp_v("foo") == '"foo"'  # {"%#v", "foo", `"foo"`}
    assert sharp_v(1.0) == "1"  # whole floats print without decimals (Issue 27634)
    assert sharp_v(1000000.0) == "1e+06"
    assert sharp_v(1.2345678) == "1.2345678"
    assert sharp_v(1000000000) == "1000000000"
    # {"%#v", map[string]int{"a": 1}, `map[string]int{"a":1}`}, as map[string]interface {}
    assert sharp_v({"b": [], "a": 1}) == 'map[string]interface {}{"a":1, "b":[]interface {}{}}'


def test_verb_s_bad_verb_forms() -> None:
    # fmt_test.go's bad-verb rows, with %s bad for everything but strings:
    # {"%☠", int(0), "%!☠(int=0)"}, {"%☠", 1.2345678, "%!☠(float64=1.2345678)"},
    # {"%☠", nil, "%!☠(<nil>)"}; the bad verb recurses into slices and maps:
    # {"%☠", []byte{0, 1}, "[%!☠(uint8=0) %!☠(uint8=1)]"},
    # {"%☠", map[float64]int{NaN: 1}, "map[%!☠(float64=NaN):%!☠(int=1)]"}.
    assert verb_s("hello") == "hello"
    assert verb_s(1) == "%!s(int64=1)"
    assert verb_s(1.2345678) == "%!s(float64=1.2345678)"
    assert verb_s(True) == "%!s(bool=true)"
    assert verb_s(None) == "%!s(<nil>)"
    assert verb_s([0, "x"]) == "[%!s(int64=0) x]"
    assert verb_s({"b": 1, "a": "x"}) == "map[a:x b:%!s(int64=1)]"


@pytest.mark.parametrize(("value", "name"), [
    ({}, "map[string]interface {}"), ([], "[]interface {}"), ("", "string"), (True, "bool"),
    (1, "int64"), (1.5, "float64"),
])
def test_type_names(value: Any, name: str) -> None:
    assert type_name(value) == name
    assert reflect_type_s(value) == name


def test_nil_type_differs_by_go_call() -> None:
    # fmt_test.go: {"%10T", nil, "     <nil>"} -- %T of nil is <nil> (unstructured.NestedInt64's
    # "is of the type %T"); reflect.TypeOf(nil) is a nil reflect.Type, which %s prints as
    # {"%☠", nil, "%!☠(<nil>)"} does (mergepatch.ErrBadArgType's "received a %s").
    assert type_name(None) == "<nil>"
    assert reflect_type_s(None) == "%!s(<nil>)"


# --- json.Marshal and field.Error values -------------------------------------------------

# kubernetes/apimachinery pkg/util/validation/field/errors_test.go, TestErrorFormatting:
# the bad value of "path.to.field: Invalid value: <value>: the details".
FIELD_VALUES = [
    ("the value", '"the value"'),  # invalid string
    (-42, "-42"),  # invalid int
    (True, "true"),  # invalid bool
    (["one", "two", "three"], '["one","two","three"]'),  # invalid list
    ({"one": 1, "two": 2, "three": 3}, '{"one":1,"three":3,"two":2}'),  # invalid map: keys sorted
    (None, "null"),  # invalid untyped nil
    (1.5, "1.5"),
    (1e6, "1e+06"),  # float64 with %v
]


@pytest.mark.parametrize(("value", "text"), FIELD_VALUES)
def test_field_value(value: Any, text: str) -> None:
    assert field_value(value) == text


def test_field_value_of_a_struct_keeps_field_order() -> None:
    # TestErrorFormatting's "invalid struct": {"stringField":"stringval","intField":9376,"boolField":true}
    struct = {"stringField": "stringval", "intField": 9376, "boolField": True}
    assert field_value(struct, structs=True) == '{"stringField":"stringval","intField":9376,"boolField":true}'


def test_json_marshal_go_forms() -> None:
    # encoding/json's encoder (encode.go: floatEncoder and appendString): HTML-safe escaping,
    # float64 in 'f' form from 1e-6 up to 1e21, 'e' outside it with e-07 shortened to e-7.
    assert json_marshal("<a&b>") == '"\\u003ca\\u0026b\\u003e"'
    assert json_marshal("\u2028") == '"\\u2028"'
    assert json_marshal([1.0, 1e20, 1e21, 1e-6, 1e-7, 0.5, -0.0, 123456789.0]) == \
        "[1,100000000000000000000,1e+21,0.000001,1e-7,0.5,-0,123456789]"
    assert json_marshal({"b": None, "a": {"y": 1, "x": "é"}}) == '{"a":{"x":"é","y":1},"b":null}'
    with pytest.raises(ValueError, match="json: unsupported value: NaN"):
        json_marshal(float("nan"))


# --- time.Duration.String ----------------------------------------------------------------

# golang/go src/time/time_test.go, durationTests (positive rows also checked negated).
DURATIONS = [
    ("0s", 0),
    ("1ns", 1),
    ("1.1µs", 1100),
    ("2.2ms", 2_200_000),
    ("3.3s", 3_300_000_000),
    ("4m5s", (4 * 60 + 5) * 10**9),
    ("4m5.001s", 4 * 60 * 10**9 + 5001 * 10**6),
    ("5h6m7.001s", (5 * 3600 + 6 * 60) * 10**9 + 7001 * 10**6),
    ("8m0.000000001s", 8 * 60 * 10**9 + 1),
    ("2562047h47m16.854775807s", (1 << 63) - 1),
    ("-2562047h47m16.854775808s", -(1 << 63)),
]


@pytest.mark.parametrize(("text", "nanos"), DURATIONS)
def test_duration(text: str, nanos: int) -> None:
    assert duration(nanos) == text
    if nanos > 0:
        assert duration(-nanos) == "-" + text


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_float_reads_back_and_switches_form_where_go_does(value: float) -> None:
    text = format_float(value)
    assert float(text) == value
    assert ("e" in text) == (value != 0 and not 1e-4 <= abs(value) < 1e6)  # %e below 1e-4 and from 1e+06
    assert float(json_marshal(value)) == value
