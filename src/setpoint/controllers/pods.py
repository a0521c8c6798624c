"""What the workload controllers share about their Pods: making one from a template, reading
its state, and which to delete first.

kube's ``controller.GetPodFromTemplate``, ``IsPodActive`` and ``ActivePodsWithRanks``
(``pkg/controller/controller_utils.go``), ``podutil.IsPodReady``/``IsPodAvailable``
(``pkg/api/v1/pod/util.go``), ``metav1.GetControllerOf``.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from setpoint.apimachinery.clock import parse_time
from setpoint.apimachinery.types import Obj
from setpoint.runtime.objects import mutable, owner_reference
from setpoint.runtime.resource import Kind

POD = Kind("v1", "Pod")
#: ``controller.kubernetes.io/pod-deletion-cost``.
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
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


def is_available(pod: Obj, min_ready_seconds: int, now: datetime | float | None = None) -> bool:
    """``IsPodAvailable``: ready for at least ``min_ready_seconds`` (``now`` a time or Unix seconds)."""
    if isinstance(now, float | int):
        now = datetime.fromtimestamp(now, UTC)
    return available_in(pod, min_ready_seconds, now) == 0.0


def is_terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def controller_uid(obj: Obj) -> str | None:
    """The uid of the object's controller (``metav1.GetControllerOf``)."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def timestamp(value: object) -> float | None:
    """A ``metav1.Time`` string as a Unix time, None when absent or unparseable."""
    if not isinstance(value, str):
        return None
    t: datetime | None = parse_time(value)
    return t.timestamp() if t is not None else None


def is_active(pod: Obj) -> bool:
    """``controller.IsPodActive``: not Succeeded, not Failed, not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase != "Succeeded" and phase != "Failed" and not pod["metadata"].get("deletionTimestamp")


def controller_of(obj: Obj) -> Mapping[str, Any] | None:
    """``metav1.GetControllerOf``: the ownerReference with ``controller: true``."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


# -- which pods go first ---------------------------------------------------------------------------

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def _restarts(pod: Obj) -> int:
    return max((int(s.get("restartCount") or 0) for s in (pod.get("status") or {}).get("containerStatuses") or ()),
               default=0)


def _deletion_cost(pod: Obj) -> int:
    value = (pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def _log_rank(t: float, now: float) -> int:
    """``logarithmicRankDiff``'s rank: int(log2(nanoseconds since t)), -1 when not in the past."""
    d = (now - t) * 1e9
    return int(math.log2(d)) if d > 0 else -1


@dataclass(slots=True)
class _Ranked:
    pod: Obj
    rank: int
    assigned: bool
    phase: int
    ready: bool
    cost: int
    ready_time: float | None
    restarts: int
    created: float | None
    uid: str


def _compare_times(a: _Ranked, b: _Ranked, ta: float | None, tb: float | None, now: float) -> int:
    """Newer first (zero times first); within one power-of-two age bucket, by uid."""
    if ta == tb:
        return 0
    if ta is None:
        return -1
    if tb is None:
        return 1
    diff = _log_rank(ta, now) - _log_rank(tb, now)
    if diff == 0:
        return -1 if a.uid < b.uid else (1 if a.uid > b.uid else 0)
    return -1 if diff < 0 else 1


def _compare(a: _Ranked, b: _Ranked, now: float) -> int:
    """``ActivePodsWithRanks.Less`` as a three-way comparison (negative: ``a`` goes first)."""
    if a.assigned != b.assigned:
        return -1 if not a.assigned else 1
    if a.phase != b.phase:
        return -1 if a.phase < b.phase else 1
    if a.ready != b.ready:
        return -1 if not a.ready else 1
    if a.cost != b.cost:
        return -1 if a.cost < b.cost else 1
    if a.rank != b.rank:
        return -1 if a.rank > b.rank else 1
    if a.ready and b.ready:
        c = _compare_times(a, b, a.ready_time, b.ready_time, now)
        if c:
            return c
    if a.restarts != b.restarts:
        return -1 if a.restarts > b.restarts else 1
    return _compare_times(a, b, a.created, b.created, now)


def deletion_order(pods: Sequence[Obj], related: Iterable[Obj], now: float | None = None) -> list[Obj]:
    """``pods`` in the order kube's ReplicaSet controller deletes them (``getPodsToDelete``):
    unscheduled, then pending, not ready, cheaper to delete, doubled up on a node with
    ``related`` pods, ready for less time, restarted more, newer."""
    now = time.time() if now is None else now
    on_node: dict[str, int] = {}
    for p in related:
        node = (p.get("spec") or {}).get("nodeName")
        if node and is_active(p):
            on_node[node] = on_node.get(node, 0) + 1
    ranked = []
    for p in pods:
        spec, meta = p.get("spec") or {}, p["metadata"]
        node = spec.get("nodeName") or ""
        rc = ready_condition(p)
        ready = rc is not None and rc.get("status") == "True"
        ranked.append(_Ranked(
            p, on_node.get(node, 0) if node else 0, bool(node),
            _PHASE_RANK.get((p.get("status") or {}).get("phase") or "", 0), ready, _deletion_cost(p),
            timestamp(rc.get("lastTransitionTime")) if rc is not None and ready else None,
            _restarts(p), timestamp(meta.get("creationTimestamp")), str(meta.get("uid") or "")))
    ranked.sort(key=functools.cmp_to_key(lambda a, b: _compare(a, b, now)))
    return [r.pod for r in ranked]
