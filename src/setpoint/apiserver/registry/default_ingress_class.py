"""Default IngressClass admission: a new Ingress without a class gets the default one.

As kube-apiserver's ``DefaultIngressClass`` plugin (``plugin/pkg/admission/network/defaultingressclass``):
an Ingress created with neither ``spec.ingressClassName`` nor the ``kubernetes.io/ingress.class``
annotation gets the name of the IngressClass annotated ``ingressclass.kubernetes.io/is-default-class:
"true"`` (the newest of several, then the first by name).
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


class DefaultIngressClass:
    """The admission plugin; it reads IngressClasses from ``objects``' watch cache."""

    resources = frozenset({("networking.k8s.io", "ingresses")})
    validating = False

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self._registry = registry
        self._objects = objects

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if (attrs.verb != "create" or attrs.group != "networking.k8s.io" or attrs.resource != "ingresses"
                or attrs.subresource or obj is None):
            return
        spec = obj.get("spec")
        meta = obj.get("metadata") or {}
        if not isinstance(spec, dict) or spec.get("ingressClassName") is not None \
                or INGRESS_CLASS_ANNOTATION in (meta.get("annotations") or {}):
            return
        resource = self._registry.get("networking.k8s.io", "v1", "ingressclasses")
        if resource is None:
            return
        cacher = self._objects.cacher(resource)
        await cacher.wait_consistent()  # a class created a moment ago counts, as in kube's informer soon after
        defaults = []
        for cached in cacher.list(resource.prefix(None)):
            class_meta = cached.obj.get("metadata") or {}
            if (class_meta.get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true":
                defaults.append(class_meta)
        if not defaults:
            return
        # Newest first (RFC 3339 times in UTC sort as strings), then by name.
        defaults.sort(key=lambda m: str(m.get("name", "")))
        defaults.sort(key=lambda m: str(m.get("creationTimestamp", "")), reverse=True)
        spec["ingressClassName"] = defaults[0]["name"]

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None
