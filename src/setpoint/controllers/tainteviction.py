"""The taint eviction controller: pods on a node with ``NoExecute`` taints are deleted unless
they tolerate them, after the shortest ``tolerationSeconds`` of the tolerations used.

As kube-controller-manager's (``pkg/controller/tainteviction``): a pod that does not tolerate
every ``NoExecute`` taint of its node is deleted at once; one that tolerates them all forever
(no ``tolerationSeconds``) stays; otherwise its deletion is scheduled for ``tolerationSeconds``
(the smallest of the tolerations used; 0 or less: now) after the controller first saw the
taints, and cancelled ("Cancelling deletion of Pod ns/name") if they go before. A deletion
records ``TaintManagerEviction`` "Marking for deletion Pod ns/name", sets the pod's
``DisruptionTarget`` condition (``DeletionByTaintManager``) and deletes it.
"""

from __future__ import annotations

import copy

from setpoint.apimachinery.clock import format_time
from setpoint.apimachinery.taints import tolerates
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.nodelifecycle import NODE_NAME_INDEX, pod_node_name
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.cache import NotCached
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

POD = Kind("v1", "Pod")
NODE = Kind("v1", "Node")
REASON = "TaintManagerEviction"


def min_toleration_seconds(tolerations: list[Obj]) -> float | None:
    """``getMinTolerationTime``: the shortest ``tolerationSeconds`` (0 for none or <= 0), or
    None when every toleration is forever."""
    if not tolerations:
        return 0
    seconds = [t["tolerationSeconds"] for t in tolerations if isinstance(t.get("tolerationSeconds"), int)]
    if any(s <= 0 for s in seconds):
        return 0
    return min(seconds) if seconds else None


class TaintEvictionReconciler:
    """Decides, for one pod, whether and when its node's ``NoExecute`` taints evict it."""

    def __init__(self, manager: Manager, client: InProcessClient, options: ControllerOptions) -> None:
        self.cache = manager.cache
        self.client = client
        self.options = options
        self.clock = options.clock
        self.recorder = EventRecorder(client, "taint-eviction-controller")
        #: Scheduled evictions: pod -> when the countdown started (on the controller's clock).
        self.scheduled: dict[tuple[str, str], float] = {}

    async def reconcile(self, request: Request) -> Result | None:
        key = (request.namespace, request.name)
        pod = self.cache.get(POD, request.name, request.namespace)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            self.scheduled.pop(key, None)
            return None
        node_name = (pod.get("spec") or {}).get("nodeName")
        node = self.cache.get(NODE, node_name) if node_name else None
        taints = [t for t in ((node or {}).get("spec") or {}).get("taints") or []
                  if isinstance(t, dict) and t.get("effect") == "NoExecute"]
        if not taints:
            await self._cancel(pod, key)
            return None
        tolerations = [t for t in (pod.get("spec") or {}).get("tolerations") or [] if isinstance(t, dict)]
        used: list[Obj] = []
        for taint in taints:
            matching = [t for t in tolerations if tolerates(t, taint)]
            if not matching:
                await self._evict(pod, key)
                return None
            used.extend(matching)
        seconds = min_toleration_seconds(used)
        if seconds is None:
            await self._cancel(pod, key)
            return None
        now = self.clock.now().timestamp()
        start = self.scheduled.setdefault(key, now)
        if now >= start + seconds:
            await self._evict(pod, key)
            return None
        return Result(requeue_after=min(start + seconds - now, self.options.eviction_poll_period))

    async def _cancel(self, pod: Obj, key: tuple[str, str]) -> None:
        if self.scheduled.pop(key, None) is not None:
            await self.recorder.normal(pod, REASON, f"Cancelling deletion of Pod {key[0]}/{key[1]}")

    async def _evict(self, pod: Obj, key: tuple[str, str]) -> None:
        """kube's ``deletePodHandler``: the event, the DisruptionTarget condition, the delete."""
        self.scheduled.pop(key, None)
        await self.recorder.normal(pod, REASON, f"Marking for deletion Pod {key[0]}/{key[1]}")
        new = copy.deepcopy(pod)
        status = new.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"]
        conditions.append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                           "lastTransitionTime": format_time(self.clock.now()), "reason": "DeletionByTaintManager",
                           "message": "Taint manager: deleting due to NoExecute taint"})
        status["conditions"] = conditions
        try:
            await self.client.update_status(new)
        except errors.NotFound:
            return
        except errors.Conflict:
            pass  # the pod moved on: deleting it is still right
        try:
            await self.client.delete(POD, key[1], key[0])
        except errors.NotFound:
            pass


def add_taint_eviction_controller(manager: Manager, client: InProcessClient,
                                  options: ControllerOptions) -> TaintEvictionReconciler:
    """The taint eviction controller, on ``manager``, writing through ``client``; its reconciler."""
    reconciler = TaintEvictionReconciler(manager, client, options)
    manager.cache.informer(POD, indexers={NODE_NAME_INDEX: pod_node_name})

    def pods_on(node: Obj) -> list[Request]:
        return [Request.of(p) for p in manager.cache.by_index(POD, NODE_NAME_INDEX, node["metadata"]["name"])]

    def concerned(pod: Obj) -> bool:
        """Only pods on a node with NoExecute taints, or with an eviction scheduled, need a look
        (kube's handler returns early for the others, before queueing anything)."""
        meta = pod["metadata"]
        if (meta.get("namespace") or "", meta["name"]) in reconciler.scheduled:
            return True
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            return False
        try:
            node = manager.cache.get(NODE, node_name)
        except NotCached:
            return True
        taints = ((node or {}).get("spec") or {}).get("taints") or []
        return any(isinstance(t, dict) and t.get("effect") == "NoExecute" for t in taints)

    controller = (Builder(manager)
                  .named("taint-eviction-controller")
                  .for_(POD, Funcs(create=concerned, update=lambda _old, new: concerned(new), delete=concerned,
                                   generic=concerned, name="on-noexecute-node"))
                  .watches(NODE, pods_on)
                  .complete(reconciler))

    def wake() -> None:
        """A jump of the (fake) clock: the pods with an eviction scheduled are looked at again now."""
        for namespace, name in list(reconciler.scheduled):
            controller.queue.add(Request(namespace, name))

    options.clock.subscribe(wake)
    return reconciler
