"""``x-kubernetes-validations``: CEL rules compiled once per CRD version and run on every write.

Evaluation uses ``common-expression-language`` (Python bindings to the Rust ``cel``
interpreter): each rule runs in microseconds, with kube's libraries from :mod:`.library`.
The other stages are :mod:`.parse` (syntax trees) and :mod:`.cost` (static checks and
cost limits, at CRD creation). At run time each object also has a time budget
(:data:`RUNTIME_BUDGET_SECONDS`) across all its rules, answered with kube's "running out
of cost budget" error.
"""

from __future__ import annotations

import functools
import importlib
import re
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from setpoint.apimachinery.types import json_type
from setpoint.apiserver.apiextensions.cel import desugar
from setpoint.apiserver.apiextensions.cel.library import LIBRARY, escape, mark_plain, to_cel
from setpoint.apiserver.apiextensions.cel.parse import CELSyntaxError, Expr, parse, uses_old_self, walk
from setpoint.apiserver.apiextensions.cel.rule import CompiledRule
from setpoint.apiserver.apiextensions.structural import Node
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import FieldError, FieldErrorType

MAX_MESSAGE_EXPRESSION_BYTES = 5 * 1024
#: Wall-clock budget of all rules of one object (kube counts cost units: 10M).
RUNTIME_BUDGET_SECONDS = 1.0

_BUDGET_MESSAGE = "validation failed due to running out of cost budget, no further validation rules will be run"


@functools.cache
def interpreter() -> ModuleType:
    """The CEL interpreter (``common-expression-language``), imported on first use: its package
    also imports its own CLI (prompt_toolkit, rich), about 200 ms of start-up that a server
    whose CRDs have no rules need not pay."""
    return importlib.import_module("cel")


def compile_program(src: str) -> Any:
    """The interpreter's program; ValueError with cel's syntax error message otherwise."""
    return interpreter().compile(desugar.desugar(src))


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
                tree = parse(desugar.desugar(src))
            except CELSyntaxError:
                return dict(LIBRARY)
            for e in walk(tree):
                if e[0] == "call":
                    names.add(e[2])
                    if e[3] is not None and e[3][0] == "id":
                        names.add(f"{e[3][2]}.{e[2]}")  # sets.contains
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
    m = _PYTHON_FAILURE.search(text)
    if m is not None:
        return m.group(1)  # a library function's own error, without the interpreter's wrapping
    if isinstance(exc, TypeError) and text.startswith("No such overload"):
        return "no such overload"
    return text.split("\n")[0]


_PYTHON_FAILURE = re.compile(r"Python function call failed: \w+: (.*?)(?:\. Check function arguments and their types\.)?$",
                             re.S)


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
    ctx = interpreter().Context(variables=variables, functions=s.cel_functions)
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
