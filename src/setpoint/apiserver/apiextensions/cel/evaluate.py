"""``x-kubernetes-validations``: CEL rules on custom resources.

Evaluation uses ``common-expression-language`` (Python bindings to the Rust ``cel``
interpreter): compiled once per CRD version, each rule runs in microseconds. Kubernetes'
CEL libraries that the interpreter lacks (the ``strings`` extension, kube's ``lists``
and ``regex`` libraries, ``url``) are added as Python functions.

What the interpreter does not offer -- an AST and a cost model -- this module does
itself: a small CEL parser (:func:`parse`) gives every rule a syntax tree, from which

* ``oldSelf`` use is found (transition rules run only on updates, and only where old and
  new values correlate);
* fields that the schema does not declare are reported at CRD creation, as kube's type
  checker does (``undefined field 'foo'``), and rules that cannot be boolean are refused;
* the worst-case cost is estimated from the schema's ``maxLength``/``maxItems``/
  ``maxProperties`` (unbounded ones from the 3 MiB request limit), following cel-go's
  estimator; rules above kube's per-expression limit, and schemas above the per-CRD
  limit, are refused with kube's messages. A rule that passes therefore has a bounded
  cost on any object the server accepts.

At run time each object also has a time budget (:data:`RUNTIME_BUDGET_SECONDS`) across
all its rules, answered with kube's "running out of cost budget" error.
"""

from __future__ import annotations

import datetime
import math
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cel as celrt

from setpoint.apiserver.apiextensions.structural import Node, json_type
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import FieldError, FieldErrorType

#: Kube's limits (``k8s.io/apiserver/pkg/apis/cel``, apiextensions validation).
PER_CALL_LIMIT = 1_000_000
STATIC_ESTIMATED_COST_LIMIT = 10_000_000
STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000
MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024
MAX_MESSAGE_EXPRESSION_BYTES = 5 * 1024
#: Wall-clock budget of all rules of one object (kube counts cost units: 10M).
RUNTIME_BUDGET_SECONDS = 1.0

_BUDGET_MESSAGE = "validation failed due to running out of cost budget, no further validation rules will be run"


class CELSyntaxError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


# --- parser ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<ws>\s+|//[^\n]*)
    |(?P<float>(?:\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?))
    |(?P<uint>(?:0[xX][0-9a-fA-F]+|\d+)[uU])
    |(?P<int>0[xX][0-9a-fA-F]+|\d+)
    |(?P<str>(?:[rR][bB]?|[bB][rR]?)?(?:'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))
    |(?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
    |(?P<op>\|\||&&|==|!=|<=|>=|\.\?|[<>+\-*/%!?:.\[\](){},])
    """,
    re.VERBOSE | re.DOTALL,
)

#: An expression node: (kind, position, ...). Kinds: lit, id, select, index, call, list,
#: map, struct, cond, bin, un, has, comp.
Expr = tuple[Any, ...]

_MACROS = {"all", "exists", "exists_one", "map", "filter"}
_RESERVED = {"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
             "loop", "package", "namespace", "return", "var", "void", "while"}


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(src):
            m = _TOKEN.match(src, pos)
            if m is None:
                raise CELSyntaxError(f"Syntax error: token recognition error at: '{src[pos]}'", pos)
            kind = m.lastgroup or ""
            if kind != "ws":
                self.toks.append((kind, m.group(), pos))
            pos = m.end()
        self.toks.append(("eof", "", len(src)))
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def next(self) -> tuple[str, str, int]:
        t = self.toks[self.i]
        self.i += 1
        return t

    def accept(self, text: str) -> bool:
        k, v, _ = self.peek()
        if k == "op" and v == text:
            self.i += 1
            return True
        return False

    def expect(self, text: str) -> None:
        k, v, p = self.peek()
        if not (k == "op" and v == text):
            shown = "<EOF>" if k == "eof" else v
            raise CELSyntaxError(f"Syntax error: mismatched input '{shown}' expecting '{text}'", p)
        self.i += 1

    def parse(self) -> Expr:
        e = self.expr()
        k, v, p = self.peek()
        if k != "eof":
            raise CELSyntaxError(f"Syntax error: extraneous input '{v}' expecting <EOF>", p)
        return e

    def expr(self) -> Expr:
        c = self.or_()
        p = self.peek()[2]
        if self.accept("?"):
            a = self.or_()
            self.expect(":")
            b = self.expr()
            return ("cond", p, c, a, b)
        return c

    def or_(self) -> Expr:
        e = self.and_()
        while True:
            p = self.peek()[2]
            if not self.accept("||"):
                return e
            e = ("bin", p, "||", e, self.and_())

    def and_(self) -> Expr:
        e = self.rel()
        while True:
            p = self.peek()[2]
            if not self.accept("&&"):
                return e
            e = ("bin", p, "&&", e, self.rel())

    def rel(self) -> Expr:
        e = self.add()
        while True:
            k, v, p = self.peek()
            if (k == "op" and v in ("<", "<=", ">", ">=", "==", "!=")) or (k == "ident" and v == "in"):
                self.i += 1
                e = ("bin", p, v, e, self.add())
            else:
                return e

    def add(self) -> Expr:
        e = self.mul()
        while True:
            k, v, p = self.peek()
            if k == "op" and v in ("+", "-"):
                self.i += 1
                e = ("bin", p, v, e, self.mul())
            else:
                return e

    def mul(self) -> Expr:
        e = self.unary()
        while True:
            k, v, p = self.peek()
            if k == "op" and v in ("*", "/", "%"):
                self.i += 1
                e = ("bin", p, v, e, self.unary())
            else:
                return e

    def unary(self) -> Expr:
        k, v, p = self.peek()
        if k == "op" and v in ("!", "-"):
            self.i += 1
            return ("un", p, v, self.unary())
        return self.member()

    def member(self) -> Expr:
        e = self.primary()
        while True:
            k, v, p = self.peek()
            if k == "op" and v in (".", ".?"):
                self.i += 1
                nk, name, np_ = self.next()
                if nk != "ident":
                    raise CELSyntaxError(f"Syntax error: mismatched input '{name}' expecting IDENTIFIER", np_)
                if v == "." and self.accept("("):
                    args = self.args(")")
                    e = self.call(name, e, args, np_)
                else:
                    e = ("select", p, e, name, v == ".?")
            elif k == "op" and v == "[":
                self.i += 1
                self.accept("?")
                idx = self.expr()
                self.expect("]")
                e = ("index", p, e, idx)
            elif k == "op" and v == "{" and e[0] in ("id", "select"):
                self.i += 1
                fields: list[tuple[str, Expr]] = []
                while not self.accept("}"):
                    self.accept("?")
                    fk, fname, fp = self.next()
                    if fk != "ident":
                        raise CELSyntaxError(f"Syntax error: mismatched input '{fname}' expecting IDENTIFIER", fp)
                    self.expect(":")
                    fields.append((fname, self.expr()))
                    if not self.accept(","):
                        self.expect("}")
                        break
                e = ("struct", p, e, fields)
            else:
                return e

    def args(self, close: str) -> list[Expr]:
        out: list[Expr] = []
        if self.accept(close):
            return out
        while True:
            out.append(self.expr())
            if self.accept(close):
                return out
            self.expect(",")
            if self.accept(close):
                return out

    def call(self, name: str, target: Expr | None, args: list[Expr], pos: int) -> Expr:
        if target is None and name == "has" and len(args) == 1:
            if args[0][0] != "select":
                raise CELSyntaxError("invalid argument to has() macro", pos)
            return ("has", pos, args[0])
        if target is not None and name in _MACROS and args and args[0][0] == "id":
            if name == "map" and len(args) == 3:
                return ("comp", pos, "map", target, [args[0][2]], args[2], args[1])
            if len(args) == 2:
                return ("comp", pos, name, target, [args[0][2]], args[1], None)
            if len(args) == 3 and args[1][0] == "id" and name in ("all", "exists", "exists_one"):
                return ("comp", pos, name, target, [args[0][2], args[1][2]], args[2], None)
        if target is not None and name == "bind" and target == ("id", target[1], "cel") and len(args) == 3:
            return ("bind", pos, args[0][2] if args[0][0] == "id" else "", args[1], args[2])
        return ("call", pos, name, target, args)

    def primary(self) -> Expr:
        k, v, p = self.next()
        if k == "int":
            return ("lit", p, "int", int(v, 0))
        if k == "uint":
            return ("lit", p, "uint", int(v[:-1], 0))
        if k == "float":
            return ("lit", p, "double", float(v))
        if k == "str":
            return ("lit", p, "bytes" if "b" in v[:2].lower() else "string", _unquote(v))
        if k == "ident":
            if v in ("true", "false"):
                return ("lit", p, "bool", v == "true")
            if v == "null":
                return ("lit", p, "null", None)
            if v in _RESERVED:
                raise CELSyntaxError(f"Syntax error: reserved identifier: {v}", p)
            if self.accept("("):
                return self.call(v, None, self.args(")"), p)
            return ("id", p, v)
        if k == "op" and v == ".":
            nk, name, np_ = self.next()
            if nk != "ident":
                raise CELSyntaxError(f"Syntax error: mismatched input '{name}' expecting IDENTIFIER", np_)
            if self.accept("("):
                return self.call(name, None, self.args(")"), np_)
            return ("id", np_, name)
        if k == "op" and v == "(":
            e = self.expr()
            self.expect(")")
            return e
        if k == "op" and v == "[":
            return ("list", p, self.args("]"))
        if k == "op" and v == "{":
            entries: list[tuple[Expr, Expr]] = []
            while not self.accept("}"):
                self.accept("?")
                key = self.expr()
                self.expect(":")
                entries.append((key, self.expr()))
                if not self.accept(","):
                    self.expect("}")
                    break
            return ("map", p, entries)
        shown = "<EOF>" if k == "eof" else v
        raise CELSyntaxError(f"Syntax error: mismatched input '{shown}' expecting an expression", p)


def _unquote(tok: str) -> str:
    raw = False
    i = 0
    while tok[i] in "rRbB":
        if tok[i] in "rR":
            raw = True
        i += 1
    body = tok[i:]
    q = 3 if body[:3] in ("'''", '"""') else 1
    body = body[q:-q]
    if raw:
        return body
    try:
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return body


def parse(src: str) -> Expr:
    """The syntax tree of a CEL expression; :class:`CELSyntaxError` if it is not CEL."""
    return _Parser(src).parse()


def _walk(e: Any) -> list[Expr]:
    out: list[Expr] = []
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, tuple) and x and isinstance(x[0], str) and len(x) > 1 and isinstance(x[1], int):
            out.append(x)
            stack.extend(x[2:])
        elif isinstance(x, list | tuple):
            stack.extend(x)
    return out


def uses_old_self(e: Expr) -> bool:
    return any(x[0] == "id" and x[2] == "oldSelf" for x in _walk(e))


# --- kube's CEL libraries the interpreter lacks ------------------------------------------


def _quantity_fail(*_: Any) -> Any:
    raise ValueError("quantity is not supported")


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


def _find(s: str, pattern: str) -> str:
    m = re.search(pattern, s)
    return m.group(0) if m else ""


def _find_all(s: str, pattern: str, n: int = -1) -> list[str]:
    out = [m.group(0) for m in re.finditer(pattern, s)]
    return out if n < 0 else out[:n]


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
    # kube regex library
    "find": _find,
    "findAll": _find_all,
    # kube urls library
    "url": _url,
    "isURL": _is_url,
    "getScheme": _url_part("scheme"),
    "getHost": _url_part("host"),
    "getHostname": _url_part("hostname"),
    "getPort": _url_part("port"),
    "getEscapedPath": _url_part("path"),
    "getQuery": _url_part("query"),
    "quantity": _quantity_fail,
    "isQuantity": lambda s: bool(re.match(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$", s)),
}

_BOOL_FUNCS = {"startsWith", "endsWith", "contains", "matches", "isSorted", "isURL", "isQuantity", "exists",
               "all", "exists_one"}


# --- values ---------------------------------------------------------------------------------

_ESCAPES = (("__", "__underscores__"), (".", "__dot__"), ("-", "__dash__"), ("/", "__slash__"))
_IDENT = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_CEL_KEYWORDS = {"true", "false", "null", "in", *_RESERVED}


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


# --- static checks and cost -----------------------------------------------------------------


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
        kind = "bool" if name in _BOOL_FUNCS or name.startswith("is") else ""
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


# --- compiled rules ---------------------------------------------------------------------------


@dataclass
class CompiledRule:
    rule: str
    message: str
    message_expression: str
    reason: str
    field_path: str
    program: Any
    message_program: Any = None
    uses_old_self: bool = False
    optional_old_self: bool = False
    cost: int = 0
    error: str = ""
    normalized_path: list[str] = field(default_factory=list)


def compile_program(src: str) -> Any:
    """The interpreter's program; ValueError with cel's syntax error message otherwise."""
    return celrt.compile(src)


def syntax_error(src: str, exc: Exception) -> str:
    text = str(exc)
    marker = "Failed to parse expression"
    if marker in text and ": " in text:
        text = text.split(": ", 1)[1] if text.startswith(marker) else text
        idx = text.find("ERROR:")
        if idx >= 0:
            text = text[idx:]
    return text.replace("\n| ", "\n | ")


def parse_field_path(path: str) -> list[str] | None:
    """A rule's ``fieldPath`` (``.spec.foo['bar']``) as path segments, or None if malformed."""
    out: list[str] = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == ".":
            m = re.match(r"[^.\[\]]+", path[i + 1:])
            if m is None:
                return None
            out.append(m.group(0))
            i += 1 + m.end()
        elif ch == "[":
            m = re.match(r"\['((?:[^'\\]|\\.)*)'\]", path[i:])
            if m is None:
                return None
            out.append(m.group(1).replace("\\'", "'").replace("\\\\", "\\"))
            i += m.end()
        else:
            return None
    return out


def compile_node_rules(node: Node) -> list[CompiledRule]:
    """The node's x-kubernetes-validations as programs (checked at CRD creation already)."""
    out: list[CompiledRule] = []
    for raw in node.schema.get("x-kubernetes-validations") or []:
        if not isinstance(raw, dict):
            continue
        src = str(raw.get("rule") or "")
        cr = CompiledRule(rule=src, message=str(raw.get("message") or ""),
                          message_expression=str(raw.get("messageExpression") or ""),
                          reason=str(raw.get("reason") or ""), field_path=str(raw.get("fieldPath") or ""),
                          program=None, optional_old_self=raw.get("optionalOldSelf") is True)
        if not src.strip():
            continue
        try:
            cr.program = compile_program(src)
        except Exception as exc:
            cr.error = syntax_error(src, exc)
        try:
            cr.uses_old_self = uses_old_self(parse(src))
        except CELSyntaxError:
            cr.uses_old_self = "oldSelf" in src
        if cr.message_expression.strip():
            try:
                cr.message_program = compile_program(cr.message_expression)
            except Exception:
                cr.message_program = None
        if cr.field_path:
            cr.normalized_path = parse_field_path(cr.field_path) or []
        out.append(cr)
    return out


def attach(root: Node) -> bool:
    """Compile every node's rules; sets ``has_rules``. Returns whether any rule exists."""
    mark_plain(root)
    return _attach(root)


def referenced_fields(e: Expr, out: set[str]) -> bool:
    """Collect the names of ``self.<name>``/``oldSelf.<name>`` selections in ``out``; False
    when ``self`` or ``oldSelf`` is used as a whole (then every field must be visible)."""
    kind = e[0]
    if kind == "id":
        return e[2] not in ("self", "oldSelf")
    if kind == "select" and e[2][0] == "id" and e[2][2] in ("self", "oldSelf"):
        out.add(e[3])
        return True
    ok = True
    for child in e[2:]:
        for x in _children(child):
            if not referenced_fields(x, out):
                ok = False
    return ok


def _children(x: Any) -> list[Expr]:
    if isinstance(x, tuple) and x and isinstance(x[0], str) and len(x) > 1 and isinstance(x[1], int):
        return [x]
    if isinstance(x, list | tuple):
        out: list[Expr] = []
        for y in x:
            out.extend(_children(y))
        return out
    return []


def _visible_fields(node: Node) -> frozenset[str] | None:
    """The JSON names of the properties a node's rules read, when they only select fields."""
    if node.properties is None or isinstance(node.additional, Node) or node.preserve:
        return None
    names: set[str] = set()
    for r in node.rules:
        sources = [r.rule] + ([r.message_expression] if r.message_program is not None else [])
        for src in sources:
            try:
                if not referenced_fields(parse(src), names):
                    return None
            except CELSyntaxError:
                return None
    by_cel_name = {escape(k): k for k in node.properties}
    out = set()
    for n in names:
        if n not in by_cel_name:
            return None
        out.add(by_cel_name[n])
    return frozenset(out)


def _library_functions(node: Node) -> dict[str, Callable[..., Any]]:
    """The library functions a node's rules call (registering all of them costs ~40 µs per
    evaluation context)."""
    names: set[str] = set()
    for r in node.rules:
        for src in (r.rule, r.message_expression):
            if not src.strip():
                continue
            try:
                tree = parse(src)
            except CELSyntaxError:
                return dict(LIBRARY)
            names.update(e[2] for e in _walk(tree) if e[0] == "call")
    return {n: LIBRARY[n] for n in names if n in LIBRARY}


def _attach(node: Node) -> bool:
    node.rules = compile_node_rules(node) if node.schema.get("x-kubernetes-validations") else []
    node.cel_fields = _visible_fields(node) if node.rules else None
    node.cel_functions = _library_functions(node) if node.rules else {}
    any_rules = bool(node.rules)
    for c in node.children():
        if _attach(c):
            any_rules = True
    node.has_rules = any_rules
    return any_rules


# --- evaluation -----------------------------------------------------------------------------


def _type_value(node: Node) -> str:
    return node.type


def _rule_error_string(r: CompiledRule) -> str:
    return r.message.strip() if r.message else r.rule.strip()


def _eval_error(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"no such key: {exc.args[0] if exc.args else ''}"
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "integer overflow"
    text = str(exc)
    if isinstance(exc, TypeError) and text.startswith("No such overload"):
        return "no such overload"
    return text.split("\n")[0]


class _Budget:
    __slots__ = ("deadline", "exhausted")

    def __init__(self, seconds: float) -> None:
        self.deadline = time.perf_counter() + seconds
        self.exhausted = False


def validate(obj: Any, old: Any, root: Node, budget_seconds: float = RUNTIME_BUDGET_SECONDS) -> list[FieldError]:
    """Run every rule on ``obj`` (``old``: the stored object on update, for transition rules)."""
    errs: list[FieldError] = []
    if not root.has_rules:
        return errs
    _eval_node(obj, old, root, "", errs, _Budget(budget_seconds), False)
    return errs


def _eval_node(x: Any, old: Any, s: Node, path: str, errs: list[FieldError], budget: _Budget,
               parent_unchanged: bool) -> None:
    """``parent_unchanged``: the nearest correlatable ancestor equals its old value (kube ratchets
    the errors of rules without oldSelf below it)."""
    if x is None or budget.exhausted:
        return
    if s.rules:
        _eval_rules(x, old, s, path, errs, budget, parent_unchanged)
        if budget.exhausted:
            return
    if isinstance(x, dict):
        props = s.properties
        additional = s.additional if isinstance(s.additional, Node) else None
        old_map = old if isinstance(old, dict) else None
        for k, v in x.items():
            sub = props.get(k) if props is not None else None
            if sub is None:
                sub = additional
            if sub is None or not sub.has_rules:
                continue
            _eval_node(v, old_map.get(k) if old_map is not None else None, sub, f"{path}.{k}" if path else k,
                       errs, budget, False)
            if budget.exhausted:
                return
    elif isinstance(x, list):
        items = s.items
        if items is None or not items.has_rules:
            return
        olds = _correlate(x, old, s)
        # Items of lists that do not correlate ratchet when the whole list is unchanged.
        same = s.list_type != "map" and old is not None and x == old
        for i, v in enumerate(x):
            _eval_node(v, olds[i], items, f"{path}[{i}]", errs, budget, same)
            if budget.exhausted:
                return


def _correlate(x: list[Any], old: Any, s: Node) -> list[Any]:
    """Old items matching new ones: only map-type lists correlate (by their keys)."""
    if s.list_type != "map" or not isinstance(old, list) or not s.list_map_keys:
        return [None] * len(x)
    keys = s.list_map_keys
    index: dict[tuple[Any, ...], Any] = {}
    for o in old:
        if isinstance(o, dict):
            index[tuple(repr(o.get(k)) for k in keys)] = o
    return [index.get(tuple(repr(v.get(k)) for k in keys)) if isinstance(v, dict) else None for v in x]


def _eval_rules(x: Any, old: Any, s: Node, path: str, errs: list[FieldError], budget: _Budget,
                parent_unchanged: bool) -> None:
    unchanged = parent_unchanged or (old is not None and x == old)
    fields = s.cel_fields
    if fields is not None:
        # The rules only select these properties: convert just them for the interpreter.
        if isinstance(x, dict):
            x = {k: x[k] for k in fields if k in x}
        if isinstance(old, dict):
            old = {k: old[k] for k in fields if k in old}
    value = to_cel(x, s)
    old_value = to_cel(old, s) if old is not None else None
    variables: dict[str, Any] = {"self": value}
    if old is not None:
        variables["oldSelf"] = old_value
    ctx = celrt.Context(variables=variables, functions=s.cel_functions)
    type_value = _type_value(s)
    for r in s.rules:
        if r.error:
            errs.append(errors.invalid(path or "<nil>", type_value, f"rule compile error: {r.error}"))
            continue
        if r.program is None:
            continue
        if r.uses_old_self and old is None and not r.optional_old_self:
            continue
        if time.perf_counter() > budget.deadline:
            errs.append(errors.invalid(path or "<nil>", type_value, _BUDGET_MESSAGE))
            budget.exhausted = True
            return
        try:
            result = r.program.execute(ctx)
        except Exception as exc:
            detail = _eval_error(exc)
            if detail == "no such overload":
                errs.append(errors.invalid(path or "<nil>", type_value, f"'{detail}': call arguments did not match a supported "
                                           f"operator, function or macro signature for rule: {_rule_error_string(r)}"))
            else:
                errs.append(errors.invalid(path or "<nil>", type_value, f"{detail} evaluating rule: {_rule_error_string(r)}"))
            continue
        if result is True:
            continue
        if unchanged and not r.uses_old_self:
            continue  # ratcheting: the value did not change, the rule does not look at the old one
        err_path = path
        for seg in r.normalized_path:
            err_path = f"{err_path}.{seg}" if err_path else seg
        err_path = err_path or "<nil>"
        detail = ""
        if r.message_program is not None:
            try:
                msg = r.message_program.execute(ctx)
                if isinstance(msg, str):
                    msg = msg.strip()
                    if msg and "\n" not in msg and len(msg) <= MAX_MESSAGE_EXPRESSION_BYTES:
                        detail = msg
            except Exception:
                detail = ""
        if not detail:
            detail = r.message.strip() if r.message else f"failed rule: {_rule_error_string(r)}"
        errs.append(_error_for_reason(err_path, type_value, detail, r.reason))


def _error_for_reason(path: str, value: Any, detail: str, reason: str) -> FieldError:
    if reason == "FieldValueForbidden":
        return errors.forbidden(path, detail)
    if reason == "FieldValueRequired":
        return errors.required(path, detail)
    if reason == "FieldValueDuplicate":
        return errors.duplicate(path, value)
    return errors.invalid(path, value, detail)


def has_blocking_errors(errs: list[FieldError]) -> bool:
    """Whether schema errors keep the CEL rules from running (kube's ``hasBlockingErr``)."""
    blocking = {FieldErrorType.NOT_SUPPORTED, FieldErrorType.REQUIRED, FieldErrorType.TOO_LONG,
                FieldErrorType.TOO_MANY, FieldErrorType.TYPE_INVALID}
    return any(e.type in blocking for e in errs)


BLOCKED = errors.invalid(
    "<nil>", "null",
    "some validation rules were not checked because the object was invalid; correct the existing errors to "
    "complete validation")


def value_kind(value: Any) -> str:
    return json_type(value)
