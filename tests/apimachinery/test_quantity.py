"""``resource.ParseQuantity``: what it refuses, with its own messages (cases from kube's quantity_test.go)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from setpoint.apimachinery import quantity
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


@pytest.mark.parametrize(("text", "amount"), [
    ("100m", Decimal("0.1")), ("1", Decimal(1)), ("1Ki", Decimal(1024)), ("64Mi", Decimal(64 * 2**20)),
    ("1Gi", Decimal(2**30)), ("0.5", Decimal("0.5")), (".5Gi", Decimal(2**29)), ("1e3", Decimal(1000)),
    ("2E-2", Decimal("0.02")), ("+1.5k", Decimal(1500)), ("-3", Decimal(-3)), ("0", Decimal(0)),
    ("5E", Decimal(5 * 10**18)), ("1u", Decimal("0.000001")), ("+", Decimal(0)), ("-0", Decimal(0)),
])
def test_value(text: str, amount: Decimal) -> None:
    assert quantity.value(text) == amount


def test_value_refuses_what_parse_quantity_refuses() -> None:
    with pytest.raises(ValueError, match="quantities must match the regular expression"):
        quantity.value("1x")
    with pytest.raises(ValueError, match="out of range"):
        quantity.value("1e9223372036854775807")
