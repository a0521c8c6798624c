"""The ReplicaSet controller: as many pods as ``spec.replicas`` says, and a status that counts them.

As kube-controller-manager's (``pkg/controller/replicaset/replica_set.go``):

* a pod event enqueues its controlling ReplicaSet (an orphan: every ReplicaSet whose selector
  matches it) and settles the ReplicaSet's expectations (a creation or a deletion seen);
* a sync claims the namespace's active pods (adopts orphans the selector matches, releases
  owned pods it no longer matches) -- found through two indexes of the shared pod cache, the
  pods it owns and the namespace's orphans, not by a walk over every pod of the namespace --, then -- only when its expectations are satisfied, so it never
  acts twice on a cache that lags its own writes -- creates the missing pods in slow-start
  batches (1, 2, 4, ...; at most 500 a sync) from the template (``generateName: <rs>-``,
  an ownerReference with ``controller`` and ``blockOwnerDeletion``) or deletes the surplus,
  unscheduled/pending/not-ready first (:func:`~setpoint.controllers.pods.deletion_order`);
* the status counts ``replicas``, ``fullyLabeledReplicas``, ``readyReplicas``,
  ``availableReplicas`` (ready for ``minReadySeconds``) and ``observedGeneration``; a failed
  create or delete sets the ``ReplicaFailure`` condition until a sync succeeds;
* Events ``SuccessfulCreate``, ``SuccessfulDelete``, ``FailedCreate``, ``FailedDelete``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from setpoint.apimachinery.clock import now_rfc3339
from setpoint.apimachinery.types import Obj
from setpoint.controllers.eventlimit import LimitedRecorder
from setpoint.controllers.expectations import Expectations
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.ownwrites import OwnWrites
from setpoint.controllers.pods import (
    controller_of,
    deletion_order,
    is_active,
    is_available,
    is_ready,
    ready_condition,
)
from setpoint.controllers.serviceaccount import namespace_terminating
from setpoint.runtime import errors
from setpoint.runtime import labels as labelsel
from setpoint.runtime.builder import Builder
from setpoint.runtime.client import PatchType
from setpoint.runtime.informer import FuncHandler
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind
from setpoint.runtime.store import OWNER_UID, by_owner_uid

log = logging.getLogger(__name__)

REPLICA_SET = Kind("apps/v1", "ReplicaSet")
POD = Kind("v1", "Pod")
#: ``BurstReplicas``: the most pods one sync creates or deletes.
BURST_REPLICAS = 500
#: How long a pod's status change waits for others before its ReplicaSet counts them (seconds),
#: for every :data:`STATUS_SYNC_PODS` pods the ReplicaSet had at its last sync (a sync counts them
#: all, so a large one gathers longer), and at most :data:`STATUS_SYNC_MAX_DELAY`.
STATUS_SYNC_DELAY = 0.05
STATUS_SYNC_PODS = 500
STATUS_SYNC_MAX_DELAY = 1.0
#: The pod cache's index of the pods with no controller, by namespace.
ORPHANS = "orphans-by-namespace"
#: ``ConcurrentRSSyncs``.
WORKERS = 5


@functools.lru_cache(maxsize=4096)
def _compiled_selector(text: bytes) -> labelsel.Selector:
    return labelsel.from_label_selector(orjson.loads(text))


def selector_of(obj: Obj) -> labelsel.Selector | None:
    """The object's ``spec.selector`` compiled (cached by its content); None when invalid or empty
    (kube: an empty selector selects nothing here)."""
    selector = (obj.get("spec") or {}).get("selector")
    if not selector:
        return None
    try:
        return _compiled_selector(orjson.dumps(selector, option=orjson.OPT_SORT_KEYS))
    except ValueError:
        return None


def owner_ref(owner: Obj) -> dict[str, Any]:
    """``metav1.NewControllerRef``."""
    meta = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def pod_key(pod: Obj) -> str:
    meta = pod["metadata"]
    return f"{meta.get('namespace')}/{meta['name']}"


async def slow_start_batch(count: int, fn: Callable[[], Awaitable[None]]) -> tuple[int, BaseException | None]:
    """``slowStartBatch``: call ``fn`` ``count`` times in batches of 1, 2, 4, ... running each batch
    concurrently; stop after a batch with a failure. Returns (successes, the first error)."""
    done, batch = 0, 1
    while done < count:
        n = min(batch, count - done)
        results = await asyncio.gather(*(fn() for _ in range(n)), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        done += n - len(failures)
        if failures:
            return done, failures[0]
        batch *= 2
    return done, None


class ControllerRefManager:
    """``PodControllerRefManager.ClaimPods``: which pods an owner controls, adopting and releasing."""

    def __init__(self, client: InProcessClient, owner: Obj, selector: labelsel.Selector,
                 owner_kind: Kind) -> None:
        self.client = client
        self.owner = owner
        self.selector = selector
        self.owner_kind = owner_kind
        self._can_adopt: bool | None = None

    async def can_adopt(self) -> bool:
        """``RecheckDeletionTimestamp``: the owner, read fresh, is the same one and not being deleted."""
        if self._can_adopt is None:
            meta = self.owner["metadata"]
            try:
                fresh = await self.client.get(self.owner_kind, meta["name"], meta.get("namespace"))
            except errors.NotFound:
                fresh = None
            self._can_adopt = fresh is not None and fresh["metadata"].get("uid") == meta["uid"] \
                and not fresh["metadata"].get("deletionTimestamp")
        return self._can_adopt

    async def claim(self, kind: Kind, objs: Sequence[Obj]) -> list[Obj]:
        """The objects the owner keeps: its own that match, plus the orphans it adopted."""
        uid = self.owner["metadata"]["uid"]
        owner_deleting = bool(self.owner["metadata"].get("deletionTimestamp"))
        out: list[Obj] = []
        for obj in objs:
            ref = controller_of(obj)
            meta = obj["metadata"]
            matches = self.selector.matches(meta.get("labels"))
            if ref is not None:
                if ref.get("uid") != uid:
                    continue
                if matches:
                    out.append(obj)
                    continue
                if owner_deleting or meta.get("deletionTimestamp"):
                    continue
                await self._release(kind, obj)
                continue
            if owner_deleting or not matches or meta.get("deletionTimestamp"):
                continue
            if not await self.can_adopt():
                continue
            adopted = await self._adopt(kind, obj)
            if adopted is not None:
                out.append(adopted)
        return out

    async def _adopt(self, kind: Kind, obj: Obj) -> Obj | None:
        meta = obj["metadata"]
        patch = {"metadata": {"ownerReferences": [owner_ref(self.owner)], "uid": meta["uid"]}}
        try:
            return await self.client.patch(kind, meta["name"], patch, meta.get("namespace"),
                                           type=PatchType.STRATEGIC)
        except (errors.NotFound, errors.Conflict, errors.Invalid):
            return None  # gone, replaced, or being deleted: not ours to take

    async def _release(self, kind: Kind, obj: Obj) -> None:
        meta = obj["metadata"]
        patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": self.owner["metadata"]["uid"]}],
                              "uid": meta["uid"]}}
        try:
            await self.client.patch(kind, meta["name"], patch, meta.get("namespace"), type=PatchType.STRATEGIC)
        except (errors.NotFound, errors.Conflict, errors.Invalid):
            pass  # gone or replaced: nothing left to release


def pod_from_template(template: Mapping[str, Any], owner: Obj) -> dict[str, Any]:
    """``GetPodFromTemplate``: a pod for ``owner`` (generateName ``<owner>-``, its controller reference)."""
    tmeta = template.get("metadata") or {}
    meta: dict[str, Any] = {"generateName": owner["metadata"]["name"] + "-",
                            "namespace": owner["metadata"]["namespace"],
                            "ownerReferences": [owner_ref(owner)]}
    for key in ("labels", "annotations", "finalizers"):
        if tmeta.get(key):
            meta[key] = tmeta[key]
    pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                           "spec": template.get("spec") or {}}
    return pod


class ReplicaSetReconciler:
    """Syncs one ReplicaSet (``syncReplicaSet``); see the module docstring."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client
        self.expectations = Expectations()
        self.own_writes = OwnWrites()
        self.sizes: dict[str, int] = {}
        #: Of each ReplicaSet, how many more of its pods must become ready for all it wants to be,
        #: as its last sync counted and the pods' updates since tell.
        self.awaited_ready: dict[str, int] = {}
        self.recorder = LimitedRecorder(client, "replicaset-controller")
        self.enqueue: Callable[[Request], None] = lambda _: None
        self.enqueue_after: Callable[[Request, float], None] = lambda _r, _d: None

    # -- pod events (the informer's handlers) ----------------------------------------------------

    def _resolve(self, namespace: str, ref: Mapping[str, Any]) -> Obj | None:
        """``resolveControllerRef``: the ReplicaSet a controller reference names, if it is that one."""
        if ref.get("kind") != "ReplicaSet" or not str(ref.get("apiVersion", "")).startswith("apps/"):
            return None
        rs = self.cache.get(REPLICA_SET, ref["name"], namespace)
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return None
        return rs

    def _orphan_owners(self, pod: Obj) -> list[Request]:
        """``getPodReplicaSets``: the ReplicaSets whose selector matches an orphan."""
        ns = pod["metadata"].get("namespace") or ""
        labels = pod["metadata"].get("labels")
        if not labels:
            return []
        out = []
        for rs in self.cache.list(REPLICA_SET, ns):
            sel = selector_of(rs)
            if sel is not None and sel.matches(labels):
                out.append(Request(ns, rs["metadata"]["name"]))
        return out

    def on_pod_add(self, pod: Obj) -> None:
        meta = pod["metadata"]
        if meta.get("deletionTimestamp"):
            self.on_pod_delete(pod)
            return
        ns = meta.get("namespace") or ""
        ref = controller_of(pod)
        if ref is not None:
            rs = self._resolve(ns, ref)
            if rs is not None:
                self.expectations.creation_observed(f"{ns}/{rs['metadata']['name']}")
                self.enqueue(Request(ns, rs["metadata"]["name"]))
            return
        for req in self._orphan_owners(pod):
            self.enqueue(req)

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        ns = new["metadata"].get("namespace") or ""
        labels_changed = old["metadata"].get("labels") != new["metadata"].get("labels")
        if new["metadata"].get("deletionTimestamp"):
            self.on_pod_delete(new)
            if labels_changed:
                self.on_pod_delete(old)
            return
        cur, prev = controller_of(new), controller_of(old)
        if prev is not None and (cur is None or cur.get("uid") != prev.get("uid")):
            rs = self._resolve(ns, prev)
            if rs is not None:
                self.enqueue(Request(ns, rs["metadata"]["name"]))
        if cur is not None:
            rs = self._resolve(ns, cur)
            if rs is not None:
                req = Request(ns, rs["metadata"]["name"])
                if prev is not None and not labels_changed:
                    # Its status or node moved: only the counts can change. Such updates come
                    # in bursts (a fleet binding and starting hundreds of pods a second), and
                    # each sync counts every pod: they are gathered into one sync per window --
                    # unless this one may be the last pod it waited for to become ready.
                    key = f"{ns}/{req.name}"
                    if not is_ready(old) and is_ready(new) and self._became_ready(key):
                        self.enqueue(req)
                    else:
                        self.enqueue_after(req, self.status_sync_delay(key))
                else:
                    self.enqueue(req)
                ready_seconds = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
                if ready_seconds > 0 and not is_ready(old) and is_ready(new):
                    self.enqueue_after(req, ready_seconds + 1.0)
            return
        if labels_changed or prev is not None:
            for req in self._orphan_owners(new):
                self.enqueue(req)

    def _became_ready(self, key: str) -> bool:
        """One more pod of ``key`` is ready: whether it may have been the last one awaited."""
        left = self.awaited_ready.get(key)
        if left is None:
            return False
        self.awaited_ready[key] = left - 1
        return left <= 1

    def status_sync_delay(self, key: str) -> float:
        """How long pods' status changes are gathered before the ReplicaSet ``key`` counts them."""
        return min(STATUS_SYNC_DELAY * max(1.0, self.sizes.get(key, 0) / STATUS_SYNC_PODS), STATUS_SYNC_MAX_DELAY)

    def on_pod_delete(self, pod: Obj) -> None:
        ns = pod["metadata"].get("namespace") or ""
        ref = controller_of(pod)
        if ref is None:
            return
        rs = self._resolve(ns, ref)
        if rs is None:
            return
        key = f"{ns}/{rs['metadata']['name']}"
        self.expectations.deletion_observed(key, pod_key(pod))
        self.enqueue(Request(ns, rs["metadata"]["name"]))

    # -- sync --------------------------------------------------------------------------------------

    async def reconcile(self, request: Request) -> Result | None:
        key = f"{request.namespace}/{request.name}"
        rs = self.cache.get(REPLICA_SET, request.name, request.namespace)
        if rs is None:
            self.expectations.forget(key)
            self.sizes.pop(key, None)
            self.awaited_ready.pop(key, None)
            return None
        selector = selector_of(rs)
        if selector is None:
            return None  # kube: "Error converting pod selector to selector", not retried
        needs_sync = self.expectations.satisfied(key)
        active = [p for p in self._candidates(rs) if is_active(p)]
        claimed = await ControllerRefManager(self.client, rs, selector, REPLICA_SET).claim(POD, active)
        self.sizes[key] = len(claimed)
        manage_error: Exception | None = None
        diff = 0
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            diff = len(claimed) - int(rs["spec"].get("replicas", 1))
            try:
                await self.manage_replicas(claimed, rs, key, diff)
            except errors.ApiError as e:
                manage_error = e
        status = calculate_status(rs, claimed, manage_error, diff)
        self.awaited_ready[key] = int(rs["spec"].get("replicas", 1)) - int(status.get("readyReplicas") or 0)
        await self.update_status(rs, status)
        if manage_error is not None:
            raise manage_error
        ready_seconds = int(rs["spec"].get("minReadySeconds") or 0)
        if ready_seconds > 0 and status["readyReplicas"] == status["replicas"] \
                and status["availableReplicas"] != status["replicas"]:
            return Result(requeue_after=float(ready_seconds))
        return None

    async def manage_replicas(self, pods: list[Obj], rs: Obj, key: str, diff: int) -> None:
        """``manageReplicas``: create the missing pods or delete the surplus."""
        if diff < 0:
            n = min(-diff, BURST_REPLICAS)
            self.expectations.expect_creations(key, n)
            template = rs["spec"].get("template") or {}

            async def create() -> None:
                body = pod_from_template(template, rs)
                try:
                    pod = await self.client.create(body)
                except errors.ApiError as e:
                    if namespace_terminating(e):
                        return  # kube: neither an Event nor a failure
                    self.recorder.warning(rs, "FailedCreate", f"Error creating: {e.message}")
                    raise
                self.recorder.normal(rs, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

            created, err = await slow_start_batch(n, create)
            for _ in range(n - created):
                self.expectations.creation_observed(key)
            if err is not None:
                raise err
        elif diff > 0:
            n = min(diff, BURST_REPLICAS)
            related = self._related_pods(rs)
            doomed = deletion_order(pods, related)[:n]
            self.expectations.expect_deletions(key, [pod_key(p) for p in doomed])

            async def delete(pod: Obj) -> None:
                meta = pod["metadata"]
                try:
                    await self.client.delete(POD, meta["name"], meta.get("namespace"))
                except errors.NotFound:
                    self.expectations.deletion_observed(key, pod_key(pod))
                    return
                except errors.ApiError as e:
                    self.expectations.deletion_observed(key, pod_key(pod))
                    self.recorder.warning(rs, "FailedDelete", f"Error deleting: {e.message}")
                    raise
                self.recorder.normal(rs, "SuccessfulDelete", f"Deleted pod: {meta['name']}")

            results = await asyncio.gather(*(delete(p) for p in doomed), return_exceptions=True)
            for r in results:
                if isinstance(r, BaseException):
                    raise r

    def _candidates(self, rs: Obj) -> list[Obj]:
        """The pods a sync may claim: those the ReplicaSet owns and the namespace's orphans
        (pods controlled by anything else it never touches)."""
        meta = rs["metadata"]
        ns, uid = meta["namespace"], meta["uid"]
        owned = [p for p in self.cache.by_index(POD, OWNER_UID, uid) if p["metadata"].get("namespace") == ns]
        orphans = self.cache.by_index(POD, ORPHANS, ns)
        if not orphans:
            return owned
        seen = {id(p) for p in owned}
        return [*owned, *(p for p in orphans if id(p) not in seen)]

    def _related_pods(self, rs: Obj) -> list[Obj]:
        """``getIndirectlyRelatedPods``: the pods of every ReplicaSet with the same controller."""
        ref = controller_of(rs)
        ns = rs["metadata"]["namespace"]
        if ref is None:
            owners = {rs["metadata"]["uid"]}
        else:
            owners = {r["metadata"]["uid"] for r in self.cache.list(REPLICA_SET, ns)
                      if (c := controller_of(r)) is not None and c.get("uid") == ref.get("uid")}
        return [p for uid in owners for p in self.cache.by_index(POD, OWNER_UID, uid)
                if p["metadata"].get("namespace") == ns and (c := controller_of(p)) is not None and c.get("uid") == uid]

    async def update_status(self, rs: Obj, status: dict[str, Any]) -> None:
        """``updateReplicaSetStatus``: write the status when it (or the generation it describes) moved."""
        current = rs.get("status") or {}
        generation = rs["metadata"].get("generation")
        status["observedGeneration"] = generation
        if all(current.get(k, 0 if k != "conditions" else None) == status.get(k)
               for k in ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                         "observedGeneration")) and current.get("conditions") == status.get("conditions"):
            return
        body = {k: v for k, v in status.items() if v is not None and (v != 0 or k == "replicas")}
        patch = {"status": {k: body.get(k) for k in (*STATUS_FIELDS, "conditions")}}
        try:
            self.own_writes.wrote(await self.client.patch(REPLICA_SET, rs["metadata"]["name"], patch,
                                                          rs["metadata"]["namespace"], subresource="status"))
        except errors.NotFound:
            pass


STATUS_FIELDS = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration")



def calculate_status(rs: Obj, pods: Sequence[Obj], manage_error: Exception | None, diff: int) -> dict[str, Any]:
    """``calculateStatus``: the counts, and the ``ReplicaFailure`` condition."""
    template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    ready_seconds = int(rs["spec"].get("minReadySeconds") or 0)
    now = time.time()
    at = datetime.fromtimestamp(now, UTC)
    wanted = template_labels.items()
    fully = ready = available = 0
    for pod in pods:
        labels = pod["metadata"].get("labels") or {}
        if wanted <= labels.items():
            fully += 1
        c = ready_condition(pod)
        if c is not None and c.get("status") == "True":
            ready += 1
            if ready_seconds <= 0 or is_available(pod, ready_seconds, at):
                available += 1
    conditions = [dict(c) for c in (rs.get("status") or {}).get("conditions") or ()]
    failure = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
    if manage_error is not None and failure is None:
        reason = "FailedCreate" if diff < 0 else "FailedDelete"
        message = manage_error.message if isinstance(manage_error, errors.ApiError) else str(manage_error)
        conditions.append({"type": "ReplicaFailure", "status": "True", "lastTransitionTime": now_rfc3339(),
                           "reason": reason, "message": message})
    elif manage_error is None and failure is not None:
        conditions.remove(failure)
    return {"replicas": len(pods), "fullyLabeledReplicas": fully, "readyReplicas": ready,
            "availableReplicas": available, "conditions": conditions or None}


def orphans_by_namespace(obj: Obj) -> tuple[str, ...]:
    """The :data:`ORPHANS` index: the namespace of an object no controller owns."""
    return (str(obj["metadata"].get("namespace") or ""),) if controller_of(obj) is None else ()


def add_replicaset_controller(manager: Manager, client: InProcessClient) -> None:
    """The ReplicaSet controller, on ``manager``, writing through ``client``."""
    manager.cache.informer(POD, indexers={OWNER_UID: by_owner_uid, ORPHANS: orphans_by_namespace})
    reconciler = ReplicaSetReconciler(manager, client)
    controller = (Builder(manager)
                  .named("replicaset")
                  .for_(REPLICA_SET, reconciler.own_writes.not_echo())
                  .watches(POD, lambda _pod: ())
                  .with_options(max_concurrent_reconciles=WORKERS)
                  .complete(reconciler))
    reconciler.enqueue = lambda req: controller.queue.add(req)
    reconciler.enqueue_after = lambda req, delay: controller.queue.add_after(req, delay)
    manager.cache.informer(POD).add_handler(FuncHandler(reconciler.on_pod_add, reconciler.on_pod_update,
                                                        reconciler.on_pod_delete))
