"""The built-in kinds, declared from kube's published API definitions.

:mod:`.definitions` loads kube's definitions (schemas, patch metadata, list and
map semantics); one module per API group declares its kinds with what a kind
does differently (strategy, columns, field selectors): :mod:`.core`,
:mod:`.events`, :mod:`.coordination`, :mod:`.services` (core Service and Node),
:mod:`.apps`, :mod:`.autoscaling`, :mod:`.batch` (Job, CronJob), :mod:`.discovery`, :mod:`.networking`, :mod:`.policy`,
:mod:`.quota` (ResourceQuota, LimitRange), :mod:`.scheduling`, :mod:`.storage` (PersistentVolumeClaim),
:mod:`.metrics` (metrics.k8s.io, computed on read), :mod:`.rbac`;
:mod:`.workloads` holds what the workload kinds share.  Adding a kind is one :func:`.declare.declare`
entry in its group's module.
"""

from __future__ import annotations

from setpoint.apiserver.builtin import (
    admissionregistration,
    apps,
    autoscaling,
    batch,
    coordination,
    core,
    definitions,
    discovery,
    events,
    flowcontrol,
    metrics,
    networking,
    policy,
    quota,
    rbac,
    scheduling,
    services,
    storage,
)
from setpoint.apiserver.builtin.core import SYSTEM_NAMESPACES
from setpoint.apiserver.registry.resources import Registry, Resource

__all__ = ["SYSTEM_NAMESPACES", "builtin_resources", "register_builtins"]


def builtin_resources() -> list[Resource]:
    """Every built-in resource, freshly made (no state shared between servers)."""
    event_strategy = events.EventStrategy()
    return [*core.resources(event_strategy), *events.resources(event_strategy), *coordination.resources(),
            *services.resources(), *apps.resources(), *batch.resources(), *discovery.resources(),
            *networking.resources(), *policy.resources(), *quota.resources(), *scheduling.resources(),
            *storage.resources(), *autoscaling.resources(), *metrics.resources(),
            *flowcontrol.resources(), *rbac.resources(), *authorization_resources(),
            *admissionregistration.resources()]


def authorization_resources() -> list[Resource]:
    """authorization.k8s.io/v1's access reviews: create-only, computed (:mod:`setpoint.apiserver.authz.reviews`)."""
    out = []
    for kind, namespaced in (("SubjectAccessReview", False), ("SelfSubjectAccessReview", False),
                             ("LocalSubjectAccessReview", True), ("SelfSubjectRulesReview", False)):
        gvk = ("authorization.k8s.io", "v1", kind)
        out.append(Resource(*gvk, kind.lower() + "s", kind.lower(), namespaced, verbs=("create",),
                            schema=definitions.BUILTIN_SCHEMAS[gvk], computed=True))
    return out


def register_builtins(registry: Registry) -> None:
    """Add every built-in resource to ``registry``."""
    for r in builtin_resources():
        registry.add(r)
