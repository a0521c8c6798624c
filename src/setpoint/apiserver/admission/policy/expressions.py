"""The CEL of admission policies: expressions compiled once per policy, run per request.

kube's ``k8s.io/apiserver/pkg/admission/plugin/cel``: an expression sees ``object``,
``oldObject``, ``request`` (an ``admission/v1 AdmissionRequest`` without the objects),
``params``, ``namespaceObject``, ``variables`` (the policy's named expressions, each
evaluated at most once per request and only when an expression reads it) and
``authorizer``. Expressions run on the interpreter the CRD rules use
(:mod:`setpoint.apiserver.apiextensions.cel`), with kube's libraries, ``Object{...}`` and
``JSONPatch{...}`` construction, and objects as plain JSON (``DynType``, as kube sees them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from setpoint.apiserver.apiextensions.cel import check, desugar, evaluate
from setpoint.apiserver.apiextensions.cel.library import LIBRARY
from setpoint.apiserver.apiextensions.cel.parse import CELSyntaxError, Expr, parse, walk

#: The variables every admission policy expression may read.
BASE_VARIABLES = frozenset({"object", "oldObject", "request", "params", "namespaceObject", "authorizer",
                            "variables"})
#: kube's authz library (:mod:`.authz`), declared for policy expressions only.
AUTHORIZER_FUNCTIONS = frozenset({"group", "resource", "subresource", "namespace", "name", "path", "check",
                                  "serviceAccount", "allowed", "reason", "errored", "error"})
#: The longest message a messageExpression may give (kube's MaxEvaluatedMessageExpressionSizeBytes).
MAX_MESSAGE_BYTES = 5 * 1024


@dataclass
class Expression:
    """One compiled expression: its text, the interpreter's program or kube's compile error."""

    source: str
    program: Any = None
    error: str = ""
    #: The names of ``variables.<name>`` it reads.
    variables: frozenset[str] = frozenset()
    #: The library functions it calls.
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    uses_authorizer: bool = False
    #: The inputs it reads, each with the top-level fields it selects (None: the whole value).
    reads: dict[str, frozenset[str] | None] = field(default_factory=dict)


def merge_reads(into: dict[str, frozenset[str] | None], reads: dict[str, frozenset[str] | None]) -> None:
    """Add one expression's :attr:`Expression.reads` to a policy's."""
    for name, fields in reads.items():
        if name not in into:
            into[name] = fields
        else:
            have = into[name]
            into[name] = None if have is None or fields is None else have | fields


def _reads(tree: Expr) -> dict[str, frozenset[str] | None]:
    """Which inputs ``tree`` reads and which of their fields: converting a value for the interpreter
    costs about a microsecond a node, so an object whose ``spec`` alone is read gets only its spec."""
    uses: dict[str, int] = {}
    selects: dict[str, set[str]] = {}
    selecting: dict[str, int] = {}
    for e in walk(tree):
        if e[0] == "id" and e[2] in BASE_VARIABLES:
            uses[e[2]] = uses.get(e[2], 0) + 1
        elif e[0] == "select" and e[2][0] == "id" and e[2][2] in BASE_VARIABLES:
            selects.setdefault(e[2][2], set()).add(e[3])
            selecting[e[2][2]] = selecting.get(e[2][2], 0) + 1
    return {name: frozenset(selects.get(name, ())) if selecting.get(name, 0) == count else None
            for name, count in uses.items()}


def _at(src: str, pos: int, message: str) -> str:
    """cel-go's error printer: location, message, the line and a caret under the column."""
    line = src.count("\n", 0, pos) + 1
    col = pos - (src.rfind("\n", 0, pos) + 1)
    text = src.splitlines()[line - 1] if src else ""
    return f"ERROR: <input>:{line}:{col + 1}: {message}\n | {text}\n | {'.' * col}^"


def compile_expression(src: str, variable_names: frozenset[str] = frozenset()) -> Expression:
    """``src`` checked and compiled; ``error`` holds ``compilation failed: ...`` text otherwise."""
    out = Expression(src)
    try:
        tree = parse(src)
    except CELSyntaxError as exc:
        out.error = _at(src, exc.pos, str(exc))
        return out
    missing = check.undeclared(tree, BASE_VARIABLES, AUTHORIZER_FUNCTIONS)
    if missing is not None:
        out.error = _at(src, missing[0], f"undeclared reference to '{missing[1]}' (in container '')")
        return out
    refs, authz = _references(tree)
    out.reads = _reads(tree)
    unknown = sorted(refs - variable_names)
    if unknown:
        out.error = f"undefined variable: {unknown[0]}"
    out.variables = frozenset(refs)
    out.uses_authorizer = authz
    out.functions = _functions(src)
    try:
        out.program = evaluate.compile_program(src)
    except Exception as exc:
        out.error = out.error or evaluate.syntax_error(src, exc)
    return out


def _references(tree: Expr) -> tuple[set[str], bool]:
    names: set[str] = set()
    authz = False
    for e in walk(tree):
        if e[0] == "select" and e[2][0] == "id" and e[2][2] == "variables":
            names.add(e[3])
        elif e[0] == "id" and e[2] == "authorizer":
            authz = True
    return names, authz


def _functions(src: str) -> dict[str, Callable[..., Any]]:
    """The library functions the expression (as the interpreter runs it) calls."""
    try:
        tree = parse(desugar.desugar(src))
    except CELSyntaxError:
        return dict(LIBRARY)
    names: set[str] = set()
    for e in walk(tree):
        if e[0] == "call":
            names.add(e[2])
            if e[3] is not None and e[3][0] == "id":
                names.add(f"{e[3][2]}.{e[2]}")
    return {n: LIBRARY[n] for n in names if n in LIBRARY}


def eval_error(src: str, exc: BaseException) -> str:
    """kube's message for an expression that failed at run time."""
    return f"expression '{src}' resulted in error: {evaluate._eval_error(exc)}"


@dataclass
class Variable:
    """A policy's ``variables[i]``: a name and its compiled expression."""

    name: str
    expression: Expression


class Activation:
    """The inputs of one evaluation (one policy, binding and param for one request).

    Variables are evaluated on first need, each once; an expression reading a variable that
    failed fails with the variable's error.
    """

    def __init__(self, inputs: dict[str, Any], variables: dict[str, Variable],
                 functions: dict[str, Callable[..., Any]]) -> None:
        self._inputs = inputs
        self._variables = variables
        self._values: dict[str, Any] = {}
        self._errors: dict[str, str] = {}
        self._functions = functions
        self._ctx: Any = None

    def _context(self) -> Any:
        if self._ctx is None:
            self._ctx = evaluate.interpreter().Context(
                variables={**self._inputs, "variables": dict(self._values)}, functions=self._functions)
        return self._ctx

    def _need(self, names: frozenset[str]) -> str:
        """Evaluate the variables ``names`` (and theirs); the first error met, or ""."""
        for name in sorted(names):
            if name in self._errors:
                return self._errors[name]
            if name in self._values:
                continue
            var = self._variables.get(name)
            if var is None:
                return f"undefined variable: {name}"
            expr = var.expression
            err = self._need(expr.variables)
            if not err and expr.error:
                err = f"composited variable \"{name}\" fails to compile: {expr.error}"
            if not err:
                try:
                    value = expr.program.execute(self._context())
                except Exception as exc:
                    err = evaluate._eval_error(exc)
                else:
                    self._values[name] = value
                    self._ctx = None
            if err:
                self._errors[name] = err
                return err
        return ""

    def run(self, expr: Expression) -> tuple[Any, str]:
        """(value, "") or (None, kube's error message)."""
        if expr.error:
            return None, f"compilation error: {expr.error}"
        if expr.variables:
            err = self._need(expr.variables)
            if err:
                return None, f"expression '{expr.source}' resulted in error: {err}"
        try:
            return expr.program.execute(self._context()), ""
        except Exception as exc:
            return None, eval_error(expr.source, exc)
