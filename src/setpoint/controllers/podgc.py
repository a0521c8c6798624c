"""The pod garbage collector: pods nothing else will ever clean up are deleted.

As kube-controller-manager's ``pod-garbage-collector-controller``
(``pkg/controller/podgc/gc_controller.go``), every :data:`GC_CHECK_PERIOD` (20 s):

* terminated pods (phase ``Succeeded`` or ``Failed``) beyond ``--terminated-pod-gc-threshold``
  (12500; 0 turns this off) are deleted, evicted ones first, then the oldest;
* terminating pods on a node that is not Ready and has the ``node.kubernetes.io/out-of-service``
  taint are deleted;
* orphaned pods -- bound to a Node that no longer exists -- are deleted once the node has been
  missing for :data:`QUARANTINE` (40 s) and a GET confirms it is gone; first their status gets
  phase ``Failed`` and the ``DisruptionTarget`` condition (``DeletionByPodGC``, "PodGC: node no
  longer exists");
* terminating pods never scheduled to a node are deleted.

A pod not yet ``Succeeded`` or ``Failed`` is marked ``Failed`` before it is deleted (grace period 0).
Time is ``options.clock``.
"""

from __future__ import annotations

import asyncio
import copy
import logging

from setpoint.apimachinery.clock import format_time
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

log = logging.getLogger(__name__)

POD = Kind("v1", "Pod")
NODE = Kind("v1", "Node")
#: kube's ``gcCheckPeriod`` and ``quarantineTime``.
GC_CHECK_PERIOD = 20.0
QUARANTINE = 40.0
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
#: The one request the controller's passes run under.
PASS = Request("", "pod-gc")
ORPHANED = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
            "message": "PodGC: node no longer exists"}


def terminated(pod: Obj) -> bool:
    """kube's ``isPodTerminated`` (a pod without a phase is Pending)."""
    return (pod.get("status") or {}).get("phase", "Pending") not in ("Pending", "Running", "Unknown")


def evicted(pod: Obj) -> bool:
    status = pod.get("status") or {}
    return bool(status.get("phase") == "Failed" and status.get("reason") == "Evicted")


def node_ready(node: Obj) -> bool:
    for c in (node.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            return bool(c.get("status") == "True")
    return False


class PodGC:
    """One garbage collection pass per request (see the module)."""

    def __init__(self, manager: Manager, client: InProcessClient, options: ControllerOptions) -> None:
        self.cache = manager.cache
        self.client = client
        self.clock = options.clock
        self.threshold = options.terminated_pod_gc_threshold
        #: Node names pods are bound to that do not exist -> when (clock seconds) first seen missing.
        self.quarantine: dict[str, float] = {}
        #: Pods deleted and passes made (for tests and metrics).
        self.deleted = 0
        self.passes = 0

    async def reconcile(self, request: Request) -> Result | None:
        pods = self.cache.list(POD)
        if self.threshold > 0:
            await self.gc_terminated(pods)
        await self.gc_terminating(pods)
        await self.gc_orphaned(pods)
        await self.gc_unscheduled_terminating(pods)
        self.passes += 1
        return Result(requeue_after=GC_CHECK_PERIOD)

    async def gc_terminated(self, pods: list[Obj]) -> None:
        done = [p for p in pods if terminated(p)]
        excess = len(done) - self.threshold
        if excess <= 0:
            return
        done.sort(key=lambda p: (not evicted(p), str(p["metadata"].get("creationTimestamp") or ""),
                                 p["metadata"]["name"]))
        log.info("garbage collecting %d terminated pods", excess)
        await asyncio.gather(*(self.delete(p) for p in done[:excess]))

    async def gc_terminating(self, pods: list[Obj]) -> None:
        out: list[Obj] = []
        for pod in pods:
            if not pod["metadata"].get("deletionTimestamp"):
                continue
            node = self.cache.get(NODE, str((pod.get("spec") or {}).get("nodeName") or ""))
            if node is None:
                continue
            taints = (node.get("spec") or {}).get("taints") or []
            if not node_ready(node) and any(isinstance(t, dict) and t.get("key") == OUT_OF_SERVICE for t in taints):
                out.append(pod)
        out.sort(key=lambda p: (not evicted(p), str(p["metadata"].get("creationTimestamp") or ""),
                                p["metadata"]["name"]))
        await asyncio.gather(*(self.delete(p) for p in out))

    async def gc_orphaned(self, pods: list[Obj]) -> None:
        now = self.clock.now().timestamp()
        bound = {str(p["spec"]["nodeName"]) for p in pods if (p.get("spec") or {}).get("nodeName")}
        missing = {name for name in bound if self.cache.get(NODE, name) is None}
        for name in list(self.quarantine):
            if name not in missing:
                del self.quarantine[name]
        gone: set[str] = set()
        for name in missing:
            since = self.quarantine.setdefault(name, now)
            if now - since < QUARANTINE:
                continue
            try:
                await self.client.get(NODE, name)
            except errors.NotFound:
                gone.add(name)
            except errors.ApiError as e:
                log.warning("pod GC: getting node %s: %s", name, e)
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") in gone:
                log.info("forced deletion of orphaned pod %s/%s (node %s is gone)", pod["metadata"].get("namespace"),
                         pod["metadata"]["name"], pod["spec"]["nodeName"])
                await self.delete(pod, ORPHANED)

    async def gc_unscheduled_terminating(self, pods: list[Obj]) -> None:
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") and not (pod.get("spec") or {}).get("nodeName"):
                await self.delete(pod)

    async def delete(self, pod: Obj, condition: Obj | None = None) -> None:
        """kube's ``markFailedAndDeletePodWithCondition``."""
        meta = pod["metadata"]
        name, namespace = meta["name"], meta.get("namespace")
        try:
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                new = copy.deepcopy(pod)
                status = new.setdefault("status", {})
                status["phase"] = "Failed"
                if condition is not None:
                    self._set_condition(status, condition)
                await self.client.update_status(new)
            await self.client.delete(POD, name, namespace, grace_period_seconds=0,
                                     preconditions={"uid": meta["uid"]})
            self.deleted += 1
        except (errors.NotFound, errors.Conflict):
            return
        except errors.ApiError as e:
            log.warning("pod GC: deleting pod %s/%s: %s", namespace, name, e)

    def _set_condition(self, status: Obj, condition: Obj) -> None:
        """``UpdatePodCondition``: replace or add; the transition time moves with the status."""
        conditions: list[Obj] = status.setdefault("conditions", [])
        stamp = format_time(self.clock.now())
        for c in conditions:
            if c.get("type") == condition["type"]:
                if c.get("status") != condition["status"]:
                    c["lastTransitionTime"] = stamp
                c.update({k: v for k, v in condition.items() if k != "type"})
                return
        conditions.append({**condition, "lastProbeTime": None, "lastTransitionTime": stamp})


def add_pod_gc_controller(manager: Manager, client: InProcessClient, options: ControllerOptions) -> PodGC:
    """The pod garbage collector, on ``manager``, deleting through ``client``; its state."""
    gc = PodGC(manager, client, options)
    never = Funcs(create=lambda _: False, update=lambda _o, _n: False, delete=lambda _: False, name="never")
    node_gone = Funcs(create=lambda _: False, update=lambda _o, _n: False, name="node-deleted")
    controller = (Builder(manager)
                  .named("pod-garbage-collector")
                  .watches(POD, lambda _: [], never)
                  .watches(NODE, lambda _: [PASS], node_gone)
                  .complete(gc))
    controller.queue.add(PASS)

    def wake() -> None:
        """A jump of the (fake) clock: a pass now."""
        controller.queue.add(PASS)

    options.clock.subscribe(wake)
    return gc
