"""Policies and bindings from the watch cache, compiled once per change.

kube's ``generic.PolicySource``: every policy is compiled (matchConstraints, variables,
matchConditions, validations or mutations) when its ``resourceVersion`` changes, and paired with
the bindings naming it. What a request pays is one comparison of the caches' last change with
the one the index was built at, and a dict lookup of its group and resource: a request that no
policy's rules name pays nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission.policy.expressions import (
    Expression,
    Variable,
    compile_expression,
    merge_reads,
)
from setpoint.apiserver.admission.policy.matching import MatchResources
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry, Resource

GROUP = "admissionregistration.k8s.io"


@dataclass
class Validation:
    expression: Expression
    message: str
    message_expression: Expression | None
    reason: str


@dataclass
class Policy:
    """One compiled policy (validating or mutating)."""

    name: str
    match: MatchResources
    failure_policy: str
    param_kind: tuple[str, str] | None
    conditions: list[tuple[str, Expression]] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)
    validations: list[Validation] = field(default_factory=list)
    audit_annotations: list[tuple[str, Expression]] = field(default_factory=list)
    #: (patchType, expression) of each mutation.
    mutations: list[tuple[str, Expression]] = field(default_factory=list)
    reinvocation: str = "Never"
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    uses_authorizer: bool = False
    #: The inputs its expressions read, with the top-level fields they select (None: all).
    reads: dict[str, frozenset[str] | None] = field(default_factory=dict)


@dataclass
class Binding:
    name: str
    policy_name: str
    match: MatchResources | None
    param_ref: Obj | None
    actions: tuple[str, ...]


@dataclass
class Hook:
    """A policy and the bindings that name it."""

    policy: Policy
    bindings: list[Binding]


def _expr(src: Any, variables: frozenset[str], policy: Policy) -> Expression:
    e = compile_expression(str(src or ""), variables)
    policy.functions.update(e.functions)
    policy.uses_authorizer = policy.uses_authorizer or e.uses_authorizer
    merge_reads(policy.reads, e.reads)
    return e


def compile_policy(obj: Obj) -> Policy:
    """A policy object (either kind) compiled."""
    spec = obj.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    pk = spec.get("paramKind")
    p = Policy(name=str(obj["metadata"]["name"]), match=MatchResources(spec.get("matchConstraints")),
               failure_policy=str(spec.get("failurePolicy") or "Fail"),
               param_kind=(str(pk.get("apiVersion") or ""), str(pk.get("kind") or "")) if isinstance(pk, dict) else None,
               reinvocation=str(spec.get("reinvocationPolicy") or "Never"))
    names: set[str] = set()
    for v in spec.get("variables") or []:
        if isinstance(v, dict):
            name = str(v.get("name") or "")
            p.variables[name] = Variable(name, _expr(v.get("expression"), frozenset(names), p))
            names.add(name)
    declared = frozenset(names)
    for c in spec.get("matchConditions") or []:
        if isinstance(c, dict):
            p.conditions.append((str(c.get("name") or ""), _expr(c.get("expression"), frozenset(), p)))
    for v in spec.get("validations") or []:
        if isinstance(v, dict):
            mexpr = v.get("messageExpression")
            p.validations.append(Validation(
                _expr(v.get("expression"), declared, p), str(v.get("message") or ""),
                _expr(mexpr, declared, p) if isinstance(mexpr, str) and mexpr.strip() else None,
                str(v.get("reason") or "")))
    for a in spec.get("auditAnnotations") or []:
        if isinstance(a, dict):
            p.audit_annotations.append((str(a.get("key") or ""), _expr(a.get("valueExpression"), declared, p)))
    for m in spec.get("mutations") or []:
        if isinstance(m, dict):
            pt = str(m.get("patchType") or "")
            body = m.get("applyConfiguration" if pt == "ApplyConfiguration" else "jsonPatch")
            p.mutations.append((pt, _expr((body or {}).get("expression") if isinstance(body, dict) else "",
                                          declared, p)))
    return p


def compile_binding(obj: Obj) -> Binding:
    spec = obj.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    mr = spec.get("matchResources")
    ref = spec.get("paramRef")
    actions = spec.get("validationActions")
    return Binding(str(obj["metadata"]["name"]), str(spec.get("policyName") or ""),
                   MatchResources(mr) if isinstance(mr, dict) else None, ref if isinstance(ref, dict) else None,
                   tuple(str(a) for a in actions) if isinstance(actions, list) else ())


class PolicySource:
    """The compiled policies of one kind (validating or mutating) of a server."""

    def __init__(self, registry: Registry, objects: ObjectStore, policy_plural: str, binding_plural: str) -> None:
        self._registry = registry
        self._objects = objects
        self._policy_plural = policy_plural
        self._binding_plural = binding_plural
        self._stamp: tuple[int, int] = (-1, -1)
        self._hooks: list[Hook] = []
        self._by_resource: dict[tuple[str, str], list[Hook]] = {}
        self._compiled: dict[str, tuple[str, Policy]] = {}
        self._cachers: tuple[Any, Any] | None = None

    def _caches(self) -> tuple[Any, Any] | None:
        # Built-in kinds: their caches, once found, are the server's for its lifetime.
        if self._cachers is not None:
            return self._cachers
        policies = self._registry.get(GROUP, "v1", self._policy_plural)
        bindings = self._registry.get(GROUP, "v1", self._binding_plural)
        if policies is None or bindings is None:
            return None
        self._cachers = self._objects.cacher(policies), self._objects.cacher(bindings)
        return self._cachers

    async def fresh(self) -> None:
        """Wait until the policies and bindings written through this server are in their caches
        (a policy just created applies to the next request)."""
        caches = self._caches()
        if caches is not None:
            for c in caches:
                if not c.holds_own_writes:  # (every request passes here: no await when not needed)
                    await c.wait_own_writes()

    def idle(self, group: str, resource: str) -> bool:
        """No hook for ``group``/``resource``, told without an await (what :meth:`fresh` then
        :meth:`hooks_for` would find)."""
        caches = self._caches()
        if caches is None:
            return True
        return caches[0].holds_own_writes and caches[1].holds_own_writes and not self.hooks_for(group, resource)

    def hooks_for(self, group: str, resource: str) -> list[Hook]:
        """The hooks whose policy's rules may name ``group``/``resource``, and that have a binding."""
        caches = self._caches()
        if caches is None:
            return []
        stamp = (caches[0].last_change, caches[1].last_change)
        if stamp != self._stamp:
            self._rebuild(caches)
            self._stamp = stamp
        found = self._by_resource.get((group, resource))
        if found is None:
            found = self._by_resource[(group, resource)] = [
                h for h in self._hooks if h.policy.match.could_match(group, resource)]
        return found

    def _rebuild(self, caches: tuple[Any, Any]) -> None:
        bindings: dict[str, list[Binding]] = {}
        for c in caches[1].list(caches[1].prefix):
            b = compile_binding(c.obj)
            bindings.setdefault(b.policy_name, []).append(b)
        compiled: dict[str, tuple[str, Policy]] = {}
        hooks: list[Hook] = []
        for c in caches[0].list(caches[0].prefix):
            meta = c.obj["metadata"]
            name, rv = str(meta["name"]), str(meta.get("resourceVersion") or c.revision)
            prev = self._compiled.get(name)
            policy = prev[1] if prev is not None and prev[0] == rv else compile_policy(c.obj)
            compiled[name] = (rv, policy)
            if name in bindings:
                hooks.append(Hook(policy, sorted(bindings[name], key=lambda b: b.name)))
        self._compiled = compiled
        self._hooks = hooks
        self._by_resource = {}

    # --- what evaluations read ------------------------------------------------------

    def namespace(self, name: str) -> Obj | None:
        ns = self._registry.get("", "v1", "namespaces")
        if ns is None or not name:
            return None
        cobj = self._objects.cacher(ns).get(ns.key(None, name))
        return cobj.obj if cobj is not None else None

    def param_resource(self, api_version: str, kind: str) -> Resource | None:
        group, _, version = api_version.rpartition("/")
        for r in self._registry.all():
            if r.group == group and r.version == version and r.kind == kind and not r.computed:
                return r
        return None

    def params(self, resource: Resource, namespace: str | None, name: str | None,
               selector: Callable[[Mapping[str, str]], bool] | None) -> list[Obj]:
        """The params named (or selected) in ``namespace``, from the watch cache."""
        cache = self._objects.cacher(resource)
        if name:
            cobj = cache.get(resource.key(namespace, name))
            return [cobj.obj] if cobj is not None else []
        out: list[Obj] = []
        for cobj in cache.list(resource.prefix(namespace)):
            # Labels from the selectors' view: a kind held as JSON decodes only what is selected.
            meta = cobj.view.get("metadata") or {}
            if selector is None or selector(meta.get("labels") or {}):
                out.append(cobj.obj)
        return out
