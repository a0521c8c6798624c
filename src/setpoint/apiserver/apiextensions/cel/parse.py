"""A small CEL parser: every rule as a syntax tree.

The interpreter (``common-expression-language``) offers no AST, so this module parses CEL
itself, as far as kube's checks need: which fields a rule reads (:func:`referenced_fields`
in :mod:`.cost`), whether it uses ``oldSelf`` (:func:`uses_old_self`: transition rules run
only on updates) and the shape the cost estimator walks.
"""

from __future__ import annotations

import re
from typing import Any


class CELSyntaxError(Exception):
    """A rule that does not parse; ``pos`` is the offset of the offending token."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


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

_MACROS = {"all", "exists", "exists_one", "map", "filter", "sortBy"}
#: cel-go's two-variable comprehensions (``ext.TwoVarComprehensions``), as kube enables them.
_TWO_VAR_MACROS = {"all", "exists", "existsOne", "exists_one", "transformList", "transformMap", "transformMapEntry"}
RESERVED = {"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
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
        if (target is not None and name in _TWO_VAR_MACROS and len(args) in (3, 4) and args[0][0] == "id"
                and args[1][0] == "id" and (len(args) == 3 or name.startswith("transform"))):
            extra = args[2] if len(args) == 4 else None  # a transform's filter
            return ("comp", pos, name, target, [args[0][2], args[1][2]], args[-1], extra)
        if target is not None and name in _MACROS and args and args[0][0] == "id":
            if name == "map" and len(args) == 3:
                return ("comp", pos, "map", target, [args[0][2]], args[2], args[1])
            if len(args) == 2:
                return ("comp", pos, name, target, [args[0][2]], args[1], None)
            if len(args) == 3 and args[1][0] == "id" and name in ("all", "exists", "exists_one"):
                return ("comp", pos, name, target, [args[0][2], args[1][2]], args[2], None)
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
            return ("lit", p, "bytes" if "b" in v[:len(v) - len(v.lstrip("rRbB"))].lower() else "string", _unquote(v))
        if k == "ident":
            if v in ("true", "false"):
                return ("lit", p, "bool", v == "true")
            if v == "null":
                return ("lit", p, "null", None)
            if v in RESERVED:
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
            items: list[Expr] = []
            while not self.accept("]"):
                self.accept("?")  # an optional element
                items.append(self.expr())
                if not self.accept(","):
                    self.expect("]")
                    break
            return ("list", p, items)
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


def walk(e: Any) -> list[Expr]:
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
    return any(x[0] == "id" and x[2] == "oldSelf" for x in walk(e))


