"""Simulated nodes: registration, status and Lease heartbeats -- the node half of a kubelet.

At start the agent registers ``node-1`` .. ``node-N`` (those that do not exist yet) as a kubelet
registers itself, and from then on manages *every* Node of the cluster (KWOK's manage-all-nodes:
a Node made with ``kubectl apply`` or ``setpoint node add`` is filled in the same way):

* labels a kubelet sets, where missing: ``kubernetes.io/hostname``, ``kubernetes.io/os=linux``,
  ``kubernetes.io/arch=amd64``, ``node.kubernetes.io/instance-type``, ``topology.kubernetes.io/zone``
  and ``/region``, and their ``beta.kubernetes.io/*`` / ``failure-domain.beta.kubernetes.io/*``
  twins. Zones go round robin over :data:`ZONES` (``node-i`` gets ``ZONES[(i-1) % 3]``; another
  node the zone with fewest nodes);
* ``spec.podCIDR``/``podCIDRs`` (kube's node IPAM): a distinct ``/24`` counting up from
  ``10.244.0.0/24``;
* ``status``: capacity (:data:`CAPACITY`, what the user gave kept) and allocatable (capacity less
  system-reserved ``cpu=100m,memory=100Mi`` and the hard eviction thresholds ``memory.available<100Mi``,
  ``nodefs.available<10%``), the conditions ``MemoryPressure``, ``DiskPressure``, ``PIDPressure``
  (False) and ``Ready`` (True) with the kubelet's reasons and messages, addresses (``InternalIP``
  counting up from ``172.18.0.2``, ``Hostname``), ``daemonEndpoints`` and ``nodeInfo``;
* heartbeats as kubelet's ``nodelease`` controller and ``nodestatus`` loop: a Lease per node in
  ``kube-node-lease`` (holder the node, 40 s, owned by the Node) renewed every 10 s, and the
  status posted again when it changes or every :data:`STATUS_REPORT_FREQUENCY` (5 min).

Two annotations on a Node play failures out: ``setpoint.io/ready: "false"`` makes the node post
``Ready=False`` (``KubeletNotReady``), and ``setpoint.io/heartbeat: stopped`` silences it (no
Lease renewals, no status), so the node lifecycle controller marks it ``Unknown`` and taints it
unreachable after its grace period. A deleted Node is forgotten and its Lease deleted. When a
node's Ready status changes, its kubelet's ``NodeReady``/``NodeNotReady`` Event is recorded.

One timer heap drives every node's heartbeat (no task per node); nothing is written for a node
whose status did not change. Time is ``options.clock``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import heapq
import ipaddress
import logging
import uuid
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from setpoint import __version__
from setpoint.apimachinery import quantity
from setpoint.apimachinery.clock import format_time, micro_time, parse_time
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import version_info
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime import errors
from setpoint.runtime.controller import Controller, Source
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.handler import ForObject, Mapped
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

log = logging.getLogger(__name__)

NODE = Kind("v1", "Node")
LEASE = Kind("coordination.k8s.io/v1", "Lease")
NODE_LEASE_NAMESPACE = "kube-node-lease"
#: ``"false"``: the node's kubelet posts Ready=False.
READY_ANNOTATION = "setpoint.io/ready"
#: ``"stopped"``: the node's kubelet goes silent (no Lease renewals, no status posts).
HEARTBEAT_ANNOTATION = "setpoint.io/heartbeat"
#: The zones nodes are spread over, and their region.
ZONES = ("zone-a", "zone-b", "zone-c")
REGION = "region-1"
INSTANCE_TYPE = "setpoint.standard"
#: kubelet's ``nodeLeaseDurationSeconds`` and its renew interval (a quarter of it).
LEASE_DURATION_SECONDS = 40
RENEW_INTERVAL = 10.0
#: kubelet's ``nodeStatusReportFrequency``: status posted at least this often.
STATUS_REPORT_FREQUENCY = 300.0
#: kubelet's ``--max-pods``, and the capacity of a simulated node (what a user leaves out).
CAPACITY: dict[str, str] = {"cpu": "4", "ephemeral-storage": "104857600Ki", "hugepages-1Gi": "0",
                            "hugepages-2Mi": "0", "memory": "16777216Ki", "pods": "110"}
#: Subtracted from capacity for allocatable: system-reserved and hard eviction thresholds.
_RESERVED = {"cpu": Decimal("0.1"), "memory": Decimal(200 * 1024 * 1024)}
_NODEFS_EVICTION = Decimal("0.1")
POD_CIDR_BASE = ipaddress.IPv4Address("10.244.0.0")
INTERNAL_IP_BASE = ipaddress.IPv4Address("172.18.0.2")
KUBELET_PORT = 10250
#: The kubelet's conditions, in its order: type -> (healthy status, reason, message).
_HEALTHY: dict[str, tuple[str, str, str]] = {
    "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
}
_NOT_READY = ("False", "KubeletNotReady", f'node marked not ready ({READY_ANNOTATION}: "false")')
#: How many writes one heartbeat pass has in flight at once (they share commits).
_BATCH = 64


def node_name(index: int) -> str:
    """The name of the ``index``-th (1-based) registered node."""
    return f"node-{index}"


def default_labels(name: str, zone: str) -> dict[str, str]:
    """The labels a kubelet (with its cloud provider's zone) registers with."""
    return {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": INSTANCE_TYPE,
        "beta.kubernetes.io/os": "linux",
        "failure-domain.beta.kubernetes.io/region": REGION,
        "failure-domain.beta.kubernetes.io/zone": zone,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": INSTANCE_TYPE,
        "topology.kubernetes.io/region": REGION,
        "topology.kubernetes.io/zone": zone,
    }


def allocatable(capacity: dict[str, Any]) -> dict[str, str]:
    """Capacity less what the kubelet reserves (never below zero)."""
    out: dict[str, str] = {}
    for key, text in capacity.items():
        text = str(text)
        try:
            amount = quantity.value(text)
            fmt = quantity.format_of(text)
        except (ValueError, ArithmeticError):
            out[key] = text
            continue
        if key in _RESERVED:
            amount -= _RESERVED[key]
        elif key == "ephemeral-storage":
            amount -= (amount * _NODEFS_EVICTION).to_integral_value()
        else:
            out[key] = text
            continue
        out[key] = quantity.canonical(max(amount, Decimal(0)), fmt)
    return out


def pod_cidr(index: int) -> str:
    """The ``index``-th (0-based) ``/24`` for pods."""
    return f"{POD_CIDR_BASE + index * 256}/24"


def internal_ip(index: int) -> str:
    return str(INTERNAL_IP_BASE + index)


def _cidr_index(cidr: Any) -> int | None:
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None
    if net.version != 4 or net.network_address < POD_CIDR_BASE:
        return None
    return (int(net.network_address) - int(POD_CIDR_BASE)) // 256


def _ip_index(ip: Any) -> int | None:
    try:
        addr = ipaddress.ip_address(str(ip))
    except ValueError:
        return None
    if addr.version != 4 or addr < INTERNAL_IP_BASE:
        return None
    return int(addr) - int(INTERNAL_IP_BASE)


def node_info(name: str) -> dict[str, str]:
    """``status.nodeInfo`` of a simulated node (stable ids derived from its name)."""
    return {
        "architecture": "amd64",
        "bootID": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"boot.{name}.setpoint")),
        "containerRuntimeVersion": f"setpoint://{__version__}",
        "kernelVersion": "6.8.0-setpoint",
        # Deprecated and no longer filled in, but kube sends it (no omitempty), and clients require it.
        "kubeProxyVersion": "",
        "kubeletVersion": version_info()["gitVersion"],
        "machineID": uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.setpoint").hex,
        "operatingSystem": "linux",
        "osImage": "setpoint simulated node",
        "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"system.{name}.setpoint")),
    }


def _annotation(node: Obj, key: str) -> str | None:
    value = ((node.get("metadata") or {}).get("annotations") or {}).get(key)
    return value if isinstance(value, str) else None


def silent(node: Obj) -> bool:
    """Whether the node's heartbeats are stopped (:data:`HEARTBEAT_ANNOTATION`)."""
    return _annotation(node, HEARTBEAT_ANNOTATION) == "stopped"


def conditions(node: Obj, stamp: str, *, beat: bool) -> list[Obj]:
    """The node's conditions as its kubelet posts them at ``stamp`` (``beat``: a heartbeat,
    every condition's ``lastHeartbeatTime`` moves); conditions of other types are kept."""
    old = [c for c in ((node.get("status") or {}).get("conditions") or []) if isinstance(c, dict)]
    by_type = {c.get("type"): c for c in old}
    out: list[Obj] = []
    for c in old:
        kind = c.get("type")
        if kind in _HEALTHY:
            out.append(_condition(node, str(kind), c, stamp, beat))
        else:
            out.append(c)
    for kind in _HEALTHY:
        if kind not in by_type:
            out.append(_condition(node, kind, None, stamp, beat))
    return out


def _condition(node: Obj, kind: str, old: Obj | None, stamp: str, beat: bool) -> Obj:
    status, reason, message = _HEALTHY[kind]
    if kind == "Ready" and _annotation(node, READY_ANNOTATION) == "false":
        status, reason, message = _NOT_READY
    if old is not None and old.get("status") == status:
        transition = old.get("lastTransitionTime") or stamp
        heartbeat = stamp if beat else old.get("lastHeartbeatTime") or stamp
    else:
        transition = heartbeat = stamp
    return {"type": kind, "status": status, "lastHeartbeatTime": heartbeat, "lastTransitionTime": transition,
            "reason": reason, "message": message}


def _ready_status(status: Obj) -> str | None:
    for c in status.get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            return str(c.get("status"))
    return None


def _last_heartbeat(node: Obj) -> float:
    """When the node's Ready condition was last posted (Unix seconds; 0 if never)."""
    for c in (node.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            t = parse_time(str(c.get("lastHeartbeatTime") or ""))
            return t.timestamp() if t is not None else 0.0
    return 0.0


@dataclass
class _NodeState:
    """What the agent keeps for one node it manages."""

    uid: str
    #: The Lease as last written (None: not made yet).
    lease: Obj | None = None
    #: Clock time (Unix seconds) of the last status post.
    reported: float = 0.0
    #: Whether the node is in the heartbeat heap.
    scheduled: bool = False
    #: Whether its heartbeats are stopped (:data:`HEARTBEAT_ANNOTATION`).
    silent: bool = False


class NodeAgent:
    """Registers the simulated nodes, fills in and keeps every Node's status, renews their Leases."""

    def __init__(self, manager: Manager, client: InProcessClient, options: ControllerOptions, count: int) -> None:
        self.cache = manager.cache
        self.client = client
        self.clock = options.clock
        self.count = count
        self.nodes: dict[str, _NodeState] = {}
        #: Allocations: node -> pod CIDR index / internal IP index, and the indexes in use.
        self.cidrs: dict[str, int] = {}
        self.ips: dict[str, int] = {}
        self._heap: list[tuple[float, str]] = []
        self._recorders: dict[str, EventRecorder] = {}
        self._wake: asyncio.Event | None = None
        #: Lease renewals and status heartbeats written (for tests and benchmarks).
        self.renewals = 0
        self.heartbeats = 0

    # -- time -----------------------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _stamp(self) -> str:
        return format_time(self.clock.now())

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _schedule(self, name: str, at: float) -> None:
        state = self.nodes.get(name)
        if state is None or state.scheduled:
            return
        state.scheduled = True
        heapq.heappush(self._heap, (at, name))
        if self._heap[0][1] == name:
            self.wake()

    def _jitter(self, name: str) -> float:
        """kube's ``JitterUntil`` factor (0.04), fixed per node so renewals spread (and a fake
        clock stepped by the interval still renews every node)."""
        return RENEW_INTERVAL * 0.04 * (zlib.crc32(name.encode()) % 1000) / 1000

    # -- allocations ----------------------------------------------------------------------------

    def _note(self, node: Obj) -> None:
        """Record the CIDR and IP a node already has."""
        name = node["metadata"]["name"]
        spec = node.get("spec") or {}
        index = _cidr_index(spec.get("podCIDR"))
        if index is not None:
            self.cidrs[name] = index
        for address in (node.get("status") or {}).get("addresses") or []:
            if isinstance(address, dict) and address.get("type") == "InternalIP":
                ip = _ip_index(address.get("address"))
                if ip is not None:
                    self.ips[name] = ip

    @staticmethod
    def _lowest_free(used: dict[str, int], name: str) -> int:
        if name in used:
            return used[name]
        taken = set(used.values())
        index = 0
        while index in taken:
            index += 1
        used[name] = index
        return index

    def _zone(self, name: str) -> str:
        prefix, _, number = name.rpartition("-")
        if prefix == "node" and number.isdigit() and int(number) >= 1:
            return ZONES[(int(number) - 1) % len(ZONES)]
        counts = dict.fromkeys(ZONES, 0)
        for node in self.cache.list(NODE):
            zone = ((node.get("metadata") or {}).get("labels") or {}).get("topology.kubernetes.io/zone")
            if zone in counts:
                counts[zone] += 1
        return min(ZONES, key=lambda z: counts[z])

    # -- what a node should be --------------------------------------------------------------------

    def completed(self, node: Obj) -> Obj:
        """``node`` with what a kubelet and the node IPAM fill in added to its metadata and spec
        (a copy when something changes; ``node`` itself otherwise)."""
        name = node["metadata"]["name"]
        meta = node.get("metadata") or {}
        labels = meta.get("labels") or {}
        spec = node.get("spec") or {}
        missing_labels = "kubernetes.io/hostname" not in labels or "topology.kubernetes.io/zone" not in labels
        missing_cidr = not spec.get("podCIDR")
        if not missing_labels and not missing_cidr:
            return node
        new = copy.copy(node)
        if missing_labels:
            zone = str(labels.get("topology.kubernetes.io/zone") or self._zone(name))
            new["metadata"] = {**meta, "labels": {**default_labels(name, zone), **labels}}
        if missing_cidr:
            cidr = pod_cidr(self._lowest_free(self.cidrs, name))
            new["spec"] = {**spec, "podCIDR": cidr, "podCIDRs": [cidr]}
        return new

    def status(self, node: Obj, *, beat: bool = False) -> Obj:
        """The status the node's kubelet posts now (``beat``: a periodic report)."""
        name = node["metadata"]["name"]
        old = node.get("status") or {}
        out = dict(old)
        capacity = {**CAPACITY, **(old.get("capacity") or {})}
        out["capacity"] = capacity
        out["allocatable"] = {**allocatable(capacity), **(old.get("allocatable") or {})}
        out["conditions"] = conditions(node, self._stamp(), beat=beat)
        if not old.get("addresses"):
            out["addresses"] = [{"type": "InternalIP", "address": internal_ip(self._lowest_free(self.ips, name))},
                                {"type": "Hostname", "address": name}]
        if not old.get("daemonEndpoints"):
            out["daemonEndpoints"] = {"kubeletEndpoint": {"Port": KUBELET_PORT}}
        info = node_info(name)
        out["nodeInfo"] = {**info, **{k: v for k, v in (old.get("nodeInfo") or {}).items() if v or k not in info}}
        return out

    def lease(self, node: Obj) -> Obj:
        """The node's Lease, renewed now."""
        name = node["metadata"]["name"]
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": NODE_LEASE_NAMESPACE,
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name,
                                                  "uid": node["metadata"]["uid"]}]},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                         "renewTime": micro_time(self._now())}}

    # -- registration -------------------------------------------------------------------------------

    async def register(self) -> None:
        """Create ``node-1`` .. ``node-N`` that do not exist, as their kubelets register them."""
        for node in self.cache.list(NODE):
            self._note(node)
        missing = [node_name(i) for i in range(1, self.count + 1) if self.cache.get(NODE, node_name(i)) is None]
        for start in range(0, len(missing), _BATCH):
            await asyncio.gather(*(self._register(name) for name in missing[start:start + _BATCH]))

    async def _register(self, name: str) -> None:
        node: Obj = {"apiVersion": "v1", "kind": "Node",
                     "metadata": {"name": name, "annotations": {
                         "node.alpha.kubernetes.io/ttl": "0",
                         "volumes.kubernetes.io/controller-managed-attach-detach": "true"}}}
        node = self.completed(node)
        node["status"] = self.status(node)
        try:
            await self.client.create(node)
        except errors.AlreadyExists:
            pass
        except errors.ApiError as e:
            log.warning("registering node %s: %s", name, e)

    # -- reconcile ----------------------------------------------------------------------------------

    async def reconcile(self, request: Request) -> Result | None:
        name = request.name
        node = self.cache.get(NODE, name)
        if node is None or node["metadata"].get("deletionTimestamp"):
            await self._forget(name, node is None)
            return None
        uid = node["metadata"]["uid"]
        state = self.nodes.get(name)
        if state is None or state.uid != uid:
            self._note(node)
            state = self.nodes[name] = _NodeState(uid, reported=_last_heartbeat(node))
        if silent(node):
            state.silent = True
            return None
        new = self.completed(node)
        if new is not node:
            node = await self.client.update(new)
        status = self.status(node)
        if status != node.get("status"):
            was = _ready_status(node.get("status") or {})
            node = await self.client.update_status({**node, "status": status})
            state.reported = self._now()
            now = _ready_status(status)
            if was is not None and now != was:
                await self._event(name, "NodeReady" if now == "True" else "NodeNotReady")
        if state.lease is None or state.silent or self.cache.get(LEASE, name, NODE_LEASE_NAMESPACE) is None:
            await self._ensure_lease(node, state)  # made, or renewed at once when the node speaks again
        state.silent = False
        self._schedule(name, self._now() + RENEW_INTERVAL - self._jitter(name))
        return None

    async def _event(self, name: str, reason: str) -> None:
        """The kubelet's Event about its node (the involved object's uid is the node's name, as the
        kubelet's ``nodeRef``; ``kubectl describe node`` looks for both)."""
        recorder = self._recorders.get(name)
        if recorder is None:
            recorder = self._recorders[name] = EventRecorder(self.client, "kubelet", host=name)
        await recorder.normal({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": name}},
                              reason, f"Node {name} status is now: {reason}")

    async def _forget(self, name: str, gone: bool) -> None:
        self.nodes.pop(name, None)
        self._recorders.pop(name, None)
        if not gone:
            return
        self.cidrs.pop(name, None)
        self.ips.pop(name, None)
        with contextlib.suppress(errors.NotFound):
            await self.client.delete(LEASE, name, NODE_LEASE_NAMESPACE)

    async def _ensure_lease(self, node: Obj, state: _NodeState) -> None:
        name = node["metadata"]["name"]
        want = self.lease(node)
        current = self.cache.get(LEASE, name, NODE_LEASE_NAMESPACE)
        if current is None:
            try:
                state.lease = await self.client.create(want)
                self.renewals += 1
                return
            except errors.AlreadyExists:
                current = await self.client.get(LEASE, name, NODE_LEASE_NAMESPACE)
        state.lease = await self.client.update({**current, "metadata": {**current["metadata"],
                                                                        "ownerReferences": want["metadata"][
                                                                            "ownerReferences"]},
                                                "spec": {**(current.get("spec") or {}), **want["spec"]}})
        self.renewals += 1

    # -- heartbeats -----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Register the nodes, then renew Leases and report status as they fall due."""
        self._wake = asyncio.Event()
        self.clock.subscribe(self.wake)
        await self.register()
        while True:
            now = self._now()
            due: list[str] = []
            while self._heap and self._heap[0][0] <= now:
                _, name = heapq.heappop(self._heap)
                state = self.nodes.get(name)
                if state is not None:
                    state.scheduled = False
                    due.append(name)
            for start in range(0, len(due), _BATCH):
                await asyncio.gather(*(self._beat(name) for name in due[start:start + _BATCH]))
            if due:
                continue
            delay = self._heap[0][0] - now if self._heap else None
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _beat(self, name: str) -> None:
        """One heartbeat of one node: renew its Lease; post its status when a report is due."""
        state = self.nodes.get(name)
        node = self.cache.get(NODE, name)
        if state is None or node is None or silent(node) or node["metadata"].get("uid") != state.uid:
            return
        now = self._now()
        try:
            if state.lease is None:
                await self._ensure_lease(node, state)
            else:
                lease = state.lease
                try:
                    state.lease = await self.client.update(
                        {**lease, "spec": {**lease["spec"], "renewTime": micro_time(now)}})
                except (errors.Conflict, errors.NotFound):
                    state.lease = None
                    await self._ensure_lease(node, state)
                else:
                    self.renewals += 1
            if now - state.reported >= STATUS_REPORT_FREQUENCY:
                await self.client.update_status({**node, "status": self.status(node, beat=True)})
                state.reported = now
                self.heartbeats += 1
        except errors.NotFound:
            return
        except errors.ApiError as e:
            log.warning("node %s: heartbeat failed: %s", name, e)
        except Exception:  # one node's failure must not stop the others' heartbeats
            log.exception("node %s: heartbeat failed", name)
        self._schedule(name, now + RENEW_INTERVAL)


class _AgentController(Controller):
    """The agent's reconciler over Nodes (and deleted Leases), plus its heartbeat loop."""

    def __init__(self, agent: NodeAgent) -> None:
        lease_gone = Funcs(create=lambda _: False, update=lambda _o, _n: False, name="lease-deleted")
        super().__init__("node-agent", agent.reconcile, max_concurrent_reconciles=4, sources=[
            Source(NODE, ForObject()),
            Source(LEASE, Mapped(lambda lease: [Request("", lease["metadata"]["name"])]), (lease_gone,),
                   namespace=NODE_LEASE_NAMESPACE)])
        self.agent = agent
        self._loop: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._run(), name="node-agent heartbeats")

    async def _run(self) -> None:
        try:
            await self.agent.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the node agent's heartbeat loop failed")

    def _cancel_loop(self) -> asyncio.Task[None] | None:
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.cancel()
        return loop

    async def stop(self, *, cancel: bool = False, grace: float = 30.0) -> None:
        loop = self._cancel_loop()
        if loop is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        await super().stop(cancel=cancel, grace=grace)

    def halt(self) -> None:
        self._cancel_loop()
        super().halt()


def add_node_agent(manager: Manager, client: InProcessClient, options: ControllerOptions, *,
                   count: int) -> NodeAgent:
    """Register ``count`` simulated nodes and keep every Node of the cluster alive; the agent."""
    agent = NodeAgent(manager, client, options, count)
    manager.add(_AgentController(agent))
    return agent
