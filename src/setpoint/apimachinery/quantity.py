"""Kube's ``resource.Quantity`` grammar: which strings ``ParseQuantity`` refuses, and why.

A quantity is a signed decimal number and a suffix: a binary SI one (``Ki`` ..
``Ei``), a decimal SI one (``n u m k M G T P E``, or none) or a decimal exponent
(``e3``, ``E-2``). The messages are ``k8s.io/apimachinery/pkg/api/resource``'s.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

__all__ = ["ERR_FORMAT_WRONG", "ERR_NUMERIC", "ERR_SUFFIX", "canonical", "format_of", "parse_error", "value"]

ERR_FORMAT_WRONG: Final = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
ERR_NUMERIC: Final = "unable to parse numeric part of quantity"
ERR_SUFFIX: Final = "unable to parse quantity's suffix"

_DIGITS: Final = frozenset("0123456789")
_SUFFIX_CHARS: Final = frozenset("eEinumkKMGTP")
_SUFFIXES: Final = frozenset({"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"})
_INT64_MAX: Final = (1 << 63) - 1
_MULTIPLIERS: Final[dict[str, Decimal]] = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"), "P": Decimal("1e15"),
    "E": Decimal("1e18"), "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}


def parse_error(text: str) -> str | None:
    """Why ``resource.ParseQuantity(text)`` fails, or None when it parses."""
    if not text:
        return ERR_FORMAT_WRONG
    end = len(text)
    pos = 1 if text[0] in "+-" else 0
    while pos < end and text[pos] == "0":
        pos += 1
    if pos == end:
        return None  # all zeros
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end and text[pos] == ".":
        pos += 1
        while pos < end and text[pos] in _DIGITS:
            pos += 1
    value_end = pos
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        return ERR_FORMAT_WRONG
    suffix = text[suffix_start:]
    if suffix not in _SUFFIXES and not _decimal_exponent(suffix):
        return ERR_SUFFIX
    numeric = text[:value_end].lstrip("+-")
    if not any(c in _DIGITS for c in numeric):
        return ERR_NUMERIC  # "+", "-", "."
    return None


def _decimal_exponent(suffix: str) -> bool:
    """``e<int64>`` / ``E<int64>``, as ``strconv.ParseInt(suffix[1:], 10, 64)`` takes it."""
    if len(suffix) < 2 or suffix[0] not in "eE":
        return False
    digits = suffix[1:]
    sign = digits[0] in "+-"
    body = digits[1:] if sign else digits
    if not body or any(c not in _DIGITS for c in body):
        return False
    return int(body) <= _INT64_MAX + (digits[0] == "-")


def value(text: str) -> Decimal:
    """The exact amount a quantity stands for (``"100m"`` -> 0.1, ``"1Ki"`` -> 1024).

    Raises ``ValueError`` with ``ParseQuantity``'s message when ``text`` is not a quantity.
    """
    err = parse_error(text)
    if err is not None:
        raise ValueError(err)
    if not any(ch in _DIGITS for ch in text):
        return Decimal(0)  # "+" and "-": all zeros after the sign
    i = len(text)
    while text[i - 1] not in _DIGITS and text[i - 1] != ".":
        i -= 1
    # A decimal exponent ends in digits and stays in the number: Decimal reads "1e3" and "2E-2" itself.
    try:
        return Decimal(text[:i]) * _MULTIPLIERS[text[i:]]
    except ArithmeticError as exc:  # an exponent beyond Decimal's range
        raise ValueError(f"quantity {text!r} is out of range") from exc


_BINARY_SUFFIXES: Final = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DECIMAL_SUFFIXES: Final = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}


def format_of(text: str) -> str:
    """The ``Format`` a parsed quantity keeps: ``BinarySI`` (``Ki``...), ``DecimalExponent``
    (``e3``) or ``DecimalSI``."""
    i = len(text)
    while i and text[i - 1] not in _DIGITS and text[i - 1] != ".":
        i -= 1
    suffix = text[i:]
    if suffix in _BINARY_SUFFIXES[1:]:
        return "BinarySI"
    j = i
    while j and (text[j - 1] in _DIGITS or text[j - 1] in "+-"):
        j -= 1
    if j and text[j - 1] in "eE" and j - 1 > 0:
        return "DecimalExponent"
    return "DecimalSI"


def canonical(amount: Decimal, fmt: str = "DecimalSI") -> str:
    """``Quantity.String()`` of ``amount`` in format ``fmt`` (kube's ``CanonicalizeBytes``):
    the largest suffix that keeps the number whole, rounded up to nano units."""
    if amount == 0:
        return "0"
    if fmt == "BinarySI" and not (-1024 < amount < 1024) and amount == amount.to_integral_value():
        number, exp = int(amount), 0
        while number % 1024 == 0 and exp < len(_BINARY_SUFFIXES) - 1:
            number //= 1024
            exp += 1
        return f"{number}{_BINARY_SUFFIXES[exp]}"
    scaled = amount * 1_000_000_000
    number = int(scaled.to_integral_value(rounding="ROUND_CEILING" if amount > 0 else "ROUND_FLOOR"))
    exp = -9
    while number % 10 == 0:
        number //= 10
        exp += 1
    while exp % 3:
        number *= 10
        exp -= 1
    if fmt == "DecimalExponent":
        return f"{number}e{exp}" if exp else str(number)
    suffix = _DECIMAL_SUFFIXES.get(exp)
    return f"{number}{suffix}" if suffix is not None else f"{number}e{exp}"
