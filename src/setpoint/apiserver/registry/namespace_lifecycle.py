"""Namespace lifecycle admission: no content in a missing or terminating namespace.

As kube-apiserver's ``NamespaceLifecycle`` plugin: creating a namespaced
object needs its namespace to exist and not be terminating; the system
namespaces cannot be deleted.
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

#: Namespaces that may never be deleted.
IMMORTAL = frozenset({"default", "kube-system", "kube-public"})


class NamespaceLifecycle:
    """The admission plugin; it looks namespaces up in ``objects``' watch cache."""

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self._registry = registry
        self._objects = objects

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if attrs.group == "" and attrs.resource == "namespaces":
            if attrs.verb == "delete" and attrs.name in IMMORTAL:
                raise errors.StatusError(
                    403, "Forbidden", f'namespaces "{attrs.name}" is forbidden: this namespace may not be deleted',
                    details={"name": attrs.name, "kind": "namespaces"})
            return
        if attrs.verb != "create" or not attrs.namespace:
            return
        ns_resource = self._registry.get("", "v1", "namespaces")
        assert ns_resource is not None
        cacher = self._objects.cacher(ns_resource)
        # kube reads its informer, and asks storage only when the namespace is missing there (or
        # was deleted through this server a moment ago). Here: the cache once it holds this
        # server's own writes (a namespace deleted through it refuses new content at once; no
        # storage round trip, which on etcd is one per create), then a consistent read on a miss.
        key = ns_resource.key(None, attrs.namespace)
        await cacher.wait_own_writes()
        cobj = cacher.get(key)
        if cobj is None:
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
