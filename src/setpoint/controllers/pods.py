"""What the workload controllers share about their Pods: making one from a template, and
reading its state.

kube's ``controller.GetPodFromTemplate`` (``pkg/controller/controller_utils.go``) and
``podutil.IsPodReady``/``IsPodAvailable`` (``pkg/api/v1/pod/util.go``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from setpoint.apimachinery.clock import parse_time
from setpoint.apimachinery.types import Obj
from setpoint.runtime.objects import mutable, owner_reference
from setpoint.runtime.resource import Kind

POD = Kind("v1", "Pod")
#: ``validation.DNS1123SubdomainMaxLength`` less the 5 random characters of a generated name.
_MAX_PREFIX = 253 - 5


def pod_from_template(template: Mapping[str, Any], owner: Obj) -> Obj:
    """``GetPodFromTemplate``: a Pod of ``owner`` (its controller) with the template's labels,
    annotations, finalizers and spec, and ``generateName`` ``<owner>-``."""
    tmeta = template.get("metadata") or {}
    prefix = f"{owner['metadata']['name']}-"
    meta: Obj = {"generateName": prefix[:_MAX_PREFIX], "namespace": owner["metadata"].get("namespace"),
                 "labels": dict(tmeta.get("labels") or {}),
                 "ownerReferences": [owner_reference(owner)]}
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": mutable(template.get("spec") or {})}


def phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def ready_condition(pod: Obj) -> Mapping[str, Any] | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c  # type: ignore[no-any-return]
    return None


def is_ready(pod: Obj) -> bool:
    """``IsPodReady``: the ``Ready`` condition is ``True``."""
    c = ready_condition(pod)
    return c is not None and c.get("status") == "True"


def available_in(pod: Obj, min_ready_seconds: int, now: datetime | None = None) -> float | None:
    """Seconds until a ready pod counts as available (0 when it does; None when it is not ready):
    ``IsPodAvailable`` with ``minReadySeconds``."""
    c = ready_condition(pod)
    if c is None or c.get("status") != "True":
        return None
    if min_ready_seconds <= 0:
        return 0.0
    since = parse_time(str(c.get("lastTransitionTime") or ""))
    if since is None:
        return float(min_ready_seconds)
    elapsed = ((now or datetime.now(UTC)) - since).total_seconds()
    return max(0.0, min_ready_seconds - elapsed)


def is_available(pod: Obj, min_ready_seconds: int, now: datetime | None = None) -> bool:
    return available_in(pod, min_ready_seconds, now) == 0.0


def is_terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def controller_uid(obj: Obj) -> str | None:
    """The uid of the object's controller (``metav1.GetControllerOf``)."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None
