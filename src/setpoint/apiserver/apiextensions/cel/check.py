"""References a rule makes that kube's CEL environment does not declare (checked at CRD creation).

cel-go's checker refuses an identifier or a function it does not know with ``undeclared
reference to 'foo' (in container '')``; :func:`undeclared` finds the first such reference.
"""

from __future__ import annotations

from setpoint.apiserver.apiextensions.cel.library import LIBRARY
from setpoint.apiserver.apiextensions.cel.parse import Expr

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


def undeclared(e: Expr, variables: frozenset[str] = frozenset({"self", "oldSelf"})) -> tuple[int, str] | None:
    """(offset, name) of the first undeclared identifier or function in ``e``, or None; a
    call's offset is its ``(`` (the parser records the name's)."""
    kind = e[0]
    if kind == "id":
        return None if e[2] in variables or e[2] in _TYPES else (e[1], e[2])
    if kind == "call":
        name, target, args = e[2], e[3], e[4]
        qualified = f"{target[2]}.{name}" if target is not None and target[0] == "id" else ""
        if qualified and (qualified in LIBRARY or qualified in STANDARD) and target[2] not in variables:
            target = None
        elif name not in LIBRARY and name not in STANDARD:
            return (e[1] + len(name), name)  # cel-go points at the call's "("
        for x in ([target] if target is not None else []) + list(args):
            found = undeclared(x, variables)
            if found is not None:
                return found
        return None
    if kind == "comp":
        found = undeclared(e[3], variables)
        if found is not None:
            return found
        inner = variables | frozenset(e[4])
        for x in (e[5], e[6]):
            if x is not None:
                found = undeclared(x, inner)
                if found is not None:
                    return found
        return None
    if kind == "bind":
        found = undeclared(e[3], variables)
        return found if found is not None else undeclared(e[4], variables | {e[2]})
    if kind == "struct":
        for _, v in e[3]:
            found = undeclared(v, variables)
            if found is not None:
                return found
        return None
    for child in e[2:]:
        for x in _exprs(child):
            found = undeclared(x, variables)
            if found is not None:
                return found
    return None


def _exprs(x: object) -> list[Expr]:
    if isinstance(x, tuple) and x and isinstance(x[0], str) and len(x) > 1 and isinstance(x[1], int):
        return [x]
    if isinstance(x, list | tuple):
        out: list[Expr] = []
        for y in x:
            out.extend(_exprs(y))
        return out
    return []
