"""``resource.ParseQuantity``: what it refuses, with its own messages (cases from kube's quantity_test.go)."""

from __future__ import annotations

import pytest

from setpoint.apimachinery.quantity import ERR_FORMAT_WRONG, ERR_NUMERIC, ERR_SUFFIX, parse_error


@pytest.mark.parametrize("text", [
    "0", "-0", "+0", "000", "1", "100m", "1.5", ".5", "1.", "1.G", "-1Ki", "5Gi", "0.1Ei", "1e3", "1E-3", "1e+3",
    "12345678901234567890", "100n", "100u", "1k", "1M", "1T", "1P", "1E", "1e9223372036854775807",
    "+",  # all zeros after the sign: 0
])
def test_parses(text: str) -> None:
    assert parse_error(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("", ERR_FORMAT_WRONG),
    ("1.5.5", ERR_FORMAT_WRONG),
    ("1 core", ERR_FORMAT_WRONG),
    ("abc", ERR_FORMAT_WRONG),
    ("1Gi ", ERR_FORMAT_WRONG),
    ("1ee", ERR_SUFFIX),
    ("5ii", ERR_SUFFIX),
    ("1KiB", ERR_FORMAT_WRONG),
    ("1e", ERR_SUFFIX),
    ("1e9223372036854775808", ERR_SUFFIX),  # exponent beyond int64
    (".", ERR_NUMERIC),
    ("-.", ERR_NUMERIC),
])
def test_refuses(text: str, expected: str) -> None:
    assert parse_error(text) == expected
