"""Rules rewritten into what the interpreter runs, where it lacks part of kube's CEL.

Each rewrite is a small edit of the rule's text at positions the parser (:mod:`.parse`)
records, so messages keep pointing into the rule as written:

* optional field selection ``a.b.?c`` becomes ``(has(a.b.c) ? optional.of(a.b.c) :
  optional.none())``, as cel-go defines it, when the operand is a plain selection path;
* ``matches()`` calls Go's RE2 (:func:`.kubelib.re2_matches`), not the interpreter's engine;
* ``sortBy(x, key)`` (cel-go's ext.Lists macro) maps each element to ``[element, key]`` and
  sorts those pairs (:func:`.kubelib.sort_pairs`);
* two-variable comprehensions (cel-go's ``ext.TwoVarComprehensions``, which kube enables):
  ``all``/``exists``/``existsOne`` with two variables and ``transformList``,
  ``transformMap`` and ``transformMapEntry`` run as one-variable macros over
  ``target.__pairs()`` (``[index or key, value]`` pairs), each variable read as the pair's
  first or second element;
* object construction (``Object{spec: Object.spec{replicas: 3}}``, ``JSONPatch{op: "add", ...}``,
  as admission policies write them) becomes a map literal with the field names as string keys:
  kube's ``Object`` types are plain JSON objects once built.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from setpoint.apiserver.apiextensions.cel.parse import _TOKEN, CELSyntaxError, Expr, parse

#: Two-variable macros and the one-variable macro each runs as.
TWO_VAR = {"all": "all", "exists": "exists", "existsOne": "exists_one", "exists_one": "exists_one",
           "transformList": "map", "transformMap": "map", "transformMapEntry": "map"}
#: What wraps the result of a transform: pairs into a map, maps merged into one.
_AFTER = {"transformMap": ".__to_map()", "transformMapEntry": ".__merge_entries()"}

Edit = tuple[int, int, str]


def desugar(src: str) -> str:
    """``src`` rewritten for the interpreter; unchanged when nothing needs rewriting."""
    if ".?" not in src and "matches" not in src and "(" not in src and "{" not in src:
        return src
    try:
        tree = parse(src)
    except CELSyntaxError:
        return src
    edits: list[Edit] = []
    _Rewriter(src, edits).visit(tree, {})
    if not edits:
        return src
    for start, end, text in sorted(edits, reverse=True):
        src = src[:start] + text + src[end:]
    return src


class _Rewriter:
    def __init__(self, src: str, edits: list[Edit]) -> None:
        self.src = src
        self.edits = edits
        self.names = (f"__p{i}" for i in itertools.count())

    def visit(self, e: Expr, renames: dict[str, str]) -> None:
        kind = e[0]
        if kind == "id":
            if e[2] in renames:
                self.edits.append((e[1], e[1] + len(e[2]), renames[e[2]]))
            return
        if kind == "select" and e[4]:
            self.optional_select(e, renames)
            return
        if kind == "comp":
            self.visit(e[3], renames)
            inner = {k: v for k, v in renames.items() if k not in e[4]}
            if len(e[4]) == 2 and e[2] in TWO_VAR:
                pair = next(self.names)
                inner.update({e[4][0]: f"{pair}[0]", e[4][1]: f"{pair}[1]"})
                self.two_var(e, pair)
            elif e[2] == "sortBy":
                self.sort_by(e)
            for x in (e[6], e[5]):
                if x is not None:
                    self.visit(x, inner)
            return
        if kind == "index" and self.src[e[1] + 1:].lstrip().startswith("?"):
            mark = self.src.index("?", e[1])
            _, _, close = _elements(self.src, e[1])
            self.edits += [(e[1], mark + 1, ".__opt_index("), (close, close + 1, ")")]
        if kind == "struct":
            self.struct(e)
        if kind in ("list", "map"):
            self.optional_entries(e)
        if kind == "call" and e[2] == "matches":
            self.edits.append((e[1], e[1] + len("matches"), "__re2_matches"))
        for child in e[2:]:
            for x in _exprs(child):
                self.visit(x, renames)

    def optional_select(self, e: Expr, renames: dict[str, str]) -> None:
        base = _path(e[2], renames)
        if base is None:  # not a plain path (an optional, an index, a call): a library function
            name_at = self.src.index(e[3], e[1] + 2)
            self.edits.append((e[1], name_at + len(e[3]), f'.__opt_select("{e[3]}")'))
            self.visit(e[2], renames)
            return
        start = _start(e[2])
        name_at = self.src.index(e[3], e[1] + 2)
        full = f"{base}.{e[3]}"
        self.edits.append((start, name_at + len(e[3]), f"(has({full}) ? optional.of({full}) : optional.none())"))

    def optional_entries(self, e: Expr) -> None:
        """``[?a, b]`` -> ``__opt_list([a, b], [0])``; ``{?k: v}`` -> ``__opt_map({k: v}, [k])``."""
        marks, keys, close = _elements(self.src, e[1])
        if not marks:
            return
        self.edits.append((e[1], e[1], "__opt_list(" if e[0] == "list" else "__opt_map("))
        self.edits += [(mark, mark + 1, "") for _, mark in marks]
        flagged = [str(i) for i, _ in marks] if e[0] == "list" else [keys[i] for i, _ in marks]
        self.edits.append((close, close + 1, f"{self.src[close]}, [{', '.join(flagged)}])"))

    def struct(self, e: Expr) -> None:
        """``Type.name{a: x}`` -> ``{"a": x}`` (the type name dropped)."""
        self.edits.append((_start(e[2]), e[1], ""))
        depth, expect_name = 0, False
        for kind, text, pos in _tokens(self.src, e[1]):
            if kind == "ws":
                continue
            if kind == "op" and text in "([{":
                depth += 1
                expect_name = depth == 1
                continue
            if kind == "op" and text in ")]}":
                depth -= 1
                if depth == 0:
                    break
                continue
            if depth == 1 and kind == "op" and text == ",":
                expect_name = True
            elif depth == 1 and expect_name and kind == "ident":
                self.edits.append((pos, pos + len(text), f'"{text}"'))
                expect_name = False

    def sort_by(self, e: Expr) -> None:
        """``.sortBy(x, key)`` -> ``.map(x, [x, key]).__sort_pairs()`` (cel-go's macro sorts the
        list by the keys it maps its elements to)."""
        open_at = self.src.index("(", e[1] + len(e[2]))
        commas, close = _commas(self.src, open_at)
        self.edits.append((e[1], open_at + 1, "map("))
        self.edits.append((commas[0] + 1, commas[0] + 1, f" [{e[4][0]},"))
        self.edits.append((close, close + 1, "]).__sort_pairs()"))

    def two_var(self, e: Expr, pair: str) -> None:
        """``.name(a, b, rest)`` -> ``.__pairs().macro(pair, rest)`` (+ the transform's wrapping)."""
        name, open_at = e[2], self.src.index("(", e[1] + len(e[2]))
        dot = self.src.rindex(".", 0, e[1])
        commas, close = _commas(self.src, open_at)
        self.edits.append((dot, commas[1] + 1, f".__pairs().{TWO_VAR[name]}({pair},"))
        if name == "transformMap":
            self.edits.append((commas[-1] + 1, commas[-1] + 1, f" [{pair}[0],"))
            self.edits.append((close, close + 1, "])" + _AFTER[name]))
        elif name in _AFTER:
            self.edits.append((close, close + 1, ")" + _AFTER[name]))


def _path(e: Expr, renames: dict[str, str]) -> str | None:
    if e[0] == "id":
        return renames.get(e[2], str(e[2]))
    if e[0] == "select" and not e[4]:
        base = _path(e[2], renames)
        return None if base is None else f"{base}.{e[3]}"
    return None


def _start(e: Expr) -> int:
    return int(e[1]) if e[0] == "id" else _start(e[2])


def _commas(src: str, open_at: int) -> tuple[list[int], int]:
    """Offsets of the top-level commas of the call whose ``(`` is at ``open_at``, and of its ``)``."""
    depth, commas = 0, list[int]()
    for kind, text, pos in _tokens(src, open_at):
        if kind != "op":
            continue
        if text in "([{":
            depth += 1
        elif text in ")]}":
            depth -= 1
            if depth == 0:
                return commas, pos
        elif text == "," and depth == 1:
            commas.append(pos)
    raise CELSyntaxError("unbalanced call", open_at)


def _elements(src: str, open_at: int) -> tuple[list[tuple[int, int]], list[str], int]:
    """The list, map or index whose bracket is at ``open_at``: (element index, offset) of each
    ``?`` marking an optional element, the text of each map key, and the closing offset."""
    depth, index, expect_mark = 0, 0, True
    marks: list[tuple[int, int]] = []
    keys: list[str] = []
    key_start = -1
    for kind, text, pos in _tokens(src, open_at):
        if kind == "ws":
            continue
        at_top = depth == 1
        if kind == "op" and text in "([{":
            depth += 1
            if depth == 1:
                key_start = pos + 1
                continue
        elif kind == "op" and text in ")]}":
            depth -= 1
            if depth == 0:
                return marks, keys, pos
        if at_top and kind == "op" and text == "?" and expect_mark:
            marks.append((index, pos))
            key_start = pos + 1
        elif at_top and kind == "op" and text == ":" and len(keys) == index:
            keys.append(src[key_start:pos].strip())
        elif at_top and kind == "op" and text == ",":
            index += 1
            key_start = pos + 1
            expect_mark = True
            continue
        expect_mark = False
    raise CELSyntaxError("unbalanced brackets", open_at)


def _tokens(src: str, pos: int) -> Iterator[tuple[str, str, int]]:
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None:
            return
        yield m.lastgroup or "", m.group(), pos
        pos = m.end()


def _exprs(x: object) -> list[Expr]:
    if isinstance(x, tuple) and x and isinstance(x[0], str) and len(x) > 1 and isinstance(x[1], int):
        return [x]
    if isinstance(x, list | tuple):
        return [y for item in x for y in _exprs(item)]
    return []
