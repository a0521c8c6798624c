"""What the endpoints and EndpointSlice controllers share, as kube's
``staging/src/k8s.io/endpointslice/util`` and ``trigger_time_tracker.go`` and
``pkg/api/v1/pod`` have it: which pods a Service selects, whether a pod is
listed, its addresses, a Service port's number on a pod, and the
``endpoints.kubernetes.io/last-change-trigger-time`` tracker.

Until nodes exist nothing gives a pod an IP: a pod is listed once its
``status.podIPs`` (or ``status.podIP``) says where it is, as kube lists it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from setpoint.apimachinery.clock import format_time, parse_time
from setpoint.apimachinery.types import Obj
from setpoint.controllers.pods import is_ready, ready_condition
from setpoint.runtime.cache import Cache, NotCached
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request
from setpoint.runtime.resource import Kind

SERVICE = Kind("v1", "Service")
POD = Kind("v1", "Pod")
#: ``v1.EndpointsLastChangeTriggerTime``.
TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time"
#: ``v1.IsHeadlessService``.
HEADLESS_LABEL = "service.kubernetes.io/headless"


def selector_of(service: Obj) -> dict[str, str] | None:
    """The Service's selector, None when it has none (an empty map selects nothing, as
    kube reads it back from storage)."""
    selector = (service.get("spec") or {}).get("selector")
    return selector if isinstance(selector, dict) and selector else None


def selects(selector: dict[str, str], pod: Obj) -> bool:
    labels = pod["metadata"].get("labels")
    return bool(labels) and selector.items() <= labels.items()


def selected_pods(cache: Cache, service: Obj) -> list[Obj]:
    """The pods of the Service's namespace its selector matches (empty without a selector)."""
    selector = selector_of(service)
    if selector is None:
        return []
    namespace = service["metadata"].get("namespace")
    return [p for p in cache.list(POD, namespace) if selects(selector, p)]


def is_service_ip_set(service: Obj) -> bool:
    """``helper.IsServiceIPSet``: a cluster IP that is neither empty nor ``None``."""
    ip = (service.get("spec") or {}).get("clusterIP")
    return bool(ip) and ip != "None"


def pod_ips(pod: Obj) -> list[str]:
    """``status.podIPs``' addresses (``status.podIP`` when only that is set)."""
    status = pod.get("status") or {}
    ips = [p["ip"] for p in status.get("podIPs") or () if isinstance(p, dict) and isinstance(p.get("ip"), str)]
    if not ips and isinstance(status.get("podIP"), str) and status["podIP"]:
        ips = [status["podIP"]]
    return ips


def is_ipv6(ip: str) -> bool:
    """``utilnet.IsIPv6String`` for the addresses the API server has validated: IPv6 has colons."""
    return ":" in ip


def should_pod_be_in_endpoints(pod: Obj, include_terminating: bool) -> bool:
    """``ShouldPodBeInEndpoints``: not terminal, has an IP, and not terminating unless asked."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Failed", "Succeeded"):
        return False
    if not pod_ips(pod):
        return False
    return include_terminating or not pod["metadata"].get("deletionTimestamp")


def should_set_hostname(pod: Obj, service: Obj) -> bool:
    """``ShouldSetHostname``: the pod's hostname, when its subdomain is the Service."""
    spec = pod.get("spec") or {}
    return bool(spec.get("hostname")) and spec.get("subdomain") == service["metadata"]["name"] \
        and service["metadata"].get("namespace") == pod["metadata"].get("namespace")


def find_port(pod: Obj, service_port: Obj) -> int | None:
    """``podutil.FindPort``: a number target port as it is; a named one from the containers'
    (and sidecars') ports of the same protocol; None when the pod has no such port."""
    target = service_port.get("targetPort")
    if isinstance(target, int) and not isinstance(target, bool):
        return target
    if not isinstance(target, str):
        return None
    protocol = service_port.get("protocol") or "TCP"
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or ())
    containers += [c for c in spec.get("initContainers") or () if isinstance(c, dict)
                   and c.get("restartPolicy") == "Always"]
    for container in containers:
        for port in container.get("ports") or () if isinstance(container, dict) else ():
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                number = port.get("containerPort")
                return number if isinstance(number, int) else None
    return None


def target_ref(pod: Obj) -> Obj:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta.get("namespace"), "name": meta["name"], "uid": meta.get("uid")}


# --- trigger times ---------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _parse(value: str) -> datetime | None:
    return parse_time(value)


def _time(value: Any) -> datetime | None:
    return _parse(value) if isinstance(value, str) else None


def _earlier(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


@dataclass
class _State:
    pods: dict[str, datetime] = field(default_factory=dict)
    service: datetime | None = None


class TriggerTimeTracker:
    """kube's ``TriggerTimeTracker``: the time of the earliest change (a pod's ``Ready``
    transition, the Service's creation) a sync of a Service's endpoints reflects."""

    def __init__(self) -> None:
        self._states: dict[tuple[str, str], _State] = {}

    def compute(self, service: Obj, pods: Iterable[Obj]) -> str:
        """The annotation's value for this sync ("" for none: the annotation is removed)."""
        meta = service["metadata"]
        key = (meta.get("namespace") or "", meta["name"])
        state = self._states.get(key)
        known = state is not None
        state = state or _State()
        earliest: datetime | None = None
        pod_times: dict[str, datetime] = {}
        for pod in pods:
            condition = ready_condition(pod)
            when = _time(condition.get("lastTransitionTime")) if condition else None
            if when is None:
                continue
            name = pod["metadata"]["name"]
            pod_times[name] = when
            last = state.pods.get(name)
            if last is None or when > last:
                earliest = _earlier(earliest, when)
        created = _time(meta.get("creationTimestamp"))
        if created is not None and (state.service is None or created > state.service):
            earliest = _earlier(earliest, created)
        self._states[key] = _State(pod_times, created)
        if not known:
            return format_time(created) if created is not None else ""
        return format_time(earliest) if earliest is not None else ""

    def delete(self, namespace: str, name: str) -> None:
        self._states.pop((namespace, name), None)


# --- per-pod results -------------------------------------------------------------------

T = TypeVar("T")


class PodMemo(Generic[T]):
    """What ``fn(service, pod)`` gave, per Service and pod, while neither has changed (same
    resourceVersions): a sync after one pod's change recomputes that pod alone."""

    def __init__(self, fn: Callable[[Obj, Obj], T]) -> None:
        self.fn = fn
        self._by_service: dict[tuple[str, str], dict[str, tuple[tuple[str, str], T]]] = {}

    def results(self, service: Obj, pods: Iterable[Obj]) -> list[T]:
        """``fn(service, pod)`` for each pod; results of pods no longer given are forgotten."""
        meta = service["metadata"]
        key = (meta.get("namespace") or "", meta["name"])
        service_rv = str(meta.get("resourceVersion", ""))
        old = self._by_service.get(key, {})
        new: dict[str, tuple[tuple[str, str], T]] = {}
        out = []
        for pod in pods:
            pod_meta = pod["metadata"]
            uid = str(pod_meta.get("uid") or pod_meta["name"])
            tag = (str(pod_meta.get("resourceVersion", "")), service_rv)
            hit = old.get(uid)
            value = hit[1] if hit is not None and hit[0] == tag and tag[0] else self.fn(service, pod)
            new[uid] = (tag, value)
            out.append(value)
        self._by_service[key] = new
        return out

    def forget(self, namespace: str, name: str) -> None:
        self._by_service.pop((namespace, name), None)


class SyncPacer:
    """Spaces one Service's syncs by a few times what the last one took (at most ``ceiling``
    seconds), so that a burst of pod changes is synced in batches, as kube's
    ``--endpoint-updates-batch-period`` batches them, while a lone change is synced at once.
    A big Service's O(pods) sync then leaves the event loop to the writers."""

    def __init__(self, factor: float = 4.0, ceiling: float = 1.0) -> None:
        self.factor = factor
        self.ceiling = ceiling
        self._next: dict[tuple[str, str], float] = {}

    def wait(self, key: tuple[str, str]) -> float:
        """Seconds to wait before ``key`` may sync (0: now)."""
        at = self._next.get(key)
        return 0.0 if at is None else max(at - time.monotonic(), 0.0)

    def synced(self, key: tuple[str, str], started: float) -> None:
        """Record a sync that began at ``started`` (``time.monotonic()``) and ended now."""
        now = time.monotonic()
        self._next[key] = now + min((now - started) * self.factor, self.ceiling)

    def forget(self, key: tuple[str, str]) -> None:
        self._next.pop(key, None)


# --- watching pods ---------------------------------------------------------------------


def _pod_key_fields(pod: Obj) -> tuple[Any, ...]:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    return (meta.get("labels"), meta.get("deletionTimestamp"), status.get("podIP"), status.get("podIPs"),
            status.get("phase"), is_ready(pod), (ready_condition(pod) or {}).get("lastTransitionTime"),
            spec.get("nodeName"), spec.get("hostname"), spec.get("subdomain"), spec.get("containers"),
            spec.get("initContainers"))


#: Pod updates that can change a Service's endpoints (``podEndpointsChanged`` and label changes).
POD_CHANGED = Funcs(update=lambda old, new: _pod_key_fields(old) != _pod_key_fields(new), name="pod-endpoints")


def services_of_pod(cache: Cache) -> Callable[[Obj], list[Request]]:
    """``GetPodServiceMemberships``: the Services of the pod's namespace that select it."""

    def map_pod(pod: Obj) -> list[Request]:
        namespace = pod["metadata"].get("namespace") or ""
        try:
            services = cache.list(SERVICE, namespace)
        except NotCached:  # before the Services are listed: each is reconciled once they are
            return []
        out = []
        for service in services:
            selector = selector_of(service)
            if selector is not None and selects(selector, pod):
                out.append(Request(namespace, service["metadata"]["name"]))
        return out

    return map_pod
