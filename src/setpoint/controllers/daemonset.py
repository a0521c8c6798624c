"""The DaemonSet controller: one pod on every eligible Node.

As kube-controller-manager's (``pkg/controller/daemon``): a node is eligible when the
template's ``nodeName`` (if any), ``nodeSelector`` and required node affinity select it and
its ``NoSchedule``/``NoExecute`` taints are tolerated (kube's default DaemonSet tolerations
included: not-ready and unreachable ``NoExecute``; disk-, memory- and pid-pressure and
unschedulable ``NoSchedule``; network-unavailable for host-network pods). A node that stops
being eligible keeps its pod only while the pod tolerates its ``NoExecute`` taints. Pods are
pinned to their node as kube pins them, with a required node affinity
``metadata.name In [node]`` (not ``spec.nodeName``: the scheduler binds them), and carry the
``controller-revision-hash`` and ``pod-template-generation`` labels. Failed pods are deleted
(``FailedDaemonPod`` warning) with a per-node backoff; a node with two pods keeps the oldest.

Templates are saved as ControllerRevisions (:mod:`.history`, named ``<ds>-<hash>`` and
labelled ``controller-revision-hash``); ``RollingUpdate`` replaces old pods within
``maxUnavailable``, or surges new ones within ``maxSurge`` before deleting the old, as
``rollingUpdate`` in kube's ``update.go``; ``OnDelete`` waits for users. Creations and
deletions are expected (kube's ``ControllerExpectations``) until the cache shows them, so a
lagging cache never doubles a pod. The status counts (desired, current, ready, available,
up-to-date, misscheduled, unavailable) and the Events (``SuccessfulCreate`` "Created pod:
...", ``SuccessfulDelete`` "Deleted pod: ...") are kube's.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from setpoint.apimachinery.taints import tolerates
from setpoint.apimachinery.types import Obj
from setpoint.controllers import history
from setpoint.controllers import pods as p
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.serviceaccount import namespace_terminating
from setpoint.runtime import errors
from setpoint.runtime import labels as labelsel
from setpoint.runtime.builder import Builder
from setpoint.runtime.client import PatchType
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.objects import mutable, owner_reference
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind
from setpoint.runtime.store import OWNER_UID, by_owner_uid

log = logging.getLogger(__name__)

DAEMON_SET = Kind("apps/v1", "DaemonSet")
NODE = Kind("v1", "Node")
COMPONENT = "daemonset-controller"
#: ``extensions.DaemonSetTemplateGenerationKey`` and the apps/v1 annotation it comes from.
TEMPLATE_GENERATION_LABEL = "pod-template-generation"
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
#: kube's ``ExpectationsTimeout``: expectations not met by then are forgotten.
EXPECTATIONS_TIMEOUT = 300.0
#: ``failedPodsBackoff``: 1 s doubling up to 15 min, per DaemonSet and node.
FAILED_BACKOFF = (1.0, 900.0)
#: ``BurstReplicas``: at most this many creations (and deletions) a sync.
BURST_REPLICAS = 250

#: ``AddOrUpdateDaemonPodTolerations``, in kube's order (the last only for host-network pods).
_DEFAULT_TOLERATIONS: tuple[tuple[str, str], ...] = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)
_NETWORK_UNAVAILABLE = ("node.kubernetes.io/network-unavailable", "NoSchedule")


# --- scheduling predicates --------------------------------------------------------------------------


def add_daemon_tolerations(spec: dict[str, Any]) -> None:
    """``AddOrUpdateDaemonPodTolerations``: kube's default DaemonSet tolerations, added to ``spec``."""
    wanted = list(_DEFAULT_TOLERATIONS)
    if spec.get("hostNetwork"):
        wanted.append(_NETWORK_UNAVAILABLE)
    tolerations = list(spec.get("tolerations") or [])
    for key, effect in wanted:
        toleration = {"key": key, "operator": "Exists", "effect": effect}
        same = [i for i, t in enumerate(tolerations) if t.get("key") == key and t.get("operator") == "Exists"
                and t.get("effect") == effect and (t.get("value") or "") == ""]
        if same:  # AddOrUpdateTolerationInPodSpec: a matching one is replaced (tolerationSeconds dropped)
            for i in same:
                tolerations[i] = toleration
        else:
            tolerations.append(toleration)
    spec["tolerations"] = tolerations


def untolerated(taints: Iterable[Mapping[str, Any]], tolerations: Sequence[Mapping[str, Any]],
                effects: tuple[str, ...]) -> bool:
    """``FindMatchingUntoleratedTaint`` over the taints of ``effects``."""
    return any(t.get("effect") in effects and not any(tolerates(tol, t) for tol in tolerations) for t in taints)


def _requirement_matches(req: Mapping[str, Any], value: str | None) -> bool:
    operator = req.get("operator")
    values = [str(v) for v in req.get("values") or ()]
    if operator == "In":
        return value is not None and value in values
    if operator == "NotIn":
        return value is None or value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and len(values) == 1:
        try:
            have, limit = int(value), int(values[0])
        except ValueError:
            return False
        return have > limit if operator == "Gt" else have < limit
    return False


def _term_matches(term: Mapping[str, Any], node: Obj) -> bool:
    """A node selector term: its label expressions and ``metadata.name`` field expressions
    all match; an empty term matches nothing."""
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    node_labels = node["metadata"].get("labels") or {}
    for req in exprs:
        if not _requirement_matches(req, node_labels.get(req.get("key"))):
            return False
    for req in fields:
        value = node["metadata"]["name"] if req.get("key") == "metadata.name" else None
        if value is None or not _requirement_matches(req, value):
            return False
    return True


def fits_node_affinity(spec: Mapping[str, Any], node: Obj) -> bool:
    """``GetRequiredNodeAffinity(pod).Match(node)``: the node selector and the required terms."""
    node_labels = node["metadata"].get("labels") or {}
    for key, value in (spec.get("nodeSelector") or {}).items():
        if node_labels.get(key) != value:
            return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    return any(_term_matches(t, node) for t in required.get("nodeSelectorTerms") or ())


def daemon_pod_spec(ds: Obj) -> dict[str, Any]:
    """The pod spec a node is judged against (``NewPod``): the template's, with the default tolerations."""
    spec = mutable(ds["spec"]["template"].get("spec") or {})
    add_daemon_tolerations(spec)
    return spec


def should_run(node: Obj, ds: Obj, spec: Mapping[str, Any] | None = None) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (should run a pod there, should keep running one there)."""
    spec = spec if spec is not None else daemon_pod_spec(ds)
    name = node["metadata"]["name"]
    if spec.get("nodeName") not in (None, "", name):
        return False, False
    if not fits_node_affinity(spec, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = spec.get("tolerations") or []
    if untolerated(taints, tolerations, ("NoSchedule", "NoExecute")):
        return False, not untolerated(taints, tolerations, ("NoExecute",))
    return True, True


def pin_to_node(spec: dict[str, Any], node: str) -> None:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``: a required ``metadata.name In [node]`` term."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    affinity = spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}
    else:
        required["nodeSelectorTerms"] = [term]


def target_node(pod: Obj) -> str | None:
    """``GetTargetNodeName``: ``spec.nodeName``, else the node the affinity pins the pod to."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in required.get("nodeSelectorTerms") or ():
        for req in term.get("matchFields") or ():
            if req.get("key") == "metadata.name" and req.get("operator") == "In":
                values = req.get("values") or []
                return str(values[0]) if len(values) == 1 else None
    return None


def _by_age(pod: Obj) -> tuple[bool, str, str]:
    """``podByCreationTimestampAndPhase``: scheduled pods first, then the oldest."""
    return (not (pod.get("spec") or {}).get("nodeName"), pod["metadata"].get("creationTimestamp") or "",
            pod["metadata"]["name"])


def template_generation(ds: Obj) -> str | None:
    value = (ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    return str(value) if value is not None else None


def is_updated(pod: Obj, hash_: str, generation: str | None) -> bool:
    """``IsPodUpdated``: the pod has the current hash or the current template generation."""
    labels = pod["metadata"].get("labels") or {}
    return bool((hash_ and labels.get(history.POD_REVISION_LABEL) == hash_)
                or (generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == generation))


def scaled_value(value: object, total: int) -> int:
    """``GetScaledValueFromIntOrPercent`` rounding up."""
    if isinstance(value, str) and value.endswith("%"):
        try:
            return math.ceil(int(value[:-1]) * total / 100)
        except ValueError:
            return 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def template_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """``controller.ComputeHash``: FNV-1a of the template (and the collision count), safely encoded."""
    raw = history.data_bytes(template)
    if collision_count is not None:
        raw += str(collision_count).encode()
    return history.safe_encode(str(history.fnv32a(raw)))


# --- expectations ----------------------------------------------------------------------------------


@dataclass
class _Expectations:
    """Pods this controller created or deleted that its cache has not shown yet."""

    adds: set[str] = field(default_factory=set)
    deletes: set[str] = field(default_factory=set)
    since: float = field(default_factory=time.monotonic)


class DaemonSetReconciler:
    """Brings one DaemonSet's pods, revisions and status to its spec and the nodes."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client
        self.events = EventRecorder(client, COMPONENT)
        self._expectations: dict[Request, _Expectations] = {}
        self._backoff: dict[tuple[str, str, str], tuple[float, float]] = {}

    # -- the sync -----------------------------------------------------------------------------------

    async def reconcile(self, request: Request) -> Result | None:
        ds = self.cache.get(DAEMON_SET, request.name, request.namespace)
        if ds is None:
            self._expectations.pop(request, None)
            return None
        if ds["metadata"].get("deletionTimestamp"):
            return None
        try:
            selector = labelsel.from_label_selector(ds["spec"].get("selector"))
        except labelsel.SelectorError as e:
            log.warning("daemonset %s/%s has a bad selector: %s", request.namespace, request.name, e)
            return None
        nodes = self.cache.list(NODE)
        current, old = await self._history(ds, selector)
        hash_ = (current["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL, "")
        pods = await self._claim_pods(ds, selector)
        if not self._satisfied(request, pods):
            return await self._status(ds, nodes, hash_, pods, observed=False)
        requeue: list[float] = []
        await self._manage(request, ds, nodes, hash_, pods, requeue)
        strategy = (ds["spec"].get("updateStrategy") or {}).get("type")
        if strategy == "RollingUpdate" and self._satisfied(request, pods):
            await self._rolling_update(request, ds, nodes, hash_, pods)
        await self._cleanup_history(ds, old, pods)
        result = await self._status(ds, nodes, hash_, pods, observed=True)
        if result is not None and result.requeue_after:
            requeue.append(result.requeue_after)
        return Result(requeue_after=min(requeue)) if requeue else None

    def _satisfied(self, request: Request, pods: Sequence[Obj]) -> bool:
        """``SatisfiedExpectations``: every pod created shows in the cache, every pod deleted is gone."""
        exp = self._expectations.get(request)
        if exp is None:
            return True
        names = {x["metadata"]["name"] for x in pods}
        exp.adds -= names
        exp.deletes &= names
        if (not exp.adds and not exp.deletes) or time.monotonic() - exp.since > EXPECTATIONS_TIMEOUT:
            del self._expectations[request]
            return True
        return False

    async def _claim_pods(self, ds: Obj, selector: labelsel.Selector) -> list[Obj]:
        """The pods it controls (orphans matching its selector adopted, non-matching released)."""
        uid = ds["metadata"]["uid"]
        out: list[Obj] = []
        for pod in self.cache.by_index(p.POD, OWNER_UID, uid):
            if p.controller_uid(pod) != uid:
                continue
            if selector.matches(pod["metadata"].get("labels")):
                out.append(pod)
            elif not p.is_terminating(pod):
                await self._set_owners(pod, [r for r in pod["metadata"].get("ownerReferences") or ()
                                             if r.get("uid") != uid])
        for pod in self.cache.list(p.POD, ds["metadata"].get("namespace"), selector):
            if p.controller_uid(pod) is None and not p.is_terminating(pod):
                adopted = await self._set_owners(pod, [*(pod["metadata"].get("ownerReferences") or ()),
                                                       owner_reference(ds)])
                if adopted is not None:
                    out.append(adopted)
        return out

    async def _set_owners(self, pod: Obj, refs: list[Obj]) -> Obj | None:
        meta = pod["metadata"]
        try:
            return await self.client.patch(p.POD, meta["name"], {"metadata": {"ownerReferences": refs,
                                                                              "uid": meta["uid"]}},
                                           meta.get("namespace"))
        except errors.NotFound:
            return None

    def _nodes_to_pods(self, pods: Sequence[Obj]) -> dict[str, list[Obj]]:
        """``getNodesToDaemonPods``: the pods by the node they are for."""
        out: dict[str, list[Obj]] = {}
        for pod in pods:
            node = target_node(pod)
            if node is not None:
                out.setdefault(node, []).append(pod)
        return out

    # -- history ------------------------------------------------------------------------------------

    async def _history(self, ds: Obj, selector: labelsel.Selector) -> tuple[Obj, list[Obj]]:
        """``constructHistory``: the revision of the current template (made or renumbered), and the others."""
        ns = ds["metadata"].get("namespace")
        template = ds["spec"]["template"]
        data = history.template_patch(template)
        current: list[Obj] = []
        old: list[Obj] = []
        for revision in await history.claim_revisions(
                self.client, self.cache.list(history.CONTROLLER_REVISION, ns), ds, selector):
            (current if revision.get("data") == data else old).append(revision)
        number = max((r.get("revision") or 0 for r in old), default=0) + 1
        if not current:
            return await self._snapshot(ds, data, number), old
        current = history.sort_revisions(current)
        keep = current[-1]
        for extra in current[:-1]:  # dedupCurHistories
            try:
                await self.client.delete(history.CONTROLLER_REVISION, extra["metadata"]["name"], ns)
            except errors.NotFound:
                pass
        if (keep.get("revision") or 0) < number:
            keep = await history.update_revision(self.client, keep, number)
        return keep, old

    async def _snapshot(self, ds: Obj, data: Obj, number: int) -> Obj:
        """``snapshot``: a new revision ``<ds>-<hash>``; a name taken by other data bumps the collision count."""
        collisions = (ds.get("status") or {}).get("collisionCount")
        template = ds["spec"]["template"]
        hash_ = template_hash(template, collisions)
        meta = ds["metadata"]
        labels = {**((template.get("metadata") or {}).get("labels") or {}), history.POD_REVISION_LABEL: hash_}
        revision: Obj = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                         "metadata": {"name": f"{meta['name']}-{hash_}", "namespace": meta.get("namespace"),
                                      "labels": labels, "ownerReferences": [owner_reference(ds)]},
                         "data": data, "revision": number}
        if meta.get("annotations"):
            revision["metadata"]["annotations"] = dict(meta["annotations"])
        try:
            return await self.client.create(revision)
        except errors.AlreadyExists:
            existing = await self.client.get(history.CONTROLLER_REVISION, revision["metadata"]["name"],
                                             meta.get("namespace"))
            if existing.get("data") == data:
                return existing
            count = int(collisions or 0) + 1
            await self.client.patch(DAEMON_SET, meta["name"], {"status": {"collisionCount": count}},
                                    meta.get("namespace"), subresource="status")
            raise

    async def _cleanup_history(self, ds: Obj, old: list[Obj], pods: Sequence[Obj]) -> None:
        """``cleanupHistory``: the oldest revisions beyond ``revisionHistoryLimit`` no pod is at."""
        to_kill = len(old) - int(ds["spec"].get("revisionHistoryLimit", 10))
        if to_kill <= 0:
            return
        live = {(x["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL) for x in pods}
        for revision in history.sort_revisions(old):
            if to_kill <= 0:
                break
            if (revision["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL) in live:
                continue
            try:
                await self.client.delete(history.CONTROLLER_REVISION, revision["metadata"]["name"],
                                         revision["metadata"].get("namespace"))
            except errors.NotFound:
                pass
            to_kill -= 1

    # -- manage -------------------------------------------------------------------------------------

    async def _manage(self, request: Request, ds: Obj, nodes: Sequence[Obj], hash_: str, pods: Sequence[Obj],
                      requeue: list[float]) -> None:
        """``manage``: a pod for every node that should run one, none where none should run."""
        by_node = self._nodes_to_pods(pods)
        spec = daemon_pod_spec(ds)
        surge = self._allows_surge(ds)
        create: list[str] = []
        delete: list[str] = []
        for node in nodes:
            name = node["metadata"]["name"]
            run, keep = should_run(node, ds, spec)
            on_node = by_node.get(name, [])
            if run and not on_node:
                create.append(name)
            elif keep:
                running: list[Obj] = []
                for pod in on_node:
                    if p.is_terminating(pod):
                        continue
                    phase = p.phase(pod)
                    if phase == "Failed":
                        wait = self._failed_backoff(ds, name)
                        if wait:
                            requeue.append(wait)
                            continue
                        await self.events.warning(ds, "FailedDaemonPod",
                                                  f"Found failed daemon pod {pod['metadata'].get('namespace')}/"
                                                  f"{pod['metadata']['name']} on node {name}, will try to kill it")
                        delete.append(pod["metadata"]["name"])
                    elif phase == "Succeeded":
                        await self.events.normal(ds, "SucceededDaemonPod",
                                                 f"Found succeeded daemon pod {pod['metadata'].get('namespace')}/"
                                                 f"{pod['metadata']['name']} on node {name}, will try to delete it")
                        delete.append(pod["metadata"]["name"])
                    else:
                        running.append(pod)
                running.sort(key=_by_age)
                if not surge:
                    delete.extend(x["metadata"]["name"] for x in running[1:])
                    continue
                if not running:
                    if run:
                        create.append(name)
                    continue
                delete.extend(self._surge_excess(ds, running, hash_))
            elif on_node:
                delete.extend(x["metadata"]["name"] for x in on_node if not p.is_terminating(x))
        present = {n["metadata"]["name"] for n in nodes}
        for node_name, on_node in by_node.items():
            if node_name not in present:  # getUnscheduledPodsWithoutNode
                delete.extend(x["metadata"]["name"] for x in on_node if not (x.get("spec") or {}).get("nodeName"))
        await self._sync_nodes(request, ds, delete, create, hash_)

    @staticmethod
    def _surge_excess(ds: Obj, running: list[Obj], hash_: str) -> list[str]:
        """With surge, two pods on a node only while the new one is not yet available."""
        newest: Obj | None = None
        oldest: Obj | None = None
        out: list[str] = []
        for pod in running:
            is_new = (pod["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL) == hash_
            if is_new and newest is None:
                newest = pod
            elif not is_new and oldest is None:
                oldest = pod
            else:
                out.append(pod["metadata"]["name"])
        if newest is not None and oldest is not None and (
                not p.is_ready(oldest) or p.is_available(newest, int(ds["spec"].get("minReadySeconds") or 0))):
            out.append(oldest["metadata"]["name"])
        return out

    @staticmethod
    def _allows_surge(ds: Obj) -> bool:
        strategy = ds["spec"].get("updateStrategy") or {}
        return strategy.get("type") == "RollingUpdate" and \
            scaled_value((strategy.get("rollingUpdate") or {}).get("maxSurge"), 100) > 0

    def _failed_backoff(self, ds: Obj, node: str) -> float:
        """Seconds left in the failed-pod backoff of this DaemonSet and node (0: go ahead, and back off more)."""
        key = (ds["metadata"].get("namespace") or "", ds["metadata"]["name"], node)
        now = time.monotonic()
        delay, last = self._backoff.get(key, (0.0, 0.0))
        if delay and now - last < delay:
            return delay - (now - last)
        first, limit = FAILED_BACKOFF
        self._backoff[key] = (min(delay * 2, limit) if delay else first, now)
        return 0.0

    async def _sync_nodes(self, request: Request, ds: Obj, delete: list[str], create: list[str], hash_: str) -> None:
        """``syncNodes``: create the pods (pinned to their nodes) and delete the others, as expected."""
        create, delete = create[:BURST_REPLICAS], list(dict.fromkeys(delete))[:BURST_REPLICAS]
        if not create and not delete:
            return
        exp = self._expectations.setdefault(request, _Expectations())
        exp.since = time.monotonic()
        template = mutable(ds["spec"]["template"])
        add_daemon_tolerations(template.setdefault("spec", {}))
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        generation = template_generation(ds)
        if generation is not None:
            labels[TEMPLATE_GENERATION_LABEL] = generation
        if hash_:
            labels[history.POD_REVISION_LABEL] = hash_
        ns = ds["metadata"].get("namespace")
        failure: errors.ApiError | None = None
        for node in create:
            pod = p.pod_from_template(template, ds)
            pin_to_node(pod["spec"], node)
            try:
                created = await self.client.create(pod)
            except errors.ApiError as e:
                if namespace_terminating(e):
                    continue  # every later create would fail too; the namespace is going away
                failure = failure or e
                await self.events.warning(ds, "FailedCreate", f"Error creating: {e.message}")
                continue
            exp.adds.add(created["metadata"]["name"])
            await self.events.normal(ds, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        for name in delete:
            try:
                await self.client.delete(p.POD, name, ns)
            except errors.NotFound:
                continue
            except errors.ApiError as e:
                failure = failure or e
                await self.events.warning(ds, "FailedDelete", f"Error deleting: {e.message}")
                continue
            exp.deletes.add(name)
            await self.events.normal(ds, "SuccessfulDelete", f"Deleted pod: {name}")
        if failure is not None:
            raise failure

    # -- rolling update -----------------------------------------------------------------------------

    async def _rolling_update(self, request: Request, ds: Obj, nodes: Sequence[Obj], hash_: str,
                              pods: Sequence[Obj]) -> None:
        """``rollingUpdate`` of kube's ``update.go``."""
        by_node = self._nodes_to_pods(pods)
        spec = daemon_pod_spec(ds)
        eligible = {n["metadata"]["name"]: n for n in nodes}
        desired = sum(1 for n in nodes if should_run(n, ds, spec)[0])
        rolling = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        max_surge = scaled_value(rolling.get("maxSurge"), desired)
        max_unavailable = scaled_value(rolling.get("maxUnavailable"), desired)
        if max_surge == 0 and max_unavailable == 0:
            max_unavailable = 1
        min_ready = int(ds["spec"].get("minReadySeconds") or 0)
        now = datetime.now(UTC)
        generation = template_generation(ds)

        def available(pod: Obj) -> bool:
            return p.is_available(pod, min_ready, now)

        def split(on_node: list[Obj]) -> tuple[Obj | None, Obj | None, bool]:
            """``findUpdatedPodsOnNode``: the node's new and old pod (not ok when more than one of either)."""
            new = old = None
            for pod in on_node:
                if p.is_terminating(pod):
                    continue
                if is_updated(pod, hash_, generation):
                    if new is not None:
                        return None, None, False
                    new = pod
                else:
                    if old is not None:
                        return None, None, False
                    old = pod
            return new, old, True

        if max_surge == 0:
            unavailable = 0
            replace: list[str] = []
            candidates: list[str] = []
            for on_node in by_node.values():
                new, old, ok = split(on_node)
                if not ok or (new is None) == (old is None):
                    unavailable += 1
                elif new is not None:
                    if not available(new):
                        unavailable += 1
                elif old is not None:
                    if not available(old):
                        replace.append(old["metadata"]["name"])
                        unavailable += 1
                    elif unavailable < max_unavailable:
                        candidates.append(old["metadata"]["name"])
            remaining = max(0, min(max_unavailable - unavailable, len(candidates)))
            await self._sync_nodes(request, ds, replace + candidates[:remaining], [], hash_)
            return

        to_delete: list[str] = []
        sunset: list[str] = []
        candidate_nodes: list[str] = []
        allowed_nodes: list[str] = []
        surged = 0
        available_count = 0
        for node_name, on_node in by_node.items():
            new, old, ok = split(on_node)
            if not ok:
                surged += 1
                continue
            if old is not None:
                available_count += available(old)
            elif new is not None:
                available_count += available(new)
            if old is None:
                continue
            node = eligible.get(node_name)
            runs = node is not None and should_run(node, ds, spec)[0]
            if new is None:
                if not available(old):
                    if not runs:
                        to_delete.append(old["metadata"]["name"])
                        continue
                    allowed_nodes.append(node_name)
                else:
                    if not runs:
                        sunset.append(old["metadata"]["name"])
                        continue
                    if surged >= max_surge:
                        continue
                    candidate_nodes.append(node_name)
            else:
                if not available(new):
                    surged += 1
                    continue
                to_delete.append(old["metadata"]["name"])
        deletable = available_count - desired
        if deletable > 0:
            to_delete.extend(sunset[:deletable])
        remaining = max(0, min(max_surge - surged, len(candidate_nodes)))
        await self._sync_nodes(request, ds, to_delete, allowed_nodes + candidate_nodes[:remaining], hash_)

    # -- status -------------------------------------------------------------------------------------

    async def _status(self, ds: Obj, nodes: Sequence[Obj], hash_: str, pods: Sequence[Obj], *,
                      observed: bool) -> Result | None:
        """``updateDaemonSetStatus``: count, write when changed, look again when pods become available."""
        live = [x for x in pods if not p.is_terminating(x)] if pods else []
        by_node = self._nodes_to_pods(live)
        spec = daemon_pod_spec(ds)
        min_ready = int(ds["spec"].get("minReadySeconds") or 0)
        generation = template_generation(ds)
        now = datetime.now(UTC)
        desired = current = misscheduled = ready = available = updated = 0
        for node in nodes:
            run, _ = should_run(node, ds, spec)
            on_node = sorted(by_node.get(node["metadata"]["name"], []), key=_by_age)
            if not run:
                misscheduled += bool(on_node)
                continue
            desired += 1
            if not on_node:
                continue
            current += 1
            pod = on_node[0]
            if p.is_ready(pod):
                ready += 1
                available += p.is_available(pod, min_ready, now)
            updated += is_updated(pod, hash_, generation)
        old: Obj = dict(ds.get("status") or {})
        status: Obj = {"currentNumberScheduled": current, "numberMisscheduled": misscheduled,
                       "desiredNumberScheduled": desired, "numberReady": ready}
        generation_seen = ds["metadata"].get("generation") if observed else old.get("observedGeneration")
        if generation_seen:
            status["observedGeneration"] = generation_seen
        for key, value in (("updatedNumberScheduled", updated), ("numberAvailable", available),
                           ("numberUnavailable", desired - available)):
            if value:
                status[key] = value
        for key in ("collisionCount", "conditions"):
            if key in old:
                status[key] = old[key]
        if status != old:
            meta = ds["metadata"]
            try:
                await self.client.patch(DAEMON_SET, meta["name"],
                                        [{"op": "replace", "path": "/status", "value": status}],
                                        meta.get("namespace"), type=PatchType.JSON, subresource="status")
            except errors.NotFound:
                return None
        if min_ready > 0 and ready != available:
            return Result(requeue_after=float(min_ready))
        return None


def _conditions(node: Obj) -> dict[str, str]:
    return {str(c.get("type")): str(c.get("status")) for c in (node.get("status") or {}).get("conditions") or ()}


def _same_but_heartbeats(old: Obj, new: Obj) -> bool:
    """``shouldIgnoreNodeUpdate``: the same node but for its resourceVersion and its conditions'
    times (their types and statuses unchanged)."""
    if _conditions(old) != _conditions(new):
        return False

    def rest(node: Obj) -> Obj:
        meta = {k: v for k, v in node["metadata"].items() if k not in ("resourceVersion", "managedFields")}
        status = {k: v for k, v in (node.get("status") or {}).items() if k != "conditions"}
        return {**node, "metadata": meta, "status": status}

    return rest(old) == rest(new)


def _owner_index(obj: Obj) -> list[str]:
    return list(by_owner_uid(obj))


def add_daemonset_controller(manager: Manager, client: InProcessClient) -> Any:
    """The DaemonSet controller, on ``manager``, writing through ``client``; every node event
    looks at every DaemonSet again."""
    manager.cache.informer(p.POD, indexers={OWNER_UID: _owner_index})

    def all_daemon_sets(_node: Obj) -> list[Request]:
        return [Request(d["metadata"].get("namespace") or "", d["metadata"]["name"])
                for d in manager.cache.list(DAEMON_SET)]

    def orphan_to_daemon_sets(pod: Obj) -> list[Request]:
        """An orphan pod wakes the DaemonSets of its namespace whose selector fits it (to adopt it)."""
        if p.controller_uid(pod) is not None:
            return []
        ns = pod["metadata"].get("namespace") or ""
        out = []
        for d in manager.cache.list(DAEMON_SET, ns):
            try:
                if labelsel.from_label_selector(d["spec"].get("selector")).matches(pod["metadata"].get("labels")):
                    out.append(Request(ns, d["metadata"]["name"]))
            except labelsel.SelectorError:
                continue
        return out

    def node_matters(old: Obj, new: Obj) -> bool:
        """``updateNode``: a node update counts when a DaemonSet's verdict on the node changes
        (heartbeats and other status noise do not)."""
        if _same_but_heartbeats(old, new):
            return False
        return any(should_run(old, d) != should_run(new, d) for d in manager.cache.list(DAEMON_SET))

    return (Builder(manager)
            .named("daemonset")
            .for_(DAEMON_SET)
            .owns(p.POD)
            .watches(p.POD, orphan_to_daemon_sets)
            .owns(history.CONTROLLER_REVISION)
            .with_options(max_concurrent_reconciles=2)  # kube-controller-manager's --concurrent-*-syncs
            .watches(NODE, all_daemon_sets, Funcs(update=node_matters, name="daemon-verdict-changed"))
            .complete(DaemonSetReconciler(manager, client)))
