"""Label selectors: parse ``app=web,tier!=db,env in (a,b),!legacy`` and match labels against it.

Semantics are the API server's: ``!=`` and ``notin`` match objects that lack the key.
:func:`from_label_selector` turns a ``metav1.LabelSelector`` (``matchLabels`` /
``matchExpressions``, as in ``spec.selector`` fields) into the same :class:`Selector`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\s*(?:(!)?\s*([A-Za-z0-9_./-]+)\s*(?:(==|=|!=|\s+in\s+|\s+notin\s+)\s*"
                    r"(\([^)]*\)|[A-Za-z0-9_.-]*))?)\s*(?:,|$)")


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.op
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        if op == "=":
            return labels.get(self.key) in self.values
        if op == "in":
            return self.key in labels and labels[self.key] in self.values
        # "!=" and "notin": a missing key matches
        return self.key not in labels or labels[self.key] not in self.values

    def __str__(self) -> str:
        if self.op == "exists":
            return self.key
        if self.op == "!":
            return f"!{self.key}"
        if self.op in ("=", "!="):
            return f"{self.key}{self.op}{next(iter(self.values))}"
        return f"{self.key} {self.op} ({','.join(sorted(self.values))})"


@dataclass(frozen=True, slots=True)
class Selector:
    """All requirements must hold; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def equalities(self) -> list[tuple[str, str]]:
        """The ``key=value`` requirements (usable to narrow a search through a label index)."""
        return [(r.key, next(iter(r.values))) for r in self.requirements if r.op == "=" and len(r.values) == 1]

    def __bool__(self) -> bool:
        return bool(self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = Selector()


def parse(text: str | None) -> Selector:
    """Parse the ``labelSelector`` query syntax."""
    if not text or not text.strip():
        return EVERYTHING
    reqs: list[Requirement] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"invalid label selector {text!r} at {pos}")
        pos = m.end()
        bang, key, op, value = m.groups()
        if bang:
            if op:
                raise ValueError(f"invalid label selector {text!r}: '!' takes a bare key")
            reqs.append(Requirement(key, "!"))
        elif op is None:
            reqs.append(Requirement(key, "exists"))
        else:
            op = op.strip()
            if op in ("in", "notin"):
                if not value.startswith("("):
                    raise ValueError(f"invalid label selector {text!r}: {op} needs (values)")
                values = frozenset(v.strip() for v in value[1:-1].split(",") if v.strip())
                reqs.append(Requirement(key, op, values))
            else:
                reqs.append(Requirement(key, "=" if op in ("=", "==") else "!=", frozenset([value])))
    return Selector(tuple(reqs))


def from_label_selector(selector: Mapping[str, Any] | None) -> Selector:
    """A ``metav1.LabelSelector``; ``None`` or ``{}`` selects everything."""
    if not selector:
        return EVERYTHING
    reqs = [Requirement(k, "=", frozenset([str(v)])) for k, v in (selector.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in selector.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""))
        if op is None:
            raise ValueError(f"unknown label selector operator {expr.get('operator')!r}")
        reqs.append(Requirement(expr["key"], op, frozenset(str(v) for v in expr.get("values") or ())))
    return Selector(tuple(reqs))
