"""What the workload controllers ask of a pod, as kube's ``pkg/api/v1/pod`` and ``pkg/controller``
answer it: is it active, ready, available; which to delete first; controller references; and the
controllers' expectations.

* :func:`is_active`, :func:`is_ready`, :func:`is_available` -- ``FilterActivePods``,
  ``IsPodReady``, ``IsPodAvailable``;
* :func:`deletion_order` -- the pods to delete first (``ActivePodsWithRanks.Less``, with
  ``LogarithmicScaleDown``);
* :func:`controller_of` -- ``metav1.GetControllerOf``;
* :class:`Expectations` -- ``UIDTrackingControllerExpectations``: how many creations and which
  deletions a controller still waits to see in its cache before it acts again.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from setpoint.apimachinery.clock import parse_time
from setpoint.apimachinery.types import Obj

#: ``ExpectationsTimeout``: expectations older than this are considered satisfied.
EXPECTATIONS_TIMEOUT = 5 * 60.0
#: ``controller.kubernetes.io/pod-deletion-cost``.
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


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


def ready_condition(pod: Obj) -> Mapping[str, Any] | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c  # type: ignore[no-any-return]
    return None


def is_ready(pod: Obj) -> bool:
    """``podutil.IsPodReady``: the ``Ready`` condition is ``True``."""
    c = ready_condition(pod)
    return c is not None and c.get("status") == "True"


def is_available(pod: Obj, min_ready_seconds: int, now: float) -> bool:
    """``podutil.IsPodAvailable``: ready for at least ``min_ready_seconds``."""
    c = ready_condition(pod)
    if c is None or c.get("status") != "True":
        return False
    if min_ready_seconds == 0:
        return True
    since = timestamp(c.get("lastTransitionTime"))
    return since is not None and since + min_ready_seconds < now


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


# -- expectations ----------------------------------------------------------------------------------

@dataclass(slots=True)
class _Expectation:
    add: int = 0
    deletes: set[str] = field(default_factory=set)
    timestamp: float = field(default_factory=time.monotonic)


class Expectations:
    """Per controller key: creations not yet seen in the cache, and the pods (keys) whose
    deletion is not yet seen. A key with none outstanding (or none recorded, or recorded
    more than five minutes ago) is satisfied: its controller may act on what the cache says."""

    def __init__(self) -> None:
        self._items: dict[str, _Expectation] = {}

    def satisfied(self, key: str) -> bool:
        e = self._items.get(key)
        if e is None:
            return True
        if e.add <= 0 and not e.deletes:
            return True
        return time.monotonic() - e.timestamp > EXPECTATIONS_TIMEOUT

    def expect_creations(self, key: str, n: int) -> None:
        self._items[key] = _Expectation(add=n)

    def expect_deletions(self, key: str, pod_keys: Iterable[str]) -> None:
        self._items[key] = _Expectation(deletes=set(pod_keys))

    def creation_observed(self, key: str) -> None:
        e = self._items.get(key)
        if e is not None:
            e.add -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        e = self._items.get(key)
        if e is not None:
            e.deletes.discard(pod_key)

    def forget(self, key: str) -> None:
        self._items.pop(key, None)
