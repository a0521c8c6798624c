"""rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding, ClusterRoleBinding
(kube's ``pkg/registry/rbac``): no generation; a binding's ``roleRef`` cannot change.
Escalation checks live with the authorizer (:mod:`setpoint.apiserver.authz.escalation`)."""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin.declare import declare
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.table import AGE_COLUMN, DEFAULT_COLUMNS, NAME_COLUMN
from setpoint.apiserver.registry import metadata
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

GROUP = "rbac.authorization.k8s.io"


class RoleStrategy(Strategy):
    has_generation = False
    #: ``ValidateRBACName``: any path segment (``system:basic-user``).
    name_fn = staticmethod(metadata.name_is_path_segment)

    def __init__(self, namespaced: bool) -> None:
        self.namespaced = namespaced

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        for i, rule in enumerate(obj.get("rules") or []):
            if not isinstance(rule, dict):
                continue
            path = f"rules[{i}]"
            if not rule.get("verbs"):
                out.append(errors.required(f"{path}.verbs", "verbs must contain at least one value"))
            urls = rule.get("nonResourceURLs") or []
            if urls:
                if self.namespaced:
                    out.append(errors.invalid(f"{path}.nonResourceURLs", urls,
                                              "namespaced rules cannot apply to non-resource URLs"))
                if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                    out.append(errors.invalid(f"{path}.nonResourceURLs", urls,
                                              "rules cannot apply to both regular resources and non-resource URLs"))
                continue
            if not rule.get("apiGroups"):
                out.append(errors.required(f"{path}.apiGroups", "resource rules must supply at least one api group"))
            if not rule.get("resources"):
                out.append(errors.required(f"{path}.resources", "resource rules must supply at least one resource"))
        return out


class BindingStrategy(Strategy):
    has_generation = False
    name_fn = staticmethod(metadata.name_is_path_segment)

    def __init__(self, role_kinds: tuple[str, ...]) -> None:
        self.role_kinds = role_kinds

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        ref = obj.get("roleRef") or {}
        if ref.get("apiGroup") != GROUP:
            out.append(errors.not_supported("roleRef.apiGroup", ref.get("apiGroup", ""), [GROUP]))
        if ref.get("kind") not in self.role_kinds:
            out.append(errors.not_supported("roleRef.kind", ref.get("kind", ""), list(self.role_kinds)))
        if not ref.get("name"):
            out.append(errors.required("roleRef.name", ""))
        for i, s in enumerate(obj.get("subjects") or []):
            if isinstance(s, dict) and s.get("kind") not in ("ServiceAccount", "User", "Group"):
                out.append(errors.not_supported(f"subjects[{i}].kind", s.get("kind", ""),
                                                ["ServiceAccount", "User", "Group"]))
        return out

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        out = self.validate(obj)
        if obj.get("roleRef") != old.get("roleRef"):
            out.append(errors.invalid("roleRef", obj.get("roleRef"), "cannot change roleRef"))
        return out


def _role(obj: Obj) -> str:
    ref = obj.get("roleRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


def _subjects(kind: str) -> Column:
    def cell(obj: Obj) -> str:
        out = []
        for s in obj.get("subjects") or []:
            if isinstance(s, dict) and s.get("kind") == kind:
                out.append(f"{s.get('namespace', '')}/{s.get('name', '')}" if kind == "ServiceAccount"
                           else str(s.get("name", "")))
        return ", ".join(out)
    title = {"User": "Users", "Group": "Groups", "ServiceAccount": "ServiceAccounts"}[kind]
    return Column(title, "string", cell, priority=1)


#: printRoleBinding: Name, Role, Age, and (wide) Users, Groups, ServiceAccounts.
_BINDING_COLUMNS = (NAME_COLUMN, Column("Role", "string", _role), AGE_COLUMN,
                    _subjects("User"), _subjects("Group"), _subjects("ServiceAccount"))


def resources() -> list[Resource]:
    """rbac.authorization.k8s.io's kinds, freshly made."""
    return [
        declare(GROUP, "v1", "Role", "roles", "role", True, RoleStrategy(True), columns=DEFAULT_COLUMNS),
        declare(GROUP, "v1", "ClusterRole", "clusterroles", "clusterrole", False, RoleStrategy(False),
                columns=DEFAULT_COLUMNS),
        declare(GROUP, "v1", "RoleBinding", "rolebindings", "rolebinding", True,
                BindingStrategy(("Role", "ClusterRole")), columns=_BINDING_COLUMNS),
        declare(GROUP, "v1", "ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", False,
                BindingStrategy(("ClusterRole",)), columns=_BINDING_COLUMNS),
    ]
