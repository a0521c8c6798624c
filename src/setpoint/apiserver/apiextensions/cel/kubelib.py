"""Kube's CEL libraries of typed values: IP and CIDR, quantity, semver, sets, regex.

``k8s.io/apiserver/pkg/cel/library`` (ip.go, cidr.go, quantity.go, semverlib.go, sets.go,
regex.go). The interpreter only passes JSON-like values to Python functions, so
typed values travel as one-key maps (``{"__ip__": "10.0.0.1"}``) that compare equal when the
values do; the receiver functions below accept them. Regexps are Go's (RE2).
"""

from __future__ import annotations

import decimal
import functools
import importlib
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from setpoint.apimachinery import goformat, goregexp, quantity, validation
from setpoint.apiserver.apiextensions import structural

Obj = dict[str, Any]


# --- regex (find, findAll): Go's regexp ---------------------------------------------------------


def find(s: str, pattern: str) -> str:
    m = goregexp.compile(pattern).search(s)
    return m.group(0) if m else ""


def find_all(s: str, pattern: str, n: int = -1) -> list[str]:
    if n == 0:
        return []
    out = [m.group(0) for m in goregexp.compile(pattern).finditer(s)]
    return out if n < 0 else out[:n]


def re2_matches(s: str, pattern: str) -> bool:
    """CEL's ``matches()``: whether Go's regexp ``pattern`` matches anywhere in ``s``."""
    return goregexp.compile(pattern).search(s) is not None


# --- two-variable comprehensions (run as one-variable macros over pairs) -------------------------


def pairs(target: Any) -> list[list[Any]]:
    """``[index, value]`` of a list's items or ``[key, value]`` of a map's entries."""
    if isinstance(target, dict):
        return [[k, v] for k, v in target.items()]
    return [[i, v] for i, v in enumerate(target)]


def to_map(entries: list[list[Any]]) -> Obj:
    return {k: v for k, v in entries}


def merge_entries(maps: list[Obj]) -> Obj:
    """``transformMapEntry``'s result: each transform's one-entry map, inserted in turn."""
    out: Obj = {}
    for m in maps:
        for k, v in m.items():
            if k in out:
                raise ValueError(f"insert failed: key {k} already exists")
            out[k] = v
    return out


# --- optional syntax the interpreter lacks: a[?i], a.?f off plain paths, [?x], {?k: v} --------------


def _unwrap(target: Any) -> tuple[bool, Any]:
    """(present, value) of an optional receiver, or of a plain value."""
    if isinstance(target, _optional()):
        return (True, target.value()) if target.has_value() else (False, None)
    return True, target


def opt_index(target: Any, key: Any) -> Any:
    """``target[?key]``: the item of a list or the entry of a map, if there is one."""
    optional = _optional()
    present, value = _unwrap(target)
    if not present:
        return optional.none()
    if isinstance(value, list):
        if isinstance(key, bool) or not isinstance(key, int):
            raise ValueError(f"unsupported index type '{type(key).__name__}' in list")
        return optional.of(value[key]) if 0 <= key < len(value) else optional.none()
    if isinstance(value, dict):
        return optional.of(value[key]) if key in value else optional.none()
    raise ValueError("no such overload")


def opt_select(target: Any, name: str) -> Any:
    """``target.?name`` when ``target`` is not a plain path (for instance an optional)."""
    return opt_index(target, name)


def opt_list(items: list[Any], flagged: list[int]) -> list[Any]:
    """``[?a, b]``: the optional elements (at ``flagged``) present, unwrapped."""
    out = []
    for i, item in enumerate(items):
        if i in flagged:
            present, item = _unwrap(item)
            if not present:
                continue
        out.append(item)
    return out


def opt_map(entries: Obj, flagged: list[Any]) -> Obj:
    """``{?k: v}``: the optional values (of the ``flagged`` keys) present, unwrapped."""
    out = {}
    for k, v in entries.items():
        if k in flagged:
            present, v = _unwrap(v)
            if not present:
                continue
        out[k] = v
    return out


# --- lists (cel-go's ext.Lists, version 3 as kube enables it) -----------------------------------


def list_slice(xs: list[Any], start: int, end: int) -> list[Any]:
    if start < 0 or end < 0:
        raise ValueError(f"cannot slice({start}, {end}), negative indexes not supported")
    if start > end:
        raise ValueError(f"cannot slice({start}, {end}), start index must be less than or equal to end index")
    if len(xs) < end:
        raise ValueError(f"cannot slice({start}, {end}), list is length {len(xs)}")
    return xs[start:end]


def flatten(xs: list[Any], depth: int = 1) -> list[Any]:
    if depth < 0:
        raise ValueError("level must be non-negative")
    out: list[Any] = []
    for x in xs:
        if isinstance(x, list) and depth > 0:
            out.extend(flatten(x, depth - 1))
        else:
            out.append(x)
    return out


def _equality_key(x: Any) -> Any:
    """A hashable key under CEL's equality: numbers equal across int and double, bool apart."""
    if isinstance(x, bool):
        return ("bool", x)
    if isinstance(x, int | float):
        return ("number", x)
    if isinstance(x, dict | list):
        return ("json", repr(x))
    return (type(x).__name__, x)


def distinct(xs: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for x in xs:
        k = _equality_key(x)
        if k not in seen:
            seen.add(k)
            out.append(x)
    return out


def _sorted_by(items: list[Any], keys: list[Any]) -> list[Any]:
    """``@sortByAssociatedKeys``: ``items`` in the order of their ``keys``."""
    if not keys:
        return items
    if isinstance(keys[0], dict | list) or keys[0] is None:
        raise ValueError("list elements must be comparable")
    kind = type(keys[0])
    if any(type(k) is not kind for k in keys):
        raise ValueError("list elements must have the same type")
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return [items[i] for i in order]


def sort_list(xs: list[Any]) -> list[Any]:
    return _sorted_by(xs, xs)


def sort_pairs(pairs: list[list[Any]]) -> list[Any]:
    """``sortBy``: pairs of ``[element, key]`` (the macro's map) sorted by key."""
    return _sorted_by([p[0] for p in pairs], [p[1] for p in pairs])


def first(xs: list[Any]) -> Any:
    optional = _optional()
    return optional.of(xs[0]) if xs else optional.none()


def last(xs: list[Any]) -> Any:
    optional = _optional()
    return optional.of(xs[-1]) if xs else optional.none()


# --- format (kube's format library: named string formats and their validators) ----------------------


def _uri_errors(s: str) -> list[str]:
    """Go's ``url.ParseRequestURI`` failure (its scheme and request-path checks)."""
    def error(message: str) -> list[str]:
        return [f"parse {goformat.quote(s)}: {message}"]
    if any(ord(c) < 0x20 or c == "\x7f" for c in s):
        return error("net/url: invalid control character in URL")
    if s in ("", "*"):
        return error("empty url") if not s else []
    rest = s
    for i, c in enumerate(s):
        if c.isascii() and c.isalpha():
            continue
        if c == ":":
            if i == 0:
                return error("missing protocol scheme")
            return []
        if not (i > 0 and (c.isdigit() or c in "+-.")):
            break
    return [] if rest.startswith("/") else error("invalid URI for request")


def _strfmt(name: str, message: str) -> Callable[[str], list[str]]:
    def check(s: str) -> list[str]:
        return [] if structural.FORMATS[name](s) else [message]
    return check


def _prefix(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """A name prefix (``generateName``): a trailing dash is allowed (``maskTrailingDash``)."""
    return lambda s: check(s[:-1] + "a" if len(s) > 1 and s.endswith("-") else s)


FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": validation.is_dns1123_label,
    "dns1123Subdomain": validation.is_dns1123_subdomain,
    "dns1035Label": validation.is_dns1035_label,
    "qualifiedName": validation.is_qualified_name,
    "dns1123LabelPrefix": _prefix(validation.is_dns1123_label),
    "dns1123SubdomainPrefix": _prefix(validation.is_dns1123_subdomain),
    "dns1035LabelPrefix": _prefix(validation.is_dns1035_label),
    "labelValue": validation.is_valid_label_value,
    "uri": _uri_errors,
    "uuid": _strfmt("uuid", "does not match the UUID format"),
    "byte": _strfmt("byte", "invalid base64"),
    "date": _strfmt("date", "invalid date"),
    "datetime": _strfmt("datetime", "invalid datetime"),
}


def format_named(name: str) -> Any:
    """``format.named(name)``: the format, or none when kube has no format of that name."""
    optional = _optional()
    return optional.of({"__format__": name}) if name in FORMATS else optional.none()


def format_validate(fmt: Obj, s: str) -> Any:
    """``<Format>.validate(s)``: none when ``s`` is valid, else the list of its errors."""
    errors = FORMATS[fmt["__format__"]](s)
    optional = _optional()
    return optional.of(errors) if errors else optional.none()


@functools.cache
def _optional() -> Any:
    """The interpreter's optional values (its module is imported once a rule runs)."""
    return importlib.import_module("cel").OptionalValue


# --- ip, cidr ---------------------------------------------------------------------------------

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse_ip(s: str) -> IPAddr:
    if "%" in s:
        raise ValueError(f'IP Address "{s}" with zone value is not allowed')
    try:
        addr = ipaddress.ip_address(s)
    except ValueError:
        raise ValueError(f'IP Address "{s}" parse error during conversion from string: '
                         f'ParseAddr("{s}"): unable to parse IP') from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        raise ValueError(f'IPv4-mapped IPv6 address "{s}" is not allowed')
    return addr


def is_ip(s: str) -> bool:
    try:
        _parse_ip(s)
    except ValueError:
        return False
    return True


def ip(s: Any) -> Obj:
    if isinstance(s, dict) and "__cidr__" in s:
        return {"__ip__": str(ipaddress.ip_interface(s["__cidr__"]).ip)}
    return {"__ip__": str(_parse_ip(s))}


def _ip(v: Any) -> IPAddr:
    return ipaddress.ip_address(v["__ip__"] if isinstance(v, dict) else v)


def family(v: Obj) -> int:
    return 4 if _ip(v).version == 4 else 6


def is_global_unicast(v: Obj) -> bool:
    """Go's ``netip.Addr.IsGlobalUnicast``: not unspecified, loopback, multicast, link-local or the
    IPv4 broadcast address (private addresses are global unicast)."""
    a = _ip(v)
    if a.is_unspecified or a.is_loopback or a.is_multicast or a.is_link_local:
        return False
    return not (a.version == 4 and str(a) == "255.255.255.255")


def is_link_local_multicast(v: Obj) -> bool:
    a = _ip(v)
    if a.version == 4:
        return a in ipaddress.ip_network("224.0.0.0/24")
    return a in ipaddress.ip_network("ff02::/16")


def _parse_cidr(s: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    if "%" in s:
        raise ValueError(f'CIDR "{s}" with zone value is not allowed')
    if "/" not in s:
        raise ValueError(f'network address parse error during conversion from string: netip.ParsePrefix("{s}"): '
                         "no '/'")
    try:
        iface = ipaddress.ip_interface(s)
    except ValueError:
        raise ValueError(f'network address parse error during conversion from string: netip.ParsePrefix("{s}"): '
                         "bad prefix") from None
    if isinstance(iface, ipaddress.IPv6Interface) and iface.ip.ipv4_mapped is not None:
        raise ValueError(f'IPv4-mapped IPv6 address "{s}" is not allowed')
    return iface


def is_cidr(s: str) -> bool:
    try:
        _parse_cidr(s)
    except ValueError:
        return False
    return True


def cidr(s: str) -> Obj:
    return {"__cidr__": str(_parse_cidr(s))}


def _net(v: Obj) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_interface(v["__cidr__"]).network


def contains_ip(c: Obj, other: Any) -> bool:
    a = _ip(other) if isinstance(other, dict) else _parse_ip(other)
    net = _net(c)
    return a.version == net.version and a in net


def contains_cidr(c: Obj, other: Any) -> bool:
    o = _net(other if isinstance(other, dict) else cidr(other))
    net = _net(c)
    return o.version == net.version and o.subnet_of(net)  # type: ignore[arg-type]


def masked(c: Obj) -> Obj:
    return {"__cidr__": str(_net(c))}


def prefix_length(c: Obj) -> int:
    return _net(c).prefixlen


# --- quantity ---------------------------------------------------------------------------------

_SUFFIX: dict[str, decimal.Decimal | int] = {"": 1, "n": decimal.Decimal("1e-9"), "u": decimal.Decimal("1e-6"), "m": decimal.Decimal("1e-3"),
           "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_QTY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?\d+|[a-zA-Z]*)$")


def is_quantity(s: str) -> bool:
    return quantity.parse_error(s) is None


def quantity_of(s: str) -> Obj:
    err = quantity.parse_error(s)
    if err is not None:
        raise ValueError(err)
    return {"__quantity__": s}


def _dec(q: Any) -> decimal.Decimal:
    if isinstance(q, int):
        return decimal.Decimal(q)
    m = _QTY.match(q["__quantity__"])
    if m is None:  # pragma: no cover - checked by quantity_of
        raise ValueError("invalid quantity")
    num, suffix = m.groups()
    if suffix[:1] in ("e", "E"):
        return decimal.Decimal(num + suffix)
    return decimal.Decimal(num) * decimal.Decimal(_SUFFIX[suffix])


def sign(q: Obj) -> int:
    d = _dec(q)
    return (d > 0) - (d < 0)


def is_integer(q: Obj) -> bool:
    d = _dec(q)
    return d == d.to_integral_value() and -(2**63) <= d < 2**63


def as_integer(q: Obj) -> int:
    if not is_integer(q):
        raise ValueError("cannot convert value to integer")
    return int(_dec(q))


def as_approximate_float(q: Obj) -> float:
    return float(_dec(q))


def _qty_result(d: decimal.Decimal) -> Obj:
    return {"__quantity__": format(d.normalize(), "f")}


def add(q: Obj, other: Any) -> Obj:
    return _qty_result(_dec(q) + _dec(other))


def sub(q: Obj, other: Any) -> Obj:
    return _qty_result(_dec(q) - _dec(other))


# --- semver -----------------------------------------------------------------------------------

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                     r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                     r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")


def _normalize_semver(s: str) -> str:
    s = s[1:] if s.startswith("v") else s
    m = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$", s)
    if m is None:
        return s
    parts = [str(int(p)) if p is not None else "0" for p in m.groups()[:3]]
    return ".".join(parts) + m.group(4)


def is_semver(s: str, normalize: bool = False) -> bool:
    return _SEMVER.match(_normalize_semver(s) if normalize else s) is not None


def semver(s: str, normalize: bool = False) -> Obj:
    text = _normalize_semver(s) if normalize else s
    if _SEMVER.match(text) is None:
        raise ValueError(f'Semver "{s}" parse error during conversion from string')
    return {"__semver__": text}


def _sv(v: Obj) -> tuple[int, int, int, str]:
    m = _SEMVER.match(v["__semver__"])
    assert m is not None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4) or ""


def _pre_key(pre: str) -> tuple[Any, ...]:
    if not pre:
        return ((1,),)
    return tuple((0, 0, int(p), "") if p.isdigit() else (0, 1, 0, p) for p in pre.split("."))


def _sv_cmp(a: Obj, b: Obj) -> int:
    x, y = _sv(a), _sv(b)
    kx, ky = (x[:3], _pre_key(x[3])), (y[:3], _pre_key(y[3]))
    return (kx > ky) - (kx < ky)


# --- compareTo / isGreaterThan / isLessThan: quantity and semver -------------------------------


def compare_to(a: Obj, b: Obj) -> int:
    if "__semver__" in a:
        return _sv_cmp(a, b)
    x, y = _dec(a), _dec(b)
    return (x > y) - (x < y)


# --- sets -------------------------------------------------------------------------------------


def sets_contains(a: list[Any], b: list[Any]) -> bool:
    return all(v in a for v in b)


def sets_equivalent(a: list[Any], b: list[Any]) -> bool:
    return sets_contains(a, b) and sets_contains(b, a)


def sets_intersects(a: list[Any], b: list[Any]) -> bool:
    return any(v in a for v in b)



def is_canonical_ip(s: str) -> bool:
    """``ip.isCanonical``: whether ``s`` is the address's canonical text (lowercase, shortest)."""
    return str(_parse_ip(s)) == s


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "__re2_matches": re2_matches,
    "__pairs": pairs,
    "__to_map": to_map,
    "__merge_entries": merge_entries,
    "format.named": format_named,
    "__opt_index": opt_index,
    "__opt_select": opt_select,
    "__opt_list": opt_list,
    "__opt_map": opt_map,
    "__sort_pairs": sort_pairs,
    "slice": list_slice,
    "flatten": flatten,
    "distinct": distinct,
    "sort": sort_list,
    "first": first,
    "last": last,
    "lists.range": lambda n: list(range(n)),
    "validate": format_validate,
    **{f"format.{name}": (lambda name=name: {"__format__": name}) for name in FORMATS},
    "ip.isCanonical": is_canonical_ip,
    "find": find,
    "findAll": find_all,
    "isIP": is_ip,
    "ip": ip,
    "family": family,
    "isUnspecified": lambda v: _ip(v).is_unspecified,
    "isLoopback": lambda v: _ip(v).is_loopback,
    "isLinkLocalMulticast": is_link_local_multicast,
    "isLinkLocalUnicast": lambda v: _ip(v).is_link_local,
    "isGlobalUnicast": is_global_unicast,
    "isCIDR": is_cidr,
    "cidr": cidr,
    "containsIP": contains_ip,
    "containsCIDR": contains_cidr,
    "masked": masked,
    "prefixLength": prefix_length,
    "quantity": quantity_of,
    "isQuantity": is_quantity,
    "sign": sign,
    "isInteger": is_integer,
    "asInteger": as_integer,
    "asApproximateFloat": as_approximate_float,
    "add": add,
    "sub": sub,
    "compareTo": compare_to,
    "isGreaterThan": lambda a, b: compare_to(a, b) > 0,
    "isLessThan": lambda a, b: compare_to(a, b) < 0,
    "isSemver": is_semver,
    "semver": semver,
    "major": lambda v: _sv(v)[0],
    "minor": lambda v: _sv(v)[1],
    "patch": lambda v: _sv(v)[2],
    "sets.contains": sets_contains,
    "sets.equivalent": sets_equivalent,
    "sets.intersects": sets_intersects,
}
