"""Kube's CEL libraries that the interpreter lacks, and JSON values as CEL sees them.

``common-expression-language`` implements the CEL standard library; kube adds the
``strings`` extension, its ``lists``, ``regex`` and ``url`` libraries, and ``format``
(``k8s.io/apiserver/pkg/cel/library``). They are added here as Python functions
(:data:`LIBRARY`). :func:`to_cel` turns a decoded JSON value into the interpreter's
values under a schema node (durations, timestamps, escaped property names).
"""

from __future__ import annotations

import datetime
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from setpoint.apiserver.apiextensions.cel import kubelib
from setpoint.apiserver.apiextensions.cel.parse import RESERVED
from setpoint.apiserver.apiextensions.structural import Node


def _index_of(x: Any, sub: Any, start: int = 0) -> int:
    if isinstance(x, str):
        return x.find(sub, start)
    for i, v in enumerate(x):
        if v == sub:
            return i
    return -1


def _last_index_of(x: Any, sub: Any, end: int | None = None) -> int:
    if isinstance(x, str):
        return x.rfind(sub, 0, None if end is None else end + len(sub))
    for i in range(len(x) - 1, -1, -1):
        if x[i] == sub:
            return i
    return -1


def _split(s: str, sep: str, n: int = -1) -> list[str]:
    if n == 0:
        return []
    if sep == "":
        parts = list(s)
        return parts if n < 0 else [*parts[: n - 1], "".join(parts[n - 1:])]
    return s.split(sep, n - 1 if n > 0 else -1)


def _replace(s: str, old: str, new: str, n: int = -1) -> str:
    return s.replace(old, new, n)


def _substring(s: str, start: int, end: int | None = None) -> str:
    if start < 0 or start > len(s) or (end is not None and (end < start or end > len(s))):
        raise IndexError(f"index out of range: {start if end is None else end}")
    return s[start:end]


def _char_at(s: str, i: int) -> str:
    if i < 0 or i > len(s):
        raise IndexError(f"index out of range: {i}")
    return s[i:i + 1]


def _is_sorted(xs: list[Any]) -> bool:
    return all(xs[i] <= xs[i + 1] for i in range(len(xs) - 1))


def _sum(xs: list[Any]) -> Any:
    return sum(xs) if xs else 0


def _min(xs: list[Any]) -> Any:
    if not xs:
        raise ValueError("min called on empty list")
    return min(xs)


def _max(xs: list[Any]) -> Any:
    if not xs:
        raise ValueError("max called on empty list")
    return max(xs)


def _url(s: str) -> dict[str, Any]:
    u = urllib.parse.urlsplit(s)
    if not u.scheme and not s.startswith("/"):
        raise ValueError(f"URL parse error during conversion from string: parse {s!r}: invalid URI for request")
    return {"scheme": u.scheme, "host": u.netloc, "hostname": u.hostname or "", "port": str(u.port or ""),
            "path": u.path, "query": {k: v for k, v in urllib.parse.parse_qs(u.query).items()},
            "__url__": s}


def _is_url(s: str) -> bool:
    try:
        _url(s)
    except ValueError:
        return False
    return True


def _url_part(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda u: u[key]


def _format(fmt: str, args: list[Any]) -> str:
    out: list[str] = []
    it = iter(args)
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            verb = fmt[i + 1]
            i += 2
            if verb == "%":
                out.append("%")
                continue
            v = next(it)
            if verb == "d":
                out.append(str(int(v)))
            elif verb == "f":
                out.append(f"{float(v):f}")
            elif verb == "e":
                out.append(f"{float(v):e}")
            elif verb in "xX":
                text = format(v, "x") if isinstance(v, int) else (v.encode() if isinstance(v, str) else v).hex()
                out.append(text.upper() if verb == "X" else text)
            elif verb == "o":
                out.append(format(int(v), "o"))
            elif verb == "b":
                out.append(format(int(v), "b"))
            else:
                out.append(_cel_string(v))
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _cel_string(v: Any) -> str:
    if v is True or v is False:
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ", ".join(_cel_string(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_cel_string(k)}:{_cel_string(x)}" for k, x in v.items()) + "}"
    return str(v)


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


LIBRARY: dict[str, Callable[..., Any]] = {
    # strings extension (cel-go ext.Strings, version 2 as kube uses)
    "charAt": _char_at,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "lowerAscii": lambda s: "".join(c.lower() if c.isascii() else c for c in s),
    "upperAscii": lambda s: "".join(c.upper() if c.isascii() else c for c in s),
    "replace": _replace,
    "split": _split,
    "substring": _substring,
    "trim": lambda s: s.strip(),
    "join": lambda xs, sep="": sep.join(xs),
    "reverse": lambda s: s[::-1],
    "format": _format,
    "strings.quote": _quote,
    # kube lists library
    "isSorted": _is_sorted,
    "sum": _sum,
    "min": _min,
    "max": _max,
    # kube urls library
    "url": _url,
    "isURL": _is_url,
    "getScheme": _url_part("scheme"),
    "getHost": _url_part("host"),
    "getHostname": _url_part("hostname"),
    "getPort": _url_part("port"),
    "getEscapedPath": _url_part("path"),
    "getQuery": _url_part("query"),
    # kube's JSONPatch library (mutating admission policies)
    "jsonpatch.escapeKey": lambda s: s.replace("~", "~0").replace("/", "~1"),
    # regex, ip, cidr, quantity, semver, sets, format: typed values
    **kubelib.FUNCTIONS,
}

BOOL_FUNCS = {"startsWith", "endsWith", "contains", "matches", "isSorted", "isURL", "isQuantity", "exists",
               "all", "exists_one"}


# --- values ---------------------------------------------------------------------------------

_ESCAPES = (("__", "__underscores__"), (".", "__dot__"), ("-", "__dash__"), ("/", "__slash__"))
_IDENT = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_CEL_KEYWORDS = {"true", "false", "null", "in", *RESERVED}


def escape(name: str) -> str | None:
    """A property name as CEL sees it (kube's escaping), or None when not accessible."""
    if name in _CEL_KEYWORDS:
        return f"__{name}__"
    out = name
    for a, b in _ESCAPES:
        out = out.replace(a, b)
    return out if _IDENT.match(out) else None


_DURATION_PART = re.compile(r"([-+]?\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)")


def _parse_duration(text: str) -> datetime.timedelta | str:
    total = 0.0
    pos = 0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            return text
        unit = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[m.group(2)]
        total += float(m.group(1)) * unit
        pos = m.end()
    if pos != len(text) or not text:
        return text
    return datetime.timedelta(seconds=total)


def _parse_time(text: str) -> datetime.datetime | str:
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return text


def mark_plain(node: Node) -> bool:
    """Set ``cel_plain`` on every node: whether its values reach CEL unchanged."""
    plain = node.type != "number" and node.format not in ("date-time", "date", "duration", "byte")
    if node.properties is not None:
        for k in node.properties:
            if escape(k) != k:
                plain = False
    for c in node.children():
        if not mark_plain(c):
            plain = False
    node.cel_plain = plain
    return plain


def to_cel(value: Any, node: Node | None) -> Any:
    """A JSON value as CEL sees it under ``node``: numbers as doubles, dates as timestamps,
    durations, bytes, escaped property names."""
    if node is None or node.cel_plain or value is None:
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        props = node.properties
        for k, v in value.items():
            sub = props.get(k) if props is not None else None
            if sub is not None:
                name = escape(k)
                if name is None:
                    continue
                out[name] = to_cel(v, sub)
            else:
                out[k] = to_cel(v, node.additional if isinstance(node.additional, Node) else None)
        return out
    if isinstance(value, list):
        return [to_cel(v, node.items) for v in value]
    if node.type == "number" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        if node.format in ("date-time", "date"):
            return _parse_time(value)
        if node.format == "duration":
            return _parse_duration(value)
        if node.format == "byte":
            import base64
            import binascii

            try:
                return base64.b64decode(value)
            except (binascii.Error, ValueError):
                return value
    return value


