"""Go's formatting of decoded JSON values, so that messages read exactly as kube's.

Kube-apiserver builds many error messages with ``fmt`` and ``strconv`` from values
that ``encoding/json`` decoded into ``interface{}``: objects are
``map[string]interface {}``, arrays ``[]interface {}``, integers ``int64`` (kube's
decoder keeps integers), other numbers ``float64``, ``null`` is a nil interface.
Each function here copies one Go call on such a value (named in its docstring);
Python's ``dict``, ``list``, ``str``, ``bool``, ``int``, ``float`` and ``None`` stand
for those types. Go prints maps with their keys sorted, and so do these.

Where two Go calls differ only on ``nil`` (``%T`` prints ``<nil>``, ``%s`` of a nil
``reflect.Type`` prints ``%!s(<nil>)``) they are separate functions: pick the one
whose Go call the kube code site makes.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any, Final

import orjson

__all__ = [
    "duration",
    "field_value",
    "format_float",
    "is_print",
    "json_kind",
    "json_marshal",
    "quote",
    "reflect_type_s",
    "sharp_v",
    "type_name",
    "verb_s",
    "verb_v",
]


def _shortest(value: float) -> tuple[str, int]:
    """The shortest digits that read back as ``abs(value)`` (as Go's ``ryu``; ``repr`` finds the
    same), and the decimal point's position: ``value = 0.<digits> * 10**point``."""
    mantissa, _, exp_text = repr(abs(float(value))).partition("e")
    int_part, _, frac = mantissa.partition(".")
    digits = int_part + frac
    significant = digits.lstrip("0")
    point = len(int_part) + (int(exp_text) if exp_text else 0) - (len(digits) - len(significant))
    return significant.rstrip("0") or "0", point


def _positional(digits: str, point: int) -> str:
    """Digits with the point placed, no exponent (``strconv`` ``'f'`` with the shortest precision)."""
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def format_float(value: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 64)``, which is also what ``%v`` prints for a float64.

    The shortest decimal that reads back as ``f``, in exponent form when its exponent
    is below -4 or at least 6 (Go's threshold for the shortest precision):
    ``100000``, ``1e+06``, ``0.0001``, ``1e-05``, ``1.5``, ``-0``, ``+Inf``, ``NaN``.
    """
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    digits, point = _shortest(value)
    exp = point - 1
    if exp < -4 or exp >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return sign + _positional(digits, point)


# --- strconv.Quote ---------------------------------------------------------------------

_ESCAPES: Final = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def is_print(ch: str) -> bool:
    """``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols and the ASCII space."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def quote(value: str) -> str:
    """``strconv.Quote`` (and ``%q``) of a string.

    Printable runes stay as they are; ``\\a\\b\\f\\n\\r\\t\\v``, ``\\\\`` and ``\\"``
    get their short escapes, other runes below U+0020 and U+007F ``\\xNN``, other
    non-printable runes ``\\uNNNN`` or ``\\UNNNNNNNN``. A lone surrogate (which
    ``encoding/json`` would have decoded to U+FFFD) prints as U+FFFD.
    """
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    out = ['"']
    for ch in value:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
            continue
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        elif is_print(ch):
            out.append(ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


# --- fmt verbs ---------------------------------------------------------------------------


def type_name(value: Any) -> str:
    """``%T`` (``reflect.TypeOf(v).String()``) of a decoded JSON value; ``<nil>`` for null."""
    if value is None:
        return "<nil>"
    return reflect_type_s(value)


def json_kind(value: Any) -> str:
    """How ``encoding/json``'s ``UnmarshalTypeError`` names a JSON value (``cannot unmarshal <kind> into``)."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


def reflect_type_s(value: Any) -> str:
    """``fmt.Sprintf("%s", reflect.TypeOf(v))``: as :func:`type_name`, but ``%!s(<nil>)`` for null.

    ``reflect.TypeOf(nil)`` is a nil ``reflect.Type``, which ``%s`` prints as a bad verb.
    """
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if value is None:
        return "%!s(<nil>)"
    return type(value).__name__


def verb_v(value: Any) -> str:
    """``fmt.Sprintf("%v", v)``: ``map[a:1 b:[x y]]``, ``<nil>`` for null."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{verb_v(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(verb_v(v) for v in value) + "]"
    return str(value)


def verb_s(value: Any) -> str:
    """``fmt.Sprintf("%s", v)``: strings as they are, anything else a bad verb.

    Go prints ``%!s(int64=1)``, ``%!s(float64=1.5)``, ``%!s(bool=true)`` and
    ``%!s(<nil>)``, recursing into maps and slices (``map[a:%!s(int64=1)]``).
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "%!s(<nil>)"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{verb_s(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(verb_s(v) for v in value) + "]"
    return f"%!s({reflect_type_s(value)}={verb_v(value)})"


def sharp_v(value: Any, nested: bool = False) -> str:
    """``fmt.Sprintf("%#v", v)``: Go syntax, ``map[string]interface {}{"a":1}``.

    A null is ``<nil>`` on its own and ``interface {}(nil)`` inside a map or slice
    (``nested``); whole floats print without decimals (``1``, ``1e+06``).
    """
    if value is None:
        return "interface {}(nil)" if nested else "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list | tuple):
        return "[]interface {}{" + ", ".join(sharp_v(v, True) for v in value) + "}"
    if isinstance(value, dict):
        return "map[string]interface {}{" + ", ".join(
            f"{quote(str(k))}:{sharp_v(value[k], True)}" for k in sorted(value)) + "}"
    return repr(value)


# --- encoding/json ---------------------------------------------------------------------

#: What ``encoding/json`` escapes beyond JSON's rules (its default HTML-safe escaping).
_JSON_HTML: Final = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                   "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_string(value: str) -> str:
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # a lone surrogate: Go writes U+FFFD
        text = orjson.dumps(value.encode("utf-8", "replace").decode("utf-8")).decode()
    if "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text:
        text = text.translate(_JSON_HTML)
    return text


def _json_float(value: float) -> str:
    """``encoding/json``'s float64 encoder: ``'f'`` form, ``'e'`` below 1e-6 and from 1e21 on,
    with ``e-07`` shortened to ``e-7``."""
    if value != value or math.isinf(value):
        raise ValueError(f"json: unsupported value: {format_float(value)}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = format_float(value)  # 'e' form at these magnitudes
        if text[-4:-1] == "e-0":
            text = text[:-2] + text[-1]
        return text
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    return sign + _positional(*_shortest(value))


def json_marshal(value: Any, *, structs: bool = False) -> str:
    """``json.Marshal`` of a decoded JSON value: map keys sorted, ``<>&`` escaped, Go's number forms.

    With ``structs``, a ``dict`` stands for a Go struct instead of a map: its fields
    marshal in the dict's order (their declaration order), not sorted.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, dict):
        keys = value if structs else sorted(value)
        return "{" + ",".join(f"{_json_string(str(k))}:{json_marshal(value[k], structs=structs)}"
                              for k in keys) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(json_marshal(v, structs=structs) for v in value) + "]"
    raise TypeError(f"json: unsupported type: {type(value).__name__}")


def field_value(value: Any, *, structs: bool = False) -> str:
    """A bad value as ``field.Error.ErrorBody`` prints it (apimachinery ``util/validation/field``).

    ``int64``, ``float64`` and ``bool`` with ``%v``; strings with ``%q``; anything
    else as ``json.Marshal`` writes it (``null``, ``["a","b"]``, ``{"a":1}``; see
    :func:`json_marshal` for ``structs``), falling back to its ``String()`` (here:
    ``str``) when it cannot be marshalled.
    """
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    try:
        return json_marshal(value, structs=structs)
    except (TypeError, ValueError):
        return str(value)


# --- time.Duration -----------------------------------------------------------------------


def _frac(v: int, prec: int) -> tuple[str, int]:
    """Go's ``fmtFrac``: the fraction of v / 10**prec without trailing zeros, and the quotient."""
    q, r = divmod(v, 10**prec)
    digits = f"{r:0{prec}d}".rstrip("0") if prec else ""
    return ("." + digits if digits else ""), q


def duration(nanoseconds: int) -> str:
    """``time.Duration(d).String()``: ``1h2m3.5s``, ``1.5ms``, ``2µs``, ``0s``."""
    u = -nanoseconds if nanoseconds < 0 else nanoseconds
    if u == 0:
        return "0s"
    if u < 1_000_000_000:
        if u < 1_000:
            prec, unit = 0, "ns"
        elif u < 1_000_000:
            prec, unit = 3, "µs"
        else:
            prec, unit = 6, "ms"
        frac, whole = _frac(u, prec)
        text = f"{whole}{frac}{unit}"
    else:
        frac, secs = _frac(u, 9)
        text = f"{secs % 60}{frac}s"
        minutes = secs // 60
        if minutes:
            text = f"{minutes % 60}m{text}"
            hours = minutes // 60
            if hours:
                text = f"{hours}h{text}"
    return "-" + text if nanoseconds < 0 else text
