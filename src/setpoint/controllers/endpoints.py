"""The endpoints controller: one v1 Endpoints per Service with a selector, listing the pods it selects.

As kube-controller-manager's (``pkg/controller/endpoint/endpoints_controller.go``): a Service,
a pod it selects (before or after a change) or its Endpoints deleted enqueue the Service. The
sync lists the selected pods that have an IP and are not terminal (terminating ones only with
``publishNotReadyAddresses``), each as a ready address or a not-ready one by its ``Ready``
condition, once per Service port whose target (a number, or a container port's name) the pod
has; headless Services without ports list bare addresses. Subsets are repacked into kube's
canonical layout, more than 1000 addresses are truncated (``endpoints.kubernetes.io/over-capacity``),
labels are the Service's (plus ``service.kubernetes.io/headless``), and the
``endpoints.kubernetes.io/last-change-trigger-time`` annotation is kept. A deleted Service's
Endpoints are deleted; Services without a selector, and ExternalName ones, are left alone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.controllers import endpointutil as u
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.pods import is_ready
from setpoint.controllers.serviceaccount import namespace_terminating
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

ENDPOINTS = Kind("v1", "Endpoints")
#: ``maxCapacity``: the most addresses one Endpoints holds.
MAX_CAPACITY = 1000
OVER_CAPACITY_ANNOTATION = "endpoints.kubernetes.io/over-capacity"

_NO_PORT = ("", -1, "", None)  # RepackSubsets' sentinel for a subset without ports


def _address(pod: Obj, service: Obj) -> Obj | None:
    """``podToEndpointAddressForService``: the pod's IP of the Service's first family."""
    families = (service.get("spec") or {}).get("ipFamilies") or ()
    if families:
        v6 = families[0] == "IPv6"
    elif u.is_service_ip_set(service):
        v6 = u.is_ipv6(service["spec"]["clusterIP"])
    else:
        ips = u.pod_ips(pod)
        v6 = bool(ips) and u.is_ipv6(ips[0])
    ip = next((ip for ip in u.pod_ips(pod) if u.is_ipv6(ip) == v6), None)
    if ip is None:
        return None
    address: Obj = {"ip": ip}
    if u.should_set_hostname(pod, service):
        address["hostname"] = pod["spec"]["hostname"]
    node = (pod.get("spec") or {}).get("nodeName")
    if node:  # kube points at the pod's nodeName; an unscheduled pod's "" would not validate
        address["nodeName"] = node
    address["targetRef"] = u.target_ref(pod)
    return address


def _port(service_port: Obj, number: int) -> Obj:
    """``endpointPortFromServicePort``."""
    port: Obj = {}
    if service_port.get("name"):
        port["name"] = service_port["name"]
    port["port"] = number
    port["protocol"] = service_port.get("protocol") or "TCP"
    if service_port.get("appProtocol") is not None:
        port["appProtocol"] = service_port["appProtocol"]
    return port


def _port_key(port: Obj) -> tuple[Any, ...]:
    return (port.get("name", ""), port.get("port"), port.get("protocol"), port.get("appProtocol"))


def _address_key(address: Obj) -> tuple[str, str]:
    return str(address.get("ip", "")), str((address.get("targetRef") or {}).get("uid") or "")


def repack(subsets: list[Obj]) -> list[Obj]:
    """``endpoints.RepackSubsets``: each set of addresses (with their readiness) once, with every
    port they share; addresses by IP and pod uid, ports and subsets in a stable order."""
    addresses: dict[tuple[str, str], Obj] = {}
    ports: dict[tuple[Any, ...], Obj | None] = {}
    ready_by_port: dict[tuple[Any, ...], dict[tuple[str, str], bool]] = {}
    for given in subsets:
        for port in given.get("ports") or [None]:
            pkey = _port_key(port) if port is not None else _NO_PORT
            ports.setdefault(pkey, port)
            ready_map = ready_by_port.setdefault(pkey, {})
            for counted_ready, field in ((True, "addresses"), (False, "notReadyAddresses")):
                for address in given.get(field) or ():
                    akey = _address_key(address)
                    addresses.setdefault(akey, address)
                    if not ready_map.get(akey, False):
                        ready_map[akey] = counted_ready
    groups: dict[frozenset[tuple[tuple[str, str], bool]], list[Obj]] = {}
    for pkey, ready_map in ready_by_port.items():
        members = groups.setdefault(frozenset(ready_map.items()), [])
        port = ports[pkey]
        if port is not None:
            members.append(port)
    out: list[Obj] = []
    for members_key, group_ports in groups.items():
        ready = sorted(a for a, r in members_key if r)
        not_ready = sorted(a for a, r in members_key if not r)
        subset: Obj = {}
        if ready:
            subset["addresses"] = [addresses[a] for a in ready]
        if not_ready:
            subset["notReadyAddresses"] = [addresses[a] for a in not_ready]
        if group_ports:
            subset["ports"] = sorted(group_ports, key=lambda p: tuple(map(str, _port_key(p))))
        out.append(subset)
    out.sort(key=lambda s: (str(s.get("addresses") or s.get("notReadyAddresses")), str(s.get("ports"))))
    return out


def truncate(subsets: list[Obj]) -> bool:
    """``truncateEndpoints``: at most :data:`MAX_CAPACITY` addresses, ready ones first, each
    subset keeping its share. Returns whether anything was cut."""
    total_ready = sum(len(s.get("addresses") or ()) for s in subsets)
    total_not_ready = sum(len(s.get("notReadyAddresses") or ()) for s in subsets)
    if total_ready + total_not_ready <= MAX_CAPACITY:
        return False
    truncate_ready = total_ready > MAX_CAPACITY
    limit = MAX_CAPACITY if truncate_ready else MAX_CAPACITY - total_ready
    total = total_ready if truncate_ready else total_not_ready
    room = limit
    for subset in subsets:
        field = "addresses" if truncate_ready else "notReadyAddresses"
        mine = subset.get(field) or []
        take = min(math.ceil(len(mine) / total * limit), room) if total else 0
        subset[field] = mine[:take]
        if truncate_ready:
            subset.pop("notReadyAddresses", None)
        room -= len(subset[field])
        if not subset[field]:
            subset.pop(field)
    return True


def pod_subsets(service: Obj, pod: Obj) -> list[Obj]:
    """The subsets one pod brings (before repacking): its address, ready or not, with each Service
    port it has."""
    spec = service.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    if not u.should_pod_be_in_endpoints(pod, publish):
        return []
    address = _address(pod, service)
    if address is None:
        return []
    field = "addresses" if publish or is_ready(pod) else "notReadyAddresses"
    service_ports = [p for p in spec.get("ports") or () if isinstance(p, dict)]
    if not service_ports:
        return [{field: [address]}] if spec.get("clusterIP") == "None" else []
    out = []
    for service_port in service_ports:
        number = u.find_port(pod, service_port)
        if number is not None:
            out.append({field: [address], "ports": [_port(service_port, number)]})
    return out


def desired_subsets(service: Obj, pods: list[Obj], per_pod: Callable[[Obj, list[Obj]], list[list[Obj]]]
                    | None = None) -> list[Obj]:
    """The Service's subsets from its pods, repacked (``per_pod``: each pod's :func:`pod_subsets`)."""
    each = per_pod(service, pods) if per_pod is not None else [pod_subsets(service, p) for p in pods]
    return repack([subset for subsets in each for subset in subsets])


def _without_rv(subsets: Any) -> Any:
    """Subsets with their targetRefs' resourceVersion dropped (``endpointSubsetsEqualIgnoreResourceVersion``)."""
    out = []
    for subset in subsets or ():
        copy = dict(subset)
        for field in ("addresses", "notReadyAddresses"):
            if field in copy:
                copy[field] = [{**a, "targetRef": {k: v for k, v in a["targetRef"].items() if k != "resourceVersion"}}
                               if isinstance(a.get("targetRef"), dict) else a for a in copy[field]]
        out.append(copy)
    return out


class EndpointsReconciler:
    """Syncs one Service's Endpoints."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client
        self.triggers = u.TriggerTimeTracker()
        self.events = EventRecorder(client, "endpoint-controller")
        self.memo = u.PodMemo(pod_subsets)
        self.pacer = u.SyncPacer()

    async def reconcile(self, request: Request) -> Result | None:
        namespace, name = request
        service = self.cache.get(u.SERVICE, name, namespace)
        if service is None:
            try:
                await self.client.delete(ENDPOINTS, name, namespace)
            except errors.NotFound:
                pass
            self.triggers.delete(namespace, name)
            self.memo.forget(namespace, name)
            self.pacer.forget(request)
            return None
        spec = service.get("spec") or {}
        if spec.get("type") == "ExternalName" or u.selector_of(service) is None:
            return None
        wait = self.pacer.wait(request)
        if wait > 0:
            return Result(requeue_after=wait)
        started = time.monotonic()
        try:
            await self._sync(service)
        finally:
            self.pacer.synced(request, started)
        return None

    async def _sync(self, service: Obj) -> None:
        namespace, name = service["metadata"].get("namespace") or "", service["metadata"]["name"]
        pods = u.selected_pods(self.cache, service)
        trigger = self.triggers.compute(service, pods)
        subsets = desired_subsets(service, pods, self.memo.results)
        # Compared once truncated (kube compares before, and its rewrite of the same truncated
        # Endpoints is then a no-op in storage).
        over_capacity = truncate(subsets)
        labels = dict(service["metadata"].get("labels") or {})
        current = self.cache.get(ENDPOINTS, name, namespace)
        if current is not None:
            current_labels = dict(current["metadata"].get("labels") or {})
            current_labels.pop(u.HEADLESS_LABEL, None)
            annotated = OVER_CAPACITY_ANNOTATION in (current["metadata"].get("annotations") or {})
            if (_without_rv(current.get("subsets")) == _without_rv(subsets) and current_labels == labels
                    and annotated == over_capacity):
                return None
        meta: Obj = {"name": name, "namespace": namespace}
        if current is not None:
            meta = {**current["metadata"]}
        annotations = dict(meta.get("annotations") or {})
        if trigger:
            annotations[u.TRIGGER_TIME_ANNOTATION] = trigger
        else:
            annotations.pop(u.TRIGGER_TIME_ANNOTATION, None)
        if over_capacity:
            annotations[OVER_CAPACITY_ANNOTATION] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY_ANNOTATION, None)
        if u.is_service_ip_set(service):
            labels.pop(u.HEADLESS_LABEL, None)
        else:
            labels[u.HEADLESS_LABEL] = ""
        meta["labels"] = labels
        meta["annotations"] = annotations
        endpoints: Obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
        if subsets:
            endpoints["subsets"] = subsets
        try:
            if current is None:
                await self.client.create(endpoints)
            else:
                await self.client.update(endpoints)
        except errors.ApiError as e:
            if current is None and namespace_terminating(e):
                return None
            if not isinstance(e, errors.Conflict | errors.AlreadyExists):
                verb = "FailedToCreateEndpoint" if current is None else "FailedToUpdateEndpoint"
                text = (f"Failed to create endpoint for service {namespace}/{name}: {e}" if current is None
                        else f"Failed to update endpoint {namespace}/{name}: {e}")
                await self.events.warning({**endpoints, "metadata": meta}, verb, text)
            raise
        return None


def add_endpoints_controller(manager: Manager, client: InProcessClient) -> None:
    """The endpoints controller, on ``manager``, writing through ``client``."""
    deleted_only = Funcs(create=lambda _: False, update=lambda _o, _n: False, name="deleted")
    (Builder(manager)
     .named("endpoint")
     .for_(u.SERVICE)
     .watches(u.POD, u.services_of_pod(manager.cache), u.POD_CHANGED)
     .watches(ENDPOINTS, lambda ep: [Request.of(ep)], deleted_only)
     .complete(EndpointsReconciler(manager, client)))
