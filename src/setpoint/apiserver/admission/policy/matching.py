"""Which requests a policy or binding applies to: kube's ``policy/matching`` and the webhook
predicates it uses (``rules``, ``namespace``, ``object``).

A :class:`MatchResources` is compiled once from ``matchConstraints`` / ``matchResources``:
the namespace and object label selectors, the resource rules and the excluded ones. With
``matchPolicy: Equivalent`` a rule naming another version of the request's group and resource
matches too (setpoint serves one version of most kinds, so that is the equivalence left).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from setpoint.apimachinery import labels
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.registry.admission import Attributes

#: The admission operation of each verb.
OPERATIONS: Mapping[str, str] = {"create": "CREATE", "update": "UPDATE", "patch": "UPDATE", "delete": "DELETE",
                                 "deletecollection": "DELETE", "connect": "CONNECT"}


def operation(attrs: Attributes) -> str:
    return OPERATIONS.get(attrs.verb, attrs.verb.upper())


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``NamedRuleWithOperations``."""

    operations: frozenset[str]
    groups: frozenset[str]
    versions: frozenset[str]
    resources: tuple[str, ...]
    scope: str
    names: frozenset[str]

    @classmethod
    def of(cls, raw: Obj) -> Rule:
        def strs(key: str) -> frozenset[str]:
            v = raw.get(key)
            return frozenset(str(x) for x in v) if isinstance(v, list) else frozenset()
        res = raw.get("resources")
        return cls(strs("operations"), strs("apiGroups"), strs("apiVersions"),
                   tuple(str(x) for x in res) if isinstance(res, list) else (), str(raw.get("scope") or "*"),
                   strs("resourceNames"))

    def _resource(self, resource: str, sub: str) -> bool:
        for r in self.resources:
            if r == "*/*":
                return True
            if r == "*":
                if not sub:
                    return True
                continue
            base, _, rsub = r.partition("/")
            if base == "*" and rsub == sub:
                return True
            if base == resource and (rsub == sub or (rsub == "*" and sub)):
                return True
        return False

    def matches(self, attrs: Attributes, op: str, any_version: bool) -> bool:
        if "*" not in self.operations and op not in self.operations:
            return False
        if "*" not in self.groups and attrs.group not in self.groups:
            return False
        if not any_version and "*" not in self.versions and attrs.version not in self.versions:
            return False
        if not self._resource(attrs.resource, attrs.subresource):
            return False
        if self.scope == "Namespaced" and (attrs.resource == "namespaces" or not attrs.namespace):
            return False
        if self.scope == "Cluster" and attrs.resource != "namespaces" and attrs.namespace:
            return False
        return not self.names or attrs.name in self.names


def _selector(raw: Any) -> labels.Selector | None:
    """None for an empty selector (matches everything, nothing to look up)."""
    if raw is None or raw == {}:
        return None
    return labels.as_selector(raw)


def _labels(obj: Obj | None) -> Mapping[str, str]:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    lab = meta.get("labels") if isinstance(meta, dict) else None
    return lab if isinstance(lab, dict) else {}


class MatchResources:
    """A compiled ``MatchResources``; ``error`` when a selector does not parse."""

    __slots__ = ("equivalent", "error", "exclude", "namespace_selector", "object_selector", "rules")

    def __init__(self, raw: Any) -> None:
        raw = raw if isinstance(raw, dict) else {}
        self.error = ""
        self.namespace_selector: labels.Selector | None = None
        self.object_selector: labels.Selector | None = None
        try:
            self.namespace_selector = _selector(raw.get("namespaceSelector"))
            self.object_selector = _selector(raw.get("objectSelector"))
        except labels.SelectorError as exc:
            self.error = str(exc)
        self.rules = [Rule.of(r) for r in raw.get("resourceRules") or [] if isinstance(r, dict)]
        self.exclude = [Rule.of(r) for r in raw.get("excludeResourceRules") or [] if isinstance(r, dict)]
        self.equivalent = raw.get("matchPolicy", "Equivalent") == "Equivalent"

    def could_match(self, group: str, resource: str) -> bool:
        """Whether a rule names this group and resource at all (the per-kind index)."""
        if not self.rules:
            return True
        for r in self.rules:
            if ("*" in r.groups or group in r.groups) and any(
                    x in ("*", "*/*") or x.partition("/")[0] in ("*", resource) for x in r.resources):
                return True
        return False

    def matches(self, attrs: Attributes, obj: Obj | None, old: Obj | None,
                namespace_labels: Callable[[], Mapping[str, str] | None]) -> bool | str:
        """True, False, or the error text (a selector that does not parse)."""
        if self.namespace_selector is not None and (attrs.namespace or attrs.resource == "namespaces"):
            nl = namespace_labels()
            if nl is not None and not self.namespace_selector.matches(nl):
                return False
        if self.object_selector is not None and not (
                (obj is not None and self.object_selector.matches(_labels(obj)))
                or (old is not None and self.object_selector.matches(_labels(old)))):
            return False
        op = operation(attrs)
        if any(r.matches(attrs, op, False) for r in self.exclude) or (
                self.equivalent and any(r.matches(attrs, op, True) for r in self.exclude)):
            return False
        if self.rules and not any(r.matches(attrs, op, False) for r in self.rules) and not (
                self.equivalent and any(r.matches(attrs, op, True) for r in self.rules)):
            return False
        if self.error:
            return self.error
        return True
