"""Priority admission: a pod's ``priorityClassName`` resolved to ``spec.priority``.

kube's ``plugin/pkg/admission/priority``. On pod create, the named PriorityClass gives
``spec.priority`` and ``spec.preemptionPolicy`` (no such class: 403 ``no PriorityClass with name
<x> was found``); a pod naming none gets the global default class's, or priority 0 and
``PreemptLowerPriority``; a priority or policy in the pod that differs from the class's is
refused. On update the pod keeps what it was given. For PriorityClasses, a second
``globalDefault`` class is refused.
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission.resourcequota import forbidden
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

#: kube's ``DefaultPriorityWhenNoDefaultClassExists``.
DEFAULT_PRIORITY = 0


class Priority:
    """The admission plugin; it reads PriorityClasses from ``objects``."""

    resources = frozenset({("", "pods"), ("scheduling.k8s.io", "priorityclasses")})

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self._registry = registry
        self._objects = objects

    async def _classes(self) -> list[Obj]:
        resource = self._registry.get("scheduling.k8s.io", "v1", "priorityclasses")
        if resource is None:
            return []
        return [c.obj for c in (await self._objects.list(resource, None)).items]

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if obj is None or attrs.subresource or attrs.group != "" or attrs.resource != "pods":
            return
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        if attrs.verb != "create":
            old_spec = (old or {}).get("spec") or {}
            for key in ("priority", "preemptionPolicy"):
                if spec.get(key) is None and old_spec.get(key) is not None:
                    spec[key] = old_spec[key]
            return
        name = spec.get("priorityClassName")
        classes = await self._classes()
        if not name:
            default = next((c for c in classes if c.get("globalDefault")), None)
            if default is not None:
                spec["priorityClassName"] = default["metadata"]["name"]
                priority, policy = default.get("value", 0), default.get("preemptionPolicy")
            else:
                priority, policy = DEFAULT_PRIORITY, "PreemptLowerPriority"
        else:
            found = next((c for c in classes if c["metadata"]["name"] == name), None)
            if found is None:
                raise forbidden(attrs, f"no PriorityClass with name {name} was found")
            priority, policy = found.get("value", 0), found.get("preemptionPolicy")
        given = spec.get("priority")
        if given is not None and given != priority:
            raise forbidden(attrs, f"the integer value of priority ({given}) must not be provided in pod spec; "
                                   f"priority admission controller computed {priority} from the given PriorityClass name")
        spec["priority"] = priority
        if policy is not None:
            given_policy = spec.get("preemptionPolicy")
            if given_policy is not None and given_policy != policy:
                raise forbidden(attrs, f"the string value of PreemptionPolicy ({given_policy}) must not be provided in "
                                       f"pod spec; priority admission controller computed {policy} from the given "
                                       "PriorityClass name")
            spec["preemptionPolicy"] = policy

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if obj is None or attrs.subresource or attrs.group != "scheduling.k8s.io" \
                or attrs.resource != "priorityclasses" or attrs.verb not in ("create", "update", "patch"):
            return
        if not obj.get("globalDefault"):
            return
        name = (obj.get("metadata") or {}).get("name")
        for c in await self._classes():
            if c.get("globalDefault") and (attrs.verb == "create" or c["metadata"]["name"] != name):
                raise forbidden(attrs, f"PriorityClass {c['metadata']['name']} is already marked as default. "
                                       "Only one default can exist")
