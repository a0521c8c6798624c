"""Field selectors, as apimachinery parses and matches them (``pkg/fields/selector.go``).

``metadata.name=web,status.phase!=Running``: terms split on unescaped commas, each
``field=value``, ``field==value`` or ``field!=value`` (the first operator found, ``!=``
before ``==`` before ``=`` at each position), values unescaped with ``\\\\``, ``\\,``
and ``\\=``; terms sorted as kube sorts them. Errors are
:class:`~setpoint.apimachinery.selection.SelectorError` with kube's message, e.g.
``invalid selector: 'a'; can't understand 'a'``. Which fields a resource supports,
and how it refuses the others, is the API server's business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from setpoint.apimachinery.selection import EQUALS, NOT_EQUALS, SelectorError

__all__ = [
    "Requirement",
    "Selector",
    "SelectorError",
    "escape_value",
    "parse",
    "unescape_value",
]


def escape_value(value: str) -> str:
    """``fields.EscapeValue``: backslash-escape ``\\``, ``,`` and ``=``."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_value(value: str) -> str:
    """``fields.UnescapeValue``; a bad sequence raises :class:`SelectorError`."""
    if "\\" not in value and "," not in value and "=" not in value:
        return value
    out: list[str] = []
    in_slash = False
    for ch in value:
        if in_slash:
            if ch in "\\,=":
                out.append(ch)
            else:
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            in_slash = False
        elif ch == "\\":
            in_slash = True
        elif ch in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


class Requirement:
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
        return f"Requirement({self.field!r}, {self.operator!r}, {self.value!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Requirement):
            return NotImplemented
        return (self.field, self.operator, self.value) == (other.field, other.operator, other.value)

    def __hash__(self) -> int:
        return hash((self.field, self.operator, self.value))

    def __str__(self) -> str:
        return f"{self.field}{'!=' if self.operator == NOT_EQUALS else '='}{escape_value(self.value)}"


class Selector:
    """A parsed ``fields.Selector``: the AND of its terms, in kube's order."""

    __slots__ = ("_eq", "_ne", "requirements")

    def __init__(self, requirements: Iterable[Requirement] = ()) -> None:
        # Terms whose field and value are both empty select everything and are
        # dropped, as fields.Selector.Transform does while parsing.
        self.requirements: tuple[Requirement, ...] = tuple(r for r in requirements if r.field or r.value)
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

    def transform(self, fn: Callable[[str, str], tuple[str, str]]) -> Selector:
        """``Selector.Transform``: map each term's (field, value); ``fn`` may raise."""
        out: list[Requirement] = []
        for req in self.requirements:
            field, value = fn(req.field, req.value)
            out.append(Requirement(field, req.operator, value))
        return Selector(out)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"Selector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Selector):
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


def parse(text: str) -> Selector:
    """``fields.ParseSelector``: the ``fieldSelector`` query-parameter grammar.

    Raises :class:`SelectorError` with kube's message.
    """
    requirements: list[Requirement] = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        value = unescape_value(rhs)
        requirements.append(Requirement(lhs, NOT_EQUALS if op == "!=" else EQUALS, value))
    return Selector(requirements)
