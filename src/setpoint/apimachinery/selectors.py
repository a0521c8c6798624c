"""Label and field selectors, as kube-apiserver parses and matches them.

A port of apimachinery's ``pkg/labels/selector.go`` (the lexer and parser
token for token, so that every error message is kube's), of
``metav1.LabelSelectorAsSelector`` for the ``{matchLabels, matchExpressions}``
form, and of ``pkg/fields/selector.go``.

Errors are :class:`~setpoint.apiserver.encoding.errors.StatusError` 400 ``BadRequest``
carrying the same message kube-apiserver answers a list or watch with:
``metainternalversion`` decoding of ``labelSelector``/``fieldSelector`` wraps
the parser's error in ``NewBadRequest(err.Error())`` unchanged, e.g.::

    unable to parse requirement: <nil>: Invalid value: "a@b": name part must ...
    invalid selector: 'a'; can't understand 'a'

(kubectl itself prefixes ``Unable to find "..." that match label selector
...`` client-side; the server does not.)

Field labels a resource does not support are refused by
:meth:`FieldSelector.check` (400 ``BadRequest``). Kube has two wordings,
chosen by code path rather than by built-in vs custom: every custom resource
(``crConverter.ConvertFieldLabel``) and the built-in kinds that register a
field-label conversion func (Pod, Node, Secret, Event, Namespace, Service,
...) answer ``field label not supported: <label>`` (a few kinds have their
own text, e.g. Job); every other built-in kind (ConfigMap, Deployment, ...)
falls back to ``runtime.DefaultMetaV1FieldSelectorConversion``, which answers
``"<label>" is not a known field selector: only "metadata.name",
"metadata.namespace"``. See :func:`field_label_not_supported`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Final

from setpoint.apiserver.encoding.errors import FieldError, StatusError, bad_request, invalid
from setpoint.apiserver.registry.metadata import go_quote, is_qualified_name, is_valid_label_value

__all__ = [
    "DOES_NOT_EXIST",
    "DOUBLE_EQUALS",
    "EQUALS",
    "EXISTS",
    "GREATER_THAN",
    "IN",
    "LESS_THAN",
    "NOT_EQUALS",
    "NOT_IN",
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "escape_field_value",
    "field_label_not_supported",
    "label_selector_from_dict",
    "parse_field_selector",
    "parse_label_selector",
    "unescape_field_value",
]

# ``selection.Operator`` values.
DOES_NOT_EXIST: Final = "!"
EQUALS: Final = "="
DOUBLE_EQUALS: Final = "=="
IN: Final = "in"
NOT_EQUALS: Final = "!="
NOT_IN: Final = "notin"
EXISTS: Final = "exists"
GREATER_THAN: Final = "gt"
LESS_THAN: Final = "lt"

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


def _aggregate(errors: list[FieldError]) -> str:
    """``field.ErrorList.ToAggregate().Error()``: deduplicated, bracketed when several."""
    messages: list[str] = []
    for err in errors:
        msg = err.message()
        if msg not in messages:
            messages.append(msg)
    if len(messages) == 1:
        return messages[0]
    return "[" + ", ".join(messages) + "]"


# --------------------------------------------------------------------------
# Label selectors
# --------------------------------------------------------------------------


class Requirement:
    """One ``labels.Requirement``: a key, an operator and its values.

    Values keep the order given (the parser gives them sorted and
    deduplicated); ``str()`` sorts them as kube does. Build requirements with
    :func:`parse_label_selector` or :func:`label_selector_from_dict`, which
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
    """One straight-line function for the whole selector: a few dict lookups per match."""
    if not requirements:
        return _always
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


class LabelSelector:
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

    @classmethod
    def everything(cls) -> LabelSelector:
        return cls()

    @classmethod
    def nothing_selector(cls) -> LabelSelector:
        return cls(nothing=True)

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

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        if self._nothing:
            return "LabelSelector(nothing=True)"
        return f"LabelSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelSelector):
            return NotImplemented
        return self._nothing == other._nothing and self.requirements == other.requirements

    def __hash__(self) -> int:
        return hash((self._nothing, self.requirements))


def _new_requirement(
    key: str, op: str, values: list[str], path: str | None
) -> tuple[Requirement, list[FieldError]]:
    """``labels.NewRequirement``: the requirement and its validation errors.

    ``path`` is the ``field.WithPath`` option; ``None`` is a nil path, which
    kube renders as ``<nil>`` on its own and drops when a child is taken.
    """

    def child(name: str) -> str:
        return f"{path}.{name}" if path else name

    errs: list[FieldError] = []
    key_errs = is_qualified_name(key)
    if key_errs:
        errs.append(invalid(child("key"), key, "; ".join(key_errs)))
    values_path = child("values")
    if op in (IN, NOT_IN):
        if not values:
            errs.append(
                invalid(values_path, values or None, "for 'in', 'notin' operators, values set can't be empty")
            )
    elif op in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            errs.append(
                invalid(values_path, values or None, "exact-match compatibility requires one single value")
            )
    elif op in (EXISTS, DOES_NOT_EXIST):
        if values:
            errs.append(
                invalid(values_path, values, "values set must be empty for exists and does not exist")
            )
    elif op in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            errs.append(
                invalid(
                    values_path, values or None, "for 'Gt', 'Lt' operators, exactly one value is required"
                )
            )
        for i, value in enumerate(values):
            if _parse_int64(value) is None:
                errs.append(
                    invalid(
                        f"{values_path}[{i}]", value, "for 'Gt', 'Lt' operators, the value must be an integer"
                    )
                )
    for i, value in enumerate(values):
        value_errs = is_valid_label_value(value)
        if value_errs:
            errs.append(invalid(f"{values_path}[{i}][{key}]", value, "; ".join(value_errs)))
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


class _SelectorSyntaxError(Exception):
    pass


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
                except _SelectorSyntaxError as err:
                    raise _SelectorSyntaxError(f"unable to parse requirement: {err}") from None
                tok, lit = self.consume(True)
                if tok == _EOS:
                    return requirements
                if tok == _COMMA:
                    tok2, lit2 = self.lookahead(True)
                    if tok2 not in (_IDENT, _DNE):
                        raise _SelectorSyntaxError(f"found '{lit2}', expected: identifier after ','")
                else:
                    raise _SelectorSyntaxError(f"found '{lit}', expected: ',' or 'end of string'")
            elif tok == _EOS:
                return requirements
            else:
                raise _SelectorSyntaxError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def parse_requirement(self) -> Requirement:
        key, operator = self.parse_key_and_infer_operator()
        values: list[str] = []
        if operator not in (EXISTS, DOES_NOT_EXIST):
            operator = self.parse_operator()
            values = self.parse_values() if operator in (IN, NOT_IN) else self.parse_exact_value()
        req, errs = _new_requirement(key, operator, values, None)
        if errs:
            raise _SelectorSyntaxError(_aggregate(errs))
        return req

    def parse_key_and_infer_operator(self) -> tuple[str, str]:
        operator = ""
        tok, literal = self.consume(True)
        if tok == _DNE:
            operator = DOES_NOT_EXIST
            tok, literal = self.consume(True)
        if tok != _IDENT:
            raise _SelectorSyntaxError(f"found '{literal}', expected: identifier")
        key_errs = is_qualified_name(literal)
        if key_errs:
            raise _SelectorSyntaxError(invalid("<nil>", literal, "; ".join(key_errs)).message())
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
            raise _SelectorSyntaxError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return op

    def parse_values(self) -> list[str]:
        tok, lit = self.consume(True)
        if tok != _OPEN_PAR:
            raise _SelectorSyntaxError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead(True)
        if tok in (_IDENT, _COMMA):
            values = self.parse_identifiers_list()
            if self.consume(True)[0] != _CLOSED_PAR:
                raise _SelectorSyntaxError(f"found '{lit}', expected: ')'")
            return values
        if tok == _CLOSED_PAR:
            self.consume(True)
            return [""]
        raise _SelectorSyntaxError(f"found '{lit}', expected: ',', ')' or identifier")

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
                raise _SelectorSyntaxError(f"found '{lit2}', expected: ',' or ')'")
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
                raise _SelectorSyntaxError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> list[str]:
        tok, _ = self.lookahead(True)
        if tok in (_EOS, _COMMA):
            return [""]
        tok, lit = self.consume(True)
        if tok == _IDENT:
            return [lit]
        raise _SelectorSyntaxError(f"found '{lit}', expected: identifier")


def parse_label_selector(text: str) -> LabelSelector:
    """``labels.Parse``: the ``labelSelector`` query-parameter grammar.

    Raises a 400 ``BadRequest`` :class:`StatusError` with kube's message.
    """
    try:
        requirements = _Parser(text).parse()
    except _SelectorSyntaxError as err:
        raise bad_request(str(err)) from None
    return LabelSelector(requirements)


_DICT_OPERATORS: Final = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def _shape_error(path: str, value: Any, expected: str) -> StatusError:
    actual = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), "null" if value is None else type(value).__name__)
    return bad_request(f'{path} in body must be of type {expected}: "{actual}"')


def label_selector_from_dict(selector: Any) -> LabelSelector:
    """``metav1.LabelSelectorAsSelector`` for a ``metav1.LabelSelector`` dict.

    ``None`` gives the selector that matches nothing; ``{}`` the one that
    matches everything. Invalid input raises a 400 ``BadRequest``
    :class:`StatusError` with kube's message (``key: Invalid value: ...``,
    ``"Foo" is not a valid label selector operator``).
    """
    if selector is None:
        return LabelSelector(nothing=True)
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
            raise bad_request(_aggregate(errs))
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
            raise bad_request(f"{go_quote(operator)} is not a valid label selector operator")
        req, errs = _new_requirement(key, op, values, None)
        if errs:
            raise bad_request(_aggregate(errs))
        requirements.append(req)
    return LabelSelector(requirements)


# --------------------------------------------------------------------------
# Field selectors
# --------------------------------------------------------------------------


def escape_field_value(value: str) -> str:
    """``fields.EscapeValue``: backslash-escape ``\\``, ``,`` and ``=``."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_field_value(value: str) -> str:
    """``fields.UnescapeValue``; a bad sequence raises a 400 ``BadRequest``."""
    if "\\" not in value and "," not in value and "=" not in value:
        return value
    out: list[str] = []
    in_slash = False
    for ch in value:
        if in_slash:
            if ch in "\\,=":
                out.append(ch)
            else:
                raise bad_request(f"invalid field selector: invalid escape sequence: \\{ch}")
            in_slash = False
        elif ch == "\\":
            in_slash = True
        elif ch in ",=":
            raise bad_request(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if in_slash:
        raise bad_request("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


class FieldRequirement:
    """One field-selector term: ``field = value`` or ``field != value``.

    ``operator`` is ``"="`` (for both ``=`` and ``==``, as kube's
    ``selection.Equals``) or ``"!="``; ``value`` is unescaped.
    """

    __slots__ = ("field", "operator", "value")

    def __init__(self, field: str, operator: str, value: str) -> None:
        self.field = field
        self.operator = operator
        self.value = value

    def __repr__(self) -> str:
        return f"FieldRequirement({self.field!r}, {self.operator!r}, {self.value!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldRequirement):
            return NotImplemented
        return (self.field, self.operator, self.value) == (other.field, other.operator, other.value)

    def __hash__(self) -> int:
        return hash((self.field, self.operator, self.value))

    def __str__(self) -> str:
        return f"{self.field}{'!=' if self.operator == NOT_EQUALS else '='}{escape_field_value(self.value)}"


_NOT_SUPPORTED: Final = "field label not supported: {label}"

#: Built-in kinds with a registered field-label conversion func, and the
#: error that func returns (``{label}``, ``{quoted}`` = Go %q, ``{version}``).
#: Any other built-in kind goes through DefaultMetaV1FieldSelectorConversion.
_FIELD_LABEL_FUNCS: Final[Mapping[tuple[str, str], str]] = {
    ("", "Pod"): _NOT_SUPPORTED,
    ("", "Node"): _NOT_SUPPORTED,
    ("", "ReplicationController"): _NOT_SUPPORTED,
    ("", "Event"): _NOT_SUPPORTED,
    ("", "Namespace"): _NOT_SUPPORTED,
    ("", "Secret"): _NOT_SUPPORTED,
    ("", "Service"): _NOT_SUPPORTED,
    ("events.k8s.io", "Event"): _NOT_SUPPORTED,
    ("batch", "Job"): "field label {quoted} not supported for batchv1.Job",
    ("certificates.k8s.io", "CertificateSigningRequest"): _NOT_SUPPORTED,
    ("certificates.k8s.io", "ClusterTrustBundle"): _NOT_SUPPORTED,
    ("certificates.k8s.io", "PodCertificateRequest"): _NOT_SUPPORTED,
    (
        "resource.k8s.io",
        "ResourceSlice",
    ): "field label not supported for resource.k8s.io/{version}, Kind=ResourceSlice: {label}",
}
_META_FIELD_LABELS: Final = frozenset({"metadata.name", "metadata.namespace"})


def field_label_not_supported(
    label: str,
    resource_kind: str = "",
    *,
    allowed: Collection[str] = (),
    group: str | None = None,
    version: str = "v1",
    custom: bool = False,
) -> str:
    """The message kube-apiserver answers for an unsupported field label.

    Kube picks it by code path: custom resources (``crConverter``) and the
    built-in kinds that register a field-label conversion func (Pod, Node,
    Secret, Event, ...; some with their own wording, e.g. Job) refuse with
    ``field label not supported: <label>``; every other built-in kind falls
    back to ``DefaultMetaV1FieldSelectorConversion``: ``"<label>" is not a
    known field selector: only "metadata.name", "metadata.namespace"``.

    ``resource_kind`` is a kind name or a style: ``"crd"`` (or
    ``custom=True``) and ``"builtin"`` give the first wording, ``"generic"``
    the second. An unknown kind whose ``allowed`` labels go beyond
    ``metadata.name``/``metadata.namespace`` cannot be a fallback kind, so it
    gets the first wording too.
    """
    if custom or resource_kind in ("crd", "builtin"):
        template = _NOT_SUPPORTED
    elif resource_kind == "generic":
        template = ""
    else:
        found = _FIELD_LABEL_FUNCS.get((group, resource_kind)) if group is not None else None
        if found is None and group is None:
            found = _FIELD_LABEL_FUNCS.get(("", resource_kind)) or next(
                (t for (_, kind), t in _FIELD_LABEL_FUNCS.items() if kind == resource_kind), None
            )
        if found is not None:
            template = found
        elif any(a not in _META_FIELD_LABELS for a in allowed):
            template = _NOT_SUPPORTED
        else:
            template = ""
    if not template:
        return f'{go_quote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"'
    return template.format(label=label, quoted=go_quote(label), version=version)


class FieldSelector:
    """A parsed ``fields.Selector``: the AND of its terms, in kube's order."""

    __slots__ = ("_eq", "_ne", "requirements")

    def __init__(self, requirements: Iterable[FieldRequirement] = ()) -> None:
        # Terms whose field and value are both empty select everything and are
        # dropped, as fields.Selector.Transform does while parsing.
        self.requirements: tuple[FieldRequirement, ...] = tuple(r for r in requirements if r.field or r.value)
        self._eq = tuple((r.field, r.value) for r in self.requirements if r.operator != NOT_EQUALS)
        self._ne = tuple((r.field, r.value) for r in self.requirements if r.operator == NOT_EQUALS)

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything."""
        return not self.requirements

    def matches(self, fields: Mapping[str, str]) -> bool:
        """Whether an object with these field values is selected; a missing field reads as ``""``."""
        get = fields.get
        for field, value in self._eq:
            if get(field, "") != value:
                return False
        return all(get(field, "") != value for field, value in self._ne)

    def requires_exact_match(self, field: str) -> str | None:
        """``RequiresExactMatch``: the value an ``=`` term requires for ``field``, if any."""
        for req in self.requirements:
            if req.field == field and req.operator != NOT_EQUALS:
                return req.value
        return None

    def transform(self, fn: Callable[[str, str], tuple[str, str]]) -> FieldSelector:
        """``Selector.Transform``: map each term's (field, value); ``fn`` may raise."""
        out: list[FieldRequirement] = []
        for req in self.requirements:
            field, value = fn(req.field, req.value)
            out.append(FieldRequirement(field, req.operator, value))
        return FieldSelector(out)

    def check(
        self,
        allowed: Collection[str],
        resource_kind: str = "",
        *,
        group: str | None = None,
        version: str = "v1",
        custom: bool = False,
        aliases: Mapping[str, str] | None = None,
    ) -> FieldSelector:
        """Refuse field labels the resource does not support, as the list/watch handler does.

        ``allowed`` is the set of supported labels; ``aliases`` maps legacy
        labels to their current name (``spec.host`` -> ``spec.nodeName`` for
        pods) and is applied to the returned selector, which callers should
        use from then on. The first unsupported term, in the selector's
        (sorted) order, raises a 400 ``BadRequest`` worded as kube words it
        for that resource (see :func:`field_label_not_supported`):
        ``resource_kind`` is the resource's kind (``group``/``version``
        narrow it), or one of the styles ``"crd"``, ``"builtin"``,
        ``"generic"``; ``custom=True`` marks a custom resource.
        """
        renames = aliases or {}

        def convert(field: str, value: str) -> tuple[str, str]:
            if field in renames:
                return renames[field], value
            if field in allowed:
                return field, value
            raise bad_request(
                field_label_not_supported(
                    field, resource_kind, allowed=allowed, group=group, version=version, custom=custom
                )
            )

        return self.transform(convert)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"FieldSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSelector):
            return NotImplemented
        return self.requirements == other.requirements

    def __hash__(self) -> int:
        return hash(self.requirements)


def _split_terms(text: str) -> list[str]:
    """``splitTerms``: split on commas not escaped by a backslash (escapes kept)."""
    if not text:
        return []
    if "\\" not in text:
        return text.split(",")
    terms: list[str] = []
    start = 0
    in_slash = False
    for i, ch in enumerate(text):
        if in_slash:
            in_slash = False
        elif ch == "\\":
            in_slash = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """``splitTerm``: the first ``!=``, ``==`` or ``=`` (checked in that order at each position)."""
    for i in range(len(term)):
        rest = term[i:]
        for op in ("!=", "==", "="):
            if rest.startswith(op):
                return term[:i], op, term[i + len(op) :]
    return None


def parse_field_selector(text: str) -> FieldSelector:
    """``fields.ParseSelector``: the ``fieldSelector`` query-parameter grammar.

    Raises a 400 ``BadRequest`` :class:`StatusError` with kube's message.
    """
    requirements: list[FieldRequirement] = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        value = unescape_field_value(rhs)
        requirements.append(FieldRequirement(lhs, NOT_EQUALS if op == "!=" else EQUALS, value))
    return FieldSelector(requirements)
