"""LimitRanger admission: default container resources from LimitRanges, then enforce their bounds.

kube's ``plugin/pkg/admission/limitranger``, for pods on create: every ``Container`` item's
``defaultRequest`` and ``default`` fill the requests and limits a container (or init container)
leaves out, noted in the ``kubernetes.io/limit-ranger`` annotation (``LimitRanger plugin set:
cpu, memory request for container app; ...``); then ``min``, ``max`` and
``maxLimitRequestRatio`` are checked per container (``Container`` items) and on the pod's
totals (``Pod`` items), a violation being 403 Forbidden with kube's words (``maximum cpu usage
per Container is 1, but limit is 2``); a PersistentVolumeClaim's requested storage is checked
against ``PersistentVolumeClaim`` items' ``min`` and ``max``.
"""

from __future__ import annotations

from decimal import Decimal

from setpoint.apimachinery import quantity
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.admission import quota
from setpoint.apiserver.admission.resourcequota import forbidden
from setpoint.apiserver.builtin.core import pod_qos_class
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry

ANNOTATION = "kubernetes.io/limit-ranger"


def _merge(container: Obj, requests: dict[str, str], limits: dict[str, str], prefix: str) -> list[str]:
    """``mergeContainerResources``: the annotation lines for what was set."""
    resources = container.get("resources")
    if not isinstance(resources, dict):
        resources = container["resources"] = {}
    notes: list[str] = []
    for key, defaults, word in (("limits", limits, "limit"), ("requests", requests, "request")):
        have = resources.get(key) if isinstance(resources.get(key), dict) else {}
        added = sorted(name for name in defaults if name not in (have or {}))
        if added:
            resources[key] = {**(have or {}), **{name: defaults[name] for name in added}}
        if added and word == "request":
            notes.append(", ".join(added) + f" request for {prefix} {container.get('name', '')}")
        elif added:
            notes.append(", ".join(added) + f" limit for {prefix} {container.get('name', '')}")
    # kube appends the request note before the limit note.
    return sorted(notes, key=lambda n: " limit for " in n)


def _amount(values: object, name: str) -> Decimal | None:
    if not isinstance(values, dict) or name not in values:
        return None
    try:
        return quantity.value(str(values[name]))
    except ValueError:
        return None


def _text(values: object, name: str) -> str:
    """A quantity as ``Quantity.String()`` prints it."""
    text = str((values or {}).get(name)) if isinstance(values, dict) else ""
    try:
        return quantity.canonical(quantity.value(text), quantity.format_of(text))
    except ValueError:
        return text


def _check(kind: str, name: str, bounds: Obj, requests: object, limits: object) -> list[str]:
    """``minConstraint``, ``maxConstraint`` and ``limitRequestRatioConstraint`` for one resource."""
    out: list[str] = []
    req, lim = _amount(requests, name), _amount(limits, name)
    low = _amount(bounds.get("min"), name)
    if low is not None:
        enforced = _text(bounds.get("min"), name)
        if req is None:
            out.append(f"minimum {name} usage per {kind} is {enforced}.  No request is specified")
        elif req < low:
            out.append(f"minimum {name} usage per {kind} is {enforced}, but request is {_text(requests, name)}")
        elif lim is not None and lim < low:
            out.append(f"minimum {name} usage per {kind} is {enforced}, but limit is {_text(limits, name)}")
    high = _amount(bounds.get("max"), name)
    if high is not None:
        enforced = _text(bounds.get("max"), name)
        if lim is None:
            out.append(f"maximum {name} usage per {kind} is {enforced}.  No limit is specified")
        elif lim > high:
            out.append(f"maximum {name} usage per {kind} is {enforced}, but limit is {_text(limits, name)}")
        elif req is not None and req > high:
            out.append(f"maximum {name} usage per {kind} is {enforced}, but request is {_text(requests, name)}")
    ratio = _amount(bounds.get("maxLimitRequestRatio"), name)
    if ratio is not None:
        enforced = _text(bounds.get("maxLimitRequestRatio"), name)
        if req is None or req == 0:
            out.append(f"{name} max limit to request ratio per {kind} is {enforced}, but no request is specified "
                       "or request is 0")
        elif lim is None or lim == 0:
            out.append(f"{name} max limit to request ratio per {kind} is {enforced}, but no limit is specified "
                       "or limit is 0")
        elif lim / req > ratio:
            out.append(f"{name} max limit to request ratio per {kind} is {enforced}, but provided ratio is "
                       f"{float(lim / req):f}")
    return out


def _bounded(item: Obj) -> list[str]:
    return sorted({*(item.get("min") or {}), *(item.get("max") or {}), *(item.get("maxLimitRequestRatio") or {})})


def validate_claim(limit_range: Obj, claim: Obj) -> list[str]:
    """``PersistentVolumeClaimValidateLimitFunc``: the claim's requested storage against ``min``
    and ``max`` (limits are not the user's to give here)."""
    out: list[str] = []
    requests = ((claim.get("spec") or {}).get("resources") or {}).get("requests")
    for item in (limit_range.get("spec") or {}).get("limits") or ():
        if not isinstance(item, dict) or item.get("type") != "PersistentVolumeClaim":
            continue
        for name in sorted(item.get("min") or {}):
            out.extend(_check("PersistentVolumeClaim", name, {"min": item["min"]}, requests, {}))
        for name in sorted(item.get("max") or {}):
            high, req = _amount(item["max"], name), _amount(requests, name)
            enforced = _text(item["max"], name)
            if req is None:
                out.append(f"maximum {name} usage per PersistentVolumeClaim is {enforced}.  No request is specified")
            elif high is not None and req > high:
                out.append(f"maximum {name} usage per PersistentVolumeClaim is {enforced}, but request is "
                           f"{_text(requests, name)}")
    return out


def validate_pod(limit_range: Obj, pod: Obj) -> list[str]:
    """``PodValidateLimitFunc``: every violation's message."""
    out: list[str] = []
    spec = pod.get("spec") or {}
    for item in (limit_range.get("spec") or {}).get("limits") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") == "Container":
            for key in ("containers", "initContainers"):
                for c in spec.get(key) or ():
                    res = c.get("resources") if isinstance(c, dict) and isinstance(c.get("resources"), dict) else {}
                    for name in _bounded(item):
                        out.extend(_check("Container", name, item, (res or {}).get("requests"),
                                          (res or {}).get("limits")))
        elif item.get("type") == "Pod":
            requests, limits = quota.pod_requests_and_limits(spec)
            req_text, lim_text = quota.render(requests), quota.render(limits)
            for name in _bounded(item):
                out.extend(_check("Pod", name, item, req_text, lim_text))
    return out


class LimitRanger:
    """The admission plugin; it reads the namespace's LimitRanges from ``objects``."""

    resources = frozenset({("", "pods"), ("", "persistentvolumeclaims")})

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self._registry = registry
        self._objects = objects

    async def _limit_ranges(self, attrs: Attributes, *, claims: bool = False) -> list[Obj]:
        """The namespace's LimitRanges when the request is one the plugin looks at: a pod create
        (and, with ``claims``, a PVC create or update)."""
        if attrs.subresource or attrs.group != "":
            return []
        pod_create = attrs.resource == "pods" and attrs.verb == "create"
        claim_write = claims and attrs.resource == "persistentvolumeclaims" and attrs.verb in ("create", "update",
                                                                                               "patch")
        if not (pod_create or claim_write):
            return []
        resource = self._registry.get("", "v1", "limitranges")
        if resource is None:
            return []
        listed = await self._objects.list(resource, attrs.namespace)
        return [c.obj for c in listed.items]

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if obj is None:
            return
        ranges = await self._limit_ranges(attrs)
        if not ranges:
            return
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        notes: list[str] = []
        for limit_range in ranges:
            requests: dict[str, str] = {}
            limits: dict[str, str] = {}
            for item in (limit_range.get("spec") or {}).get("limits") or ():
                if isinstance(item, dict) and item.get("type") == "Container":
                    requests.update(item.get("defaultRequest") or {})
                    limits.update(item.get("default") or {})
            for key, prefix in (("containers", "container"), ("initContainers", "init container")):
                for c in spec.get(key) or ():
                    if isinstance(c, dict):
                        notes.extend(_merge(c, requests, limits, prefix))
        if notes:
            meta = obj["metadata"]
            meta["annotations"] = {**(meta.get("annotations") or {}), ANNOTATION: "LimitRanger plugin set: "
                                   + "; ".join(notes)}
            status = obj.get("status")
            if isinstance(status, dict) and "qosClass" in status:
                status["qosClass"] = pod_qos_class(spec)

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if obj is None:
            return
        problems: list[str] = []
        for limit_range in await self._limit_ranges(attrs, claims=True):
            if attrs.resource == "pods":
                problems.extend(validate_pod(limit_range, obj))
            else:
                problems.extend(validate_claim(limit_range, obj))
        if problems:
            raise forbidden(attrs, problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]")
