"""References a rule makes that kube's CEL environment does not declare (checked at CRD creation).

cel-go's checker refuses an identifier or a function it does not know with ``undeclared
reference to 'foo' (in container '')``; :func:`undeclared` finds the first such reference.
"""

from __future__ import annotations

import datetime
import re

from setpoint.apimachinery import goregexp
from setpoint.apiserver.apiextensions.cel.library import LIBRARY, escape
from setpoint.apiserver.apiextensions.cel.parse import Expr
from setpoint.apiserver.apiextensions.structural import Node

#: The CEL standard library's functions and the macros the parser leaves as calls.
STANDARD = frozenset({
    "size", "contains", "startsWith", "endsWith", "matches", "string", "int", "uint", "double", "bool",
    "bytes", "duration", "timestamp", "dyn", "type", "getFullYear", "getMonth", "getDayOfYear",
    "getDayOfMonth", "getDate", "getDayOfWeek", "getHours", "getMinutes", "getSeconds", "getMilliseconds",
    "has", "all", "exists", "exists_one", "map", "filter",
    # optional values (the interpreter has them; the `.?` syntax it lacks fails to parse)
    "optional.of", "optional.none", "optional.ofNonZeroValue", "hasValue", "orValue", "value", "or",
})
#: Identifiers every rule may use besides the comprehension and bind variables.
_TYPES = frozenset({"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
                    "duration", "timestamp", "dyn"})


def undeclared(e: Expr, variables: frozenset[str] = frozenset({"self", "oldSelf"}),
               functions: frozenset[str] = frozenset()) -> tuple[int, str] | None:
    """(offset, name) of the first undeclared identifier or function in ``e``, or None; a
    call's offset is its ``(`` (the parser records the name's). ``functions``: declared beyond kube's
    libraries (an admission policy's ``authorizer`` library)."""
    kind = e[0]
    if kind == "id":
        return None if e[2] in variables or e[2] in _TYPES else (e[1], e[2])
    if kind == "call":
        # cel-go resolves a qualified name (sets.contains) first, else checks the target and the
        # arguments before the function.
        name, target, args = e[2], e[3], e[4]
        qualified = f"{target[2]}.{name}" if target is not None and target[0] == "id" else ""
        resolved = bool(qualified) and (_declared(qualified) or qualified in functions) and target[2] not in variables
        for x in ([target] if target is not None and not resolved else []) + list(args):
            found = undeclared(x, variables, functions)
            if found is not None:
                return found
        if not resolved and not _declared(name) and name not in functions:
            return (e[1] + len(name), name)  # cel-go points at the call's "("
        return None
    if kind == "comp":
        found = undeclared(e[3], variables, functions)
        if found is not None:
            return found
        inner = variables | frozenset(e[4])
        for x in (e[5], e[6]):
            if x is not None:
                found = undeclared(x, inner, functions)
                if found is not None:
                    return found
        return None
    if kind == "struct":
        for _, v in e[3]:
            found = undeclared(v, variables, functions)
            if found is not None:
                return found
        return None
    for child in e[2:]:
        for x in _exprs(child):
            found = undeclared(x, variables, functions)
            if found is not None:
                return found
    return None


def _declared(name: str) -> bool:
    """Whether kube's CEL environment declares the function ``name`` (the library's own
    helpers, named ``__...``, are for rewritten rules only)."""
    return (name in LIBRARY and not name.startswith("__")) or name in STANDARD


def _exprs(x: object) -> list[Expr]:
    if isinstance(x, tuple) and x and isinstance(x[0], str) and len(x) > 1 and isinstance(x[1], int):
        return [x]
    if isinstance(x, list | tuple):
        out: list[Expr] = []
        for y in x:
            out.extend(_exprs(y))
        return out
    return []


# --- operator overloads ----------------------------------------------------------------------------
#
# cel-go's checker refuses an operator applied to types it has no overload for, e.g.
# ``found no matching overload for '_+_' applied to '(int, string)'``. The types below are those
# kube declares for a schema (``SchemaDeclType``): only operands whose types are certain are
# checked; anything unknown is ``dyn``, which matches every overload.

DYN = "dyn"
TIMESTAMP = "google.protobuf.Timestamp"
DURATION = "google.protobuf.Duration"
_NUMERIC = ("int", "uint", "double")
_ORDERED = (*_NUMERIC, "string", "bytes", "bool", TIMESTAMP, DURATION)
_OPERATORS = {"+": "_+_", "-": "_-_", "*": "_*_", "/": "_/_", "%": "_%_", "<": "_<_", "<=": "_<=_", ">": "_>_",
              ">=": "_>=_", "==": "_==_", "!=": "_!=_", "&&": "_&&_", "||": "_||_", "in": "@in"}
_RESULTS = {"size": "int", "int": "int", "uint": "uint", "double": "double", "string": "string", "bool": "bool",
            "bytes": "bytes", "duration": DURATION, "timestamp": TIMESTAMP, "startsWith": "bool", "endsWith": "bool",
            "contains": "bool", "matches": "bool", "lowerAscii": "string", "upperAscii": "string", "trim": "string",
            "substring": "string", "replace": "string", "charAt": "string", "indexOf": "int",
            "lastIndexOf": "int", "format": "string", "join": "string", "isSorted": "bool"}


def schema_type(node: Node | None, resource_root: bool = False) -> str:
    """The CEL type kube declares for a schema node; objects are ``object``."""
    if node is None or node.int_or_string:
        return DYN
    if resource_root or node.embedded:
        return "object"
    if node.type == "array":
        return f"list({schema_type(node.items, node.items is not None and node.items.embedded)})" \
            if node.items is not None else DYN
    if node.type == "object":
        if isinstance(node.additional, Node):
            return f"map(string, {schema_type(node.additional, node.additional.embedded)})"
        return "object" if node.additional is None or node.properties else DYN
    if node.type == "string":
        return {"byte": "bytes", "duration": DURATION, "date": TIMESTAMP, "date-time": TIMESTAMP}.get(
            node.format, "string")
    return {"integer": "int", "number": "double", "boolean": "bool"}.get(node.type, DYN)


_STRING = Node({"type": "string"})
#: The metadata kube declares for rules at a resource's root.
_OBJECT_META = Node({"type": "object", "properties": {"name": {"type": "string"},
                                                      "generateName": {"type": "string"}}})


class OverloadError(Exception):
    """An operator applied to types it has no overload for; ``pos`` is the operator's offset."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos


def overload_error(e: Expr, node: Node, resource_root: bool = False) -> tuple[int, str] | None:
    """(offset, message) of the first operator applied to types without an overload, or None."""
    typer = _Typer(node, resource_root)
    try:
        typer.type_of(e, {})
    except OverloadError as exc:
        return exc.pos, str(exc)
    return None


_Scope = dict[str, tuple[str, "Node | None"]]


def aggregate_error(e: Expr, node: Node, resource_root: bool = False) -> tuple[int, str] | None:
    """(offset, message) of the first list or map literal whose elements, keys or values are of
    different known types (``cel.ValidateHomogeneousAggregateLiterals``), or None."""
    typer = _Typer(node, resource_root)
    try:
        typer.type_of(e, {})
    except OverloadError:
        return None
    return typer.mixed


class _Typer:
    def __init__(self, node: Node, resource_root: bool) -> None:
        self.node = node
        self.resource_root = resource_root
        #: The first literal of mixed types: (offset, message).
        self.mixed: tuple[int, str] | None = None
        #: Literals exempt from the homogeneity check (format()'s argument list).
        self.exempt: set[int] = set()

    def homogeneous(self, items: list[tuple[Expr, str]]) -> None:
        if self.mixed is not None or not items:
            return
        first = items[0][1]
        for x, t in items[1:]:
            if t != first:
                if _concrete(first) and _concrete(t):
                    self.mixed = (x[1], f"expected type '{first}' but found '{t}'")
                return

    def type_of(self, e: Expr, scope: _Scope) -> str:
        return self.typed(e, scope)[0]

    def typed(self, e: Expr, scope: _Scope) -> tuple[str, Node | None]:
        """(CEL type, schema node when the value is a schema field) of ``e``."""
        kind = e[0]
        if kind == "lit":
            return str(e[2]), None  # int, uint, double, string, bytes, bool, null
        if kind == "id":
            if e[2] in scope:
                return scope[e[2]]
            if e[2] in ("self", "oldSelf"):
                return schema_type(self.node, self.resource_root), self.node
            return DYN, None
        if kind == "select":
            return self.select(e, scope)
        if kind == "index":
            _, node = self.typed(e[2], scope)
            self.type_of(e[3], scope)
            if node is not None and node.type == "array" and node.items is not None:
                return schema_type(node.items, node.items.embedded), node.items
            if node is not None and isinstance(node.additional, Node):
                return schema_type(node.additional, node.additional.embedded), node.additional
            return DYN, None
        if kind == "bin":
            return self.binary(e, scope), None
        if kind == "un":
            operand = self.type_of(e[3], scope)
            if e[2] == "!":
                self.require(e[1], "!_", [operand], {"bool"})
                return "bool", None
            self.require(e[1], "-_", [operand], {"int", "double", DURATION})
            return operand, None
        if kind == "cond":
            self.type_of(e[2], scope)
            a, b = self.typed(e[3], scope), self.typed(e[4], scope)
            return (a if a[0] == b[0] else (DYN, None))
        if kind == "has":
            self.select(e[2], scope)
            return "bool", None
        if kind == "comp":
            return self.comprehension(e, scope), None
        if kind == "call":
            if e[2] == "format":
                self.exempt.update(id(x) for x in e[4] if x[0] == "list")
            receiver = self.type_of(e[3], scope) if e[3] is not None else None
            args = [self.type_of(x, scope) for x in e[4]]
            return self.check_call(e, receiver, args), None
        if kind == "list":
            typed = [(x, self.type_of(x, scope)) for x in e[2]]
            if id(e) not in self.exempt:
                self.homogeneous(typed)
            items = {t for _, t in typed}
            return (f"list({items.pop()})" if len(items) == 1 else "list(dyn)"), None
        if kind == "map":
            keys = [(k, self.type_of(k, scope)) for k, _ in e[2]]
            values = [(v, self.type_of(v, scope)) for _, v in e[2]]
            self.homogeneous(keys)
            self.homogeneous(values)
            k = keys[0][1] if len({t for _, t in keys}) == 1 else DYN
            v = values[0][1] if len({t for _, t in values}) == 1 else DYN
            return f"map({k}, {v})", None
        for child in e[2:]:
            if isinstance(child, tuple) and child and isinstance(child[0], str):
                self.type_of(child, scope)
        return DYN, None

    def select(self, e: Expr, scope: _Scope) -> tuple[str, Node | None]:
        """A field of an object type; ``undefined field`` for one its schema does not declare
        (kube declares only a resource's apiVersion, kind, metadata.name and
        metadata.generateName besides its properties)."""
        t, node = self.typed(e[2], scope)
        if e[4] or node is None or t != "object":
            return DYN, None
        if (node is self.node and self.resource_root) or node.embedded:
            if e[3] in ("apiVersion", "kind"):
                return "string", _STRING
            if e[3] == "metadata":
                return "object", _OBJECT_META
        for name, prop in (node.properties or {}).items():
            if escape(name) == e[3]:
                return schema_type(prop, prop.embedded), prop
        raise OverloadError(e[1], f"undefined field '{e[3]}'")

    def comprehension(self, e: Expr, scope: _Scope) -> str:
        target, node = self.typed(e[3], scope)
        elem: tuple[str, Node | None] = (DYN, None)
        key: tuple[str, Node | None] = (DYN, None)
        if node is not None and node.type == "array" and node.items is not None:
            elem, key = (schema_type(node.items, node.items.embedded), node.items), ("int", None)
        elif node is not None and isinstance(node.additional, Node):
            elem = key = ("string", None)
            if len(e[4]) == 2:
                elem = (schema_type(node.additional, node.additional.embedded), node.additional)
        inner = dict(scope)
        if len(e[4]) == 2:
            inner[e[4][0]], inner[e[4][1]] = key, elem
        else:
            inner[e[4][0]] = elem
        for x in (e[6], e[5]):
            if x is not None:
                self.type_of(x, inner)
        if e[2] in ("all", "exists", "exists_one", "existsOne"):
            return "bool"
        if e[2] == "filter":
            return target
        return DYN

    def binary(self, e: Expr, scope: _Scope) -> str:
        op, a, b = e[2], self.type_of(e[3], scope), self.type_of(e[4], scope)
        name = _OPERATORS.get(op)
        if op in ("==", "!=") and "null" in (a, b) and ({a, b} - {"null"}) <= set(_ORDERED) and a != b:
            # kube's schema types do not include null: comparing a field with null does not check
            raise self.mismatch(e[1], name or op, [a, b])
        if name is None or DYN in (a, b) or "object" in (a, b) or "null" in (a, b):
            return "bool" if op in ("<", "<=", ">", ">=", "==", "!=", "&&", "||", "in") else DYN
        if op in ("&&", "||"):
            self.require(e[1], name, [a, b], {"bool"})
            return "bool"
        if op in ("==", "!="):
            if not _unify(a, b):
                raise self.mismatch(e[1], name, [a, b])
            return "bool"
        if op in ("<", "<=", ">", ">="):
            cross = a in _NUMERIC and b in _NUMERIC  # kube enables cross-type numeric comparisons
            if not cross and (a != b or a not in _ORDERED):
                raise self.mismatch(e[1], name, [a, b])
            return "bool"
        if op == "in":
            if b.startswith("list(") and _unify(a, b[5:-1]):
                return "bool"
            if b.startswith("map(") and _unify(a, _map_key(b)):
                return "bool"
            if b.startswith(("list(", "map(")):
                raise self.mismatch(e[1], name, [a, b])
            return "bool"
        result = _arithmetic(op, a, b)
        if result is None:
            raise self.mismatch(e[1], name, [a, b])
        return result

    def check_call(self, e: Expr, receiver: str | None, args: list[str]) -> str:
        """The result type of a call; a standard, strings-library or kube-library function whose
        receiver and arguments are all of known types must have an overload for them."""
        name = e[2]
        if receiver is not None:
            signatures = _MEMBER_SIGNATURES.get(name, [])
            typed = _LIBRARY_MEMBERS.get(name, [])
        else:
            signatures = _GLOBAL_SIGNATURES.get(name, [])
            typed = _LIBRARY_GLOBALS.get(name, [])
        overloads = [(sig, _RESULTS.get(name, DYN)) for sig in signatures] + typed
        if not overloads:
            return _RESULTS.get(name, DYN)
        given = ([receiver] if receiver is not None else []) + args
        results = {result for _, result in overloads}
        if any(not _concrete(t) for t in given):
            return results.pop() if len(results) == 1 else DYN
        for sig, result in overloads:
            if len(sig) == len(given) and all(_fits(t, want) for t, want in zip(given, sig, strict=True)):
                return result
        shown = f"{receiver}.({', '.join(args)})" if receiver is not None else f"({', '.join(args)})"
        # cel-go points at the call's "(" (the parser records the name's)
        raise OverloadError(e[1] + len(name), f"found no matching overload for '{name}' applied to '{shown}'")

    def require(self, pos: int, name: str, args: list[str], allowed: set[str]) -> None:
        if all(a in allowed or a == DYN for a in args):
            return
        raise self.mismatch(pos, name, args)

    @staticmethod
    def mismatch(pos: int, name: str, args: list[str]) -> OverloadError:
        return OverloadError(pos, f"found no matching overload for '{name}' applied to '({', '.join(args)})'")


#: Receiver and argument types of the standard and strings-library functions checked;
#: ``list`` and ``map`` stand for any list or map.
_STRINGS = ("string",)
_MEMBER_SIGNATURES: dict[str, list[tuple[str, ...]]] = {
    "size": [("string",), ("bytes",), ("list",), ("map",)],
    "startsWith": [("string", "string")], "endsWith": [("string", "string")],
    "contains": [("string", "string")], "matches": [("string", "string")],
    "lowerAscii": [_STRINGS], "upperAscii": [_STRINGS], "trim": [_STRINGS],
    "charAt": [("string", "int")],
    "indexOf": [("string", "string"), ("string", "string", "int"), ("list", "*")],
    "lastIndexOf": [("string", "string"), ("string", "string", "int"), ("list", "*")],
    "split": [("string", "string"), ("string", "string", "int")],
    "substring": [("string", "int"), ("string", "int", "int")],
    "replace": [("string", "string", "string"), ("string", "string", "string", "int")],
    "join": [("list(string)",), ("list(string)", "string")],
    # strings' reverse is version 3 of cel-go's strings extension; kube enables version 2
    "reverse": [("list",)],
}
_GLOBAL_SIGNATURES: dict[str, list[tuple[str, ...]]] = {
    "size": [("string",), ("bytes",), ("list",), ("map",)],
    "matches": [("string", "string")],
}


#: Kube's CEL libraries (k8s.io/apiserver/pkg/cel/library): ip, cidr, quantity, semver, url, format.
_IP, _CIDR, _QUANTITY = "net.IP", "net.CIDR", "kubernetes.Quantity"
_SEMVER, _URL, _FORMAT = "kubernetes.Semver", "kubernetes.URL", "kubernetes.NamedFormat"
_Overloads = dict[str, list[tuple[tuple[str, ...], str]]]
_LIBRARY_GLOBALS: _Overloads = {
    "ip": [(("string",), _IP)], "isIP": [(("string",), "bool")],
    "cidr": [(("string",), _CIDR)], "isCIDR": [(("string",), "bool")],
    "quantity": [(("string",), _QUANTITY)], "isQuantity": [(("string",), "bool")],
    "semver": [(("string",), _SEMVER), (("string", "bool"), _SEMVER)],
    "isSemver": [(("string",), "bool"), (("string", "bool"), "bool")],
    "url": [(("string",), _URL)], "isURL": [(("string",), "bool")],
}
_LIBRARY_MEMBERS: _Overloads = {
    **{f: [((_IP,), r)] for f, r in (("family", "int"), ("isUnspecified", "bool"), ("isLoopback", "bool"),
                                      ("isLinkLocalMulticast", "bool"), ("isLinkLocalUnicast", "bool"),
                                      ("isGlobalUnicast", "bool"))},
    "containsIP": [((_CIDR, _IP), "bool"), ((_CIDR, "string"), "bool")],
    "containsCIDR": [((_CIDR, _CIDR), "bool"), ((_CIDR, "string"), "bool")],
    "ip": [((_CIDR,), _IP)], "masked": [((_CIDR,), _CIDR)], "prefixLength": [((_CIDR,), "int")],
    "isInteger": [((_QUANTITY,), "bool")], "asInteger": [((_QUANTITY,), "int")],
    "asApproximateFloat": [((_QUANTITY,), "double")], "sign": [((_QUANTITY,), "int")],
    "add": [((_QUANTITY, _QUANTITY), _QUANTITY), ((_QUANTITY, "int"), _QUANTITY)],
    "sub": [((_QUANTITY, _QUANTITY), _QUANTITY), ((_QUANTITY, "int"), _QUANTITY)],
    "isGreaterThan": [((_QUANTITY, _QUANTITY), "bool"), ((_SEMVER, _SEMVER), "bool")],
    "isLessThan": [((_QUANTITY, _QUANTITY), "bool"), ((_SEMVER, _SEMVER), "bool")],
    "compareTo": [((_QUANTITY, _QUANTITY), "int"), ((_SEMVER, _SEMVER), "int")],
    "major": [((_SEMVER,), "int")], "minor": [((_SEMVER,), "int")], "patch": [((_SEMVER,), "int")],
    **{f: [((_URL,), "string")] for f in ("getScheme", "getHost", "getHostname", "getPort", "getEscapedPath")},
    "getQuery": [((_URL,), "map(string, list(string))")],
    # lists (kube's and cel-go's ext.Lists) and strings' format: the argument types only
    "slice": [(("list", "int", "int"), DYN)], "flatten": [(("list",), DYN), (("list", "int"), DYN)],
    **{f: [(("list",), DYN)] for f in ("distinct", "sort", "first", "last", "sum", "min", "max")},
    "isSorted": [(("list",), "bool")],
    "format": [(("string", "list"), "string")],
}


def _concrete(t: str) -> bool:
    return DYN not in t and "object" not in t and t != "null"


def _fits(t: str, want: str) -> bool:
    if want == "*":
        return True
    if want in ("list", "map"):
        return t.startswith(want + "(")
    return t == want


def _arithmetic(op: str, a: str, b: str) -> str | None:
    if a == b and a in _NUMERIC and (op != "%" or a != "double"):
        return a
    if op == "+":
        if a == b and (a in ("string", "bytes", DURATION) or a.startswith("list(")):
            return a
        if {a, b} == {TIMESTAMP, DURATION}:
            return TIMESTAMP
    if op == "-":
        if a == b == TIMESTAMP:
            return DURATION
        if (a, b) in ((TIMESTAMP, DURATION), (DURATION, DURATION)):
            return a
    if a.startswith("list(") and b.startswith("list(") and op == "+":
        return "list(dyn)" if _unify(a, b) else None
    return None


def _map_key(t: str) -> str:
    return t[4:].split(",", 1)[0]


def _unify(a: str, b: str) -> bool:
    """Whether two types can be the same type parameter (``dyn`` matches anything)."""
    if a == b or DYN in (a, b):
        return True
    for prefix in ("list(", "map("):
        if a.startswith(prefix) and b.startswith(prefix):
            return _unify_params(a[len(prefix):-1], b[len(prefix):-1])
    return False


def _unify_params(a: str, b: str) -> bool:
    pa, pb = _split_params(a), _split_params(b)
    return len(pa) == len(pb) and all(_unify(x, y) for x, y in zip(pa, pb, strict=True))


def _split_params(s: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, c in enumerate(s):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(s[start:i].strip())
            start = i + 1
    out.append(s[start:].strip())
    return out


# --- kube's AST validators (cel.ExtendedValidations, since 1.29) ----------------------------------

_GO_DURATION = re.compile(r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|[-+]?0")
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def literal_error(e: Expr) -> tuple[int, str] | None:
    """(offset, message) of the first constant argument kube's validators refuse: an invalid
    ``duration('...')``, ``timestamp('...')`` or ``matches()`` pattern (cel-go checks the
    call's first argument: a member ``matches`` its pattern)."""
    for x in _walk(e):
        if x[0] != "call" or not x[4] or x[4][0][0] != "lit":
            continue
        name, arg = x[2], x[4][0]
        if name == "duration" and x[3] is None and (arg[2] != "string" or not _GO_DURATION.fullmatch(arg[3])):
            return arg[1], "invalid duration argument"
        if name == "timestamp" and x[3] is None and arg[2] == "string" and not _valid_timestamp(arg[3]):
            return arg[1], "invalid timestamp argument"
        if name == "matches" and arg[2] == "string":
            try:
                goregexp.compile(arg[3])
            except goregexp.GoRegexpError:
                return arg[1], "invalid matches argument"
    return None


def _valid_timestamp(text: str) -> bool:
    m = _RFC3339.fullmatch(text)
    if m is None:
        return False
    try:
        datetime.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]))
    except ValueError:
        return False
    return m[8] in "Zz" or (int(m[8][1:3]) < 24 and int(m[8][4:6]) < 60)


def _walk(e: Expr) -> list[Expr]:
    out = [e]
    for child in e[2:]:
        for x in _exprs(child):
            out.extend(_walk(x))
    return out
