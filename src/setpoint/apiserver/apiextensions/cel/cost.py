"""Static checks and cost of CEL rules, as kube's type checker and cel-go's estimator do them.

Fields that the schema does not declare are reported at CRD creation (``undefined field
'foo'``) and rules that cannot be boolean are refused. The worst-case cost is estimated
from the schema's ``maxLength``/``maxItems``/``maxProperties`` (unbounded ones from the
3 MiB request limit); rules above kube's per-expression limit, and schemas above the
per-CRD limit, are refused with kube's messages, so a rule that passes has a bounded cost
on any object the server accepts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from setpoint.apiserver.apiextensions.cel.library import BOOL_FUNCS, escape
from setpoint.apiserver.apiextensions.cel.parse import Expr
from setpoint.apiserver.apiextensions.structural import Node

#: Kube's limits (``k8s.io/apiserver/pkg/apis/cel``, apiextensions validation).
PER_CALL_LIMIT = 1_000_000
STATIC_ESTIMATED_COST_LIMIT = 10_000_000
STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000
MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024


def _min_size(s: Node) -> int:
    if s.type == "boolean":
        return 4
    if s.type in ("number", "integer"):
        return 1
    if s.type == "string":
        return 2
    if s.type == "array":
        return 2
    if s.type == "object":
        size = 2
        for r in s.required:
            prop = (s.properties or {}).get(r)
            if prop is not None and not prop.has_default:
                size += len(r) + _min_size(prop) + 4
        return size
    return 1


def max_string_length(s: Node) -> int:
    if s.max_length is not None:
        return s.max_length
    if s.format == "duration":
        return 64
    if s.format == "date":
        return 12
    if s.format == "date-time":
        return 38
    if s.enum:
        return max((len(str(v)) for v in s.enum), default=0)
    return MAX_REQUEST_SIZE_BYTES - 2


def max_elements(s: Node) -> int:
    """The most items (array) or entries (map) of a value of ``s``."""
    if s.type == "array":
        if s.max_items is not None:
            return s.max_items
        return (MAX_REQUEST_SIZE_BYTES - 2) // (_min_size(s.items) + 1 if s.items is not None else 2)
    if s.max_properties is not None:
        return s.max_properties
    if s.properties is not None and not isinstance(s.additional, Node):
        return len(s.properties)
    value_size = _min_size(s.additional) if isinstance(s.additional, Node) else 1
    return (MAX_REQUEST_SIZE_BYTES - 2) // (4 + value_size + 1)


@dataclass
class _Est:
    cost: int
    size: int = 1  # max length (strings, bytes) / items (lists, maps)
    node: Node | None = None
    kind: str = ""  # bool, int, uint, double, string, bytes, list, map, null, "" (dyn)


def _kind_of(s: Node | None) -> str:
    if s is None:
        return ""
    if s.int_or_string or (s.preserve and not s.type):
        return ""
    return {"boolean": "bool", "integer": "int", "number": "double", "string": "string", "array": "list",
            "object": "map"}.get(s.type, "")


def _node_est(cost: int, s: Node | None) -> _Est:
    if s is None:
        return _Est(cost, MAX_REQUEST_SIZE_BYTES, None, "")
    kind = _kind_of(s)
    if kind == "string":
        size = max_string_length(s)
    elif kind in ("list", "map"):
        size = max_elements(s)
    else:
        size = 1
    return _Est(cost, size, s, kind)


def _trav(n: int) -> int:
    return math.ceil(n * 0.1)


class RuleCheckError(Exception):
    """A rule that does not compile for this schema (kube's ``compilation failed: ...``)."""


class _Checker:
    def __init__(self, src: str, root: Node, is_resource_root: bool) -> None:
        self.src = src
        self.root = root
        self.is_resource_root = is_resource_root

    def fail(self, pos: int, message: str) -> RuleCheckError:
        line = self.src.count("\n", 0, pos) + 1
        col = pos - (self.src.rfind("\n", 0, pos) + 1)
        text = self.src.splitlines()[line - 1] if self.src else ""
        return RuleCheckError(f"ERROR: <input>:{line}:{col + 1}: {message}\n | {text}\n | {'.' * col}^")

    def est(self, e: Expr, env: dict[str, _Est]) -> _Est:
        k = e[0]
        if k == "lit":
            kind = e[2]
            size = len(e[3]) if kind in ("string", "bytes") else 1
            return _Est(0, size, None, kind)
        if k == "id":
            name = e[2]
            if name in env:
                v = env[name]
                return _Est(1, v.size, v.node, v.kind)
            if name in ("self", "oldSelf"):
                return _node_est(1, self.root)
            return _Est(1, 1, None, "")
        if k == "select":
            operand = self.est(e[2], env)
            return self.select(e, operand)
        if k == "has":
            operand = self.est(e[2][2], env)
            self.select(e[2], operand)
            return _Est(operand.cost + 1, 1, None, "bool")
        if k == "index":
            operand = self.est(e[2], env)
            idx = self.est(e[3], env)
            sub = None
            if operand.node is not None:
                if operand.kind == "list":
                    sub = operand.node.items
                elif operand.kind == "map":
                    sub = operand.node.additional if isinstance(operand.node.additional, Node) else None
                    if sub is None and e[3][0] == "lit" and operand.node.properties is not None:
                        sub = operand.node.properties.get(str(e[3][3]))
            r = _node_est(operand.cost + idx.cost + 1, sub)
            return r
        if k == "list":
            items = [self.est(x, env) for x in e[2]]
            return _Est(sum(i.cost for i in items) + 10, len(items), None, "list")
        if k == "map":
            entries = [(self.est(a, env), self.est(b, env)) for a, b in e[2]]
            return _Est(sum(a.cost + b.cost for a, b in entries) + 30, len(entries), None, "map")
        if k == "struct":
            return _Est(sum(self.est(v, env).cost for _, v in e[3]) + 40, 1, None, "")
        if k == "cond":
            c = self.est(e[2], env)
            a = self.est(e[3], env)
            b = self.est(e[4], env)
            big = a if a.cost >= b.cost else b
            return _Est(c.cost + big.cost, max(a.size, b.size), a.node if a.node is b.node else None,
                        a.kind if a.kind == b.kind else "")
        if k == "un":
            x = self.est(e[3], env)
            return _Est(x.cost + 1, 1, None, "bool" if e[2] == "!" else x.kind)
        if k == "bin":
            return self.binop(e, env)
        if k == "call":
            return self.call(e, env)
        if k == "comp":
            return self.comp(e, env)
        if k == "bind":
            init = self.est(e[3], env)
            inner = dict(env)
            inner[e[2]] = _Est(1, init.size, init.node, init.kind)
            body = self.est(e[4], inner)
            return _Est(init.cost + body.cost, body.size, body.node, body.kind)
        return _Est(1)

    def select(self, e: Expr, operand: _Est) -> _Est:
        name = e[3]
        s = operand.node
        cost = operand.cost + 1
        if s is None:
            return _Est(cost, MAX_REQUEST_SIZE_BYTES, None, "")
        if s.type == "object" or s.properties is not None:
            if s.properties is not None:
                for prop_name, prop in s.properties.items():
                    if escape(prop_name) == name:
                        return _node_est(cost, prop)
            if isinstance(s.additional, Node):
                return _node_est(cost, s.additional)
            if s is self.root and self.is_resource_root and name in ("apiVersion", "kind", "metadata"):
                return _Est(cost, 253, None, "")
            if s.embedded and name in ("apiVersion", "kind", "metadata"):
                return _Est(cost, 253, None, "")
            if s.preserve or s.additional is True:
                return _Est(cost, MAX_REQUEST_SIZE_BYTES, None, "")
            raise self.fail(e[1], f"undefined field '{name}'")
        if s.type in ("string", "integer", "number", "boolean", "array"):
            raise self.fail(e[1], f"type '{_cel_type_name(s)}' does not support field selection")
        return _Est(cost, MAX_REQUEST_SIZE_BYTES, None, "")

    def binop(self, e: Expr, env: dict[str, _Est]) -> _Est:
        op = e[2]
        a = self.est(e[3], env)
        b = self.est(e[4], env)
        base = a.cost + b.cost
        if op in ("&&", "||"):
            return _Est(base, 1, None, "bool")
        if op in ("==", "!="):
            extra = _trav(min(a.size, b.size)) if a.kind in ("string", "bytes", "list", "map") or \
                b.kind in ("string", "bytes", "list", "map") else 1
            if a.kind in ("list", "map") and a.node is not None:
                extra = max(extra, min(a.size, b.size) * 2)
            return _Est(base + max(extra, 1), 1, None, "bool")
        if op in ("<", "<=", ">", ">="):
            extra = _trav(min(a.size, b.size)) if a.kind in ("string", "bytes") else 1
            return _Est(base + max(extra, 1), 1, None, "bool")
        if op == "in":
            extra = b.size if b.kind == "list" else 1
            return _Est(base + max(extra, 1), 1, None, "bool")
        if op == "+":
            if a.kind in ("string", "bytes") or b.kind in ("string", "bytes"):
                return _Est(base + max(_trav(a.size + b.size), 1), a.size + b.size, None, a.kind or b.kind)
            if a.kind == "list" or b.kind == "list":
                return _Est(base + 1, a.size + b.size, None, "list")
            return _Est(base + 1, 1, None, a.kind or b.kind)
        return _Est(base + 1, 1, None, a.kind if a.kind == b.kind else "")

    def call(self, e: Expr, env: dict[str, _Est]) -> _Est:
        name, target_e, args_e = e[2], e[3], e[4]
        target = self.est(target_e, env) if target_e is not None else None
        args = [self.est(a, env) for a in args_e]
        base = (target.cost if target is not None else 0) + sum(a.cost for a in args)
        subject = target if target is not None else (args[0] if args else _Est(0))
        n = subject.size
        if name == "size":
            return _Est(base + 1, 1, None, "int")
        if name in ("startsWith", "endsWith", "contains"):
            other = args[-1].size if args else 1
            return _Est(base + max(_trav(min(n, other) if name != "contains" else n) * max(_trav(other), 1), 1),
                        1, None, "bool")
        if name == "matches":
            pattern = args_e[-1][3] if args_e and args_e[-1][0] == "lit" else None
            regex_cost = math.ceil(len(pattern) * 0.25) if isinstance(pattern, str) else max(_trav(args[-1].size), 1)
            return _Est(base + max(_trav(n), 1) * max(regex_cost, 1), 1, None, "bool")
        if name in ("find", "findAll"):
            pattern = args_e[0][3] if args_e and args_e[0][0] == "lit" else None
            regex_cost = math.ceil(len(pattern) * 0.25) if isinstance(pattern, str) else max(_trav(n), 1)
            return _Est(base + max(_trav(n), 1) * max(regex_cost, 1), n, None,
                        "list" if name == "findAll" else "string")
        if name in ("lowerAscii", "upperAscii", "trim", "reverse", "replace", "substring", "charAt",
                    "indexOf", "lastIndexOf", "split", "quote"):
            kind = {"split": "list", "indexOf": "int", "lastIndexOf": "int"}.get(name, "string")
            if subject.kind == "list" and name in ("indexOf", "lastIndexOf"):
                return _Est(base + max(n, 1), 1, None, "int")
            return _Est(base + max(_trav(n), 1), n, None, kind)
        if name == "join":
            return _Est(base + max(_trav(n * 16), 1), n * 16, None, "string")
        if name in ("isSorted", "sum", "min", "max"):
            return _Est(base + max(n, 1), 1, None, "bool" if name == "isSorted" else "")
        if name == "format":
            return _Est(base + max(_trav(n) + sum(a.size for a in args), 1), n, None, "string")
        if name in ("string", "int", "uint", "double", "bool", "bytes", "duration", "timestamp", "dyn", "type"):
            kind = {"string": "string", "int": "int", "uint": "uint", "double": "double", "bool": "bool",
                    "bytes": "bytes"}.get(name, "")
            extra = _trav(n) if args and args[0].kind in ("string", "bytes") else 1
            return _Est(base + max(extra, 1), n if kind in ("string", "bytes") else 1, None, kind)
        kind = "bool" if name in BOOL_FUNCS or name.startswith("is") else ""
        return _Est(base + 1, 1, None, kind)

    def comp(self, e: Expr, env: dict[str, _Est]) -> _Est:
        macro, range_e, names, body_e, filter_e = e[2], e[3], e[4], e[5], e[6]
        rng = self.est(range_e, env)
        inner = dict(env)
        elem: Node | None = None
        key_est = _Est(1, MAX_REQUEST_SIZE_BYTES, None, "")
        if rng.node is not None:
            if rng.kind == "list":
                elem = rng.node.items
            elif rng.kind == "map":
                key_est = _Est(1, 253 if rng.node.properties is not None else MAX_REQUEST_SIZE_BYTES, None, "string")
                elem = rng.node.additional if isinstance(rng.node.additional, Node) else None
        if rng.kind == "map":
            if len(names) == 2:
                inner[names[0]] = key_est
                inner[names[1]] = _node_est(1, elem)
            else:
                inner[names[0]] = key_est
        else:
            if len(names) == 2:
                inner[names[0]] = _Est(1, 1, None, "int")
                inner[names[1]] = _node_est(1, elem)
            else:
                inner[names[0]] = _node_est(1, elem)
        body = self.est(body_e, inner)
        step = body.cost + 1
        if filter_e is not None:
            step += self.est(filter_e, inner).cost
        if macro in ("map", "filter"):
            step += 1
        cost = rng.cost + rng.size * step + 1
        if macro == "map":
            return _Est(cost, rng.size, None, "list")
        if macro == "filter":
            return _Est(cost, rng.size, rng.node, "list")
        return _Est(cost, 1, None, "bool")


def _cel_type_name(s: Node) -> str:
    return {"integer": "int", "number": "double", "boolean": "bool", "array": "list"}.get(s.type, s.type)


def estimate(expr: Expr, src: str, node: Node, is_resource_root: bool) -> tuple[int, str]:
    """(estimated cost, result kind) of a parsed rule on ``node``; RuleCheckError if it does not
    type-check against the schema."""
    checker = _Checker(src, node, is_resource_root)
    r = checker.est(expr, {})
    return r.cost, r.kind


def cardinality(ancestors: list[Node]) -> int:
    """How many times a rule can run per object: the product of the most items or entries of
    the arrays and maps above it."""
    out = 1
    for a in ancestors:
        out *= max(max_elements(a), 1)
    return out


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


