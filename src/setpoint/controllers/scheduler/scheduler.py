"""The scheduler: kube-scheduler's default profile as a controller of ``setpoint.runtime``.

It watches Pods and Nodes through the manager's shared cache. Pending pods for
``default-scheduler`` (``spec.schedulerName`` unset or that; no ``spec.nodeName``; not
being deleted; no scheduling gates) wait in a :class:`~.queue.SchedulingQueue`; pods bound
to a node (and not Succeeded or Failed) count against that node in the scheduler's own
:class:`~.plugins.NodeInfo` s, which also hold the pods it has just bound ("assumed")
until the cache shows them bound.

One pod at a time (``scheduleOne``): a cycle of the :class:`~.framework.Framework` picks
a node, the pod is assumed on it, and -- as kube's binding cycle, in its own task while the
next pod is scheduled (at most :data:`BINDING_CONCURRENCY` at once) -- bound through
``pods/binding`` (Event ``Scheduled``); a failed binding forgets the assumed pod and queues
it again. A pod no node
fits gets the ``PodScheduled`` condition False, reason ``Unschedulable``, with the
:class:`~.framework.FitError` message, and a ``FailedScheduling`` Warning; it waits among
the unschedulable pods until a Node or a bound Pod changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from typing import Any

from setpoint.apimachinery.clock import now_rfc3339
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.options import ControllerOptions
from setpoint.controllers.scheduler.framework import FitError, Framework, Snapshot, node_tree_order, zone_of
from setpoint.controllers.scheduler.plugins import NodeInfo, PodInfo, TopologyGroups
from setpoint.controllers.scheduler.preemption import Candidate, Evaluator
from setpoint.controllers.scheduler.queue import Key, SchedulingQueue, pod_key
from setpoint.runtime import errors
from setpoint.runtime.client import PatchType
from setpoint.runtime.controller import Controller, Source
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.handler import ForObject
from setpoint.runtime.informer import FuncHandler
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

log = logging.getLogger(__name__)

POD = Kind("v1", "Pod")
NODE = Kind("v1", "Node")
NAMESPACE = Kind("v1", "Namespace")
SERVICE = Kind("v1", "Service")
REPLICA_SET = Kind("apps/v1", "ReplicaSet")
PDB = Kind("policy/v1", "PodDisruptionBudget")
SCHEDULER_NAME = "default-scheduler"
_IGNORED_ON_UPDATE = ("resourceVersion", "managedFields", "generation")
#: Binding cycles in flight at once (each awaits its ``pods/binding`` write and its Event).
BINDING_CONCURRENCY = 64


def responsible(pod: Mapping[str, Any]) -> bool:
    """A pod this scheduler should place: ours, unbound, not being deleted, not gated."""
    spec = pod.get("spec") or {}
    return ((spec.get("schedulerName") or SCHEDULER_NAME) == SCHEDULER_NAME and not spec.get("nodeName")
            and not pod["metadata"].get("deletionTimestamp") and not spec.get("schedulingGates")
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))


def counted(pod: Mapping[str, Any]) -> bool:
    """A pod that uses its node's room: bound and not terminal."""
    return bool((pod.get("spec") or {}).get("nodeName")) and \
        (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def spec_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """``isPodUpdated``: more than status, resourceVersion or managed fields changed."""
    if old.get("spec") != new.get("spec"):
        return True
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    return any(om.get(k) != nm.get(k) for k in set(om) | set(nm) if k not in _IGNORED_ON_UPDATE)


async def _no_reconcile(_: Request) -> Result | None:
    return None


class Scheduler(Controller):
    """kube-scheduler's ``Scheduler``: the queue, the node infos, the loop (see the module)."""

    def __init__(self, client: InProcessClient, options: ControllerOptions, *, seed: int | None = None) -> None:
        kinds = [POD, NODE, NAMESPACE, SERVICE, REPLICA_SET]
        #: PodDisruptionBudgets, when the server serves them, spare pods from preemption.
        self.pdbs_served = any(r.group_version == PDB.api_version and r.kind == PDB.kind
                               for r in client.registry.all())
        if self.pdbs_served:
            kinds.append(PDB)
        super().__init__(SCHEDULER_NAME, _no_reconcile, sources=[Source(k, ForObject()) for k in kinds])
        self.client = client
        self.options = options
        self.framework = Framework(random.Random(seed), namespace_labels=self._namespace_labels,
                                   selectors=self._selectors)
        self.preemption = Evaluator(self.framework)
        self.recorder = EventRecorder(client, SCHEDULER_NAME)
        self.scheduling_queue = SchedulingQueue(initial_backoff=options.scheduler_initial_backoff,
                                                max_backoff=options.scheduler_max_backoff)
        self.nodes: dict[str, NodeInfo] = {}
        #: The nodes' pod groups per topology value, for spreading (kept by the nodes themselves).
        self.topology = self.framework.topology = TopologyGroups()
        #: Every pod that counts against a node: key -> (node name, its info).
        self.bound: dict[Key, tuple[str, PodInfo]] = {}
        self._handlers: list[tuple[Any, FuncHandler]] = []
        #: The nodes in kube's node-tree order (zones round robin), as a snapshot; None: to be made again.
        self._order: Snapshot | None = None
        #: Pending pod -> the node it is nominated to.
        self._nominations: dict[Key, str] = {}
        #: The binding cycles in flight, and the room for more.
        self._binding: set[asyncio.Task[None]] = set()
        self._binding_slots = asyncio.Semaphore(BINDING_CONCURRENCY)
        #: Pods scheduled and pods found unschedulable (for tests and benchmarks).
        self.scheduled = 0
        self.failures = 0

    # -- the cache ------------------------------------------------------------------------------

    def _nominate(self, key: Key, node: str | None, info: PodInfo | None) -> None:
        """Record (or forget, with ``node`` None) the node a pending pod is nominated to."""
        nominated = self.framework.nominated
        old = self._nominations.pop(key, None)
        if old is not None and old in nominated:
            nominated[old].pop(key, None)
            if not nominated[old]:
                del nominated[old]
        if node and info is not None:
            self._nominations[key] = node
            nominated.setdefault(node, {})[key] = info

    def _on_pod_add(self, pod: Obj) -> None:
        key = pod_key(pod)
        nominated = (pod.get("status") or {}).get("nominatedNodeName")
        if responsible(pod) and nominated:
            self._nominate(key, str(nominated), PodInfo.of(pod))
        elif key in self._nominations:
            self._nominate(key, None, None)
        if counted(pod):
            self.scheduling_queue.delete(key)
            self._bind_in_cache(key, str(pod["spec"]["nodeName"]), PodInfo.of(pod))
            self.scheduling_queue.move_all()
        else:
            if key in self.bound:
                self._unbind_in_cache(key)
                self.scheduling_queue.move_all()
            if responsible(pod):
                self.scheduling_queue.add(pod)
            else:
                self.scheduling_queue.delete(key)

    def _on_pod_update(self, old: Obj, new: Obj) -> None:
        key = pod_key(new)
        changed = spec_changed(old, new)
        if responsible(new) and key in self.scheduling_queue and not changed:
            self.scheduling_queue.add_quietly(new)
            nominated = (new.get("status") or {}).get("nominatedNodeName")
            if nominated != self._nominations.get(key):
                self._nominate(key, str(nominated) if nominated else None, PodInfo.of(new))
            return
        if not changed and counted(old) and counted(new) and key in self.bound:
            # A bound pod's status moved (its kubelet reporting): nothing the filters read.
            node_name, info = self.bound[key]
            self.bound[key] = (node_name, info.with_status_of(new))
            node = self.nodes.get(self.bound[key][0])
            if node is not None:
                node.replace_pod(self.bound[key][1])
            return
        self._on_pod_add(new)

    def _on_pod_delete(self, pod: Obj) -> None:
        key = pod_key(pod)
        self._nominate(key, None, None)
        self.scheduling_queue.delete(key)
        if key in self.bound:
            self._unbind_in_cache(key)
            self.scheduling_queue.move_all()

    def _bind_in_cache(self, key: Key, node_name: str, info: PodInfo) -> None:
        old = self.bound.get(key)
        if old is not None and old[0] != node_name and old[0] in self.nodes:
            self.nodes[old[0]].remove_pod(key)
        self.bound[key] = (node_name, info)
        node = self.nodes.get(node_name)
        if node is not None:
            node.add_pod(info)

    def _unbind_in_cache(self, key: Key) -> None:
        old = self.bound.pop(key, None)
        if old is not None and old[0] in self.nodes:
            self.nodes[old[0]].remove_pod(key)

    def _on_node_add(self, node: Obj) -> None:
        name = str(node["metadata"]["name"])
        info = self.nodes.get(name)
        if info is not None:
            zone = zone_of(info)
            info.set_node(node)
            if zone_of(info) != zone:
                self._order = None
        else:
            info = self.nodes[name] = NodeInfo(node, topology=self.topology)
            self._order = None
            for node_name, pod in self.bound.values():
                if node_name == name:
                    info.add_pod(pod)
        self.scheduling_queue.move_all()

    def _on_node_update(self, old: Obj, new: Obj) -> None:
        """Only what the filters read moves unschedulable pods (not a kubelet's heartbeat)."""
        if old.get("spec") != new.get("spec") or old["metadata"].get("labels") != new["metadata"].get("labels") \
                or (old.get("status") or {}).get("allocatable") != (new.get("status") or {}).get("allocatable"):
            self._on_node_add(new)
        else:
            info = self.nodes.get(str(new["metadata"]["name"]))
            if info is not None:
                info.node = new

    def _on_node_delete(self, node: Obj) -> None:
        info = self.nodes.pop(str(node["metadata"]["name"]), None)
        if info is not None:
            self.topology.untrack(info)
        self._order = None

    # -- life cycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the informers, wait for them to sync, start the loop."""
        if self.started:
            return
        self.started = True
        pods, nodes, *others = (s.informer for s in self.sources)
        assert pods is not None and nodes is not None
        for other in others:
            assert other is not None
            await other.wait_synced()
        # Nodes first, so that a synced pod finds its node.
        for informer, handler in (
                (nodes, FuncHandler(self._on_node_add, self._on_node_update, self._on_node_delete)),
                (pods, FuncHandler(self._on_pod_add, self._on_pod_update, self._on_pod_delete))):
            informer.add_handler(handler)
            await informer.wait_synced()
            self._handlers.append((informer, handler))
        self._workers = [asyncio.create_task(self._run(), name="default-scheduler")]

    def _disconnect(self) -> None:
        for informer, handler in self._handlers:
            informer.remove_handler(handler)
        self._handlers.clear()

    async def stop(self, *, cancel: bool = False, grace: float = 30.0) -> None:
        self._disconnect()
        self.scheduling_queue.close()
        workers, self._workers = [*self._workers, *self._binding], []
        for w in workers:
            if cancel:
                w.cancel()
        if workers:
            _, pending = await asyncio.wait(workers, timeout=grace)
            for w in pending:
                w.cancel()
        self.started = False

    def halt(self) -> None:
        self._disconnect()
        self.scheduling_queue.close()
        for w in [*self._workers, *self._binding]:
            w.cancel()
        self.started = False

    # -- scheduling -----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            pod = await self.scheduling_queue.pop()
            if pod is None:
                return
            try:
                await self.schedule_one(pod)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduling pod %s/%s", pod["metadata"].get("namespace"), pod["metadata"]["name"])
                self.scheduling_queue.failed(pod, unschedulable=False)

    async def schedule_one(self, pod: Obj) -> None:
        """One pod: pick a node and bind, or record why none fits."""
        key = pod_key(pod)
        info = PodInfo.of(pod)
        if self._order is None:
            self._order = Snapshot(node_tree_order(list(self.nodes.values())))
        snap = self._order
        try:
            node = self.framework.schedule(info, snap)
        except FitError as fit:
            # Queued as unschedulable first: what changes while this pod's failure is handled
            # (its victims' deletion, a new node) moves it back.
            self.failures += 1
            self.scheduling_queue.failed(pod, unschedulable=True)
            nominated: str | None = None
            if fit.num_all_nodes:
                pdbs = self._cache.list(PDB) if self.pdbs_served and self._cache is not None else []
                outcome = self.preemption.preempt(info, snap, fit.statuses, pdbs)
                fit.post_filter_msg = outcome.message
                if outcome.candidate is not None:
                    nominated = outcome.candidate.node.name
                    self._nominate(key, nominated, info)
                    await self._preempt(pod, outcome.candidate)
            await self._record_failure(pod, fit.message(), nominated=nominated)
            return
        # Assume, then bind in a task of its own (kube's binding goroutine): the next pod goes on.
        self._bind_in_cache(key, node, info)
        await self._binding_slots.acquire()
        task = asyncio.create_task(self._binding_cycle(pod, key, node), name=f"bind {key[0]}/{key[1]}")
        self._binding.add(task)
        task.add_done_callback(self._binding_done)

    def _binding_done(self, task: asyncio.Task[None]) -> None:
        self._binding.discard(task)
        self._binding_slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("binding", exc_info=task.exception())

    async def _binding_cycle(self, pod: Obj, key: Key, node: str) -> None:
        """``bindingCycle``: the ``pods/binding`` write, then the Event; a failure forgets the
        assumed pod and queues it again."""
        meta = pod["metadata"]
        binding = {"apiVersion": "v1", "kind": "Binding",
                   "metadata": {"name": meta["name"], "namespace": key[0], "uid": meta.get("uid")},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        try:
            await self.client.create(binding, key[0])
        except errors.ApiError as e:
            self._unbind_in_cache(key)
            self.scheduling_queue.move_all()
            if isinstance(e, errors.NotFound):
                self.scheduling_queue.delete(key)
                return
            self.scheduling_queue.failed(pod, unschedulable=False)
            await self._record_failure(pod, f"Binding rejected: {e}", reason="SchedulerError")
            return
        self.scheduling_queue.done(key)
        self._nominate(key, None, None)
        self.scheduled += 1
        await self.recorder.normal(pod, "Scheduled", f"Successfully assigned {key[0]}/{key[1]} to {node}")

    async def _record_failure(self, pod: Obj, message: str, *, reason: str = "Unschedulable",
                              nominated: str | None = None) -> None:
        """``handleSchedulingFailure``: the Warning event, the PodScheduled condition and the
        node preemption nominated (``status.nominatedNodeName``)."""
        await self.recorder.warning(pod, "FailedScheduling", message)
        current = self.cache_pod(pod)
        status = current.get("status") or {}
        patch: Obj = {}
        if nominated is not None and status.get("nominatedNodeName") != nominated:
            patch["nominatedNodeName"] = nominated
        if not any(c.get("type") == "PodScheduled" and c.get("status") == "False" and c.get("reason") == reason
                   and c.get("message") == message for c in status.get("conditions") or []):
            patch["conditions"] = [{"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                                    "lastTransitionTime": now_rfc3339(), "reason": reason, "message": message}]
        if not patch:
            return
        meta = pod["metadata"]
        with contextlib.suppress(errors.NotFound, errors.Conflict):
            await self.client.patch(POD, meta["name"], {"status": patch},
                                    meta.get("namespace"), type=PatchType.STRATEGIC, subresource="status")

    async def _preempt(self, pod: Obj, candidate: Candidate) -> None:
        """``prepareCandidate``: each victim gets the DisruptionTarget condition, is deleted,
        and an Event ``Preempted`` says by whom."""
        uid = pod["metadata"].get("uid")
        scheduler_name = (pod.get("spec") or {}).get("schedulerName") or SCHEDULER_NAME
        for victim in candidate.victims:
            ns, name = victim.key
            condition = {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                         "lastTransitionTime": now_rfc3339(), "reason": "PreemptionByScheduler",
                         "message": f"{scheduler_name}: preempting to accommodate a higher priority pod"}
            try:
                await self.client.patch(POD, name, {"status": {"conditions": [condition]}}, ns,
                                        type=PatchType.STRATEGIC, subresource="status")
                await self.client.delete(POD, name, ns)
            except errors.NotFound:
                continue
            await self.recorder.normal(victim.pod, "Preempted",
                                       f"Preempted by pod {uid} on node {candidate.node.name}")
        # Lower-priority pods nominated to this node may no longer fit there: their nomination goes.
        own = int((pod.get("spec") or {}).get("priority") or 0)
        for key, info in list(self.framework.nominated.get(candidate.node.name, {}).items()):
            if int(info.spec.get("priority") or 0) < own:
                self._nominate(key, None, None)
                with contextlib.suppress(errors.NotFound, errors.Conflict):
                    await self.client.patch(POD, key[1], {"status": {"nominatedNodeName": None}}, key[0],
                                            subresource="status")

    def _namespace_labels(self, name: str) -> Mapping[str, str]:
        ns = self._cache.get(NAMESPACE, name) if self._cache is not None else None
        found: Mapping[str, str] = ((ns or {}).get("metadata") or {}).get("labels") or {}
        return found

    def _selectors(self, info: PodInfo) -> list[Obj]:
        """``helper.DefaultSelector``'s parts: the Services selecting the pod, the ReplicaSet owning it."""
        if self._cache is None:
            return []
        ns, labels = info.key[0], info.labels
        out: list[Obj] = []
        for svc in self._cache.list(SERVICE, ns):
            selector = (svc.get("spec") or {}).get("selector")
            if selector and all(labels.get(k) == v for k, v in selector.items()):
                out.append({"matchLabels": selector})
        for ref in info.pod["metadata"].get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == "ReplicaSet" and ref.get("apiVersion") == "apps/v1":
                rs = self._cache.get(REPLICA_SET, ref.get("name") or "", ns)
                selector = ((rs or {}).get("spec") or {}).get("selector")
                if isinstance(selector, dict):
                    out.append(selector)
        return out

    def cache_pod(self, pod: Obj) -> Obj:
        """The informer's copy of ``pod`` (newer than the queue's, perhaps)."""
        informer = self.sources[0].informer
        if informer is None or self._cache is None:
            return pod
        meta = pod["metadata"]
        return self._cache.get(POD, meta["name"], meta.get("namespace")) or pod


def add_scheduler(manager: Manager, client: InProcessClient, options: ControllerOptions, *,
                  seed: int | None = None) -> Scheduler:
    """The scheduler, on ``manager``, binding through ``client``."""
    scheduler = Scheduler(client, options, seed=seed)
    manager.add(scheduler)
    return scheduler
