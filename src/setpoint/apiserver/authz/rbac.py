"""The RBAC authorizer (kube's ``plugin/pkg/auth/authorizer/rbac``) over an index of the
Roles, ClusterRoles and bindings in the watch cache.

:class:`RBACIndex` follows the four kinds through cache watchers and keeps each binding
under its subjects (``User``, ``Group``, ``ServiceAccount``), so resolving a user's rules
looks up its name, its groups and its service account instead of scanning every binding.
What a user may do in a namespace (:meth:`RBACIndex.resolve`) and the decisions made are
cached until any RBAC object changes. Rules are visited as kube's ``DefaultRuleResolver``
visits them: ClusterRoleBindings first, then the namespace's RoleBindings (each in name
order); a binding whose role does not exist is an error (``clusterrole.rbac.authorization.k8s.io
"x" not found``) that a denial's reason names (``RBAC: ...``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.authz.rules import Rule, compile_rules, rule_allows
from setpoint.apiserver.registry.admission import Attributes, UserInfo
from setpoint.apiserver.registry.cacher import DELETED, CacheWatcher, WatcherGone
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

__all__ = ["GROUP", "SA_PREFIX", "Binding", "RBACAuthorizer", "RBACIndex", "Resolved", "aggregate"]

log = logging.getLogger(__name__)

GROUP = "rbac.authorization.k8s.io"
SA_PREFIX = "system:serviceaccount:"
KINDS = ("roles", "clusterroles", "rolebindings", "clusterrolebindings")
#: Cached resolutions and decisions are dropped when there are more than this many.
_CACHE_MAX = 50_000

SubjectKey = tuple[str, str]


def aggregate(messages: list[str]) -> str:
    """``utilerrors.NewAggregate(errs).Error()``: one message, or ``[a, b]`` without repeats."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


@dataclass(frozen=True, slots=True)
class Binding:
    """A RoleBinding (``namespace`` set) or ClusterRoleBinding."""

    namespace: str
    name: str
    role_kind: str
    role_name: str
    #: (kind, name, namespace) per subject, in order.
    subjects: tuple[tuple[str, str, str], ...]

    @classmethod
    def of(cls, obj: Obj) -> Binding:
        meta = obj.get("metadata") or {}
        ref = obj.get("roleRef") or {}
        subjects = tuple((str(s.get("kind", "")), str(s.get("name", "")), str(s.get("namespace") or ""))
                         for s in obj.get("subjects") or [] if isinstance(s, dict))
        return cls(str(meta.get("namespace") or ""), str(meta.get("name", "")), str(ref.get("kind", "")),
                   str(ref.get("name", "")), subjects)

    def subject_keys(self) -> list[SubjectKey]:
        """The index keys of the subjects (a ServiceAccount without a namespace is in the binding's)."""
        out: list[SubjectKey] = []
        for kind, name, ns in self.subjects:
            if kind == "ServiceAccount":
                ns = ns or self.namespace
                if ns:
                    out.append((kind, f"{ns}:{name}"))
            elif kind in ("User", "Group"):
                out.append((kind, name))
        return out

    def describe(self, user: UserInfo) -> str:
        """kube's describer of the binding, naming the first subject that applies to ``user``."""
        subject = ""
        for kind, name, ns in self.subjects:
            if _applies(user, kind, name, ns or self.namespace):
                if kind == "ServiceAccount":
                    subject = f'{kind} "{name}/{ns or self.namespace}"'
                else:
                    subject = f'{kind} "{name}"'
                break
        if self.namespace:
            return f'RoleBinding "{self.name}/{self.namespace}" of {self.role_kind} "{self.role_name}" to {subject}'
        return f'ClusterRoleBinding "{self.name}" of {self.role_kind} "{self.role_name}" to {subject}'


def _applies(user: UserInfo, kind: str, name: str, namespace: str) -> bool:
    if kind == "User":
        return user.name == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        return bool(namespace) and user.name == f"{SA_PREFIX}{namespace}:{name}"
    return False


def subject_keys(user: UserInfo) -> list[SubjectKey]:
    keys: list[SubjectKey] = [("User", user.name)]
    keys.extend(("Group", g) for g in user.groups)
    if user.name.startswith(SA_PREFIX):
        keys.append(("ServiceAccount", user.name[len(SA_PREFIX):]))
    return keys


@dataclass(frozen=True, slots=True)
class Resolved:
    """What applies to one user in one namespace: (binding, its role's rules) in visiting order,
    and the errors met (roles that do not exist)."""

    grants: tuple[tuple[Binding, tuple[Rule, ...]], ...]
    errors: tuple[str, ...]

    def rules(self) -> list[Rule]:
        return [r for _, rules in self.grants for r in rules]


class RBACIndex:
    """The RBAC objects of one server, indexed by subject, kept up to date from the watch cache."""

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self.registry = registry
        self.objects = objects
        self.roles: dict[tuple[str, str], tuple[Rule, ...]] = {}
        self.cluster_roles: dict[str, tuple[Rule, ...]] = {}
        #: Bindings by (namespace, name); ClusterRoleBindings have namespace "".
        self.bindings: dict[tuple[str, str], Binding] = {}
        #: Binding ids by subject: ClusterRoleBindings under ("", key), RoleBindings under (namespace, key).
        self.by_subject: dict[tuple[str, SubjectKey], set[tuple[str, str]]] = {}
        self._resolved: dict[tuple[str, tuple[str, ...], str], Resolved] = {}
        self.decisions: dict[tuple[Any, ...], tuple[bool, str]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    # --- following the watch cache ---------------------------------------------------

    async def start(self) -> None:
        """Load the four kinds from the watch cache (returns once loaded), then follow them."""
        for plural in KINDS:
            resource = self.registry.get(GROUP, "v1", plural)
            assert resource is not None
            cacher = self.objects.cacher(resource)
            await cacher.wait_consistent()
            watcher = self._watch(plural)
            self._apply(plural, await watcher.next_batch(0), reset=True)
            self._tasks.append(asyncio.create_task(self._follow(plural, watcher), name=f"rbac index {plural}"))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks.clear()

    def _watch(self, plural: str) -> CacheWatcher:
        resource = self.registry.get(GROUP, "v1", plural)
        assert resource is not None
        cacher = self.objects.cacher(resource)
        watcher, _ = cacher.watch(resource.key_prefix, None, None, initial_events=True)
        return watcher

    async def _follow(self, plural: str, watcher: CacheWatcher) -> None:
        while True:
            try:
                self._apply(plural, await watcher.next_batch(None))
            except (WatcherGone, StopAsyncIteration):
                # The cache restarted or we fell behind: start over from its current objects.
                resource = self.registry.get(GROUP, "v1", plural)
                assert resource is not None
                await self.objects.cacher(resource).wait_ready()
                watcher = self._watch(plural)
                self._apply(plural, await watcher.next_batch(0), reset=True)

    def _apply(self, plural: str, batch: list[Any], *, reset: bool = False) -> None:
        if reset:
            self._reset(plural)
        for type_, event, _rev in batch:
            if event is None:
                continue
            self.apply(plural, type_ == DELETED, event.object if type_ != DELETED or event.prev is None
                       else event.prev.obj)
        if batch or reset:
            self.changed()

    def _reset(self, plural: str) -> None:
        if plural == "roles":
            self.roles.clear()
        elif plural == "clusterroles":
            self.cluster_roles.clear()
        else:
            cluster = plural == "clusterrolebindings"
            for key in [k for k in self.bindings if (k[0] == "") == cluster]:
                self._remove_binding(key)

    def apply(self, plural: str, deleted: bool, obj: Obj) -> None:
        """One object of ``plural`` added, changed or (``deleted``) removed."""
        meta = obj.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name", ""))
        if plural == "roles":
            if deleted:
                self.roles.pop((ns, name), None)
            else:
                self.roles[(ns, name)] = compile_rules(obj.get("rules"))
        elif plural == "clusterroles":
            if deleted:
                self.cluster_roles.pop(name, None)
            else:
                self.cluster_roles[name] = compile_rules(obj.get("rules"))
        else:
            self._remove_binding((ns, name))
            if not deleted:
                binding = Binding.of(obj)
                self.bindings[(ns, name)] = binding
                for key in binding.subject_keys():
                    self.by_subject.setdefault((ns, key), set()).add((ns, name))

    def _remove_binding(self, bid: tuple[str, str]) -> None:
        old = self.bindings.pop(bid, None)
        if old is None:
            return
        for key in old.subject_keys():
            ids = self.by_subject.get((bid[0], key))
            if ids is not None:
                ids.discard(bid)
                if not ids:
                    del self.by_subject[(bid[0], key)]

    def changed(self) -> None:
        """Forget every cached resolution and decision."""
        self._resolved.clear()
        self.decisions.clear()

    # --- resolving ---------------------------------------------------------------------

    def role_rules(self, kind: str, name: str, namespace: str) -> tuple[Rule, ...] | str:
        """``GetRoleReferenceRules``: the rules of a role reference, or the error."""
        if kind == "ClusterRole":
            rules = self.cluster_roles.get(name)
            return rules if rules is not None else f'clusterrole.{GROUP} "{name}" not found'
        if kind == "Role":
            rules = self.roles.get((namespace, name))
            return rules if rules is not None else f'role.{GROUP} "{name}" not found'
        return f'unsupported role reference kind: "{kind}"'

    def resolve(self, user: UserInfo, namespace: str) -> Resolved:
        """Every rule bound to ``user`` in ``namespace`` ("": cluster-wide only)."""
        cache_key = (user.name, tuple(user.groups), namespace)
        out = self._resolved.get(cache_key)
        if out is not None:
            return out
        keys = subject_keys(user)
        grants: list[tuple[Binding, tuple[Rule, ...]]] = []
        errors: list[str] = []
        scopes = ("", namespace) if namespace else ("",)
        for scope in scopes:
            ids: set[tuple[str, str]] = set()
            for key in keys:
                found = self.by_subject.get((scope, key))
                if found:
                    ids |= found
            for bid in sorted(ids):
                binding = self.bindings[bid]
                rules = self.role_rules(binding.role_kind, binding.role_name, scope)
                if isinstance(rules, str):
                    errors.append(rules)
                else:
                    grants.append((binding, rules))
        out = Resolved(tuple(grants), tuple(errors))
        if len(self._resolved) >= _CACHE_MAX:
            self._resolved.clear()
        self._resolved[cache_key] = out
        return out


class RBACAuthorizer:
    """kube's ``RBACAuthorizer``: allowed when a rule bound to the user grants the request."""

    def __init__(self, index: RBACIndex) -> None:
        self.index = index

    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        user = attrs.user
        key = (user.name, tuple(user.groups), attrs.verb, attrs.group, attrs.resource, attrs.subresource,
               attrs.namespace, attrs.name, attrs.path, attrs.resource_request)
        decisions = self.index.decisions
        out = decisions.get(key)
        if out is None:
            out = self._decide(attrs)
            if len(decisions) >= _CACHE_MAX:
                decisions.clear()
            decisions[key] = out
        return out

    def _decide(self, attrs: Attributes) -> tuple[bool, str]:
        resolved = self.index.resolve(attrs.user, attrs.namespace)
        for binding, rules in resolved.grants:
            for rule in rules:
                if rule_allows(rule, attrs):
                    return True, f"RBAC: allowed by {binding.describe(attrs.user)}"
        if resolved.errors:
            return False, f"RBAC: {aggregate(list(resolved.errors))}"
        return False, ""

    def rules_for(self, user: UserInfo, namespace: str) -> tuple[list[Rule], list[str]]:
        """``RulesFor``: the user's rules in ``namespace`` and the resolution errors."""
        resolved = self.index.resolve(user, namespace)
        return resolved.rules(), list(resolved.errors)
