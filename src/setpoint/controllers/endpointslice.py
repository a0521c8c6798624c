"""The EndpointSlice controller: a Service's pods as discovery.k8s.io/v1 EndpointSlices.

As kube-controller-manager's (``pkg/controller/endpointslice`` and the reconciler of
``staging/src/k8s.io/endpointslice/reconciler.go``): for each Service with a selector and each of
its IP families, the selected pods that have an IP of the family and are not terminal become
endpoints (``ready``/``serving``/``terminating`` conditions, ``nodeName``, ``hostname``,
``targetRef``), grouped by the ports they resolve to, at most 100 to a slice. Existing slices are
kept and changed in place where they can be, slices left empty are deleted (or reused for new
ones), a Service without endpoints keeps one placeholder slice, and slices of families the Service
no longer has are deleted. Slices are named ``<service>-<random>``, labelled with the Service's
labels, ``kubernetes.io/service-name``, ``endpointslice.kubernetes.io/managed-by`` and
``service.kubernetes.io/headless`` for headless Services, carry the
``endpoints.kubernetes.io/last-change-trigger-time`` annotation, and are controlled by the
Service, so the garbage collector deletes them with it.

A slice the controller has just written may not be in its cache yet; as kube's
``EndpointSliceTracker`` it waits for the cache to catch up before syncing that Service again,
so no slice is created twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.controllers import endpointutil as u
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.pods import is_ready
from setpoint.controllers.serviceaccount import namespace_terminating
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

ENDPOINT_SLICE = Kind("discovery.k8s.io/v1", "EndpointSlice")
#: ``discovery.LabelServiceName``, ``discovery.LabelManagedBy`` and this controller's name there.
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
#: ``--max-endpoints-per-slice``'s default.
MAX_ENDPOINTS_PER_SLICE = 100
_RESERVED_LABELS = (SERVICE_NAME_LABEL, MANAGED_BY_LABEL, u.HEADLESS_LABEL)
#: How long a write is waited for in the cache before it is taken as overtaken by others.
_STALE_WINDOW = 10.0
_STALE_RETRY = 0.02
_DELETED = -1

Key = tuple[Any, ...]
ZoneOf = Callable[[str], str | None]
NODE = Kind("v1", "Node")
ZONE_LABEL = "topology.kubernetes.io/zone"


def address_types(service: Obj) -> list[str]:
    """``getAddressTypesForService``: the Service's IP families as address types."""
    spec = service.get("spec") or {}
    out = [{"IPv4": "IPv4", "IPv6": "IPv6"}[f] for f in spec.get("ipFamilies") or () if f in ("IPv4", "IPv6")]
    if out:
        return out
    if u.is_service_ip_set(service):
        return ["IPv6" if u.is_ipv6(spec["clusterIP"]) else "IPv4"]
    return ["IPv4", "IPv6"]


def endpoint_ports(service: Obj, pod: Obj) -> list[Obj]:
    """``getEndpointPorts``: each Service port the pod has, with the number it has it on."""
    spec = service.get("spec") or {}
    out: list[Obj] = []
    for service_port in spec.get("ports") or ():
        if not isinstance(service_port, dict):
            continue
        number = u.find_port(pod, service_port)
        if number is None:
            continue
        port: Obj = {"name": service_port.get("name") or "", "protocol": service_port.get("protocol") or "TCP",
                     "port": number}
        if service_port.get("appProtocol") is not None:
            port["appProtocol"] = service_port["appProtocol"]
        out.append(port)
    return out


def pod_to_endpoint(pod: Obj, service: Obj, address_type: str, zone_of: ZoneOf | None = None) -> Obj:
    """``podToEndpoint``: the pod's addresses of the type, its conditions and references, and the
    zone of its Node (``zone_of``: a node's name to its ``topology.kubernetes.io/zone`` label)."""
    serving = is_ready(pod)
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    # "ready" is never true for a terminating pod unless publishNotReadyAddresses says so.
    ready = bool((service.get("spec") or {}).get("publishNotReadyAddresses")) or (serving and not terminating)
    v6 = address_type == "IPv6"
    endpoint: Obj = {"addresses": [ip for ip in u.pod_ips(pod) if u.is_ipv6(ip) == v6],
                     "conditions": {"ready": ready, "serving": serving, "terminating": terminating}}
    if u.should_set_hostname(pod, service):
        endpoint["hostname"] = pod["spec"]["hostname"]
    endpoint["targetRef"] = u.target_ref(pod)
    node = (pod.get("spec") or {}).get("nodeName")
    zone = zone_of(node) if zone_of is not None and node else None
    if zone:
        endpoint["zone"] = zone
    if node:
        endpoint["nodeName"] = node
    return endpoint


def _ports_key(ports: Any) -> Key:
    return tuple((p.get("name", ""), p.get("protocol"), p.get("port"), p.get("appProtocol"))
                 for p in ports or () if isinstance(p, dict))


def _endpoint_key(endpoint: Obj) -> Key:
    """``hashEndpoint``: addresses, hostname and the pod's namespace/name."""
    ref = endpoint.get("targetRef") or {}
    return (tuple(sorted(endpoint.get("addresses") or ())), endpoint.get("hostname") or "",
            ref.get("namespace") or "", ref.get("name") or "")


def slice_labels(service: Obj) -> dict[str, str]:
    """``setEndpointSliceLabels``: the Service's labels (but the reserved ones) and the reserved ones."""
    meta = service["metadata"]
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in _RESERVED_LABELS}
    if not u.is_service_ip_set(service):
        labels[u.HEADLESS_LABEL] = ""
    labels[SERVICE_NAME_LABEL] = meta["name"]
    labels[MANAGED_BY_LABEL] = CONTROLLER_NAME
    return labels


def new_slice(service: Obj, ports: list[Obj], address_type: str) -> Obj:
    """``newEndpointSlice``: named ``<service>-``, controlled by the Service."""
    meta = service["metadata"]
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"generateName": f"{meta['name']}-", "namespace": meta.get("namespace"),
                     "labels": slice_labels(service),
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": meta["name"],
                                          "uid": meta.get("uid"), "controller": True,
                                          "blockOwnerDeletion": True}]},
        "addressType": address_type,
        "endpoints": [],
        "ports": ports,
    }


def _is_placeholder(slice_: Obj, service: Obj, address_type: str) -> bool:
    """``placeholderSliceCompare``: no endpoints, no ports, the Service's labels and owner."""
    return (not slice_.get("endpoints") and not slice_.get("ports") and slice_.get("addressType") == address_type
            and (slice_["metadata"].get("labels") or {}) == slice_labels(service))


def _slice_to_fill(slices: list[Obj], count: int, max_per_slice: int) -> Obj | None:
    """``getSliceToFill``: the slice ``count`` more endpoints fill the closest to full."""
    best, closest = None, max_per_slice
    for slice_ in slices:
        diff = max_per_slice - (count + len(slice_.get("endpoints") or ()))
        if 0 <= diff < closest:
            best, closest = slice_, diff
    return best


@dataclass
class _Plan:
    create: list[Obj] = field(default_factory=list)
    update: list[Obj] = field(default_factory=list)
    delete: list[Obj] = field(default_factory=list)


Entry = tuple[Key, list[Obj], Key, Obj]


def pod_entries(service: Obj, pod: Obj, zone_of: ZoneOf | None = None) -> dict[str, Entry]:
    """What one pod brings, per address type of the Service: its ports (and their key) and its
    endpoint (and its key); nothing for a terminal pod or one without an address of the type."""
    if not u.should_pod_be_in_endpoints(pod, True):
        return {}
    out: dict[str, Entry] = {}
    ports: list[Obj] | None = None
    for address_type in address_types(service):
        endpoint = pod_to_endpoint(pod, service, address_type, zone_of)
        if not endpoint["addresses"]:
            continue
        if ports is None:
            ports = endpoint_ports(service, pod)
        out[address_type] = (_ports_key(ports), ports, _endpoint_key(endpoint), endpoint)
    return out


def plan(service: Obj, pods: list[Obj], existing: list[Obj], address_type: str,
         max_per_slice: int = MAX_ENDPOINTS_PER_SLICE,
         per_pod: Callable[[Obj, list[Obj]], list[dict[str, Entry]]] | None = None) -> _Plan:
    """``reconcileByAddressType``: the slices to create, update and delete for one address type
    (``per_pod``: each pod's :func:`pod_entries`)."""
    desired: dict[Key, tuple[list[Obj], dict[Key, Obj]]] = {}
    each = per_pod(service, pods) if per_pod is not None else [pod_entries(service, p) for p in pods]
    for entries in each:
        found = entries.get(address_type)
        if found is None:
            continue
        pkey, ports, ekey, endpoint = found
        desired.setdefault(pkey, (ports, {}))[1].setdefault(ekey, endpoint)
    out = _Plan()
    labels = slice_labels(service)
    unchanged: list[Obj] = []
    for slice_ in existing:
        pkey = _ports_key(slice_.get("ports"))
        if pkey not in desired:
            out.delete.append(slice_)
            continue
        remaining = desired[pkey][1]
        endpoints: list[Obj] = []
        changed = False
        for endpoint in slice_.get("endpoints") or ():
            want = remaining.pop(_endpoint_key(endpoint), None)
            if want is None:
                changed = True
                continue
            changed = changed or want != endpoint
            endpoints.append(want)
        if changed or (slice_["metadata"].get("labels") or {}) != labels:
            if not endpoints:
                out.delete.append(slice_)
            else:
                out.update.append({**slice_, "metadata": {**slice_["metadata"], "labels": labels},
                                   "endpoints": endpoints})
        else:
            unchanged.append(slice_)
    for pkey, (ports, remaining) in desired.items():
        todo = list(remaining.values())
        # Fill the slices being updated anyway, the fullest first.
        for slice_ in sorted((s for s in out.update if _ports_key(s.get("ports")) == pkey),
                             key=lambda s: -len(s["endpoints"])):
            room = max(max_per_slice - len(slice_["endpoints"]), 0)
            slice_["endpoints"].extend(todo[:room])
            todo = todo[room:]
        while todo:
            # Fewer than a slice's worth left: into the unchanged slice they fill best, else a new one.
            fill = _slice_to_fill([s for s in unchanged if _ports_key(s.get("ports")) == pkey], len(todo),
                                  max_per_slice) if len(todo) < max_per_slice else None
            if fill is None:
                fresh = new_slice(service, ports, address_type)
                fresh["endpoints"] = todo[:max_per_slice]
                out.create.append(fresh)
            else:
                unchanged.remove(fill)
                out.update.append({**fill, "metadata": {**fill["metadata"], "labels": labels},
                                   "endpoints": [*(fill.get("endpoints") or ()), *todo]})
            todo = todo[max_per_slice:] if fill is None else []
    if len(existing) == len(out.delete) and not out.create:
        if len(out.delete) == 1 and _is_placeholder(out.delete[0], service, address_type):
            out.delete.clear()
        else:
            out.create.append(new_slice(service, [], address_type))
    # finalize: a slice about to be deleted is reused for one about to be created.
    while out.create and out.delete:
        fresh, old = out.create.pop(), out.delete.pop()
        out.update.append({**fresh, "metadata": {**fresh["metadata"], "name": old["metadata"]["name"]}})
    return out


def _owned_by(slice_: Obj, uid: Any) -> bool:
    """``ownedBy``: the slice's controller reference is the Service."""
    return any(r.get("kind") == "Service" and r.get("uid") == uid and r.get("controller")
               for r in slice_["metadata"].get("ownerReferences") or ())


@dataclass
class _Written:
    generation: int
    at: float


class EndpointSliceReconciler:
    """Syncs one Service's EndpointSlices."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client
        self.triggers = u.TriggerTimeTracker()
        self.memo = u.PodMemo(lambda service, pod: pod_entries(service, pod, self.zone_of))
        self.pacer = u.SyncPacer()
        #: (namespace, service) -> slice name -> the generation written (or deleted), and when.
        self._written: dict[tuple[str, str], dict[str, _Written]] = {}

    def zone_of(self, node_name: str) -> str | None:
        """The Node's ``topology.kubernetes.io/zone`` (a pod's zone is read when the pod changes)."""
        node = self.cache.get(NODE, node_name)
        zone = (node["metadata"].get("labels") or {}).get(ZONE_LABEL) if node is not None else None
        return zone if isinstance(zone, str) and zone else None

    def _stale(self, key: tuple[str, str], slices: dict[str, Obj]) -> bool:
        """``StaleSlices``: whether the cache lags behind a recent write of ours."""
        written = self._written.get(key)
        if not written:
            return False
        now = time.monotonic()
        for name, w in list(written.items()):
            cached = slices.get(name)
            caught_up = (cached is None if w.generation == _DELETED
                         else cached is not None and int(cached["metadata"].get("generation") or 0) >= w.generation)
            if caught_up or now - w.at > _STALE_WINDOW:
                del written[name]
            else:
                return True
        return False

    def _note(self, key: tuple[str, str], name: str, generation: int) -> None:
        self._written.setdefault(key, {})[name] = _Written(generation, time.monotonic())

    async def reconcile(self, request: Request) -> Result | None:
        namespace, name = request
        key = (namespace, name)
        service = self.cache.get(u.SERVICE, name, namespace)
        if service is None:  # its slices go with it: the garbage collector deletes them
            self.triggers.delete(namespace, name)
            self.memo.forget(namespace, name)
            self.pacer.forget(key)
            self._written.pop(key, None)
            return None
        spec = service.get("spec") or {}
        if spec.get("type") == "ExternalName" or u.selector_of(service) is None:
            return None
        wait = self.pacer.wait(key)
        if wait > 0:
            return Result(requeue_after=wait)
        started = time.monotonic()
        try:
            return await self._sync(key, service)
        finally:
            self.pacer.synced(key, started)

    async def _sync(self, key: tuple[str, str], service: Obj) -> Result | None:
        namespace, name = key
        selector = f"{SERVICE_NAME_LABEL}={name},{MANAGED_BY_LABEL}={CONTROLLER_NAME}"
        slices = {s["metadata"]["name"]: s for s in self.cache.list(ENDPOINT_SLICE, namespace, selector)}
        if self._stale(key, slices):
            return Result(requeue_after=_STALE_RETRY)
        pods = u.selected_pods(self.cache, service)
        trigger = self.triggers.compute(service, pods)
        types = address_types(service)
        uid = service["metadata"].get("uid")
        live = [s for s in slices.values() if not s["metadata"].get("deletionTimestamp")]
        ours = [s for s in live if _owned_by(s, uid) and s.get("addressType") in types]
        work = _Plan(delete=[s for s in live if not (_owned_by(s, uid) and s.get("addressType") in types)])
        entries = self.memo.results(service, pods)
        for address_type in types:
            p = plan(service, pods, [s for s in ours if s.get("addressType") == address_type], address_type,
                     per_pod=lambda _s, _p: entries)
            work.create += p.create
            work.update += p.update
            work.delete += p.delete
        await self._finalize(key, work, trigger)
        return None

    async def _finalize(self, key: tuple[str, str], work: _Plan, trigger: str) -> None:
        for slice_ in work.create + work.update:
            annotations = dict(slice_["metadata"].get("annotations") or {})
            if trigger:
                annotations[u.TRIGGER_TIME_ANNOTATION] = trigger
            else:
                annotations.pop(u.TRIGGER_TIME_ANNOTATION, None)
            slice_["metadata"] = {**slice_["metadata"], "annotations": annotations}
        try:
            for slice_ in work.create:
                created = await self.client.create(slice_)
                self._note(key, created["metadata"]["name"], int(created["metadata"].get("generation") or 1))
            for slice_ in work.update:
                updated = await self.client.update(slice_)
                self._note(key, updated["metadata"]["name"], int(updated["metadata"].get("generation") or 1))
            for slice_ in work.delete:
                try:
                    await self.client.delete(ENDPOINT_SLICE, slice_["metadata"]["name"], key[0])
                except errors.NotFound:
                    pass
                self._note(key, slice_["metadata"]["name"], _DELETED)
        except errors.ApiError as e:
            if namespace_terminating(e):
                return
            raise


def add_endpointslice_controller(manager: Manager, client: InProcessClient) -> None:
    """The EndpointSlice controller, on ``manager``, writing through ``client``."""
    (Builder(manager)
     .named("endpointslice")
     .for_(u.SERVICE)
     .watches(u.POD, u.services_of_pod(manager.cache), u.POD_CHANGED)
     .owns(ENDPOINT_SLICE)
     .watches(NODE, lambda _: [])  # the nodes' zones, read from the cache
     .complete(EndpointSliceReconciler(manager, client)))
