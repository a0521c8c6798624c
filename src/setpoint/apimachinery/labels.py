"""Label selectors, as apimachinery parses and matches them: one grammar for server and runtime.

A port of apimachinery's ``pkg/labels/selector.go`` (the lexer and parser token for
token, so that every error message is kube's) and of ``metav1.LabelSelectorAsSelector``
for the ``{matchLabels, matchExpressions}`` form. Errors are
:class:`~setpoint.apimachinery.selection.SelectorError` with kube's message, e.g.::

    unable to parse requirement: <nil>: Invalid value: "a@b": name part must ...
    found '(', expected: !, identifier, or 'end of string'

(kubectl itself prefixes ``Unable to find "..." that match label selector ...``
client-side; the server does not.) A parsed :class:`Selector` compiles its
requirements into one function, so matching costs a few dict lookups.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from setpoint.apimachinery.goformat import field_value, quote
from setpoint.apimachinery.selection import (
    DOES_NOT_EXIST,
    DOUBLE_EQUALS,
    EQUALS,
    EXISTS,
    GREATER_THAN,
    IN,
    LESS_THAN,
    NOT_EQUALS,
    NOT_IN,
    SelectorError,
)
from setpoint.apimachinery.validation import is_qualified_name, is_valid_label_value

__all__ = [
    "Requirement",
    "Selector",
    "SelectorError",
    "as_selector",
    "everything",
    "nothing",
    "parse",
]

_BINARY_OPERATORS: Final = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)

_INT64_MIN: Final = -(1 << 63)
_INT64_MAX: Final = (1 << 63) - 1
_go_int_match: Final = re.compile(r"[+-]?[0-9]+").fullmatch


def _parse_int64(value: str) -> int | None:
    """``strconv.ParseInt(value, 10, 64)``, or ``None`` on error."""
    if _go_int_match(value) is None:
        return None
    number = int(value)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


def _invalid(path: str | None, value: Any, detail: str) -> str:
    """``field.Invalid(path, value, detail).Error()``; a nil path prints as ``<nil>``."""
    return f"{'<nil>' if path is None else path}: Invalid value: {field_value(value)}: {detail}"


def _aggregate(messages: list[str]) -> str:
    """``field.ErrorList.ToAggregate().Error()``: deduplicated, bracketed when several."""
    unique = list(dict.fromkeys(messages))
    if len(unique) == 1:
        return unique[0]
    return "[" + ", ".join(unique) + "]"


class Requirement:
    """One ``labels.Requirement``: a key, an operator and its values.

    Values keep the order given (the parser gives them sorted and
    deduplicated); ``str()`` sorts them as kube does. Build requirements with
    :func:`parse` or :func:`as_selector`, which
    validate; this constructor does not.
    """

    __slots__ = ("key", "operator", "values")

    def __init__(self, key: str, operator: str, values: Iterable[str] = ()) -> None:
        self.key = key
        self.operator = operator
        self.values: tuple[str, ...] = tuple(values)

    def __repr__(self) -> str:
        return f"Requirement({self.key!r}, {self.operator!r}, {self.values!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Requirement):
            return NotImplemented
        return (self.key, self.operator, self.values) == (other.key, other.operator, other.values)

    def __hash__(self) -> int:
        return hash((self.key, self.operator, self.values))

    def __str__(self) -> str:
        op = self.operator
        if op == EXISTS:
            return self.key
        if op == DOES_NOT_EXIST:
            return "!" + self.key
        values = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op == IN:
            return f"{self.key} in ({values})"
        if op == NOT_IN:
            return f"{self.key} notin ({values})"
        if op == GREATER_THAN:
            return f"{self.key}>{values}"
        if op == LESS_THAN:
            return f"{self.key}<{values}"
        return f"{self.key}{op}{values}"

    def matches(self, labels: Mapping[str, str]) -> bool:
        """``Requirement.Matches`` (the reference semantics; selectors compile their own)."""
        op = self.operator
        if op in (IN, EQUALS, DOUBLE_EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (NOT_IN, NOT_EQUALS):
            return self.key not in labels or labels[self.key] not in self.values
        if op == EXISTS:
            return self.key in labels
        if op == DOES_NOT_EXIST:
            return self.key not in labels
        if op in (GREATER_THAN, LESS_THAN):
            if self.key not in labels or len(self.values) != 1:
                return False
            have = _parse_int64(labels[self.key])
            want = _parse_int64(self.values[0])
            if have is None or want is None:
                return False
            return have > want if op == GREATER_THAN else have < want
        return False


_EMPTY_LABELS: Final[Mapping[str, str]] = {}


def _int_gt(value: str | None, bound: int) -> bool:
    if value is None:
        return False
    number = _parse_int64(value)
    return number is not None and number > bound


def _int_lt(value: str | None, bound: int) -> bool:
    if value is None:
        return False
    number = _parse_int64(value)
    return number is not None and number < bound


def _always(_: Mapping[str, str]) -> bool:
    return True


def _never(_: Mapping[str, str]) -> bool:
    return False


def _compile(requirements: tuple[Requirement, ...]) -> Callable[[Mapping[str, str]], bool]:
    """One straight-line function for the whole selector: a few dict lookups per match, made
    once for equal selectors (a scheduler or controller builds the same ones over and over)."""
    if not requirements:
        return _always
    return _compiled(tuple((r.key, r.operator, tuple(r.values)) for r in requirements))


@functools.lru_cache(maxsize=1024)
def _compiled(spec: tuple[tuple[str, str, tuple[str, ...]], ...]) -> Callable[[Mapping[str, str]], bool]:
    requirements = [Requirement(key, op, values) for key, op, values in spec]
    namespace: dict[str, Any] = {"_gt": _int_gt, "_lt": _int_lt}
    terms: list[str] = []
    for i, req in enumerate(requirements):
        key = f"_k{i}"
        namespace[key] = req.key
        op = req.operator
        values = req.values
        if op in (IN, EQUALS, DOUBLE_EQUALS, NOT_IN, NOT_EQUALS):
            positive = op in (IN, EQUALS, DOUBLE_EQUALS)
            if len(values) == 1:
                namespace[f"_v{i}"] = values[0]
                terms.append(f"get({key}) {'==' if positive else '!='} _v{i}")
            else:
                namespace[f"_v{i}"] = frozenset(values)
                terms.append(f"get({key}) {'in' if positive else 'not in'} _v{i}")
        elif op == EXISTS:
            terms.append(f"{key} in labels")
        elif op == DOES_NOT_EXIST:
            terms.append(f"{key} not in labels")
        elif op in (GREATER_THAN, LESS_THAN):
            bound = _parse_int64(values[0]) if len(values) == 1 else None
            if bound is None:
                return _never
            namespace[f"_v{i}"] = bound
            terms.append(f"{'_gt' if op == GREATER_THAN else '_lt'}(get({key}), _v{i})")
        else:
            return _never
    source = "def _match(labels):\n    get = labels.get\n    return " + " and ".join(terms) + "\n"
    exec(compile(source, "<label selector>", "exec"), namespace)
    fn: Callable[[Mapping[str, str]], bool] = namespace["_match"]
    return fn


class Selector:
    """A parsed, compiled ``labels.Selector``: the AND of its requirements.

    ``empty`` selectors match everything; the *nothing* selector (from a nil
    ``metav1.LabelSelector``) matches nothing and renders as ``""``.
    """

    __slots__ = ("_match", "_nothing", "requirements")

    def __init__(self, requirements: Iterable[Requirement] = (), *, nothing: bool = False) -> None:
        # Sorted by key, stably, as labels.Parse and Selector.Add do.
        self.requirements: tuple[Requirement, ...] = tuple(sorted(requirements, key=lambda r: r.key))
        self._nothing = nothing
        self._match = _never if nothing else _compile(self.requirements)

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything (``Selector.Empty``)."""
        return not self._nothing and not self.requirements

    @property
    def nothing(self) -> bool:
        """True for the selector that matches no object."""
        return self._nothing

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether an object with these labels is selected."""
        return self._match(_EMPTY_LABELS if labels is None else labels)

    def requires_exact_match(self, key: str) -> str | None:
        """``RequiresExactMatch``: the single value the selector needs for ``key``, if any."""
        for req in self.requirements:
            if req.key == key:
                if req.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(req.values) == 1:
                    return req.values[0]
                return None
        return None

    def equalities(self) -> list[tuple[str, str]]:
        """The ``(key, value)`` pairs an object must carry (``=``, ``==``, one-value ``in``): an index key."""
        return [(r.key, r.values[0]) for r in self.requirements
                if r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1]

    def __bool__(self) -> bool:
        """False for the selector that selects everything, so ``if selector:`` reads naturally."""
        return not self.empty

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        if self._nothing:
            return "Selector(nothing=True)"
        return f"Selector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Selector):
            return NotImplemented
        return self._nothing == other._nothing and self.requirements == other.requirements

    def __hash__(self) -> int:
        return hash((self._nothing, self.requirements))


def _new_requirement(
    key: str, op: str, values: list[str], path: str | None
) -> tuple[Requirement, list[str]]:
    """``labels.NewRequirement``: the requirement and its validation errors.

    ``path`` is the ``field.WithPath`` option; ``None`` is a nil path, which
    kube renders as ``<nil>`` on its own and drops when a child is taken.
    """

    def child(name: str) -> str:
        return f"{path}.{name}" if path else name

    errs: list[str] = []
    key_errs = is_qualified_name(key)
    if key_errs:
        errs.append(_invalid(child("key"), key, "; ".join(key_errs)))
    values_path = child("values")
    if op in (IN, NOT_IN):
        if not values:
            errs.append(
                _invalid(values_path, values or None, "for 'in', 'notin' operators, values set can't be empty")
            )
    elif op in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            errs.append(
                _invalid(values_path, values or None, "exact-match compatibility requires one single value")
            )
    elif op in (EXISTS, DOES_NOT_EXIST):
        if values:
            errs.append(
                _invalid(values_path, values, "values set must be empty for exists and does not exist")
            )
    elif op in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            errs.append(
                _invalid(
                    values_path, values or None, "for 'Gt', 'Lt' operators, exactly one value is required"
                )
            )
        for i, value in enumerate(values):
            if _parse_int64(value) is None:
                errs.append(
                    _invalid(
                        f"{values_path}[{i}]", value, "for 'Gt', 'Lt' operators, the value must be an integer"
                    )
                )
    for i, value in enumerate(values):
        value_errs = is_valid_label_value(value)
        if value_errs:
            errs.append(_invalid(f"{values_path}[{i}][{key}]", value, "; ".join(value_errs)))
    return Requirement(key, op, values), errs


# Lexer / parser: a direct port so that every message matches kube's.

_ERROR, _EOS, _CLOSED_PAR, _COMMA, _DNE, _DOUBLE_EQ, _EQ, _GT, _IDENT, _IN, _LT, _NEQ, _NOTIN, _OPEN_PAR = (
    range(14)
)

_STRING_TO_TOKEN: Final = {
    ")": _CLOSED_PAR,
    ",": _COMMA,
    "!": _DNE,
    "==": _DOUBLE_EQ,
    "=": _EQ,
    ">": _GT,
    "in": _IN,
    "<": _LT,
    "!=": _NEQ,
    "notin": _NOTIN,
    "(": _OPEN_PAR,
}
_SPECIAL: Final = frozenset("=!(),><")
_WHITESPACE: Final = frozenset(" \t\r\n")
_NUL: Final = "\0"


def _lex(text: str) -> list[tuple[int, str]]:
    """``Lexer.Lex`` until the end-of-string token. A NUL reads as end, as in Go."""
    items: list[tuple[int, str]] = []
    n = len(text)
    pos = 0

    def read() -> str:
        nonlocal pos
        if pos < n:
            pos += 1
            return text[pos - 1]
        return _NUL

    while True:
        ch = read()
        while ch in _WHITESPACE:
            ch = read()
        if ch == _NUL:
            items.append((_EOS, ""))
            return items
        pos -= 1
        if ch in _SPECIAL:
            buffer = ""
            last: tuple[int, str] | None = None
            while True:
                ch = read()
                if ch == _NUL:
                    break
                if ch in _SPECIAL:
                    buffer += ch
                    token = _STRING_TO_TOKEN.get(buffer)
                    if token is not None:
                        last = (token, buffer)
                    elif last is not None:
                        pos -= 1
                        break
                else:
                    pos -= 1
                    break
            items.append(last if last is not None else (_ERROR, f"error expected: keyword found '{buffer}'"))
        else:
            start = pos
            while True:
                ch = read()
                if ch == _NUL:
                    break
                if ch in _SPECIAL or ch in _WHITESPACE:
                    pos -= 1
                    break
            literal = text[start:pos]
            if literal.endswith(_NUL):
                literal = literal[:-1]
            items.append((_STRING_TO_TOKEN.get(literal, _IDENT), literal))


class _Parser:
    __slots__ = ("items", "position")

    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.position = 0

    def lookahead(self, values: bool) -> tuple[int, str]:
        tok, lit = self.items[min(self.position, len(self.items) - 1)]
        if values and tok in (_IN, _NOTIN):
            tok = _IDENT
        return tok, lit

    def consume(self, values: bool) -> tuple[int, str]:
        result = self.lookahead(values)
        self.position += 1
        return result

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self.lookahead(True)
            if tok in (_IDENT, _DNE):
                try:
                    requirements.append(self.parse_requirement())
                except SelectorError as err:
                    raise SelectorError(f"unable to parse requirement: {err}") from None
                tok, lit = self.consume(True)
                if tok == _EOS:
                    return requirements
                if tok == _COMMA:
                    tok2, lit2 = self.lookahead(True)
                    if tok2 not in (_IDENT, _DNE):
                        raise SelectorError(f"found '{lit2}', expected: identifier after ','")
                else:
                    raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            elif tok == _EOS:
                return requirements
            else:
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def parse_requirement(self) -> Requirement:
        key, operator = self.parse_key_and_infer_operator()
        values: list[str] = []
        if operator not in (EXISTS, DOES_NOT_EXIST):
            operator = self.parse_operator()
            values = self.parse_values() if operator in (IN, NOT_IN) else self.parse_exact_value()
        req, errs = _new_requirement(key, operator, values, None)
        if errs:
            raise SelectorError(_aggregate(errs))
        return req

    def parse_key_and_infer_operator(self) -> tuple[str, str]:
        operator = ""
        tok, literal = self.consume(True)
        if tok == _DNE:
            operator = DOES_NOT_EXIST
            tok, literal = self.consume(True)
        if tok != _IDENT:
            raise SelectorError(f"found '{literal}', expected: identifier")
        key_errs = is_qualified_name(literal)
        if key_errs:
            raise SelectorError(_invalid(None, literal, "; ".join(key_errs)))
        nxt, _ = self.lookahead(True)
        if nxt in (_EOS, _COMMA) and operator != DOES_NOT_EXIST:
            operator = EXISTS
        return literal, operator

    def parse_operator(self) -> str:
        tok, lit = self.consume(False)
        op = {
            _IN: IN,
            _EQ: EQUALS,
            _DOUBLE_EQ: DOUBLE_EQUALS,
            _GT: GREATER_THAN,
            _LT: LESS_THAN,
            _NOTIN: NOT_IN,
            _NEQ: NOT_EQUALS,
        }.get(tok)
        if op is None:
            raise SelectorError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return op

    def parse_values(self) -> list[str]:
        tok, lit = self.consume(True)
        if tok != _OPEN_PAR:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead(True)
        if tok in (_IDENT, _COMMA):
            values = self.parse_identifiers_list()
            if self.consume(True)[0] != _CLOSED_PAR:
                raise SelectorError(f"found '{lit}', expected: ')'")
            return values
        if tok == _CLOSED_PAR:
            self.consume(True)
            return [""]
        raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> list[str]:
        found: set[str] = set()
        while True:
            tok, lit = self.consume(True)
            if tok == _IDENT:
                found.add(lit)
                tok2, lit2 = self.lookahead(True)
                if tok2 == _COMMA:
                    continue
                if tok2 == _CLOSED_PAR:
                    return sorted(found)
                raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _COMMA:
                if not found:
                    found.add("")
                tok2, _ = self.lookahead(True)
                if tok2 == _CLOSED_PAR:
                    found.add("")
                    return sorted(found)
                if tok2 == _COMMA:
                    found.add("")
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> list[str]:
        tok, _ = self.lookahead(True)
        if tok in (_EOS, _COMMA):
            return [""]
        tok, lit = self.consume(True)
        if tok == _IDENT:
            return [lit]
        raise SelectorError(f"found '{lit}', expected: identifier")


def parse(text: str) -> Selector:
    """``labels.Parse``: the ``labelSelector`` query-parameter grammar.

    Raises :class:`SelectorError` with kube's message.
    """
    return Selector(_Parser(text).parse())


def everything() -> Selector:
    """``labels.Everything()``: matches every object."""
    return Selector()


def nothing() -> Selector:
    """``labels.Nothing()``: matches no object (what a nil ``metav1.LabelSelector`` converts to)."""
    return Selector(nothing=True)


_DICT_OPERATORS: Final = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}

_JSON_TYPES: Final[Mapping[type, str]] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def _shape_error(path: str, value: Any, expected: str) -> SelectorError:
    actual = _JSON_TYPES.get(type(value), "null" if value is None else type(value).__name__)
    return SelectorError(f'{path} in body must be of type {expected}: "{actual}"')


def as_selector(selector: Any) -> Selector:
    """``metav1.LabelSelectorAsSelector`` for a ``metav1.LabelSelector`` dict.

    ``None`` gives the selector that matches nothing; ``{}`` the one that matches
    everything. Invalid input raises :class:`SelectorError` with kube's message
    (``key: Invalid value: ...``, ``"Foo" is not a valid label selector operator``).
    """
    if selector is None:
        return Selector(nothing=True)
    if not isinstance(selector, Mapping):
        raise _shape_error("selector", selector, "object")
    match_labels = selector.get("matchLabels") or {}
    match_expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping):
        raise _shape_error("matchLabels", match_labels, "object")
    if not isinstance(match_expressions, list | tuple):
        raise _shape_error("matchExpressions", match_expressions, "array")
    requirements: list[Requirement] = []
    for key, value in match_labels.items():
        if not isinstance(key, str) or not isinstance(value, str | None):
            raise _shape_error(f"matchLabels.{key}", value, "string")
        req, errs = _new_requirement(key, EQUALS, [value or ""], None)
        if errs:
            raise SelectorError(_aggregate(errs))
        requirements.append(req)
    for i, expr in enumerate(match_expressions):
        if not isinstance(expr, Mapping):
            raise _shape_error(f"matchExpressions[{i}]", expr, "object")
        key = expr.get("key") or ""
        operator = expr.get("operator") or ""
        raw_values = expr.get("values") or []
        if not isinstance(key, str):
            raise _shape_error(f"matchExpressions[{i}].key", key, "string")
        if not isinstance(operator, str):
            raise _shape_error(f"matchExpressions[{i}].operator", operator, "string")
        if not isinstance(raw_values, list | tuple):
            raise _shape_error(f"matchExpressions[{i}].values", raw_values, "array")
        values: list[str] = []
        for j, item in enumerate(raw_values):
            if not isinstance(item, str | None):
                raise _shape_error(f"matchExpressions[{i}].values[{j}]", item, "string")
            values.append(item or "")
        op = _DICT_OPERATORS.get(operator)
        if op is None:
            raise SelectorError(f"{quote(operator)} is not a valid label selector operator")
        req, errs = _new_requirement(key, op, values, None)
        if errs:
            raise SelectorError(_aggregate(errs))
        requirements.append(req)
    return Selector(requirements)
