"""Authorization: kube's authorizer chain (``--authorization-mode``), the RBAC authorizer, its
bootstrap policy, escalation checks and the access reviews.

:class:`Authorization` is what a server holds: the RBAC index over its watch cache, the
authorizer of the configured modes (``system:masters`` first, always allowed, as kube's
privileged-group authorizer), the escalation admission step and the review handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.authz.bootstrap import ensure_bootstrap_policy
from setpoint.apiserver.authz.escalation import PRIVILEGED_GROUP, EscalationCheck
from setpoint.apiserver.authz.rbac import RBACAuthorizer, RBACIndex, aggregate
from setpoint.apiserver.authz.reviews import Reviews
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import AllowAll, Attributes, Authorizer, UserInfo
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

__all__ = ["MODES", "Authorization", "forbidden"]

#: The ``--authorization-mode`` values setpoint knows.
MODES = ("AlwaysAllow", "AlwaysDeny", "RBAC")


class AlwaysDeny:
    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        return False, "Everything is forbidden."


class Union:
    """kube's union authorizer behind the privileged-group one: the first allow wins; the
    reasons of the others are joined by newlines."""

    def __init__(self, authorizers: Sequence[Authorizer]) -> None:
        self.authorizers = tuple(authorizers)

    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        if PRIVILEGED_GROUP in attrs.user.groups:
            return True, ""
        reasons = []
        for a in self.authorizers:
            allowed, reason = a.authorize(attrs)
            if allowed:
                return True, reason
            if reason:
                reasons.append(reason)
        return False, "\n".join(reasons)


def forbidden(attrs: Attributes, reason: str) -> errors.StatusError:
    """The 403 of a refused request (``responsewriters.Forbidden`` wrapped in ``NewForbidden``)."""
    user = attrs.user.name
    if not attrs.resource_request:
        message = f'forbidden: User "{user}" cannot {attrs.verb} path "{attrs.path}"'
        details: Obj = {}
    else:
        resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
        message = (f'User "{user}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.group}"'
                   + (f' in the namespace "{attrs.namespace}"' if attrs.namespace else " at the cluster scope"))
        qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
        message = (f'{qualified} "{attrs.name}" is forbidden: ' if attrs.name else f"{qualified} is forbidden: ") + message
        details = {k: v for k, v in (("name", attrs.name), ("group", attrs.group), ("kind", attrs.resource)) if v}
    if reason:
        message += f": {reason}"
    return errors.StatusError(403, "Forbidden", message, details=details)


class Authorization:
    """One server's authorization: :meth:`start` loads the policy, :attr:`authorizer` decides."""

    def __init__(self, registry: Registry, objects: ObjectStore, modes: Sequence[str],
                 current: Callable[[], Authorizer]) -> None:
        unknown = [m for m in modes if m not in MODES]
        if unknown:
            raise ValueError(f"unknown authorization mode {unknown[0]!r} (known: {', '.join(MODES)})")
        self.registry = registry
        self.objects = objects
        self.index = RBACIndex(registry, objects)
        self.rbac = RBACAuthorizer(self.index)
        known: dict[str, Authorizer] = {"AlwaysAllow": AllowAll(), "AlwaysDeny": AlwaysDeny(), "RBAC": self.rbac}
        chain = [known[m] for m in modes]
        self.authorizer: Authorizer = AllowAll() if list(modes) == ["AlwaysAllow"] else Union(chain)
        self.escalation = EscalationCheck(self.index, current)
        self.reviews = Reviews(current, self.rules_for)

    async def start(self) -> None:
        """kube's ``rbac/bootstrap-roles`` hook, then the index (loaded before returning)."""
        await ensure_bootstrap_policy(self.registry, self.objects)
        await self.index.start()

    async def stop(self) -> None:
        await self.index.stop()

    def rules_for(self, user: UserInfo, namespace: str) -> tuple[list[Obj], list[Obj], bool, str]:
        """SelfSubjectRulesReview's status: resource rules, non-resource rules, incomplete, error."""
        if PRIVILEGED_GROUP in user.groups:
            return ([{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                    [{"verbs": ["*"], "nonResourceURLs": ["*"]}], False, "")
        rules, errs = self.rbac.rules_for(user, namespace)
        resource = [r.to_dict() for r in rules if not r.non_resource_urls]
        non_resource = [r.to_dict() for r in rules if r.non_resource_urls]
        for r in resource:
            r.setdefault("apiGroups", [])
            r.setdefault("resources", [])
        return resource, non_resource, bool(errs), aggregate(errs) if errs else ""
