"""The resourcequota controller: keeps every ResourceQuota's ``status.hard`` and ``status.used`` current.

As kube-controller-manager's (``pkg/controller/resourcequota``): ``status.hard`` is the quota's
``spec.hard``; ``status.used`` is, for each resource it limits that an evaluator counts, what
the objects of its namespace (those its scopes select) use -- the evaluators the ResourceQuota
admission uses (:mod:`setpoint.apiserver.admission.quota`), so the two agree. A quota is
recounted when it is created or its ``spec.hard`` changes (not on the status writes of the quota
admission, as kube's ``updateQuota``), and when a pod, service, configmap, secret or PVC of its
namespace is updated or deleted (kube's replenishment: not on creates, which the admission has
charged already -- a recount then could run before the new object is stored, undo the charge and let
one object too many in); quotas that count other kinds (``count/deployments.apps``) are also
recounted every :data:`RESYNC_SECONDS`.
"""

from __future__ import annotations

from decimal import Decimal

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission import quota
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

RESOURCE_QUOTA = Kind("v1", "ResourceQuota")
#: The kinds whose changes recount their namespace's quotas at once.
WATCHED = (Kind("v1", "Pod"), Kind("v1", "Service"), Kind("v1", "ConfigMap"), Kind("v1", "Secret"),
           Kind("v1", "PersistentVolumeClaim"))
#: Watched for their events only, cached nowhere: they are many, nothing else here caches them, and a
#: change needs only its namespace (a re-list after a broken watch recounts every namespace listed).
UNCACHED = frozenset({Kind("v1", "ConfigMap"), Kind("v1", "Secret")})
_WATCHED_RESOURCES = frozenset({("", "pods"), ("", "services"), ("", "configmaps"), ("", "secrets"),
                                ("", "persistentvolumeclaims")})
#: How often a quota counting other kinds is recounted.
RESYNC_SECONDS = 30.0

_LEGACY = {"services.nodeports": ("", "services"), "services.loadbalancers": ("", "services"),
           "requests.storage": ("", "persistentvolumeclaims")}


def counted_resource(name: str) -> tuple[str, str] | None:
    """The (group, resource) whose objects a quota resource name counts, or None."""
    if name.startswith("count/"):
        resource, _, group = name[len("count/"):].partition(".")
        return group, resource
    if name in quota.LEGACY_COUNT_NAMES:
        return "", name
    if name in _LEGACY:
        return _LEGACY[name]
    if name in quota.POD_COMPUTE or name.startswith(("requests.", "limits.", "hugepages-")):
        return "", "pods"
    return None


class ResourceQuotaReconciler:
    """Recounts one quota and writes its status when it changed."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client

    async def reconcile(self, request: Request) -> Result | None:
        rq = self.cache.get(RESOURCE_QUOTA, request.name, request.namespace)
        if rq is None or rq["metadata"].get("deletionTimestamp"):
            return None
        hard = quota.parse((rq.get("spec") or {}).get("hard"))
        used, others = await self._usage(rq, request.namespace, hard)
        status = {"hard": quota.render(hard), "used": quota.render(used)}
        if (rq.get("status") or {}) != status:
            try:
                await self.client.update_status({**rq, "status": status})
            except errors.NotFound:
                return None
        return Result(requeue_after=RESYNC_SECONDS) if others else None

    async def _usage(self, rq: Obj, namespace: str, hard: quota.Usage) -> tuple[quota.Usage, bool]:
        """``status.used``, and whether kinds outside :data:`WATCHED` are counted."""
        by_resource: dict[tuple[str, str], list[str]] = {}
        for name in hard:
            target = counted_resource(name)
            if target is not None:
                by_resource.setdefault(target, []).append(name)
        used: quota.Usage = {}
        others = False
        for (group, resource), names in by_resource.items():
            served = next((r for r in self.client.registry.all()
                           if r.group == group and r.plural == resource and r.preferred), None)
            if served is None or not served.namespaced:
                continue
            others = others or (group, resource) not in _WATCHED_RESOURCES
            matched = quota.matching_resources(group, resource, names)
            total: quota.Usage = {name: (Decimal(0), "DecimalSI") for name in matched}
            listed = await self.client.list(Kind(served.group_version, served.kind), namespace)
            for obj in listed["items"]:
                if not quota.matches_scopes(rq, group, resource, obj):
                    continue
                usage = quota.usage(group, resource, obj)
                total = quota.add(total, {name: usage[name] for name in matched if name in usage})
            used.update(total)
        return used, others


def add_resourcequota_controller(manager: Manager, client: InProcessClient) -> None:
    """The resourcequota controller, on ``manager``, writing through ``client``."""

    def quotas_of(obj: Obj) -> list[Request]:
        namespace = obj["metadata"].get("namespace")
        if not namespace:
            return []
        return [Request(namespace, q["metadata"]["name"]) for q in manager.cache.list(RESOURCE_QUOTA, namespace)]

    def hard_changed(old: Obj, new: Obj) -> bool:
        return bool((old.get("spec") or {}).get("hard") != (new.get("spec") or {}).get("hard"))

    builder = (Builder(manager).named("resourcequota")
               .for_(RESOURCE_QUOTA, Funcs(update=hard_changed, name="spec.hard changed")))
    served = {(r.group_version, r.kind) for r in client.registry.all()}
    replenish = Funcs(create=lambda _obj: False, name="updates and deletes")
    for kind in WATCHED:
        if (kind.api_version, kind.kind) in served:
            builder = builder.watches(kind, quotas_of, replenish, store=kind not in UNCACHED)
    builder.complete(ResourceQuotaReconciler(manager, client))
