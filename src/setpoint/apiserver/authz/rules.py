"""PolicyRules: matching a request (kube's ``RuleAllows``) and covering other rules
(``validation.Covers``, for escalation checks), compiled once per role.

A :class:`Rule` holds a ``rbac/v1 PolicyRule``'s lists as frozensets, with the ``*``
wildcards decided up front, so a request is matched with a few set lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from setpoint.apiserver.registry.admission import Attributes

__all__ = ["Rule", "compact_string", "compile_rules", "covers", "rule_allows"]

ALL = "*"


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str))


class Rule:
    """One ``PolicyRule``: its lists as given (for messages and reviews) and, compiled, as sets
    (None for a ``*``)."""

    __slots__ = ("_groups", "_names", "_resources", "_url_prefixes", "_urls", "_verbs", "api_groups",
                 "non_resource_urls", "resource_names", "resources", "verbs")

    def __init__(self, verbs: tuple[str, ...], api_groups: tuple[str, ...], resources: tuple[str, ...],
                 resource_names: tuple[str, ...], non_resource_urls: tuple[str, ...]) -> None:
        self.verbs = verbs
        self.api_groups = api_groups
        self.resources = resources
        self.resource_names = resource_names
        self.non_resource_urls = non_resource_urls
        self._verbs = None if ALL in verbs else frozenset(verbs)
        self._groups = None if ALL in api_groups else frozenset(api_groups)
        self._resources = None if ALL in resources else frozenset(resources)
        self._names = frozenset(resource_names) if resource_names else None
        self._urls = frozenset(u for u in non_resource_urls if not u.endswith(ALL))
        self._url_prefixes = tuple(u[:-1] for u in non_resource_urls if u.endswith(ALL))

    @classmethod
    def of(cls, rule: Mapping[str, Any]) -> Rule:
        return cls(_strings(rule.get("verbs")), _strings(rule.get("apiGroups")), _strings(rule.get("resources")),
                   _strings(rule.get("resourceNames")), _strings(rule.get("nonResourceURLs")))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rule) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return f"Rule({self.to_dict()!r})"

    def key(self) -> tuple[tuple[str, ...], ...]:
        return (self.verbs, self.api_groups, self.resources, self.resource_names, self.non_resource_urls)

    def to_dict(self) -> dict[str, list[str]]:
        """The ``PolicyRule`` (``rbac/v1``, empty lists left out)."""
        out: dict[str, list[str]] = {"verbs": list(self.verbs)}
        if self.api_groups:
            out["apiGroups"] = list(self.api_groups)
        if self.resources:
            out["resources"] = list(self.resources)
        if self.resource_names:
            out["resourceNames"] = list(self.resource_names)
        if self.non_resource_urls:
            out["nonResourceURLs"] = list(self.non_resource_urls)
        return out


def compile_rules(rules: Any) -> tuple[Rule, ...]:
    """A role's ``rules`` list, compiled (what is not an object is left out)."""
    if not isinstance(rules, list):
        return ()
    return tuple(Rule.of(r) for r in rules if isinstance(r, Mapping))


def rule_allows(rule: Rule, attrs: Attributes) -> bool:
    """kube's ``RuleAllows``: whether ``rule`` grants the request ``attrs``."""
    verbs = rule._verbs
    if verbs is not None and attrs.verb not in verbs:
        return False
    if not attrs.resource_request:
        path = attrs.path
        if path in rule._urls:
            return True
        return any(path.startswith(p) for p in rule._url_prefixes)
    groups = rule._groups
    if groups is not None and attrs.group not in groups:
        return False
    resources = rule._resources
    if resources is not None:
        sub = attrs.subresource
        if sub:
            if f"{attrs.resource}/{sub}" not in resources and f"*/{sub}" not in resources:
                return False
        elif attrs.resource not in resources:
            return False
    names = rule._names
    return names is None or attrs.name in names


# --- covering (escalation checks) ----------------------------------------------------


def breakdown(rule: Rule) -> list[Rule]:
    """``BreakdownRule``: one rule per group x resource x verb (x name), and per URL x verb."""
    out: list[Rule] = []
    for group in rule.api_groups:
        for resource in rule.resources:
            for verb in rule.verbs:
                if rule.resource_names:
                    out.extend(Rule((verb,), (group,), (resource,), (name,), ()) for name in rule.resource_names)
                else:
                    out.append(Rule((verb,), (group,), (resource,), (), ()))
    for url in rule.non_resource_urls:
        out.extend(Rule((verb,), (), (), (), (url,)) for verb in rule.verbs)
    return out


def _resources_cover(owner: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    if ALL in owner or set(wanted) <= set(owner):
        return True
    for path in wanted:
        if path in owner:
            continue
        if "/" not in path:
            return False
        if "*/" + path.split("/", 1)[1] not in owner:
            return False
    return True


def _url_covers(owner: str, path: str) -> bool:
    return owner == path or (owner.endswith("*") and path.startswith(owner.rstrip("*")))


def _rule_covers(owner: Rule, sub: Rule) -> bool:
    """``ruleCovers``: whether ``owner`` grants all of the broken-down ``sub``."""
    if not (ALL in owner.verbs or set(sub.verbs) <= set(owner.verbs)):
        return False
    if not (ALL in owner.api_groups or set(sub.api_groups) <= set(owner.api_groups)):
        return False
    if not _resources_cover(owner.resources, sub.resources):
        return False
    if not all(any(_url_covers(o, p) for o in owner.non_resource_urls) for p in sub.non_resource_urls):
        return False
    if not sub.resource_names:
        return not owner.resource_names
    return not owner.resource_names or set(sub.resource_names) <= set(owner.resource_names)


def covers(owner: Iterable[Rule], wanted: Iterable[Rule]) -> list[Rule]:
    """``validation.Covers``: the broken-down rules of ``wanted`` no rule of ``owner`` covers."""
    owner = tuple(owner)
    return [sub for rule in wanted for sub in breakdown(rule) if not any(_rule_covers(o, sub) for o in owner)]


def compact(rules: list[Rule]) -> list[Rule]:
    """``CompactRules``: simple rules (one group, one resource, at most one name, no URLs) of the
    same group, resource and name merged into one with their verbs."""
    out: list[Rule] = []
    simple: dict[tuple[str, str, bool, str], Rule] = {}
    for r in rules:
        if len(r.resource_names) > 1 or r.non_resource_urls or len(r.api_groups) != 1 or len(r.resources) != 1:
            out.append(r)
            continue
        key = (r.api_groups[0], r.resources[0], bool(r.resource_names), r.resource_names[0] if r.resource_names else "")
        seen = simple.get(key)
        simple[key] = r if seen is None else Rule(seen.verbs + r.verbs, seen.api_groups, seen.resources,
                                                   seen.resource_names, ())
    out.extend(simple.values())
    return out


def go_quote_list(values: Iterable[str]) -> str:
    """Go's ``%q`` of a ``[]string``: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(v) for v in values) + "]"


def go_quote(value: str) -> str:
    """Go's ``%q`` of a string (printable ASCII and the usual escapes)."""
    out = ['"']
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def compact_string(rule: Rule) -> str:
    """``rbacv1helpers.CompactString``: ``{APIGroups:[""], Resources:["pods"], Verbs:["get"]}``."""
    parts = []
    if rule.api_groups:
        parts.append("APIGroups:" + go_quote_list(rule.api_groups))
    if rule.resources:
        parts.append("Resources:" + go_quote_list(rule.resources))
    if rule.non_resource_urls:
        parts.append("NonResourceURLs:" + go_quote_list(rule.non_resource_urls))
    if rule.resource_names:
        parts.append("ResourceNames:" + go_quote_list(rule.resource_names))
    if rule.verbs:
        parts.append("Verbs:" + go_quote_list(rule.verbs))
    return "{" + ", ".join(parts) + "}"
