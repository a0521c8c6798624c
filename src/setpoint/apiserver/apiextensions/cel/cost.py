"""Static checks and worst-case cost of CEL rules, as apiextensions-apiserver computes them.

Three pieces of kube, ported as they are written so that a CRD is accepted or refused with
the same figures:

* the CEL declaration of a schema (``apiserver/pkg/cel/common/schemas.go``): each node's
  largest size (``maxLength`` x 4 bytes, ``maxItems``, ``maxProperties``, or what fits in a
  3 MiB request given the smallest serialized element) and smallest serialized size;
* cel-go's estimator (``checker/cost.go``) over the expression with its macros expanded
  (``all`` is a loop of ``@not_strictly_false`` and ``&&`` steps, ``cel.bind`` a one-shot
  comprehension), with field paths through the declaration for sizes (``@items``,
  ``@values``, ``@keys``), kube's function costs (``apiserver/pkg/cel/library/cost.go``) and
  those of the cel-go extensions kube enables (sets, lists);
* cardinality (``apiextensions/validation/cel_validation.go``): the product of the parents'
  ``maxItems``/``maxProperties`` when all are bounded, otherwise how many of the rule's node
  fit in one request.

Fields the schema does not declare are refused (``undefined field 'foo'``) as cel-go's
type checker does.
"""

from __future__ import annotations

import math
from typing import Any

from setpoint.apiserver.apiextensions.cel.library import escape
from setpoint.apiserver.apiextensions.cel.parse import Expr
from setpoint.apiserver.apiextensions.structural import Node

#: Kube's limits (``k8s.io/apiserver/pkg/apis/cel``, apiextensions validation).
PER_CALL_LIMIT = 1_000_000
STATIC_ESTIMATED_COST_LIMIT = 10_000_000
STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000
MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024

MAX_UINT64 = 2**64 - 1
_TWO_TO_64 = math.ldexp(1.0, 64)
_STRING_TRAVERSAL = 0.1
_REGEX_LENGTH = 0.25
_LIST_CREATE = 10
_MAP_CREATE = 30
_STRUCT_CREATE = 40

Size = tuple[int, int]  # (min, max), as cel-go's SizeEstimate and CostEstimate
UNKNOWN: Size = (0, MAX_UINT64)


def _add(x: int, y: int) -> int:
    return min(x + y, MAX_UINT64)


def _mul(x: int, y: int) -> int:
    return min(x * y, MAX_UINT64)


def _by_factor(x: int, factor: float) -> int:
    """cel-go's multiplyByCostFactor: the product rounded up, saturating at 2^64-1."""
    xf = float(x)
    if xf > 0 and factor > 0 and xf > float(MAX_UINT64) / factor:
        return MAX_UINT64
    ceil = math.ceil(xf * factor)
    if ceil >= _TWO_TO_64:
        return MAX_UINT64
    return int(ceil)


def _s_add(a: Size, b: Size) -> Size:
    return (_add(a[0], b[0]), _add(a[1], b[1]))


def _s_mul(a: Size, b: Size) -> Size:
    return (_mul(a[0], b[0]), _mul(a[1], b[1]))


def _s_factor(a: Size, factor: float) -> Size:
    return (_by_factor(a[0], factor), _by_factor(a[1], factor))


def _union(a: Size, b: Size) -> Size:
    return (min(a[0], b[0]), max(a[1], b[1]))


def _fixed(n: int) -> Size:
    return (n, n)


# --- CEL declarations of schemas (apiserver/pkg/cel/common/schemas.go) ---------------------------


class Decl:
    """A schema node as CEL sees it: its kind, largest size and smallest serialized size."""

    __slots__ = ("elem", "fields", "key", "kind", "max_elements", "min_size")

    def __init__(self, kind: str, max_elements: int = 0, min_size: int = 1, *, elem: Decl | None = None,
                 key: Decl | None = None, fields: dict[str, Decl] | None = None) -> None:
        self.kind = kind  # object, list, map, string, bytes, duration, timestamp, bool, double, int, dyn
        self.max_elements = max_elements
        self.min_size = min_size
        self.elem = elem
        self.key = key
        self.fields = fields


_MAX_STRING = MAX_REQUEST_SIZE_BYTES - 2
_STRING = Decl("string", 0, 2)  # the key type of maps: no size of its own

#: Declarations already built, by schema node: one per CRD schema being validated (the nodes
#: are kept with them, so an id is not reused while the cache lives).
DeclCache = dict[tuple[int, bool], tuple[Node, "Decl | None"]]


def decl_of(s: Node, is_resource_root: bool, cache: DeclCache | None = None) -> Decl | None:
    """``SchemaDeclType``: ``s`` as CEL declares it, or None when CEL cannot see it."""
    if cache is None:
        cache = {}
    key = (id(s), is_resource_root)
    hit = cache.get(key)
    if hit is not None and hit[0] is s:
        return hit[1]
    d = _build_decl(s, is_resource_root, cache)
    cache[key] = (s, d)
    return d


def _zero_if_negative(v: int) -> int:
    return max(v, 0)


def _build_decl(s: Node, is_resource_root: bool, cache: DeclCache) -> Decl | None:
    if s.int_or_string:
        return Decl("dyn", _zero_if_negative(s.max_length) * 4 if s.max_length is not None else _MAX_STRING, 1)
    if s.type == "array":
        if s.items is None:
            return None
        item = decl_of(s.items, s.items.embedded, cache)
        if item is None:
            return None
        max_items = _zero_if_negative(s.max_items) if s.max_items is not None else \
            (MAX_REQUEST_SIZE_BYTES - 2) // (item.min_size + 1)
        return Decl("list", max_items, 2, elem=item)
    if s.type == "object":
        if isinstance(s.additional, Node):
            value = decl_of(s.additional, s.additional.embedded, cache)
            if value is None:
                return None
            max_props = _zero_if_negative(s.max_properties) if s.max_properties is not None else \
                (MAX_REQUEST_SIZE_BYTES - 2) // (value.min_size + 6)
            return Decl("map", max_props, 2, elem=value, key=_STRING)
        props: dict[str, tuple[Decl | None, bool]] = {}
        for name, prop in (s.properties or {}).items():
            props[name] = (decl_of(prop, prop.embedded, cache), prop.has_default)
        if is_resource_root and not _has_type_and_object_meta(s):
            plain = Decl("string", _MAX_STRING, 2)
            props["kind"] = (plain, False)
            props["apiVersion"] = (plain, False)
            meta = (s.properties or {}).get("metadata")
            declared = meta.properties or {} if meta is not None else {}
            props["metadata"] = (Decl("object", 0, 2, fields={
                "name": _capped_string(declared.get("name"), _NAME_MAX_LENGTH),
                "generateName": _capped_string(declared.get("generateName"), _NAME_MAX_LENGTH - 1)}), False)
        fields: dict[str, Decl] = {}
        required = set(s.required)
        min_size = 2
        for name, (field, has_default) in props.items():
            if field is None:
                continue
            escaped = escape(name)
            if escaped is not None:
                fields[escaped] = field
            if name in required and not has_default:
                min_size += len(name) + field.min_size + 4
        return Decl("object", 0, min_size, fields=fields)
    if s.type == "string":
        if s.format == "byte":
            return Decl("bytes", _zero_if_negative(s.max_length) if s.max_length is not None else _MAX_STRING, 2)
        if s.format == "duration":
            return Decl("duration", 32, 3)
        if s.format == "date":
            return Decl("timestamp", 12, 12)
        if s.format == "date-time":
            return Decl("timestamp", 32, 21)
        if s.max_length is not None:
            return Decl("string", _zero_if_negative(s.max_length) * 4, 2)
        if s.enum:
            return Decl("string", max((len(v.encode()) for v in s.enum if isinstance(v, str)), default=0), 2)
        return Decl("string", _MAX_STRING, 2)
    if s.type == "boolean":
        return Decl("bool", 0, 4)
    if s.type == "number":
        return Decl("double", 0, 1)
    if s.type == "integer":
        return Decl("int", 0, 1)
    return None


#: metadata.name as kube's ``WithTypeAndObjectMeta`` caps it (a DNS-1123 subdomain).
_NAME_MAX_LENGTH = 253


def _capped_string(declared: Node | None, cap: int) -> Decl:
    if declared is not None and declared.max_length is not None and declared.max_length < cap:
        cap = declared.max_length
    return Decl("string", _zero_if_negative(cap) * 4, 2)


def _has_type_and_object_meta(s: Node) -> bool:
    """``WithTypeAndObjectMeta``'s test: kind, apiVersion, metadata.name and generateName declared."""
    props = s.properties or {}
    meta = props.get("metadata")
    if meta is None or meta.type != "object" or meta.properties is None:
        return False
    name, generate = meta.properties.get("name"), meta.properties.get("generateName")
    return all(p is not None and p.type == "string"
               for p in (props.get("kind"), props.get("apiVersion"), name, generate))


# --- types, as far as costs depend on them -------------------------------------------------------


class T:
    """A CEL type: kind (bool, int, uint, double, string, bytes, duration, timestamp, null, list,
    map, struct, opaque, type, dyn), a name for structs and opaques, parameters, declaration."""

    __slots__ = ("decl", "kind", "name", "params")

    def __init__(self, kind: str, name: str = "", params: tuple[T, ...] = (), decl: Decl | None = None) -> None:
        self.kind = kind
        self.name = name
        self.params = params
        self.decl = decl

    def same(self, other: T) -> bool:
        return self.kind == other.kind and self.name == other.name and len(self.params) == len(other.params) and \
            all(a.same(b) for a, b in zip(self.params, other.params, strict=True))

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list({self.params[0]})"
        if self.kind == "map":
            return f"map({self.params[0]}, {self.params[1]})"
        if self.kind in ("struct", "opaque"):
            return self.name
        return {"duration": "google.protobuf.Duration", "timestamp": "google.protobuf.Timestamp",
                "null": "null_type"}.get(self.kind, self.kind)


DYN = T("dyn")
BOOL = T("bool")
INT = T("int")
UINT = T("uint")
DOUBLE = T("double")
STRING = T("string")
BYTES = T("bytes")
DURATION = T("duration")
TIMESTAMP = T("timestamp")
TYPE = T("type")
IP = T("opaque", "net.IP")
CIDR = T("opaque", "net.CIDR")
QUANTITY = T("struct", "kubernetes.Quantity")
SEMVER = T("struct", "kubernetes.Semver")
URL = T("struct", "kubernetes.URL")
FORMAT = T("struct", "kubernetes.NamedFormat")
_SCALARS = {"bool", "double", "duration", "int", "timestamp", "uint"}
_SIMPLE = {"bool": BOOL, "int": INT, "uint": UINT, "double": DOUBLE, "string": STRING, "bytes": BYTES,
           "duration": DURATION, "timestamp": TIMESTAMP, "null": T("null")}


def list_of(t: T) -> T:
    return T("list", params=(t,))


def optional_of(t: T) -> T:
    return T("opaque", "optional_type", (t,))


def type_of_decl(d: Decl | None) -> T:
    if d is None:
        return DYN
    if d.kind == "object":
        return T("struct", "object", decl=d)
    if d.kind == "list":
        return T("list", params=(type_of_decl(d.elem),), decl=d)
    if d.kind == "map":
        return T("map", params=(STRING, type_of_decl(d.elem)), decl=d)
    return _SIMPLE.get(d.kind, DYN)


def _is_scalar(t: T) -> bool:
    if t.kind in _SCALARS:
        return True
    return t.kind == "opaque" and t.name == "optional_type" and bool(t.params) and _is_scalar(t.params[0])


# --- the checked expression: cel-go's AST with macros expanded ------------------------------------


class N:
    """One expression node (cel-go's ast.Expr), with its checked type and overloads."""

    __slots__ = ("accu_init", "accu_var", "args", "elems", "fn", "iter_range", "iter_var", "iter_var2", "kind",
                 "loop_cond", "loop_step", "name", "operand", "overloads", "result", "t", "target", "test_only",
                 "value")

    def __init__(self, kind: str, t: T) -> None:
        self.kind = kind  # lit, ident, select, call, list, map, struct, comp
        self.t = t
        self.value: Any = None
        self.name = ""
        self.operand: N | None = None
        self.test_only = False
        self.fn = ""
        self.target: N | None = None
        self.args: list[N] = []
        self.overloads: list[str] = []
        self.elems: list[N] = []
        self.iter_range: N | None = None
        self.iter_var = ""
        self.iter_var2 = ""
        self.accu_var = ""
        self.accu_init: N | None = None
        self.loop_cond: N | None = None
        self.loop_step: N | None = None
        self.result: N | None = None


def _lit(value: Any, t: T) -> N:
    n = N("lit", t)
    n.value = value
    return n


def _ident(name: str, t: T) -> N:
    n = N("ident", t)
    n.name = name
    return n


def _call(fn: str, args: list[N], t: T, overloads: list[str], target: N | None = None) -> N:
    n = N("call", t)
    n.fn = fn
    n.args = args
    n.overloads = overloads
    n.target = target
    return n


def _list(elems: list[N], t: T) -> N:
    n = N("list", t)
    n.elems = elems
    return n


ACCU = "@result"
_TYPE_NAMES = frozenset({"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
                         "duration", "timestamp", "dyn"})
_STRING_RESULT = {"lowerAscii", "upperAscii", "trim", "replace", "substring", "charAt", "format", "strings.quote",
                  "join", "find", "getScheme", "getHost", "getHostname", "getPort", "getEscapedPath",
                  "base64.encode"}
_INT_RESULT = {"size", "indexOf", "lastIndexOf", "sign", "asInteger", "compareTo", "major", "minor", "patch",
               "prefixLength", "family", "getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate",
               "getDayOfWeek", "getHours", "getMinutes", "getSeconds", "getMilliseconds"}
_BOOL_RESULT = {"matches", "startsWith", "endsWith", "contains", "isSorted", "isURL", "isIP", "isCIDR",
                "isQuantity", "isSemver", "isInteger", "isGreaterThan", "isLessThan", "isUnspecified", "isLoopback",
                "isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast", "containsIP", "containsCIDR",
                "ip.isCanonical", "sets.contains", "sets.equivalent", "sets.intersects", "hasValue", "@in",
                "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "!_", "_&&_", "_||_"}


class RuleCheckError(Exception):
    """A rule that does not compile for this schema (kube's ``compilation failed: ...``)."""


class _Checker:
    """Our syntax tree to cel-go's checked AST: types, overloads, macros expanded."""

    def __init__(self, src: str, root: T, optional_old_self: bool = False) -> None:
        self.src = src
        self.root = root
        self.old_self = optional_of(root) if optional_old_self else root

    def fail(self, pos: int, message: str) -> RuleCheckError:
        line = self.src.count("\n", 0, pos) + 1
        col = pos - (self.src.rfind("\n", 0, pos) + 1)
        text = self.src.splitlines()[line - 1] if self.src else ""
        return RuleCheckError(f"ERROR: <input>:{line}:{col + 1}: {message}\n | {text}\n | {'.' * col}^")

    def build(self, e: Expr, scope: dict[str, T]) -> N:
        k = e[0]
        if k == "lit":
            return _lit(e[3], _SIMPLE.get(e[2], DYN))
        if k == "id":
            name = e[2]
            if name in scope:
                return _ident(name, scope[name])
            if name == "self":
                return _ident(name, self.root)
            if name == "oldSelf":
                return _ident(name, self.old_self)
            return _ident(name, TYPE if name in _TYPE_NAMES else DYN)
        if k == "select":
            operand = self.build(e[2], scope)
            if e[4]:  # a.?b: the optional select function
                field_t = self.field_type(e, operand.t)
                return _call("_?._", [operand, _lit(e[3], STRING)], optional_of(field_t), ["select_optional_field"])
            n = N("select", self.field_type(e, operand.t))
            n.operand = operand
            n.name = e[3]
            return n
        if k == "has":
            sel = e[2]
            operand = self.build(sel[2], scope)
            self.field_type(sel, operand.t)
            n = N("select", BOOL)
            n.operand = operand
            n.name = sel[3]
            n.test_only = True
            return n
        if k == "index":
            operand = self.build(e[2], scope)
            idx = self.build(e[3], scope)
            t = operand.t
            if t.kind == "list":
                return _call("_[_]", [operand, idx], t.params[0], ["index_list"])
            if t.kind == "map":
                return _call("_[_]", [operand, idx], t.params[1], ["index_map"])
            if t.kind == "opaque" and t.name == "optional_type":
                return _call("_[_]", [operand, idx], DYN, ["optional_index"])
            return _call("_[_]", [operand, idx], DYN, ["index_list", "index_map"])
        if k == "list":
            elems = [self.build(x, scope) for x in e[2]]
            elem_t = elems[0].t if elems and all(x.t.same(elems[0].t) for x in elems) else DYN
            return _list(elems, list_of(elem_t))
        if k == "map":
            n = N("map", T("map", params=(DYN, DYN)))
            for a, b in e[2]:
                n.elems.extend((self.build(a, scope), self.build(b, scope)))
            return n
        if k == "struct":
            n = N("struct", DYN)
            n.elems = [self.build(v, scope) for _, v in e[3]]
            return n
        if k == "cond":
            c, a, b = self.build(e[2], scope), self.build(e[3], scope), self.build(e[4], scope)
            t = a.t if a.t.same(b.t) else (b.t if a.t.kind == "null" else (a.t if b.t.kind == "null" else DYN))
            return _call("_?_:_", [c, a, b], t, ["conditional"])
        if k == "un":
            x = self.build(e[3], scope)
            if e[2] == "-" and x.kind == "lit" and x.t.kind in ("int", "double"):
                return _lit(-x.value, x.t)
            if e[2] == "!":
                return _call("!_", [x], BOOL, ["logical_not"])
            return _call("-_", [x], x.t, ["negate"])
        if k == "bin":
            return self.binary(e[2], self.build(e[3], scope), self.build(e[4], scope))
        if k == "call":
            return self.call(e, scope)
        if k == "comp":
            return self.comprehension(e, scope)
        if k == "bind":
            init = self.build(e[3], scope)
            body = self.build(e[4], {**scope, e[2]: init.t})
            n = N("comp", body.t)
            n.iter_range = _list([], list_of(DYN))
            n.iter_var = "#unused"
            n.accu_var = e[2]
            n.accu_init = init
            n.loop_cond = _lit(False, BOOL)
            n.loop_step = _ident(e[2], init.t)
            n.result = body
            return n
        return _lit(None, DYN)

    def field_type(self, e: Expr, t: T) -> T:
        name = e[3]
        if t.kind == "opaque" and t.name == "optional_type":
            return optional_of(self.field_type(e, t.params[0]))
        if t.kind == "struct" and t.decl is not None:
            fields = t.decl.fields or {}
            if name not in fields:
                raise self.fail(e[1], f"undefined field '{name}'")
            return type_of_decl(fields[name])
        if t.kind == "map":
            return t.params[1]
        if t.kind in ("dyn", "struct", "type"):
            return DYN
        raise self.fail(e[1], f"type '{t}' does not support field selection")

    def binary(self, op: str, a: N, b: N) -> N:
        ka, kb = a.t.kind, b.t.kind
        if op in ("&&", "||"):
            return _call(f"_{op}_", [a, b], BOOL, ["logical_and" if op == "&&" else "logical_or"])
        if op in ("==", "!="):
            return _call(f"_{op}_", [a, b], BOOL, ["equals" if op == "==" else "not_equals"])
        if op == "in":
            if kb == "list":
                ovs = ["in_list"]
            elif kb == "map":
                ovs = ["in_map"]
            else:
                ovs = ["in_list", "in_map"]
            return _call("@in", [a, b], BOOL, ovs)
        kinds = {ka, kb} - {"dyn"}
        if op in ("<", "<=", ">", ">="):
            if kinds & {"string", "bytes"}:
                ovs = [f"less_{next(iter(kinds & {'string', 'bytes'}))}"]
            elif not kinds:
                ovs = ["less_string", "less_bytes", "less_int64"]
            else:
                ovs = ["less_other"]
            return _call(f"_{op}_", [a, b], BOOL, ovs)
        if op == "+":
            if "string" in kinds:
                ovs, t = ["add_string"], STRING
            elif "bytes" in kinds:
                ovs, t = ["add_bytes"], BYTES
            elif "list" in kinds:
                ovs, t = ["add_list"], (a.t if ka == "list" else b.t)
            elif not kinds:
                ovs, t = ["add_string", "add_bytes", "add_list", "add_int64"], DYN
            else:
                ovs = ["add_other"]
                t = TIMESTAMP if "timestamp" in kinds else (a.t if ka != "dyn" else b.t)
            return _call("_+_", [a, b], t, ovs)
        if op == "-" and ka == "timestamp" and kb == "timestamp":
            return _call("_-_", [a, b], DURATION, ["subtract_timestamp_timestamp"])
        return _call(f"_{op}_", [a, b], a.t if ka != "dyn" else b.t, ["arithmetic"])

    def call(self, e: Expr, scope: dict[str, T]) -> N:
        name, target_e = e[2], e[3]
        target = self.build(target_e, scope) if target_e is not None else None
        if target is not None and target_e[0] == "id" and target_e[2] not in scope and \
                target_e[2] not in ("self", "oldSelf"):
            name, target = f"{target_e[2]}.{name}", None  # a namespaced function: sets.contains, cel.bind
        args = [self.build(a, scope) for a in e[4]]
        t, ovs = _function_type(name, target, args)
        return _call(name, args, t, ovs, target)

    def comprehension(self, e: Expr, scope: dict[str, T]) -> N:
        macro, names = e[2], e[4]
        rng = self.build(e[3], scope)
        inner = dict(scope)
        rt = rng.t
        if len(names) == 2:
            if rt.kind == "list":
                inner[names[0]], inner[names[1]] = INT, rt.params[0]
            elif rt.kind == "map":
                inner[names[0]], inner[names[1]] = rt.params[0], rt.params[1]
            else:
                inner[names[0]] = inner[names[1]] = DYN
        elif rt.kind in ("list", "map"):
            inner[names[0]] = rt.params[0]
        else:
            inner[names[0]] = DYN
        body = self.build(e[5], inner)
        n = N("comp", BOOL)
        n.iter_range = rng
        n.iter_var = names[0]
        n.iter_var2 = names[1] if len(names) == 2 else ""
        n.accu_var = ACCU
        if macro == "all":
            n.accu_init = _lit(True, BOOL)
            n.loop_cond = _call("@not_strictly_false", [_ident(ACCU, BOOL)], BOOL, ["not_strictly_false"])
            n.loop_step = _call("_&&_", [_ident(ACCU, BOOL), body], BOOL, ["logical_and"])
            n.result = _ident(ACCU, BOOL)
        elif macro == "exists":
            n.accu_init = _lit(False, BOOL)
            n.loop_cond = _call("@not_strictly_false", [_call("!_", [_ident(ACCU, BOOL)], BOOL, ["logical_not"])],
                                BOOL, ["not_strictly_false"])
            n.loop_step = _call("_||_", [_ident(ACCU, BOOL), body], BOOL, ["logical_or"])
            n.result = _ident(ACCU, BOOL)
        elif macro in ("exists_one", "existsOne"):
            n.accu_init = _lit(0, INT)
            n.loop_cond = _lit(True, BOOL)
            n.loop_step = _call("_?_:_", [body, _call("_+_", [_ident(ACCU, INT), _lit(1, INT)], INT, ["add_other"]),
                                          _ident(ACCU, INT)], INT, ["conditional"])
            n.result = _call("_==_", [_ident(ACCU, INT), _lit(1, INT)], BOOL, ["equals"])
        elif macro in ("transformMap", "transformMapEntry"):  # ext.TwoVarComprehensions
            mt = T("map", params=(inner[names[0]], body.t)) if macro == "transformMap" else T("map", params=(DYN, DYN))
            n.t = mt
            n.accu_init = N("map", mt)
            n.loop_cond = _lit(True, BOOL)
            inserted = [_ident(names[0], inner[names[0]]), body] if macro == "transformMap" else [body]
            step = _call("cel.@mapInsert", [_ident(ACCU, mt), *inserted], mt, ["mapInsert"])
            if e[6] is not None:
                step = _call("_?_:_", [self.build(e[6], inner), step, _ident(ACCU, mt)], mt, ["conditional"])
            n.loop_step = step
            n.result = _ident(ACCU, mt)
        else:  # map, filter, transformList
            elem = _ident(names[0], inner[names[0]]) if macro == "filter" else body
            lt = list_of(elem.t)
            n.t = lt
            n.accu_init = _list([], lt)
            n.loop_cond = _lit(True, BOOL)
            step = _call("_+_", [_ident(ACCU, lt), _list([elem], lt)], lt, ["add_list"])
            pred = body if macro == "filter" else (self.build(e[6], inner) if e[6] is not None else None)
            if pred is not None:
                step = _call("_?_:_", [pred, step, _ident(ACCU, lt)], lt, ["conditional"])
            n.loop_step = step
            n.result = _ident(ACCU, lt)
        return n


def _function_type(name: str, target: N | None, args: list[N]) -> tuple[T, list[str]]:
    """The result type and the overloads (those the cost depends on) of a function call."""
    subject = target.t if target is not None else (args[0].t if args else DYN)
    if name == "matches":
        return BOOL, ["matches_string"]
    if name == "contains" and target is not None:
        return BOOL, ["contains_string"]
    if name == "startsWith":
        return BOOL, ["starts_with_string"]
    if name == "endsWith":
        return BOOL, ["ends_with_string"]
    if name == "string":
        return STRING, ["bytes_to_string"] if subject.kind == "bytes" else ["to_string"]
    if name == "bytes":
        return BYTES, ["string_to_bytes"] if subject.kind == "string" else ["to_bytes"]
    if name in ("int", "uint", "double", "bool", "duration", "timestamp"):
        return _SIMPLE[name], [f"to_{name}"]
    if name == "type":
        return TYPE, ["type"]
    if name == "format" and target is not None:
        return STRING, ["string_format"]
    if name == "strings.quote":
        return STRING, ["strings_quote"]
    if name in ("sets.contains", "sets.equivalent", "sets.intersects"):
        return BOOL, [f"list_sets_{name[5:]}_list"]
    if name == "split":
        return list_of(STRING), ["string_split"]
    if name == "findAll":
        return list_of(STRING), ["string_find_all"]
    if name in ("reverse", "distinct", "flatten", "slice", "sort") and subject.kind == "list":
        if name == "sort":
            elem = subject.params[0].kind if subject.params else "dyn"
            return subject, [f"list_{elem}_sort"]
        return subject, [f"list_{name}"]
    if name == "sortBy" and subject.kind == "list":
        return subject, ["list_sortBy"]
    if name == "lists.range":
        return list_of(INT), ["lists_range"]
    if name == "ip":
        return IP, ["cidr_ip"] if subject.kind == "opaque" and subject.name == "net.CIDR" else ["string_to_ip"]
    if name in ("containsIP", "containsCIDR"):
        arg = args[0].t.kind if args else "dyn"
        kind = "ip" if name == "containsIP" else "cidr"
        return BOOL, [f"cidr_contains_{kind}_string" if arg == "string" else f"cidr_contains_{kind}_{kind}"]
    if name in ("cidr", "masked"):
        return CIDR, [name]
    if name in ("quantity", "add", "sub") and (name == "quantity" or subject.same(QUANTITY)):
        return QUANTITY, [name]
    if name == "semver":
        return SEMVER, [name]
    if name == "url":
        return URL, [name]
    if name.startswith("format.") and name != "format.named":
        return FORMAT, [name]
    if name == "format.named":
        return optional_of(FORMAT), [name]
    if name == "validate":
        return optional_of(list_of(STRING)), [name]
    if name == "getQuery":
        return T("map", params=(STRING, list_of(STRING))), [name]
    if name in ("value", "orValue") and subject.kind == "opaque" and subject.name == "optional_type":
        return subject.params[0], [name]
    if name in ("optional.of", "optional.ofNonZeroValue"):
        return optional_of(subject), [name]
    if name in ("or", "optional.none"):
        return subject if name == "or" else optional_of(DYN), [name]
    if name in ("sum", "min", "max") and subject.kind == "list":
        return subject.params[0], [name]
    if name == "dyn":
        return DYN, ["to_dyn"]
    if name in _BOOL_RESULT:
        return BOOL, [name]
    if name in _INT_RESULT:
        return INT, [name]
    if name in _STRING_RESULT:
        return STRING, [name]
    if name == "asApproximateFloat":
        return DOUBLE, [name]
    if name == "base64.decode":
        return BYTES, [name]
    return DYN, [name]


# --- cel-go's estimator (checker/cost.go) with kube's CostEstimator -------------------------------


class _Entry:
    """entrySizeEstimate: the container kind and the sizes of keys and values of a list or map."""

    __slots__ = ("container", "key", "val")

    def __init__(self, container: str, key: Size, val: Size) -> None:
        self.container = container
        self.key = key
        self.val = val


def _entry_union(a: _Entry | None, b: _Entry | None) -> _Entry | None:
    if a is None or b is None:
        return None
    return _Entry(a.container, _union(a.key, b.key), _union(a.val, b.val))


class _Var:
    __slots__ = ("entry", "path", "size")

    def __init__(self, path: list[str] | None, size: Size | None, entry: _Entry | None) -> None:
        self.path = path
        self.size = size
        self.entry = entry


class _AstNode:
    """checker.AstNode: path (accumulators omitted), type, expression and computed size."""

    __slots__ = ("expr", "path", "size", "t")

    def __init__(self, path: list[str] | None, t: T, expr: N | None, size: Size | None) -> None:
        self.path = path
        self.t = t
        self.expr = expr
        self.size = size


def _is_accumulator(name: str) -> bool:
    return name in (ACCU, "__result__")


class _Coster:
    def __init__(self, root: Decl | None) -> None:
        self.root = root
        self.paths: dict[N, list[str]] = {}
        self.local: dict[str, list[_Var]] = {}
        self.sizes: dict[N, Size] = {}
        self.entries: dict[N, _Entry] = {}

    # sizes ---------------------------------------------------------------------------------

    def estimate_size(self, path: list[str] | None) -> Size | None:
        """kube's sizeEstimator: the declared largest size at a path from self."""
        if not path:
            return None
        cur = self.root
        for name in path[1:]:
            if cur is None:
                return None
            if name in ("@items", "@values"):
                cur = cur.elem
            elif name == "@keys":
                cur = cur.key
            else:
                cur = (cur.fields or {}).get(name)
        if cur is None:
            return None
        return (0, cur.max_elements)

    def get_path(self, e: N) -> list[str] | None:
        if e.kind == "ident":
            stack = self.local.get(e.name)
            if stack:
                return stack[-1].path
        return self.paths.get(e)

    def compute_size(self, e: N) -> Size | None:
        hit = self.sizes.get(e)
        if hit is not None:
            return hit
        size = _expr_size(e)
        if size is not None:
            return size
        est = self.estimate_size(self.get_path(e))
        if est is not None:
            self.sizes[e] = est
            return est
        if _is_scalar(e.t):
            return (1, 1)
        if e.kind == "ident":
            stack = self.local.get(e.name)
            if stack and stack[-1].size is not None:
                return stack[-1].size
        return None

    def size_or_unknown(self, e: N) -> Size:
        size = self.compute_size(e)
        return size if size is not None else UNKNOWN

    def set_size(self, e: N, size: Size | None) -> None:
        if size is not None:
            self.sizes[e] = size

    def compute_entry(self, e: N) -> _Entry | None:
        hit = self.entries.get(e)
        if hit is not None:
            return hit
        if e.kind == "ident":
            stack = self.local.get(e.name)
            if stack and stack[-1].entry is not None:
                return stack[-1].entry
        return None

    def set_entry(self, e: N, entry: _Entry | None) -> None:
        if entry is not None:
            self.entries[e] = entry

    def ast_node(self, e: N) -> _AstNode:
        path = self.get_path(e)
        if path and _is_accumulator(path[0]):
            path = None
        return _AstNode(path, e.t, e, self.compute_size(e))

    def node_size(self, node: _AstNode) -> Size:
        """kube's and the extensions' sizeEstimate: computed, else declared, else unknown."""
        if node.size is not None:
            return node.size
        est = self.estimate_size(node.path)
        return est if est is not None else UNKNOWN

    def push(self, name: str, path: list[str] | None, size: Size | None, entry: _Entry | None) -> None:
        self.local.setdefault(name, []).append(_Var(path, size, entry))

    def pop(self, name: str) -> None:
        self.local[name].pop()

    # costs ---------------------------------------------------------------------------------

    def cost(self, e: N) -> Size:
        k = e.kind
        if k == "lit":
            return (0, 0)
        if k == "ident":
            stack = self.local.get(e.name)
            path = stack[-1].path if stack else [e.name]
            if path is not None:
                self.paths[e] = path
            return (1, 1)
        if k == "select":
            return self.cost_select(e)
        if k == "call":
            return self.cost_call(e)
        if k == "list":
            return self.cost_list(e)
        if k == "map":
            return self.cost_map(e)
        if k == "struct":
            total = (0, 0)
            for v in e.elems:
                total = _s_add(total, self.cost(v))
            return _s_add(total, _fixed(_STRUCT_CREATE))
        if k == "comp":
            if _is_bind(e):
                return self.cost_bind(e)
            return self.cost_comprehension(e)
        return (0, 0)

    def cost_select(self, e: N) -> Size:
        assert e.operand is not None
        if e.test_only:  # has(): no cost of its own in kube's environment
            return self.cost(e.operand)
        total = self.cost(e.operand)
        if e.operand.t.kind in ("map", "struct", "typeparam"):
            total = _s_add(total, (1, 1))
        self.paths[e] = [*(self.get_path(e.operand) or []), e.name]
        return total

    def cost_call(self, e: N) -> Size:
        if e.fn == "dyn" and len(e.args) == 1 and e.target is None:
            arg = e.args[0]
            arg_cost = self.cost(arg)
            self.set_size(e, self.compute_size(arg))
            self.set_entry(e, self.compute_entry(arg))
            return _s_add((1, 1), arg_cost)
        arg_costs = []
        arg_nodes = []
        for a in e.args:
            arg_costs.append(self.cost(a))
            arg_nodes.append(self.ast_node(a))
        total = (0, 0)
        target: _AstNode | None = None
        if e.target is not None:
            total = _s_add(total, self.cost(e.target))
            target = self.ast_node(e.target)
        fn_cost = (MAX_UINT64, 0)
        result: Size | None = None
        for ov in e.overloads:
            cost, size = self.function_cost(e, ov, target, arg_nodes, arg_costs)
            fn_cost = _union(fn_cost, cost)
            if size is not None:
                result = size if result is None else _union(result, size)
            if ov in ("index_list", "index_map") and e.args:
                entry = self.compute_entry(e.args[0])
                result = entry.val if entry is not None else None
                self.paths[e] = [*(self.get_path(e.args[0]) or []), "@items" if ov == "index_list" else "@values"]
            if result is None:
                result = self.compute_size(e)
        self.set_size(e, result)
        return _s_add(total, fn_cost)

    def cost_list(self, e: N) -> Size:
        total = (0, 0)
        item = (0 if not e.elems else MAX_UINT64, 0)
        for x in e.elems:
            total = _s_add(total, self.cost(x))
            item = _union(item, self.size_or_unknown(x))
        self.set_entry(e, _Entry("list", (1, 1), item))
        return _s_add(total, _fixed(_LIST_CREATE))

    def cost_map(self, e: N) -> Size:
        total = (0, 0)
        empty = not e.elems
        key = (0 if empty else MAX_UINT64, 0)
        val = (0 if empty else MAX_UINT64, 0)
        for i in range(0, len(e.elems), 2):
            k, v = e.elems[i], e.elems[i + 1]
            total = _s_add(total, self.cost(k))
            total = _s_add(total, self.cost(v))
            key = _union(key, self.size_or_unknown(k))
            val = _union(val, self.size_or_unknown(v))
        self.set_entry(e, _Entry("map", key, val))
        return _s_add(total, _fixed(_MAP_CREATE))

    def push_local(self, name: str, e: N) -> None:
        self.push(name, self.get_path(e), self.compute_size(e), self.compute_entry(e))

    def push_iter(self, name: str, rng: N, which: str) -> None:
        entry = self.compute_entry(rng)
        container = entry.container if entry is not None else (rng.t.kind if rng.t.kind in ("list", "map") else "")
        if which == "single":
            size = entry.key if entry is not None else None
            sub = "@keys"
            if container == "list":
                size = entry.val if entry is not None else None
                sub = "@items"
        elif which == "key":
            size = entry.key if entry is not None else None
            sub = "@indices" if container == "list" else "@keys"
        else:
            size = entry.val if entry is not None else None
            sub = "@items" if container == "list" else "@values"
        self.push(name, [*(self.get_path(rng) or []), sub], size, None)

    def cost_comprehension(self, e: N) -> Size:
        assert e.iter_range is not None and e.accu_init is not None
        assert e.loop_cond is not None and e.loop_step is not None and e.result is not None
        total = self.cost(e.iter_range)
        total = _s_add(total, self.cost(e.accu_init))
        self.push_local(e.accu_var, e.accu_init)
        if e.iter_var2:
            self.push_iter(e.iter_var, e.iter_range, "key")
            self.push_iter(e.iter_var2, e.iter_range, "value")
        else:
            self.push_iter(e.iter_var, e.iter_range, "single")
        loop = self.cost(e.loop_cond)
        step = self.cost(e.loop_step)
        self.pop(e.iter_var)
        if e.iter_var2:
            self.pop(e.iter_var2)
        total = _s_add(total, self.cost(e.result))
        self.pop(e.accu_var)
        count = self.size_or_unknown(e.iter_range)
        total = _s_add(total, _s_mul(count, _s_add(step, loop)))
        if e.accu_init.kind == "lit":
            self.set_size(e, self.compute_size(e.accu_init))
        elif e.accu_init.kind in ("list", "map"):
            self.set_size(e, count)
            self.set_entry(e, self.compute_entry(e.loop_step))
        return total

    def cost_bind(self, e: N) -> Size:
        assert e.iter_range is not None and e.accu_init is not None and e.result is not None
        total = self.cost(e.iter_range)
        total = _s_add(total, self.cost(e.accu_init))
        self.push_local(e.accu_var, e.accu_init)
        total = _s_add(total, self.cost(e.result))
        self.pop(e.accu_var)
        self.set_size(e, self.compute_size(e.result))
        self.set_entry(e, self.compute_entry(e.result))
        return total

    def function_cost(self, e: N, ov: str, target: _AstNode | None, args: list[_AstNode],
                      arg_costs: list[Size]) -> tuple[Size, Size | None]:
        arg_sum = (0, 0)
        for c in arg_costs:
            arg_sum = _s_add(arg_sum, c)
        est = self.extension_cost(ov, target, args)
        if est is None:
            est = self.kube_cost(e.fn, ov, target, args)
        if est is not None:
            return _s_add(est[0], arg_sum), est[1]
        return self.cel_cost(e, ov, target, args, arg_costs, arg_sum)

    def extension_cost(self, ov: str, target: _AstNode | None,
                       args: list[_AstNode]) -> tuple[Size, Size | None] | None:
        """cel-go's ext.Sets and ext.Lists(3) overload estimators."""
        if ov.startswith("list_sets_"):
            if len(args) != 2:
                return None
            factor = 2.0 if ov == "list_sets_equivalent_list" else 1.0
            cost = _s_add(_s_factor(_s_mul(self.node_size(args[0]), self.node_size(args[1])), factor), (1, 1))
            return cost, None
        if target is None and ov != "lists_range":
            return None
        if ov == "list_reverse" and not args:
            return _alloc_list(1.0, self.node_size(target))  # type: ignore[arg-type]
        if ov == "list_distinct" and not args:
            sz = self.node_size(target)  # type: ignore[arg-type]
            return _alloc_list(2.0, _s_mul(sz, sz))
        if ov == "list_flatten" and len(args) <= 1:
            depth = _literal_uint(args[0], MAX_UINT64) if args else 1
            return _alloc_list(float(depth), self.node_size(target))  # type: ignore[arg-type]
        if ov == "list_slice" and len(args) == 2:
            sz = self.node_size(target)  # type: ignore[arg-type]
            start, end = _literal_uint(args[0], 0), _literal_uint(args[1], sz[1])
            return _alloc_list(1.0, _fixed((end - start) % 2**64))
        if ov == "lists_range" and target is None and len(args) == 1:
            return _alloc_list(1.0, _fixed(_literal_uint(args[0], MAX_UINT64)))
        if ov.endswith("_sort") and not args:
            sz = self.node_size(target)  # type: ignore[arg-type]
            factor = 2.0 + (_STRING_TRAVERSAL if ov in ("list_string_sort", "list_bytes_sort") else 0.0)
            return _alloc_list(factor, _s_mul(sz, sz))
        return None

    def list_element(self, node: _AstNode) -> _AstNode | None:
        if not node.t.params:
            return None
        return _AstNode([*node.path, "@items"] if node.path else None, node.t.params[0], None, None)

    def kube_cost(self, fn: str, ov: str, target: _AstNode | None,
                  args: list[_AstNode]) -> tuple[Size, Size | None] | None:
        """kube's ``CostEstimator.EstimateCallCost`` (apiserver/pkg/cel/library/cost.go)."""
        one = ((1, 1), None)
        if fn in ("isSorted", "sum", "max", "min", "indexOf", "lastIndexOf", "includes"):
            if target is None:
                return None
            el_cost = (1, 1)
            el = self.list_element(target)
            if el is not None:
                if el.t.kind in ("string", "bytes"):
                    el_cost = _s_add(el_cost, _s_factor(self.node_size(el), _STRING_TRAVERSAL))
                return _s_mul(self.node_size(target), el_cost), None
            if fn == "includes":
                return _s_mul(self.node_size(target), el_cost), None
            return _s_factor(self.node_size(target), _STRING_TRAVERSAL), None
        if fn in ("url", "jsonpatch.escapeKey"):
            if len(args) == 1:
                sz = self.node_size(args[0])
                return _s_factor(sz, _STRING_TRAVERSAL), sz
            return None
        if fn in ("lowerAscii", "upperAscii", "substring", "trim"):
            if target is not None:
                sz = self.node_size(target)
                return _s_factor(sz, _STRING_TRAVERSAL), sz
            return None
        if fn == "replace":
            if target is not None and len(args) >= 2:
                return self.replace_cost(target, args)
            return None
        if fn == "split":
            if target is not None:
                sz = self.node_size(target)
                top = sz[1]
                if len(args) > 1 and args[1].expr is not None and args[1].expr.kind == "lit" and \
                        isinstance(args[1].expr.value, int) and not isinstance(args[1].expr.value, bool):
                    top = args[1].expr.value % 2**64
                return _s_factor(sz, 2 * _STRING_TRAVERSAL), (0, top)
            return None
        if fn == "join":
            if target is not None:
                joined: Size = (0, 0)
                count = self.node_size(target)
                el = self.list_element(target)
                if el is not None:
                    joined = _s_mul(count, self.node_size(el))
                if args:
                    sep = self.node_size(args[0])
                    seps = (max(count[0] - 1, 0), max(count[1] - 1, 0))
                    joined = _s_add(joined, _s_mul(sep, seps))
                return _s_factor(joined, _STRING_TRAVERSAL), joined
            return None
        if fn in ("find", "findAll"):
            if target is not None and args:
                sz = self.node_size(target)
                str_cost = _s_factor(_s_add(sz, (1, 1)), _STRING_TRAVERSAL)
                regex_cost = _s_factor(self.node_size(args[0]), _REGEX_LENGTH)
                return _s_mul(str_cost, regex_cost), (0, sz[1])
            return None
        if fn in ("cidr", "isIP", "isCIDR", "quantity", "isQuantity", "semver", "isSemver"):
            if args:
                return _s_factor(self.node_size(args[0]), _STRING_TRAVERSAL), None
            return None
        if fn == "ip":
            if ov == "cidr_ip":
                return one
            if args:
                return _s_factor(self.node_size(args[0]), _STRING_TRAVERSAL), None
            return None
        if fn == "ip.isCanonical":
            if args:
                return _s_factor(self.node_size(args[0]), 2 * _STRING_TRAVERSAL), None
            return None
        if fn in ("masked", "prefixLength", "family", "isUnspecified", "isLoopback", "isLinkLocalMulticast",
                  "isLinkLocalUnicast", "isGlobalUnicast", "format.named", "sign", "asInteger", "isInteger",
                  "asApproximateFloat", "isGreaterThan", "isLessThan", "compareTo", "add", "sub", "major", "minor",
                  "patch", "getScheme", "getHostname", "getHost", "getPort", "getEscapedPath", "getQuery",
                  "serviceAccount", "path", "group", "resource", "subresource", "namespace", "name", "allowed",
                  "reason", "error", "errored"):
            return one
        if fn in ("containsIP", "containsCIDR"):
            if not args:
                return None
            ip_size = (4, 16)
            cost = _s_factor(_s_add(ip_size, ip_size), _STRING_TRAVERSAL)
            if fn == "containsCIDR":
                cost = _s_add(_s_add(cost, _s_factor(ip_size, _STRING_TRAVERSAL)), (1, 1))
            if ov in ("cidr_contains_ip_string", "cidr_contains_cidr_string"):
                cost = _s_add(cost, _s_factor(self.node_size(args[0]), _STRING_TRAVERSAL))
            return cost, None
        if fn == "validate":
            if args:
                return _s_factor(_s_factor(self.node_size(args[0]), _STRING_TRAVERSAL), 128 * _REGEX_LENGTH), None
            return None
        if fn == "_==_" and len(args) == 2:
            lhs, rhs = args
            if lhs.t.same(rhs.t):
                t = lhs.t
                if t.kind == "opaque" and t.name in ("net.IP", "net.CIDR"):
                    return one
                if t.kind == "struct":
                    if t.name in ("kubernetes.Quantity", "kubernetes.Semver"):
                        return one
                    if t.name == "kubernetes.NamedFormat":
                        return _s_factor((1, 64), _STRING_TRAVERSAL), None
                    if t.name == "kubernetes.URL":
                        size = (1, 1)
                        if rhs.size is not None:
                            size = rhs.size  # kube unions rhs with itself
                        return _s_factor((1, size[1]), _STRING_TRAVERSAL), None
        return None

    def replace_cost(self, target: _AstNode, args: list[_AstNode]) -> tuple[Size, Size | None]:
        sz = self.node_size(target)
        old = self.node_size(args[0])
        new = self.node_size(args[1])
        count_min = count_max = retained_min = retained_max = 0
        if old[0] == 0:
            count_max = sz[1] + 1 if sz[1] < MAX_UINT64 else sz[1]
            retained_max = sz[1]
        elif new[1] <= old[0]:
            count_max = 0
            retained_max = sz[1]
        else:
            count_max = math.ceil(float(sz[1]) / float(old[0]))
        if old[1] == 0:
            count_min = sz[0] + 1 if sz[0] < MAX_UINT64 else sz[0]
            retained_min = sz[0]
        elif old[1] <= new[0]:
            count_min = 0
            retained_min = sz[0]
        else:
            count_min = math.ceil(float(sz[0]) / float(old[1]))
        size = _s_add(_s_mul((count_min, min(count_max, MAX_UINT64)), new), (retained_min, retained_max))
        return _s_factor(sz, 2 * _STRING_TRAVERSAL), size

    def cel_cost(self, e: N, ov: str, target: _AstNode | None, args: list[_AstNode], arg_costs: list[Size],
                 arg_sum: Size) -> tuple[Size, Size | None]:
        """cel-go's own function costs (checker/cost.go functionCost)."""

        def size(node: _AstNode) -> Size:
            return node.size if node.size is not None else UNKNOWN

        if ov == "string_format" and target is not None:
            return _s_add(_s_factor(size(target), _STRING_TRAVERSAL), arg_sum), None
        if ov in ("string_to_bytes", "bytes_to_string", "strings_quote") and len(args) == 1:
            sz = size(args[0])
            result = {"string_to_bytes": (sz[0], _mul(sz[1], 4)), "bytes_to_string": (sz[0] // 4, sz[1]),
                      "strings_quote": (_add(sz[0], 2), _add(_mul(sz[1], 2), 2))}[ov]
            return _s_add(_s_factor(sz, _STRING_TRAVERSAL), arg_sum), result
        if ov in ("starts_with_string", "ends_with_string") and len(args) == 1:
            return _s_add(_s_factor(size(args[0]), _STRING_TRAVERSAL), arg_sum), None
        if ov == "in_list" and len(args) == 2:
            return _s_add(_s_factor(size(args[1]), 1), arg_sum), None
        if ov == "matches_string" and target is not None and len(args) == 1:
            str_cost = _s_factor(_s_add(size(target), (1, 1)), _STRING_TRAVERSAL)
            regex_cost = _s_factor(size(args[0]), _REGEX_LENGTH)
            return _s_add(_s_mul(str_cost, regex_cost), arg_sum), None
        if ov == "contains_string" and target is not None and len(args) == 1:
            str_cost = _s_factor(size(target), _STRING_TRAVERSAL)
            sub_cost = _s_factor(size(args[0]), _STRING_TRAVERSAL)
            return _s_add(_s_mul(str_cost, sub_cost), arg_sum), None
        if ov in ("logical_and", "logical_or"):
            lhs, rhs = arg_costs[0], arg_costs[1]
            return (lhs[0], _add(lhs[1], rhs[1])), None
        if ov == "conditional":
            result = _union(size(args[1]), size(args[2]))
            assert args[1].expr is not None and args[2].expr is not None
            self.set_entry(e, _entry_union(self.compute_entry(args[1].expr), self.compute_entry(args[2].expr)))
            return _s_add(arg_costs[0], _union(arg_costs[1], arg_costs[2])), result
        if ov in ("add_string", "add_bytes", "add_list") and len(args) == 2:
            result = _s_add(size(args[0]), size(args[1]))
            assert args[0].expr is not None and args[1].expr is not None
            entry = _entry_union(self.compute_entry(args[0].expr), self.compute_entry(args[1].expr))
            self.set_entry(e, entry)
            if ov == "add_list":
                return _s_add((1, 1), arg_sum), result
            return _s_add(_s_factor(result, _STRING_TRAVERSAL), arg_sum), result
        if ov in ("less_string", "less_bytes", "equals", "not_equals"):
            lhs, rhs = size(args[0]), size(args[1])
            smallest = min(lhs[1], rhs[1])
            low = 1 if smallest > 0 else 0
            return _s_add(_s_factor((low, smallest), _STRING_TRAVERSAL), arg_sum), None
        return _s_add((1, 1), arg_sum), None


def _alloc_list(factor: float, size: Size) -> tuple[Size, Size | None]:
    cost = _s_add(_s_add(_s_factor(size, factor), (1, 1)), _fixed(_LIST_CREATE))
    return cost, size


def _literal_uint(node: _AstNode, default: int) -> int:
    e = node.expr
    if e is None or e.kind != "lit" or e.t.kind != "int":
        return default
    return max(int(e.value), 0)


def _expr_size(e: N) -> Size | None:
    """computeExprSize: literals, and list and map constructions, have a known size."""
    if e.kind == "lit":
        if e.t.kind in ("string", "bytes"):
            return _fixed(len(e.value))
        if e.t.kind in ("bool", "double", "duration", "int", "timestamp", "uint", "null"):
            return (1, 1)
        return None
    if e.kind == "list":
        return _fixed(len(e.elems))
    if e.kind == "map":
        return _fixed(len(e.elems) // 2)
    return None


def _is_bind(e: N) -> bool:
    rng, cond = e.iter_range, e.loop_cond
    return rng is not None and rng.kind == "list" and not rng.elems and cond is not None and \
        cond.kind == "lit" and cond.value is False and e.accu_var != ACCU


def _result_kind(t: T) -> str:
    return "" if t.kind == "dyn" else t.kind


def estimate(expr: Expr, src: str, node: Node, is_resource_root: bool,
             optional_old_self: bool = False, decls: DeclCache | None = None) -> tuple[int, str]:
    """(cel-go's estimated maximum cost, result kind) of a parsed rule on ``node``; the kind is
    "" when the type is only known at run time (dyn). ``optional_old_self``: oldSelf is an
    optional value (the rule's ``optionalOldSelf``); ``decls``: declarations built for earlier
    rules of the same schema. RuleCheckError if it does not type-check."""
    root = decl_of(node, is_resource_root, decls)
    checked = _Checker(src, type_of_decl(root), optional_old_self).build(expr, {})
    cost = _Coster(root).cost(checked)
    return cost[1], _result_kind(checked.t)


def cardinality(ancestors: list[Node], node: Node, is_resource_root: bool, decls: DeclCache | None = None) -> int:
    """How many times a rule can run per object (kube's MaxCardinality): the product of the
    parents' ``maxItems``/``maxProperties`` when all are set, else how many of ``node``'s
    smallest serialized form fit in one request."""
    out = 1
    for a in ancestors:
        bound = a.max_items if a.type == "array" else a.max_properties
        if bound is None:
            d = decl_of(node, is_resource_root, decls)
            return MAX_REQUEST_SIZE_BYTES // ((d.min_size if d is not None else 1) + 1)
        out = _mul(out, max(bound, 0))
    return out


def expression_cost(cost: int, card: int) -> int:
    """``multiplyWithOverflowGuard``: the rule's cost times its cardinality."""
    return 0 if cost == 0 else _mul(cost, card)


def cost_error_message(name: str, cost: int, limit: int) -> str:
    factor = cost / limit
    if factor > 100.0:
        shown = "more than 100x"
    elif factor < 1.5:
        shown = f"{factor:f}x"
    else:
        shown = f"{factor:.1f}x"
    return (f"{name} exceeds budget by factor of {shown} (try simplifying the rule, or adding maxItems, "
            "maxProperties, and maxLength where arrays, maps, and strings are declared)")
