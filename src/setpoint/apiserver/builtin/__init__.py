"""The built-in kinds, declared from kube's published API definitions.

:mod:`.definitions` loads kube's definitions (schemas, patch metadata, list and
map semantics); one module per API group declares its kinds with what a kind
does differently (strategy, columns, field selectors): :mod:`.core`,
:mod:`.events`, :mod:`.coordination`, :mod:`.services` (core Service and Node),
:mod:`.apps`, :mod:`.autoscaling`, :mod:`.batch` (Job, CronJob), :mod:`.discovery`, :mod:`.networking`, :mod:`.policy`,
:mod:`.quota` (ResourceQuota, LimitRange), :mod:`.scheduling`, :mod:`.storage` (PersistentVolumeClaim),
:mod:`.metrics` (metrics.k8s.io, computed on read);
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
    discovery,
    events,
    metrics,
    networking,
    policy,
    quota,
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
            *admissionregistration.resources()]


def register_builtins(registry: Registry) -> None:
    """Add every built-in resource to ``registry``."""
    for r in builtin_resources():
        registry.add(r)
