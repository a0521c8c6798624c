"""Kube's ``resource.Quantity`` grammar: which strings ``ParseQuantity`` refuses, and why.

A quantity is a signed decimal number and a suffix: a binary SI one (``Ki`` ..
``Ei``), a decimal SI one (``n u m k M G T P E``, or none) or a decimal exponent
(``e3``, ``E-2``). The messages are ``k8s.io/apimachinery/pkg/api/resource``'s.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ERR_FORMAT_WRONG", "ERR_NUMERIC", "ERR_SUFFIX", "parse_error"]

ERR_FORMAT_WRONG: Final = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
ERR_NUMERIC: Final = "unable to parse numeric part of quantity"
ERR_SUFFIX: Final = "unable to parse quantity's suffix"

_DIGITS: Final = frozenset("0123456789")
_SUFFIX_CHARS: Final = frozenset("eEinumkKMGTP")
_SUFFIXES: Final = frozenset({"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"})
_INT64_MAX: Final = (1 << 63) - 1


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
