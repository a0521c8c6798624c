"""Optional field selection (``self.?field``) for an interpreter that has optional values but not
the ``.?`` syntax: ``a.b.?c`` is rewritten to ``(has(a.b.c) ? optional.of(a.b.c) : optional.none())``,
as cel-go defines it, when the operand is a plain selection path (``self``, ``oldSelf.spec``).
"""

from __future__ import annotations

from setpoint.apiserver.apiextensions.cel.parse import CELSyntaxError, Expr, parse, walk


def _path(e: Expr) -> str | None:
    if e[0] == "id":
        return str(e[2])
    if e[0] == "select" and not e[4]:
        base = _path(e[2])
        return None if base is None else f"{base}.{e[3]}"
    return None


def _start(e: Expr) -> int:
    return int(e[1]) if e[0] == "id" else _start(e[2])


def desugar(src: str) -> str:
    """``src`` with each ``path.?field`` over a plain path rewritten; unchanged otherwise."""
    if ".?" not in src:
        return src
    try:
        tree = parse(src)
    except CELSyntaxError:
        return src
    edits: list[tuple[int, int, str]] = []
    for e in walk(tree):
        if e[0] != "select" or not e[4]:
            continue
        base = _path(e[2])
        if base is None:
            return src
        start = _start(e[2])
        name_at = src.index(e[3], e[1] + 2)
        end = name_at + len(e[3])
        full = f"{base}.{e[3]}"
        edits.append((start, end, f"(has({full}) ? optional.of({full}) : optional.none())"))
    for start, end, text in sorted(edits, reverse=True):
        src = src[:start] + text + src[end:]
    return src
