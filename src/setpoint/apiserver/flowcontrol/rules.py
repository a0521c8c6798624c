"""FlowSchemas compiled for matching: kube's ``apf_filter`` ``matchesFlowSchema`` and ``rule.go``.

A schema matches a request when one of its rules does: one of the rule's subjects names the
user (by name, a group of theirs, or their ServiceAccount; ``*`` is anyone) and, for a
resource request, one resource rule matches verb, API group, resource (``pods/status`` for a
subresource) and namespace (``clusterScope`` for cluster-scoped requests, ``*`` for every
namespace); for a non-resource request, one non-resource rule matches verb and path (``*``,
the path, or a ``/prefix/*``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from setpoint.apimachinery.types import Obj

_SA_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True, slots=True)
class Digest:
    """What classification looks at: the user and what the request does."""

    user: str
    groups: tuple[str, ...]
    verb: str
    resource_request: bool
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    path: str = ""


def _set(values: Any) -> frozenset[str]:
    return frozenset(str(v) for v in values or ())


class _Subject:
    __slots__ = ("group", "sa_name", "sa_namespace", "user")

    def __init__(self, subject: dict[str, Any]) -> None:
        kind = subject.get("kind")
        self.user = str((subject.get("user") or {}).get("name", "")) if kind == "User" else None
        self.group = str((subject.get("group") or {}).get("name", "")) if kind == "Group" else None
        sa = subject.get("serviceAccount") or {}
        self.sa_namespace = str(sa.get("namespace", "")) if kind == "ServiceAccount" else None
        self.sa_name = str(sa.get("name", ""))

    def matches(self, d: Digest) -> bool:
        if self.user is not None:
            return self.user == "*" or self.user == d.user
        if self.group is not None:
            return self.group == "*" or self.group in d.groups
        if self.sa_namespace is not None and d.user.startswith(_SA_PREFIX):
            ns, _, name = d.user[len(_SA_PREFIX):].partition(":")
            return ns == self.sa_namespace and (self.sa_name == "*" or self.sa_name == name)
        return False


class _ResourceRule:
    __slots__ = ("cluster_scope", "groups", "namespaces", "resources", "verbs")

    def __init__(self, rule: dict[str, Any]) -> None:
        self.verbs = _set(rule.get("verbs"))
        self.groups = _set(rule.get("apiGroups"))
        self.resources = _set(rule.get("resources"))
        self.namespaces = _set(rule.get("namespaces"))
        self.cluster_scope = bool(rule.get("clusterScope"))

    def matches(self, d: Digest) -> bool:
        if "*" not in self.verbs and d.verb not in self.verbs:
            return False
        if "*" not in self.groups and d.group not in self.groups:
            return False
        if "*" not in self.resources:
            name = f"{d.resource}/{d.subresource}" if d.subresource else d.resource
            if name not in self.resources:
                return False
        if not d.namespace:
            return self.cluster_scope
        return "*" in self.namespaces or d.namespace in self.namespaces


class _NonResourceRule:
    __slots__ = ("prefixes", "urls", "verbs")

    def __init__(self, rule: dict[str, Any]) -> None:
        self.verbs = _set(rule.get("verbs"))
        urls = _set(rule.get("nonResourceURLs"))
        self.urls = urls
        self.prefixes = tuple(u[:-1] for u in urls if u.endswith("/*"))

    def matches(self, d: Digest) -> bool:
        if "*" not in self.verbs and d.verb not in self.verbs:
            return False
        if "*" in self.urls or d.path in self.urls:
            return True
        return any(d.path.startswith(p) for p in self.prefixes)


class _Rule:
    __slots__ = ("non_resource", "resource", "subjects")

    def __init__(self, rule: dict[str, Any]) -> None:
        self.subjects = [_Subject(s) for s in rule.get("subjects") or () if isinstance(s, dict)]
        self.resource = [_ResourceRule(r) for r in rule.get("resourceRules") or () if isinstance(r, dict)]
        self.non_resource = [_NonResourceRule(r) for r in rule.get("nonResourceRules") or () if isinstance(r, dict)]

    def matches(self, d: Digest) -> bool:
        if not any(s.matches(d) for s in self.subjects):
            return False
        rules = self.resource if d.resource_request else self.non_resource
        return any(r.matches(d) for r in rules)


class FlowSchema:
    """One FlowSchema, compiled."""

    __slots__ = ("distinguisher", "name", "precedence", "priority_level", "rules", "uid")

    def __init__(self, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        self.name = str(meta.get("name", ""))
        self.uid = str(meta.get("uid", ""))
        self.precedence = int(spec.get("matchingPrecedence") or 1000)
        self.priority_level = str((spec.get("priorityLevelConfiguration") or {}).get("name", ""))
        self.distinguisher = str((spec.get("distinguisherMethod") or {}).get("type", ""))
        self.rules = [_Rule(r) for r in spec.get("rules") or () if isinstance(r, dict)]

    def matches(self, d: Digest) -> bool:
        return any(r.matches(d) for r in self.rules)

    def flow(self, d: Digest) -> str:
        """kube's ``computeFlowDistinguisher``."""
        if self.distinguisher == "ByUser":
            return d.user
        if self.distinguisher == "ByNamespace":
            return d.namespace
        return ""


def flow_hash(schema: str, distinguisher: str) -> int:
    """kube's ``hashFlowID``: the first 8 bytes of sha256(schema, 0, distinguisher), little-endian."""
    digest = hashlib.sha256(schema.encode() + b"\0" + distinguisher.encode()).digest()
    return int.from_bytes(digest[:8], "little")


def ordered(schemas: list[FlowSchema]) -> list[FlowSchema]:
    """By matchingPrecedence, then name (kube's order of evaluation)."""
    return sorted(schemas, key=lambda s: (s.precedence, s.name))
