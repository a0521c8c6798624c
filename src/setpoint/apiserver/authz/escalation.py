"""Escalation prevention on the RBAC kinds (kube's ``pkg/registry/rbac/*/policybased``).

A Role or ClusterRole may be written only with rules the writer holds (in the role's
namespace), unless the writer may ``escalate`` roles; an aggregationRule needs every
permission. A binding may be written only to a role whose rules the writer holds, unless
the writer may ``bind`` it. ``system:masters`` skips both. Refusals are kube's 403s:
``... is forbidden: user "u" (groups=["g"]) is attempting to grant RBAC permissions not
currently held:\\n{APIGroups:[""], Resources:["pods"], Verbs:["get"]}``.
"""

from __future__ import annotations

from collections.abc import Callable

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.authz.rbac import GROUP, RBACIndex, aggregate
from setpoint.apiserver.authz.rules import (
    Rule,
    compact,
    compact_string,
    compile_rules,
    covers,
    go_quote,
    go_quote_list,
)
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes, Authorizer

PRIVILEGED_GROUP = "system:masters"
_ROLES = frozenset({"roles", "clusterroles"})
_BINDINGS = frozenset({"rolebindings", "clusterrolebindings"})
_FULL_AUTHORITY = (Rule(("*",), ("*",), ("*",), (), ()), Rule(("*",), (), (), (), ("*",)))
#: Metadata a garbage collector changes (``IsOnlyMutatingGCFields``) and the server's own.
_GC_FIELDS = ("ownerReferences", "finalizers", "resourceVersion", "managedFields", "generation")


def _forbidden(attrs: Attributes, name: str, message: str) -> errors.StatusError:
    return errors.StatusError(403, "Forbidden", f'{attrs.resource}.{GROUP} "{name}" is forbidden: {message}',
                              details={"name": name, "group": GROUP, "kind": attrs.resource})


def _only_gc_fields(obj: Obj, old: Obj) -> bool:
    def strip(o: Obj) -> Obj:
        meta = {k: v for k, v in (o.get("metadata") or {}).items() if k not in _GC_FIELDS}
        return {**o, "metadata": meta}
    return strip(obj) == strip(old)


class EscalationCheck:
    """The admission step for writes of the four RBAC kinds."""

    resources = frozenset((GROUP, r) for r in _ROLES | _BINDINGS)
    mutating = False

    def __init__(self, index: RBACIndex, authorizer: Callable[[], Authorizer]) -> None:
        self.index = index
        self.authorizer = authorizer

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if (attrs.group != GROUP or obj is None or attrs.verb not in ("create", "update", "patch")
                or PRIVILEGED_GROUP in attrs.user.groups):
            return
        if old is not None and _only_gc_fields(obj, old):
            return
        name = str((obj.get("metadata") or {}).get("name", ""))
        if attrs.resource in _ROLES:
            if old is not None and obj.get("rules") == old.get("rules") and \
                    obj.get("aggregationRule") == old.get("aggregationRule"):
                return
            if self._allowed(attrs, "escalate", attrs.resource, attrs.name):
                return
            self._confirm(attrs, name, compile_rules(obj.get("rules")))
            if obj.get("aggregationRule") and self._missing(attrs, _FULL_AUTHORITY)[0]:
                raise _forbidden(attrs, name, "must have cluster-admin privileges to use the aggregationRule")
        elif attrs.resource in _BINDINGS:
            ref = obj.get("roleRef") or {}
            kind, role = str(ref.get("kind", "")), str(ref.get("name", ""))
            resource = {"ClusterRole": "clusterroles", "Role": "roles"}.get(kind)
            if resource is not None and self._allowed(attrs, "bind", resource, role):
                return
            rules = self.index.role_rules(kind, role, attrs.namespace)
            if isinstance(rules, str):
                raise _forbidden(attrs, name, rules)
            self._confirm(attrs, name, rules)

    def _allowed(self, attrs: Attributes, verb: str, resource: str, name: str) -> bool:
        check = Attributes(attrs.user, verb, GROUP, "*", resource, "", attrs.namespace, name)
        return self.authorizer().authorize(check)[0]

    def _missing(self, attrs: Attributes, rules: tuple[Rule, ...]) -> tuple[list[Rule], list[str]]:
        resolved = self.index.resolve(attrs.user, attrs.namespace)
        return covers(resolved.rules(), rules), list(resolved.errors)

    def _confirm(self, attrs: Attributes, name: str, rules: tuple[Rule, ...]) -> None:
        """``ConfirmNoEscalation``."""
        missing, resolution_errors = self._missing(attrs, rules)
        if not missing:
            return
        user = attrs.user
        described = sorted({compact_string(r) for r in compact(missing)})
        message = (f"user {go_quote(user.name)} (groups={go_quote_list(user.groups)}) is attempting to grant RBAC "
                   "permissions not currently held:\n" + "\n".join(described))
        if resolution_errors:
            message += f"; resolution errors: [{aggregate(resolution_errors)}]"
        raise _forbidden(attrs, name, message)
