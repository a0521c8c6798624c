"""Namespace lifecycle admission: no content in a missing or terminating namespace.

As kube-apiserver's ``NamespaceLifecycle`` plugin: creating a namespaced
object needs its namespace to exist and not be terminating; the system
namespaces cannot be deleted. The namespace is looked up in the watch cache as
it is; only when it is missing there, or was deleted through this server in the
last 30 seconds (kube's ``forceLiveLookupCache``), does the lookup wait for the
cache to catch up with storage (kube's live GET).
"""

from __future__ import annotations

import time

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

#: Namespaces that may never be deleted.
IMMORTAL = frozenset({"default", "kube-system", "kube-public"})
#: How long after a namespace's DELETE its lookups are consistent reads (kube's forceLiveLookupTTL).
FORCE_LIVE_LOOKUP_SECONDS = 30.0


class NamespaceLifecycle:
    """The admission plugin; it looks namespaces up in ``objects``' watch cache."""

    mutating = False

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self._registry = registry
        self._objects = objects
        #: Namespaces deleted through this server lately, with when that stops mattering.
        self._force_live: dict[str, float] = {}

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None

    def validates(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> bool:
        """False for what :meth:`validate` lets pass at once: not a create in a namespace, or a
        create in a namespace the cache holds, not terminating nor deleted lately."""
        if attrs.group == "" and attrs.resource == "namespaces":
            return True
        if attrs.verb != "create" or not attrs.namespace:
            return False
        ns_resource = self._registry.get("", "v1", "namespaces")
        if ns_resource is None or attrs.namespace in self._force_live:
            return True
        cacher = self._objects.cacher(ns_resource)
        if not cacher.ready:
            return True
        cobj = cacher.get(ns_resource.key(None, attrs.namespace))
        return cobj is None or bool((cobj.obj.get("metadata") or {}).get("deletionTimestamp"))

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if attrs.group == "" and attrs.resource == "namespaces":
            if attrs.verb == "delete" and attrs.name in IMMORTAL:
                raise errors.StatusError(
                    403, "Forbidden", f'namespaces "{attrs.name}" is forbidden: this namespace may not be deleted',
                    details={"name": attrs.name, "kind": "namespaces"})
            if attrs.verb == "delete":
                now = time.monotonic()
                if len(self._force_live) > 1000:
                    self._force_live = {k: t for k, t in self._force_live.items() if t > now}
                self._force_live[attrs.name] = now + FORCE_LIVE_LOOKUP_SECONDS
            return
        if attrs.verb != "create" or not attrs.namespace:
            return
        ns_resource = self._registry.get("", "v1", "namespaces")
        assert ns_resource is not None
        cacher = self._objects.cacher(ns_resource)
        key = ns_resource.key(None, attrs.namespace)
        await cacher.wait_ready()
        cobj = cacher.get(key)
        live = self._force_live.get(attrs.namespace)
        if cobj is None or (live is not None and live > time.monotonic()):
            # Created a moment ago (not in the cache yet) or deleted a moment ago (the cache may
            # not show it terminating yet): a consistent read, as kube's live lookup.
            await cacher.wait_consistent()
            cobj = cacher.get(key)
        if cobj is None:
            raise errors.not_found("namespaces", "", attrs.namespace)
        if (cobj.obj.get("metadata") or {}).get("deletionTimestamp"):
            qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
            raise errors.StatusError(
                403, "Forbidden",
                f'{qualified} "{attrs.name}" is forbidden: unable to create new content in namespace '
                f"{attrs.namespace} because it is being terminated",
                details={"name": attrs.name, "group": attrs.group, "kind": attrs.resource,
                         "causes": [{"reason": "NamespaceTerminating",
                                     "message": f"namespace {attrs.namespace} is being terminated",
                                     "field": "metadata.namespace"}]})
