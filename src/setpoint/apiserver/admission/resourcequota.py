"""ResourceQuota admission: refuse a create that would take a namespace over its quota.

kube's ``plugin/pkg/admission/resourcequota``: for each ResourceQuota of the namespace whose
scopes select the new object, the resources its ``status.hard`` limits and the object's kind
counts are checked: a pod whose containers do not all request a limited cpu or memory is
refused (``failed quota: <name>: must specify ...``), a quota whose usage is not known yet
refuses (``status unknown for quota``), and a usage above ``hard`` is 403 Forbidden
``exceeded quota: <name>, requested: ..., used: ..., limited: ...``. When every quota admits
it, the new usage is written to their ``status.used`` at once (as kube's quota evaluator does,
so that the next create sees it before the resourcequota controller recounts); a quota changed
meanwhile is read again and the check repeated. The quotas are read from the watch cache as it
is (kube's lister); a namespace with none there is looked up with a consistent read at most
every 30 seconds (kube's ``liveLookupCache``), so a namespace without quotas costs no wait.
"""

from __future__ import annotations

import time

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission import quota
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

_RETRIES = 5
#: How long a consistent read finding no quota in a namespace is trusted (kube's liveTTL).
LIVE_LOOKUP_SECONDS = 30.0


def forbidden(attrs: Attributes, message: str) -> errors.StatusError:
    """``admission.NewForbidden``: ``<resource> "<name>" is forbidden: <message>``."""
    qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
    details: Obj = {}
    if attrs.name:
        details["name"] = attrs.name
    if attrs.group:
        details["group"] = attrs.group
    details["kind"] = attrs.resource
    named = f'{qualified} "{attrs.name}"' if attrs.name else qualified
    return errors.StatusError(403, "Forbidden", f"{named} is forbidden: {message}", details=details)


class ResourceQuotaAdmission:
    """The admission plugin; it reads the namespace's quotas from ``objects``."""

    mutating = False

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self._registry = registry
        self._objects = objects
        #: Namespaces a consistent read found without quotas, with when to look again.
        self._none_until: dict[str, float] = {}

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None

    def validates(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> bool:
        """False for what :meth:`validate` lets pass at once: not a create of an object in a
        namespace, or one in a namespace lately found without quotas that the cache holds none of."""
        if attrs.verb != "create" or attrs.subresource or not attrs.namespace or obj is None:
            return False
        quotas = self._registry.get("", "v1", "resourcequotas")
        if quotas is None:
            return False
        if self._none_until.get(attrs.namespace, 0.0) <= time.monotonic():
            return True
        cacher = self._objects.cacher(quotas)
        return not cacher.ready or cacher.count(quotas.prefix(attrs.namespace)) > 0

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if attrs.verb != "create" or attrs.subresource or not attrs.namespace or obj is None:
            return
        quotas = self._registry.get("", "v1", "resourcequotas")
        if quotas is None:
            return
        cacher = self._objects.cacher(quotas)
        await cacher.wait_ready()
        items = cacher.list(quotas.prefix(attrs.namespace))
        if not items:
            now = time.monotonic()
            if self._none_until.get(attrs.namespace, 0.0) > now:
                return
            items = (await self._objects.list(quotas, attrs.namespace)).items
            if not items:
                if len(self._none_until) > 10_000:
                    self._none_until = {k: t for k, t in self._none_until.items() if t > now}
                self._none_until[attrs.namespace] = now + LIVE_LOOKUP_SECONDS
                return
        for _attempt in range(_RETRIES):
            if _attempt:
                items = (await self._objects.list(quotas, attrs.namespace)).items
                if not items:
                    return
            updates = self._check(attrs, obj, [c.obj for c in items])
            if not updates or attrs.dry_run:
                return
            if await self._write(attrs.namespace, updates):
                return
        raise errors.StatusError(500, "InternalError", "Internal error occurred: resource quota evaluation timed out",
                                 details={"causes": [{"message": "resource quota evaluation timed out"}]})

    @staticmethod
    def _check(attrs: Attributes, obj: Obj, quotas: list[Obj]) -> list[tuple[Obj, dict[str, str]]]:
        """The quotas to update with their new ``status.used``; raises when one refuses."""
        delta = quota.usage(attrs.group, attrs.resource, obj)
        updates: list[tuple[Obj, dict[str, str]]] = []
        for q in sorted(quotas, key=lambda q: str(q["metadata"]["name"])):
            if not quota.matches_scopes(q, attrs.group, attrs.resource, obj):
                continue
            name = q["metadata"]["name"]
            status = q.get("status") or {}
            hard = quota.parse(status.get("hard"))
            restricted = quota.matching_resources(attrs.group, attrs.resource, hard)
            if not restricted:
                continue
            if attrs.group == "" and attrs.resource == "pods":
                missing = quota.pod_constraints(restricted, obj)
                if missing is not None:
                    raise forbidden(attrs, f"failed quota: {name}: {missing}")
            used = quota.parse(status.get("used"))
            if any(r not in used for r in restricted):
                raise forbidden(attrs, f"status unknown for quota: {name}, resources: {','.join(restricted)}")
            requested = {r: delta[r] for r in restricted if r in delta}
            if not requested:
                continue
            new_used = quota.add(used, requested)
            exceeded = sorted(r for r in requested if new_used[r][0] > hard[r][0])
            if exceeded:
                raise forbidden(attrs, (
                    f"exceeded quota: {name}, requested: {quota.pretty({r: requested[r] for r in exceeded})}, "
                    f"used: {quota.pretty({r: used[r] for r in exceeded})}, "
                    f"limited: {quota.pretty({r: hard[r] for r in exceeded})}"))
            updates.append((q, {**(status.get("used") or {}), **quota.render(
                {r: new_used[r] for r in requested})}))
        return updates

    async def _write(self, namespace: str, updates: list[tuple[Obj, dict[str, str]]]) -> bool:
        """Write each quota's new usage; False when one changed since it was read (check again)."""
        resource = self._registry.get("", "v1", "resourcequotas")
        assert resource is not None
        for q, used in updates:
            rv = q["metadata"].get("resourceVersion")

            async def mutate(current: Obj, used: dict[str, str] = used, rv: object = rv) -> Obj:
                return {**current, "metadata": {**current["metadata"], "resourceVersion": rv},
                        "status": {**(current.get("status") or {}), "used": used}}

            try:
                await self._objects.guaranteed_update(resource, namespace, q["metadata"]["name"], mutate,
                                                      subresource="status", retry_conflicts=False)
            except errors.StatusError as e:
                if e.code in (409, 404):
                    return False
                raise
        return True
