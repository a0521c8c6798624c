"""Simulated pods: each pod bound to an existing Node played out from its declared behaviour.

What a kubelet does for its node's pods, for every Node at once (KWOK-style, no containers):
the pod's containers are a :class:`~.containers.PodRun` moved along the controllers' clock;
each change of what the kubelet would report is one status write (a pod with nothing declared
goes from bound to Running and Ready in one), with the Events a kubelet records (source
``kubelet``, host the node). The pod gets an IP from its node's ``spec.podCIDR``
(:mod:`.ipam`), its node's ``hostIP``.

A pod being deleted gracefully (``deletionTimestamp`` set by the API server) is stopped as
kube's kubelet stops it: ``Killing`` for each running container, then -- after the longest
``terminationDelay`` of its containers, capped by the deletion's grace period -- the pod is
deleted with grace 0 and a UID precondition.

Behaviour comes from the pod's ``setpoint.io/behavior`` annotation and the per-image rules of
the ``kube-system/setpoint-behaviors`` ConfigMap (:mod:`setpoint.apimachinery.podbehavior`).
An annotation that cannot be read gets a Warning Event on the pod saying why, and the pod runs
with the image rules and defaults alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from setpoint.apimachinery import podbehavior
from setpoint.apimachinery.clock import parse_time
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin.core import pod_qos_class
from setpoint.controllers.eventlimit import LimitedRecorder
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.kubelet.containers import KILLING, PodRun
from setpoint.controllers.kubelet.ipam import IPAM, host_ip
from setpoint.controllers.nodelifecycle import NODE_NAME_INDEX, pod_node_name
from setpoint.controllers.options import ControllerOptions
from setpoint.controllers.ownwrites import OwnWrites
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.client import PatchType
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

log = logging.getLogger(__name__)

POD = Kind("v1", "Pod")
NODE = Kind("v1", "Node")
CONFIG_MAP = Kind("v1", "ConfigMap")
#: The reason of the Warning about a behaviour annotation that cannot be read.
INVALID_BEHAVIOR = "InvalidBehavior"
_TERMINAL = ("Succeeded", "Failed")
#: Pods played out at once, across every node. A real kubelet runs a worker per pod and writes
#: statuses node by node, so a fleet writes many at a time; each reconcile here waits for its
#: status write to commit, and with a few workers a busy server started pods far slower than
#: it bound them.
WORKERS = 64


class Kubelet:
    """The reconciler: one pod at a time, from the cache; see the module docstring."""

    def __init__(self, manager: Manager, client: InProcessClient, options: ControllerOptions) -> None:
        self.cache = manager.cache
        self.client = client
        self.clock = options.clock
        #: The runtime state of each pod played out, by (namespace, name).
        self.runs: dict[tuple[str, str], PodRun] = {}
        #: Pods being stopped: (namespace, name) -> (when the stop began, when the pod goes).
        self.stopping: dict[tuple[str, str], tuple[float, float]] = {}
        self.ipam = IPAM()
        #: Its status writes, whose echo does not wake it again.
        self.own_writes = OwnWrites()
        self._recorders: dict[str, LimitedRecorder] = {}
        self._rules: tuple[str, list[podbehavior.ImageRule]] = ("", [])

    def recorder(self, node: str) -> LimitedRecorder:
        """The event recorder of ``node``'s kubelet (source ``kubelet``, host the node)."""
        rec = self._recorders.get(node)
        if rec is None:
            rec = self._recorders[node] = LimitedRecorder(self.client, "kubelet")
            rec.recorder.host = node
        return rec

    async def flush_events(self) -> None:
        """Wait until every Event recorded so far is written."""
        for rec in list(self._recorders.values()):
            await rec.flush()

    def rules(self) -> list[podbehavior.ImageRule]:
        """The per-image rules of the ``setpoint-behaviors`` ConfigMap (parsed once per version)."""
        cm = self.cache.get(CONFIG_MAP, podbehavior.RULES_CONFIGMAP, podbehavior.RULES_NAMESPACE)
        if cm is None:
            return []
        rv = str(cm["metadata"].get("resourceVersion") or "")
        if self._rules[0] != rv:
            data = cm.get("data") or {}
            rules, problems = podbehavior.parse_rules({k: v for k, v in data.items() if isinstance(v, str)})
            for problem in problems:
                log.warning("%s/%s: %s", podbehavior.RULES_NAMESPACE, podbehavior.RULES_CONFIGMAP, problem)
            self._rules = (rv, rules)
        return self._rules[1]

    def behaviors(self, pod: Obj, node: str) -> dict[str, podbehavior.Behavior]:
        """Each container's behaviour; a Warning on the pod when its annotation cannot be read."""
        rules = self.rules()
        spec = pod.get("spec") or {}
        containers = [c for key in ("initContainers", "containers") for c in spec.get(key) or []
                      if isinstance(c, dict)]
        try:
            return {str(c.get("name")): podbehavior.container_behavior(pod, c, rules) for c in containers}
        except podbehavior.BehaviorError as exc:
            self.recorder(node).warning(pod, INVALID_BEHAVIOR,
                                        f"annotation {podbehavior.ANNOTATION} ignored: {exc}")
            meta = dict(pod["metadata"])
            meta["annotations"] = {k: v for k, v in (meta.get("annotations") or {}).items()
                                   if k != podbehavior.ANNOTATION}
            plain = {**pod, "metadata": meta}
            return {str(c.get("name")): podbehavior.container_behavior(plain, c, rules) for c in containers}

    def forget(self, key: tuple[str, str]) -> None:
        self.runs.pop(key, None)
        self.stopping.pop(key, None)
        self.ipam.release(key)

    async def reconcile(self, request: Request) -> Result | None:
        key = (request.namespace, request.name)
        pod = self.cache.get(POD, request.name, request.namespace)
        node_name = (pod.get("spec") or {}).get("nodeName") if pod is not None else None
        node = self.cache.get(NODE, node_name) if node_name else None
        if pod is None or node is None:
            self.forget(key)
            return None
        assert node_name is not None
        meta = pod["metadata"]
        uid = str(meta.get("uid") or "")
        run = self.runs.get(key)
        if run is not None and run.uid != uid:
            self.forget(key)
            run = None
        now = self.clock.now().timestamp()
        status = pod.get("status") or {}
        if meta.get("deletionTimestamp"):
            return await self._stop(pod, key, run, node_name, now)
        if run is None:
            if status.get("phase") in _TERMINAL:
                return None  # finished before this kubelet knew it: nothing runs any more
            started = parse_time(status["startTime"]) if isinstance(status.get("startTime"), str) else None
            start = started.timestamp() if started is not None else now
            run = self.runs[key] = PodRun(pod, self.behaviors(pod, node_name), start)
            run.advance(now)
            if started is not None:  # known before (a restart of the server): replayed, not re-recorded
                run.events = [e for e in run.events if e.at >= now]
        else:
            run.advance(now)
        self._record(pod, run, node_name)
        new = run.status(pod, now)
        new.update(self._addresses(pod, key, node, status))
        if not status.get("qosClass"):
            new["qosClass"] = pod_qos_class(pod.get("spec") or {})
        if any(status.get(k) != v for k, v in new.items()):
            try:
                self.own_writes.wrote(await self.client.patch(
                    POD, request.name, {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": new},
                    request.namespace, type=PatchType.MERGE, subresource="status", field_manager="kubelet"))
            except errors.Conflict:
                return None  # the cache has not caught up: the pod's next event brings it back
            except errors.NotFound:
                self.forget(key)
                return None
        if run.terminal is not None:
            return None
        nxt = run.next_time()
        return Result(requeue_after=max(nxt - now, 0.001)) if nxt is not None else None

    def _record(self, pod: Obj, run: PodRun, node: str) -> None:
        if not run.events:
            return
        rec = self.recorder(node)
        for event in run.events:
            rec.event(pod, event.type, event.reason, event.message)
        run.events.clear()

    def _addresses(self, pod: Obj, key: tuple[str, str], node: Obj, status: Mapping[str, Any]) -> Obj:
        """hostIP(s) and podIP(s): the node's address; a pod IP from its podCIDR (kept once given)."""
        out: Obj = {}
        host = host_ip(node)
        if host:
            out["hostIP"], out["hostIPs"] = host, [{"ip": host}]
        ip: str | None = host
        if not (pod.get("spec") or {}).get("hostNetwork"):
            ip = self.ipam.claim(key, node, status.get("podIP") if isinstance(status.get("podIP"), str) else None)
        if ip:
            out["podIP"], out["podIPs"] = ip, [{"ip": ip}]
        return out

    async def _stop(self, pod: Obj, key: tuple[str, str], run: PodRun | None, node: str, now: float) -> Result | None:
        """Graceful deletion: Killing, the containers' termination delay within the grace period,
        then the pod deleted for good."""
        meta = pod["metadata"]
        grace = meta.get("deletionGracePeriodSeconds")
        grace = float(grace) if isinstance(grace, int) else 0.0
        stopping = self.stopping.get(key)
        if stopping is None:
            delay = 0.0
            if run is not None:
                run.advance(now)
                running = run.stop(now)
                rec = self.recorder(node)
                for c in running:
                    rec.normal(pod, KILLING, f"Stopping container {c.name}")
                delay = max((c.behavior.termination_delay for c in running), default=0.0)
            stopping = self.stopping[key] = (now, now + min(delay, grace))
        began, until = stopping
        until = min(until, began + grace)  # a later, shorter grace period
        self.stopping[key] = (began, until)
        if now < until:
            return Result(requeue_after=until - now)
        try:
            await self.client.delete(POD, key[1], key[0], grace_period_seconds=0,
                                     preconditions={"uid": str(meta.get("uid") or "")})
        except (errors.NotFound, errors.Conflict):
            pass
        self.forget(key)
        return None


def _bound(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


def _node_changed(old: Obj, new: Obj) -> bool:
    """A node's change that matters to its pods: its addresses or pod CIDR (not heartbeats)."""
    return (host_ip(old) != host_ip(new)
            or (old.get("spec") or {}).get("podCIDR") != (new.get("spec") or {}).get("podCIDR"))


def add_kubelet(manager: Manager, client: InProcessClient, options: ControllerOptions) -> Kubelet:
    """Run the pods bound to the cluster's nodes; returns the reconciler."""
    kubelet = Kubelet(manager, client, options)
    manager.cache.informer(POD, indexers={NODE_NAME_INDEX: pod_node_name})

    def pods_on(node: Obj) -> list[Request]:
        return [Request.of(p) for p in manager.cache.by_index(POD, NODE_NAME_INDEX, node["metadata"]["name"])]

    controller = (Builder(manager)
                  .named("kubelet")
                  .for_(POD, Funcs(create=_bound, update=lambda _old, new: _bound(new), delete=lambda _p: True,
                                   generic=_bound, name="bound"), kubelet.own_writes.not_echo())
                  .watches(NODE, pods_on, Funcs(update=_node_changed, name="addresses-changed"))
                  .watches(CONFIG_MAP, lambda _cm: [], namespace=podbehavior.RULES_NAMESPACE)
                  .with_options(max_concurrent_reconciles=WORKERS)
                  .complete(kubelet))

    def wake() -> None:
        """A jump of the (fake) clock: every pod played out looks again now."""
        for namespace, name in [*kubelet.runs, *kubelet.stopping]:
            controller.queue.add(Request(namespace, name))

    options.clock.subscribe(wake)
    return kubelet
