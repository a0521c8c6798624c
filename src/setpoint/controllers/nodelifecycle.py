"""The node lifecycle controller: nodes that stop reporting become unreachable, and not-ready
or unreachable nodes are tainted.

As kube-controller-manager's (``pkg/controller/nodelifecycle/node_lifecycle_controller.go``),
every ``node_monitor_period``:

* a node's health is its kubelet's heartbeats -- its Lease in ``kube-node-lease`` (renewTime)
  and its Ready condition's ``lastHeartbeatTime``. When neither moved for
  ``node_monitor_grace_period`` (``node_startup_grace_period`` for a node that never posted
  a Ready condition), its Ready, MemoryPressure, DiskPressure and PIDPressure conditions become
  ``Unknown`` (``NodeStatusUnknown``, "Kubelet stopped posting node status."; or
  ``NodeStatusNeverUpdated``). As kube's, "moved" is measured on the controller's own clock
  (from when it first saw the node), not the timestamps' values;
* Ready ``False`` gives the node the ``node.kubernetes.io/not-ready`` taint, ``Unknown`` the
  ``node.kubernetes.io/unreachable`` one, both ``NoExecute`` and ``NoSchedule`` (with
  ``timeAdded``), and pressure conditions and ``spec.unschedulable`` their ``NoSchedule``
  taints; they are removed when the condition is gone. ``NoExecute`` taints are what the taint
  eviction controller (:mod:`.tainteviction`) evicts pods for;
* a node whose Ready leaves ``True`` gets a ``NodeNotReady`` event, and its pods' Ready condition
  is set ``False`` (kube's ``MarkPodsNotReady``: a Warning ``NodeNotReady`` "Node is not ready" on each).

Not done: kube's per-zone eviction rate limits and disruption modes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from setpoint.apimachinery.clock import format_time, unix_time
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

NODE = Kind("v1", "Node")
POD = Kind("v1", "Pod")
#: The pods' index by ``spec.nodeName`` (shared with the taint eviction controller).
NODE_NAME_INDEX = "spec.nodeName"
LEASE = Kind("coordination.k8s.io/v1", "Lease")
NODE_LEASE_NAMESPACE = "kube-node-lease"
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
#: kube's ``nodeConditionToTaintKeyStatusMap``: (condition, status) -> the taint's key.
CONDITION_TAINTS = {
    ("Ready", "False"): NOT_READY,
    ("Ready", "Unknown"): UNREACHABLE,
    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable",
    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
}
#: The taints this controller owns: (key, effect).
_MANAGED = frozenset({*((key, "NoSchedule") for key in CONDITION_TAINTS.values()), (UNSCHEDULABLE, "NoSchedule"),
                      (NOT_READY, "NoExecute"), (UNREACHABLE, "NoExecute")})
#: Conditions set to Unknown with Ready (kube's ``remainingNodeConditionTypes``).
_OTHER_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure")
STOPPED = ("NodeStatusUnknown", "Kubelet stopped posting node status.")
NEVER = ("NodeStatusNeverUpdated", "Kubelet never posted node status.")


def condition(node: Obj, kind: str) -> Obj | None:
    for c in (node.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == kind:
            return c
    return None


def desired_taints(node: Obj) -> set[tuple[str, str]]:
    """The (key, effect) taints of :data:`_MANAGED` the node's conditions and spec call for."""
    out: set[tuple[str, str]] = set()
    for c in (node.get("status") or {}).get("conditions") or []:
        if not isinstance(c, dict):
            continue
        key = CONDITION_TAINTS.get((str(c.get("type")), str(c.get("status"))))
        if key is not None:
            out.add((key, "NoSchedule"))
            if key in (NOT_READY, UNREACHABLE):
                out.add((key, "NoExecute"))
    if (node.get("spec") or {}).get("unschedulable"):
        out.add((UNSCHEDULABLE, "NoSchedule"))
    return out


@dataclass
class _Health:
    """kube's ``nodeHealthData``: the heartbeats last seen and when (on our clock) they moved."""

    heartbeat: tuple[Any, Any]
    probe: float
    ready: str | None


class NodeLifecycleReconciler:
    """Watches one node's health and keeps its condition taints."""

    def __init__(self, manager: Manager, client: InProcessClient, options: ControllerOptions) -> None:
        self.cache = manager.cache
        self.client = client
        self.options = options
        self.clock = options.clock
        self.recorder = EventRecorder(client, "node-controller")
        self.health: dict[str, _Health] = {}

    async def reconcile(self, request: Request) -> Result | None:
        node = self.cache.get(NODE, request.name)
        if node is None:
            self.health.pop(request.name, None)
            return None
        node = await self._monitor_health(node)
        await self._taint(node)
        return Result(requeue_after=self.options.node_monitor_period)

    async def _monitor_health(self, node: Obj) -> Obj:
        name = node["metadata"]["name"]
        now = self.clock.now().timestamp()
        ready = condition(node, "Ready")
        lease = self.cache.get(LEASE, name, NODE_LEASE_NAMESPACE)
        beat = ((ready or {}).get("lastHeartbeatTime"), ((lease or {}).get("spec") or {}).get("renewTime"))
        status = (ready or {}).get("status")
        health = self.health.get(name)
        if health is None:
            # kube's monitorNodeHealth on a node it has not seen (RecordNodeEvent's wording).
            await self.recorder.normal(node, "RegisteredNode", f"Node {name} event: Registered Node {name} in Controller")
        if health is None or health.heartbeat != beat:
            previous = health.ready if health is not None else None
            health = self.health[name] = _Health(beat, now, previous)
        grace = self.options.node_monitor_grace_period if ready is not None else self.options.node_startup_grace_period
        if now > health.probe + grace and status != "Unknown":
            node = await self._mark_unknown(node, now)
            status = "Unknown"
        if health.ready == "True" and status != "True":
            await self.recorder.normal(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady")
            await self._mark_pods_not_ready(name)
        health.ready = status
        return node

    async def _mark_unknown(self, node: Obj, now: float) -> Obj:
        """kube's ``tryUpdateNodeHealth`` for a node past its grace period."""
        new = copy.deepcopy(node)
        status = new.setdefault("status", {})
        conditions: list[Obj] = status.setdefault("conditions", [])
        stamp = unix_time(now)
        created = node["metadata"].get("creationTimestamp")
        for kind in ("Ready", *_OTHER_CONDITIONS):
            c = next((c for c in conditions if isinstance(c, dict) and c.get("type") == kind), None)
            if c is None:
                reason, message = NEVER
                conditions.append({"type": kind, "status": "Unknown", "lastHeartbeatTime": created,
                                   "lastTransitionTime": stamp, "reason": reason, "message": message})
            elif c.get("status") != "Unknown":
                reason, message = STOPPED
                c.update({"status": "Unknown", "reason": reason, "message": message, "lastTransitionTime": stamp})
        return await self.client.update_status(new)

    async def _mark_pods_not_ready(self, node_name: str) -> None:
        """kube's ``MarkPodsNotReady``."""
        for pod in self.cache.by_index(POD, NODE_NAME_INDEX, node_name):
            conditions = (pod.get("status") or {}).get("conditions") or []
            ready = next((c for c in conditions if c.get("type") == "Ready"), None)
            if ready is None or ready.get("status") == "False":
                continue
            new = copy.deepcopy(pod)
            for c in new["status"]["conditions"]:
                if c.get("type") == "Ready":
                    c.update({"status": "False", "lastTransitionTime": format_time(self.clock.now())})
            try:
                await self.client.update_status(new)
            except (errors.NotFound, errors.Conflict):
                continue
            await self.recorder.warning(pod, "NodeNotReady", "Node is not ready")

    async def _taint(self, node: Obj) -> None:
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if isinstance(t, dict)]
        want = desired_taints(node)
        have = {(t.get("key"), t.get("effect")) for t in taints}
        keep = [t for t in taints if (t.get("key"), t.get("effect")) not in _MANAGED
                or (t.get("key"), t.get("effect")) in want]
        stamp = format_time(self.clock.now())
        added = [{"key": key, "effect": effect, "timeAdded": stamp} for key, effect in sorted(want - have)]
        if not added and len(keep) == len(taints):
            return
        new = copy.deepcopy(node)
        new_taints = keep + added
        if new_taints:
            new.setdefault("spec", {})["taints"] = new_taints
        else:
            (new.get("spec") or {}).pop("taints", None)
        await self.client.update(new)


def pod_node_name(pod: Obj) -> list[str]:
    name = (pod.get("spec") or {}).get("nodeName")
    return [name] if name else []


def add_node_lifecycle_controller(manager: Manager, client: InProcessClient,
                                  options: ControllerOptions) -> NodeLifecycleReconciler:
    """The node lifecycle controller, on ``manager``, writing through ``client``; its reconciler."""
    reconciler = NodeLifecycleReconciler(manager, client, options)
    manager.cache.informer(POD, indexers={NODE_NAME_INDEX: pod_node_name})
    never = Funcs(create=lambda _: False, update=lambda _o, _n: False, delete=lambda _: False, name="never")
    controller = (Builder(manager)
                  .named("node-lifecycle")
                  .for_(NODE)
                  .watches(POD, lambda _: [], never)
                  .watches(LEASE, lambda lease: [Request("", lease["metadata"]["name"])], namespace=NODE_LEASE_NAMESPACE)
                  .complete(reconciler))

    def wake() -> None:
        """A jump of the (fake) clock: every node's health is looked at again now."""
        for node in manager.cache.list(NODE):
            controller.queue.add(Request.of(node))

    options.clock.subscribe(wake)
    return reconciler
