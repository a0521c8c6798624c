"""The Deployment controller: ReplicaSets rolled from one pod template to the next.

As kube-controller-manager's (``pkg/controller/deployment``: ``deployment_controller.go``,
``sync.go``, ``rolling.go``, ``recreate.go``, ``progress.go``):

* a Deployment claims the ReplicaSets its selector matches (adopting orphans, releasing the ones
  it no longer matches); the one whose template is the Deployment's (ignoring the
  ``pod-template-hash`` label) is the new ReplicaSet, the others are old;
* the new ReplicaSet is ``<deployment>-<hash>``, its selector, labels and template labelled
  ``pod-template-hash``; it carries the ``deployment.kubernetes.io/revision`` (one more than the
  old ones'; a ReplicaSet rolled back to gets a new revision and keeps its old ones in
  ``revision-history``), ``desired-replicas`` and ``max-replicas`` annotations and the
  Deployment's own annotations;
* ``RollingUpdate`` scales the new ReplicaSet up within ``replicas + maxSurge`` and old ones down
  while ``replicas - maxUnavailable`` stay available (unhealthy old replicas first);
  ``Recreate`` scales old ones to zero and waits for their pods before scaling the new one up;
* a change of ``replicas`` alone (or a paused Deployment) scales every active ReplicaSet
  proportionally instead of rolling;
* old ReplicaSets beyond ``revisionHistoryLimit`` are deleted once scaled to zero;
* the status counts the ReplicaSets' pods, with the ``Available`` (MinimumReplicasAvailable /
  MinimumReplicasUnavailable), ``Progressing`` (NewReplicaSetCreated, FoundNewReplicaSet,
  ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused,
  DeploymentResumed) and ``ReplicaFailure`` conditions; a rollout that stops progressing for
  ``progressDeadlineSeconds`` is marked ProgressDeadlineExceeded;
* Events ``ScalingReplicaSet`` ("Scaled up replica set web-abc12 from 0 to 3").

Rolling back (``kubectl rollout undo``) is done by the client for ``apps/v1``: it copies an old
ReplicaSet's template into the Deployment, which then finds that ReplicaSet as its new one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.controllers import deployutil as du
from setpoint.controllers.eventlimit import LimitedRecorder
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.pods import controller_of, timestamp
from setpoint.controllers.replicaset import ControllerRefManager, owner_ref, selector_of
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.cache import Cache
from setpoint.runtime.manager import Manager
from setpoint.runtime.objects import mutable
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

log = logging.getLogger(__name__)

DEPLOYMENT = Kind("apps/v1", "Deployment")
REPLICA_SET = Kind("apps/v1", "ReplicaSet")
POD = Kind("v1", "Pod")
#: ``ConcurrentDeploymentSyncs``.
WORKERS = 5
_STATUS_ORDER = ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                 "unavailableReplicas", "conditions", "collisionCount")


class _InvalidScaleDown(Exception):
    """A scale-down computed from a status ahead of the spec would scale up (kube refuses it too)."""


class DeploymentReconciler:
    """Syncs one Deployment (``syncDeployment``); see the module docstring."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache: Cache = manager.cache
        self.client = client
        self.recorder = LimitedRecorder(client, "deployment-controller")

    # -- event mapping -----------------------------------------------------------------------------

    def _resolve(self, namespace: str, ref: Mapping[str, Any]) -> Obj | None:
        if ref.get("kind") != "Deployment" or not str(ref.get("apiVersion", "")).startswith("apps/"):
            return None
        d = self.cache.get(DEPLOYMENT, ref["name"], namespace)
        if d is None or d["metadata"].get("uid") != ref.get("uid"):
            return None
        return d

    def deployments_of_replica_set(self, rs: Obj) -> list[Request]:
        """The controlling Deployment, or (an orphan) every Deployment whose selector matches it."""
        ns = rs["metadata"].get("namespace") or ""
        ref = controller_of(rs)
        if ref is not None:
            d = self._resolve(ns, ref)
            return [Request(ns, d["metadata"]["name"])] if d is not None else []
        labels = rs["metadata"].get("labels")
        if not labels:
            return []
        return [Request(ns, d["metadata"]["name"]) for d in self.cache.list(DEPLOYMENT, ns)
                if (sel := selector_of(d)) is not None and sel.matches(labels)]

    def deployment_of_pod(self, pod: Obj) -> list[Request]:
        """A deleted pod of a Recreate Deployment's ReplicaSet wakes the Deployment (``deletePod``)."""
        ns = pod["metadata"].get("namespace") or ""
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return []
        rs = self.cache.get(REPLICA_SET, ref["name"], ns)
        if rs is None:
            return []
        out = []
        for req in self.deployments_of_replica_set(rs):
            d = self.cache.get(DEPLOYMENT, req.name, ns)
            if d is not None and not du.is_rolling(d):
                out.append(req)
        return out

    # -- sync --------------------------------------------------------------------------------------

    async def reconcile(self, request: Request) -> Result | None:
        cached = self.cache.get(DEPLOYMENT, request.name, request.namespace)
        if cached is None:
            return None
        d = mutable(cached)
        d.setdefault("status", {})
        selector = selector_of(d)
        if selector is None:
            self.recorder.warning(d, "SelectingAll",
                                  "This deployment is selecting all pods. A non-empty selector is required.")
            if int(d["status"].get("observedGeneration") or 0) < int(d["metadata"].get("generation") or 0):
                d["status"]["observedGeneration"] = d["metadata"].get("generation")
                await self._write_status(cached, d["status"])
            return None
        rs_list = await ControllerRefManager(self.client, d, selector, DEPLOYMENT).claim(
            REPLICA_SET, self.cache.list(REPLICA_SET, request.namespace))
        if d["metadata"].get("deletionTimestamp"):
            return await self.sync_status_only(d, rs_list)
        d = await self.check_paused_conditions(d)
        if d["spec"].get("paused"):
            return await self.sync(d, rs_list)
        if await self.is_scaling_event(d, rs_list):
            return await self.sync(d, rs_list)
        if du.is_rolling(d):
            return await self.rollout_rolling(d, rs_list)
        return await self.rollout_recreate(d, rs_list)

    async def sync_status_only(self, d: dict[str, Any], rs_list: list[Obj]) -> Result | None:
        new_rs, old_rss = await self.get_all_replica_sets(d, rs_list, False)
        await self.sync_deployment_status([*old_rss, new_rs], new_rs, d)
        return None

    async def sync(self, d: dict[str, Any], rs_list: list[Obj]) -> Result | None:
        """``sync``: scaling (or a paused Deployment) -- no rollout."""
        new_rs, old_rss = await self.get_all_replica_sets(d, rs_list, False)
        await self.scale(d, new_rs, old_rss)
        if d["spec"].get("paused"):
            await self.cleanup(old_rss, d)
        await self.sync_deployment_status([*old_rss, new_rs], new_rs, d)
        return None

    async def is_scaling_event(self, d: dict[str, Any], rs_list: list[Obj]) -> bool:
        new_rs, old_rss = await self.get_all_replica_sets(d, rs_list, False)
        for rs in du.active([*old_rss, new_rs]):
            desired = du.desired_replicas_annotation(rs)
            if desired is not None and desired != du.replicas(d):
                return True
        return False

    async def check_paused_conditions(self, d: dict[str, Any]) -> dict[str, Any]:
        if not du.has_progress_deadline(d):
            return d
        cond = du.get_condition(d["status"], du.PROGRESSING)
        if cond is not None and cond.get("reason") == du.TIMED_OUT_REASON:
            return d
        paused_exists = cond is not None and cond.get("reason") == du.PAUSED_REASON
        paused = bool(d["spec"].get("paused"))
        if paused and not paused_exists:
            du.set_condition(d["status"], du.new_condition(du.PROGRESSING, "Unknown", du.PAUSED_REASON,
                                                           "Deployment is paused"))
        elif not paused and paused_exists:
            du.set_condition(d["status"], du.new_condition(du.PROGRESSING, "Unknown", du.RESUMED_REASON,
                                                           "Deployment is resumed"))
        else:
            return d
        return await self._update_status(d)

    # -- the new and old ReplicaSets ---------------------------------------------------------------

    async def get_all_replica_sets(self, d: dict[str, Any], rs_list: list[Obj],
                                   create: bool) -> tuple[Obj | None, list[Obj]]:
        """``getAllReplicaSetsAndSyncRevision``."""
        existing = du.find_new(d, rs_list)
        old = [rs for rs in rs_list if existing is None or rs["metadata"]["uid"] != existing["metadata"]["uid"]]
        new_rs = await self.get_new_replica_set(d, rs_list, old, existing, create)
        return new_rs, old

    async def get_new_replica_set(self, d: dict[str, Any], rs_list: list[Obj], old_rss: list[Obj],
                                  existing: Obj | None, create: bool) -> Obj | None:
        """``getNewReplicaSet``: the new ReplicaSet with its annotations up to date, created if asked."""
        new_revision = str(du.max_revision(old_rss) + 1)
        if existing is not None:
            rs = mutable(existing)
            changed = du.set_new_rs_annotations(d, rs, new_revision, True)
            ready_seconds = d["spec"].get("minReadySeconds") or 0
            if changed or (rs["spec"].get("minReadySeconds") or 0) != ready_seconds:
                rs["spec"]["minReadySeconds"] = ready_seconds
                return await self.client.update(rs)
            needs_update = self._set_revision(d, du.annotations_of(rs).get(du.REVISION, ""))
            if du.has_progress_deadline(d) and du.get_condition(d["status"], du.PROGRESSING) is None:
                du.set_condition(d["status"], du.new_condition(
                    du.PROGRESSING, "True", du.FOUND_NEW_RS_REASON, f'Found new replica set "{rs["metadata"]["name"]}"'))
                needs_update = True
            if needs_update:
                d.update(await self._update_status(d))
            return existing
        if not create:
            return None
        template = mutable(d["spec"]["template"])
        pod_hash = du.compute_hash(template, d["status"].get("collisionCount"))
        tmeta = template.setdefault("metadata", {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), du.HASH_LABEL: pod_hash}
        selector = mutable(d["spec"]["selector"])
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), du.HASH_LABEL: pod_hash}
        name = f"{d['metadata']['name']}-{pod_hash}"
        new_rs: dict[str, Any] = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": d["metadata"]["namespace"],
                         "ownerReferences": [owner_ref(d)], "labels": dict(tmeta["labels"])},
            "spec": {"replicas": 0, "minReadySeconds": d["spec"].get("minReadySeconds") or 0,
                     "selector": selector, "template": template}}
        new_rs["spec"]["replicas"] = du.new_rs_new_replicas(d, [*old_rss, new_rs], new_rs)
        du.set_new_rs_annotations(d, new_rs, new_revision, False)
        already_exists = False
        try:
            created = await self.client.create(new_rs)
        except errors.AlreadyExists:
            found = self.cache.get(REPLICA_SET, name, d["metadata"]["namespace"])
            ref = controller_of(found) if found is not None else None
            if found is not None and ref is not None and ref.get("uid") == d["metadata"]["uid"] \
                    and du.without_hash(found["spec"].get("template")) == du.without_hash(d["spec"]["template"]):
                created, already_exists = found, True
            else:
                # a hash collision: count it, so the next hash differs
                d["status"]["collisionCount"] = int(d["status"].get("collisionCount") or 0) + 1
                await self._update_status(d)
                raise
        except errors.ApiError as e:
            msg = f'Failed to create new replica set "{name}": {e.message}'
            if du.has_progress_deadline(d):
                du.set_condition(d["status"], du.new_condition(du.PROGRESSING, "False",
                                                               du.FAILED_RS_CREATE_REASON, msg))
                await self._update_status(d)
            self.recorder.warning(d, du.FAILED_RS_CREATE_REASON, msg)
            raise
        count = du.replicas(new_rs)
        if not already_exists and count > 0:
            self.recorder.normal(d, "ScalingReplicaSet",
                                 f"Scaled up replica set {created['metadata']['name']} from 0 to {count}")
        needs_update = self._set_revision(d, new_revision)
        if not already_exists and du.has_progress_deadline(d):
            du.set_condition(d["status"], du.new_condition(
                du.PROGRESSING, "True", du.NEW_RS_REASON, f'Created new replica set "{created["metadata"]["name"]}"'))
            needs_update = True
        if needs_update:
            d.update(await self._update_status(d))
        return created

    @staticmethod
    def _set_revision(d: dict[str, Any], rev: str) -> bool:
        """``SetDeploymentRevision``."""
        a = d["metadata"].setdefault("annotations", {})
        if a.get(du.REVISION) == rev:
            return False
        a[du.REVISION] = rev
        return True

    # -- scaling -----------------------------------------------------------------------------------

    async def scale_replica_set(self, rs: Obj, new_scale: int, d: Obj, operation: str) -> tuple[bool, Obj]:
        """``scaleReplicaSet``: the new size and the replicas annotations, and the Event."""
        size_changes = du.replicas(rs) != new_scale
        desired, max_replicas = du.replicas(d), du.replicas(d) + du.max_surge(d)
        if not size_changes and not du.replicas_annotations_need_update(rs, desired, max_replicas):
            return False, rs
        old_scale = du.replicas(rs)
        copy = mutable(rs)
        copy["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(copy, desired, max_replicas)
        updated = await self.client.update(copy)
        if size_changes:
            self.recorder.normal(d, "ScalingReplicaSet",
                                 f"Scaled {operation} replica set {rs['metadata']['name']} from {old_scale} to {new_scale}")
        return size_changes, updated

    async def scale_and_record(self, rs: Obj, new_scale: int, d: Obj) -> tuple[bool, Obj]:
        """``scaleReplicaSetAndRecordEvent``."""
        if du.replicas(rs) == new_scale:
            return False, rs
        return await self.scale_replica_set(rs, new_scale, d, "up" if du.replicas(rs) < new_scale else "down")

    async def scale(self, d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> None:
        """``scale``: a size change, spread over the active ReplicaSets in proportion."""
        latest = self._active_or_latest(new_rs, old_rss)
        if latest is not None:
            if du.replicas(latest) != du.replicas(d):
                await self.scale_and_record(latest, du.replicas(d), d)
            return
        if du.is_saturated(d, new_rs):
            for old in du.active(old_rss):
                await self.scale_and_record(old, 0, d)
            return
        if not du.is_rolling(d):
            return
        all_rss = du.active([*old_rss, new_rs])
        allowed = du.replicas(d) + du.max_surge(d) if du.replicas(d) > 0 else 0
        to_add = allowed - du.spec_replicas(all_rss)
        operation = ""
        if to_add > 0:  # ReplicaSetsBySizeNewer: biggest first, newer first on a tie
            all_rss.sort(key=du.by_creation, reverse=True)
            all_rss.sort(key=lambda rs: -du.replicas(rs))
            operation = "up"
        elif to_add < 0:  # ReplicaSetsBySizeOlder: biggest first, older first on a tie
            all_rss.sort(key=lambda rs: (-du.replicas(rs), du.by_creation(rs)))
            operation = "down"
        added = 0
        sizes: dict[str, int] = {}
        for rs in all_rss:
            if to_add:
                p = du.proportion(rs, d, to_add, added)
                sizes[rs["metadata"]["name"]] = du.replicas(rs) + p
                added += p
            else:
                sizes[rs["metadata"]["name"]] = du.replicas(rs)
        if to_add and added != to_add and all_rss:
            first = all_rss[0]["metadata"]["name"]
            sizes[first] = max(0, sizes[first] + to_add - added)
        for rs in all_rss:
            await self.scale_replica_set(rs, sizes[rs["metadata"]["name"]], d, operation)

    @staticmethod
    def _active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
        """``FindActiveOrLatest``."""
        if new_rs is None and not old_rss:
            return None
        olds = sorted(old_rss, key=du.by_creation, reverse=True)
        all_active = du.active([*olds, new_rs])
        if not all_active:
            return new_rs if new_rs is not None else olds[0]
        if len(all_active) == 1:
            return all_active[0]
        return None

    # -- rolling update ----------------------------------------------------------------------------

    async def rollout_rolling(self, d: dict[str, Any], rs_list: list[Obj]) -> Result | None:
        new_rs, old_rss = await self.get_all_replica_sets(d, rs_list, True)
        assert new_rs is not None
        all_rss: list[Obj | None] = [*old_rss, new_rs]
        scaled, new_rs = await self.reconcile_new_replica_set(all_rss, new_rs, d)
        all_rss = [*old_rss, new_rs]
        if scaled:
            return await self.sync_rollout_status(all_rss, new_rs, d)
        if await self.reconcile_old_replica_sets(all_rss, du.active(old_rss), new_rs, d):
            return await self.sync_rollout_status(all_rss, new_rs, d)
        if du.complete(d, d["status"]):
            await self.cleanup(old_rss, d)
        return await self.sync_rollout_status(all_rss, new_rs, d)

    async def reconcile_new_replica_set(self, all_rss: list[Obj | None], new_rs: Obj,
                                        d: Obj) -> tuple[bool, Obj]:
        if du.replicas(new_rs) == du.replicas(d):
            return False, new_rs
        if du.replicas(new_rs) > du.replicas(d):
            return await self.scale_and_record(new_rs, du.replicas(d), d)
        return await self.scale_and_record(new_rs, du.new_rs_new_replicas(d, all_rss, new_rs), d)

    async def reconcile_old_replica_sets(self, all_rss: list[Obj | None], old_rss: list[Obj], new_rs: Obj,
                                         d: Obj) -> bool:
        if du.spec_replicas(old_rss) == 0:
            return False
        all_pods = du.spec_replicas(all_rss)
        min_available = du.replicas(d) - du.max_unavailable(d)
        new_unavailable = du.replicas(new_rs) - du.status_int(new_rs, "availableReplicas")
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        try:
            old_rss, cleaned = await self.cleanup_unhealthy(old_rss, d, max_scaled_down)
            scaled_down = await self.scale_down_old_for_rolling_update([*old_rss, new_rs], old_rss, d)
        except _InvalidScaleDown as e:
            log.info("%s", e)  # a ReplicaSet's status is ahead of its spec: wait for the next sync
            return False
        return cleaned + scaled_down > 0

    async def cleanup_unhealthy(self, old_rss: list[Obj], d: Obj, max_cleanup: int) -> tuple[list[Obj], int]:
        """``cleanupUnhealthyReplicas``: old replicas that are not available go first."""
        old_rss = sorted(old_rss, key=du.by_creation)
        total = 0
        for i, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            if du.replicas(rs) == 0 or du.replicas(rs) == du.status_int(rs, "availableReplicas"):
                continue
            count = min(max_cleanup - total, du.replicas(rs) - du.status_int(rs, "availableReplicas"))
            if count < 0:  # kube: "got invalid request to scale down"
                raise _InvalidScaleDown("when cleaning up unhealthy replicas, got invalid request to scale down "
                                        f"{rs['metadata']['namespace']}/{rs['metadata']['name']} "
                                        f"{du.replicas(rs)} -> {du.replicas(rs) - count}")
            _, old_rss[i] = await self.scale_and_record(rs, du.replicas(rs) - count, d)
            total += count
        return old_rss, total

    async def scale_down_old_for_rolling_update(self, all_rss: list[Obj | None], old_rss: list[Obj],
                                                d: Obj) -> int:
        min_available = du.replicas(d) - du.max_unavailable(d)
        available = du.available_replicas(all_rss)
        if available <= min_available:
            return 0
        total, target = 0, available - min_available
        for rs in sorted(old_rss, key=du.by_creation):
            if total >= target:
                break
            if du.replicas(rs) == 0:
                continue
            count = min(du.replicas(rs), target - total)
            await self.scale_and_record(rs, du.replicas(rs) - count, d)
            total += count
        return total

    # -- recreate ----------------------------------------------------------------------------------

    async def rollout_recreate(self, d: dict[str, Any], rs_list: list[Obj]) -> Result | None:
        new_rs, old_rss = await self.get_all_replica_sets(d, rs_list, False)
        all_rss: list[Obj | None] = [*old_rss, new_rs]
        scaled_down = False
        for rs in du.active(old_rss):
            await self.scale_and_record(rs, 0, d)
            scaled_down = True
        if scaled_down or self._old_pods_running(new_rs, old_rss, d):
            return await self.sync_rollout_status(all_rss, new_rs, d)
        if new_rs is None:
            new_rs, old_rss = await self.get_all_replica_sets(d, rs_list, True)
            all_rss = [*old_rss, new_rs]
        assert new_rs is not None
        _, new_rs = await self.scale_and_record(new_rs, du.replicas(d), d)
        all_rss = [*old_rss, new_rs]
        if du.complete(d, d["status"]):
            await self.cleanup(old_rss, d)
        return await self.sync_rollout_status(all_rss, new_rs, d)

    def _old_pods_running(self, new_rs: Obj | None, old_rss: list[Obj], d: Obj) -> bool:
        """``oldPodsRunning``: an old ReplicaSet still has pods that have not finished."""
        if du.actual_replicas(old_rss) > 0:
            return True
        olds = {rs["metadata"]["uid"] for rs in old_rss}
        selector = selector_of(d)
        for pod in self.cache.list(POD, d["metadata"]["namespace"]):
            ref = controller_of(pod)
            if ref is None or ref.get("uid") not in olds:
                continue
            if selector is not None and not selector.matches(pod["metadata"].get("labels")):
                continue
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True
        return False

    # -- history -----------------------------------------------------------------------------------

    async def cleanup(self, old_rss: list[Obj], d: Obj) -> None:
        """``cleanupDeployment``: delete the oldest ReplicaSets beyond ``revisionHistoryLimit``."""
        if not du.has_revision_history_limit(d):
            return
        alive = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        diff = len(alive) - int(d["spec"]["revisionHistoryLimit"])
        if diff <= 0:
            return
        alive.sort(key=lambda rs: (du.revision(rs), du.by_creation(rs)))
        for rs in alive[:diff]:
            meta = rs["metadata"]
            if du.status_int(rs, "replicas") != 0 or du.replicas(rs) != 0 \
                    or int(meta.get("generation") or 0) > du.status_int(rs, "observedGeneration"):
                continue
            try:
                await self.client.delete(REPLICA_SET, meta["name"], meta["namespace"])
            except errors.NotFound:
                pass

    # -- status ------------------------------------------------------------------------------------

    def calculate_status(self, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj) -> dict[str, Any]:
        available = du.available_replicas(all_rss)
        unavailable = max(0, du.spec_replicas(all_rss) - available)
        status: dict[str, Any] = {
            "observedGeneration": d["metadata"].get("generation"),
            "replicas": du.actual_replicas(all_rss),
            "updatedReplicas": du.actual_replicas([new_rs]),
            "readyReplicas": du.ready_replicas(all_rss),
            "availableReplicas": available,
            "unavailableReplicas": unavailable,
        }
        conditions = [dict(c) for c in d["status"].get("conditions") or ()]
        if conditions:
            status["conditions"] = conditions
        if d["status"].get("collisionCount") is not None:
            status["collisionCount"] = d["status"]["collisionCount"]
        if available >= du.replicas(d) - du.max_unavailable(d):
            du.set_condition(status, du.new_condition(du.AVAILABLE, "True", du.MIN_AVAILABLE_REASON,
                                                      "Deployment has minimum availability."))
        else:
            du.set_condition(status, du.new_condition(du.AVAILABLE, "False", du.MIN_UNAVAILABLE_REASON,
                                                      "Deployment does not have minimum availability."))
        return status

    async def sync_deployment_status(self, all_rss: list[Obj | None], new_rs: Obj | None, d: dict[str, Any]) -> None:
        status = self.calculate_status(all_rss, new_rs, d)
        if _same_status(d["status"], status):
            return
        d["status"] = status
        await self._update_status(d)

    async def sync_rollout_status(self, all_rss: list[Obj | None], new_rs: Obj | None,
                                  d: dict[str, Any]) -> Result | None:
        """``syncRolloutStatus``: the status, with the Progressing condition's verdict."""
        status = self.calculate_status(all_rss, new_rs, d)
        if not du.has_progress_deadline(d):
            du.remove_condition(status, du.PROGRESSING)
        current = du.get_condition(d["status"], du.PROGRESSING)
        is_complete = int(status.get("replicas") or 0) == int(status.get("updatedReplicas") or 0) \
            and current is not None and current.get("reason") == du.NEW_RS_AVAILABLE_REASON
        name = new_rs["metadata"]["name"] if new_rs is not None else ""
        if du.has_progress_deadline(d) and not is_complete:
            if du.complete(d, status):
                msg = f'ReplicaSet "{name}" has successfully progressed.' if new_rs is not None else ""
                du.set_condition(status, du.new_condition(du.PROGRESSING, "True", du.NEW_RS_AVAILABLE_REASON, msg))
            elif du.progressing(d, status):
                msg = f'ReplicaSet "{name}" is progressing.' if new_rs is not None else "Deployment is progressing."
                cond = du.new_condition(du.PROGRESSING, "True", du.RS_UPDATED_REASON, msg)
                if current is not None:
                    if current.get("status") == "True":
                        cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    du.remove_condition(status, du.PROGRESSING)
                du.set_condition(status, cond)
            elif du.timed_out(d, status):
                msg = f'ReplicaSet "{name}" has timed out progressing.' if new_rs is not None else \
                    f'Deployment "{d["metadata"]["name"]}" has timed out progressing.'
                du.set_condition(status, du.new_condition(du.PROGRESSING, "False", du.TIMED_OUT_REASON, msg))
        failure = self._replica_failure(all_rss, new_rs)
        if failure is not None:
            du.set_condition(status, failure)
        else:
            du.remove_condition(status, du.REPLICA_FAILURE)
        if _same_status(d["status"], status):
            return self._requeue_stuck(d, status)
        d["status"] = status
        await self._update_status(d)
        return None

    @staticmethod
    def _replica_failure(all_rss: list[Obj | None], new_rs: Obj | None) -> dict[str, Any] | None:
        """``getReplicaFailures``: the new ReplicaSet's ReplicaFailure condition, else an old one's."""
        olds = [rs for rs in all_rss if rs is not None and rs is not new_rs]
        for rs in ([new_rs] if new_rs is not None else []) + olds:
            for c in (rs.get("status") or {}).get("conditions") or ():
                if c.get("type") == du.REPLICA_FAILURE:
                    return {"type": du.REPLICA_FAILURE, "status": c.get("status"),
                            "lastUpdateTime": c.get("lastTransitionTime"),
                            "lastTransitionTime": c.get("lastTransitionTime"),
                            "reason": c.get("reason"), "message": c.get("message")}
        return None

    @staticmethod
    def _requeue_stuck(d: Obj, status: Mapping[str, Any]) -> Result | None:
        """``requeueStuckDeployment``: look again when the progress deadline passes."""
        current = du.get_condition(d["status"], du.PROGRESSING)
        if not du.has_progress_deadline(d) or current is None:
            return None
        if du.complete(d, status) or current.get("reason") == du.TIMED_OUT_REASON:
            return None
        since = timestamp(current.get("lastUpdateTime"))
        if since is None:
            return None
        after = since + int(d["spec"]["progressDeadlineSeconds"]) - time.time()
        return Result(requeue_after=max(after, 0.0) + 1.0)

    async def _write_status(self, cached: Obj, status: Mapping[str, Any]) -> dict[str, Any]:
        patch = {"status": _status_patch(cached.get("status") or {}, status)}
        out: dict[str, Any] = await self.client.patch(DEPLOYMENT, cached["metadata"]["name"], patch,
                                                      cached["metadata"]["namespace"], subresource="status")
        return out

    async def _update_status(self, d: dict[str, Any]) -> dict[str, Any]:
        """``UpdateStatus``: the status, and the revision annotation (``/status`` writes annotations
        of a Deployment, as kube's status strategy lets it)."""
        meta = d["metadata"]
        cached = self.cache.get(DEPLOYMENT, meta["name"], meta["namespace"]) or d
        patch: dict[str, Any] = {"status": _status_patch(cached.get("status") or {}, d["status"])}
        rev = du.annotations_of(d).get(du.REVISION)
        if rev is not None and du.annotations_of(cached).get(du.REVISION) != rev:
            patch["metadata"] = {"annotations": {du.REVISION: rev}}
        try:
            out: dict[str, Any] = await self.client.patch(DEPLOYMENT, meta["name"], patch, meta["namespace"],
                                                          subresource="status")
        except errors.NotFound:
            return d
        out.setdefault("status", {})
        return out


def _status_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch replacing ``old`` status by ``new`` (zero counts left out, as kube's omitempty)."""
    out: dict[str, Any] = {}
    for key in _STATUS_ORDER:
        value = new.get(key)
        out[key] = value if value else None
    for key in old:
        if key not in out:
            out[key] = None
    return out


def _same_status(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return all((old.get(k) or None) == (new.get(k) or None) for k in _STATUS_ORDER)


def add_deployment_controller(manager: Manager, client: InProcessClient) -> None:
    """The Deployment controller, on ``manager``, writing through ``client``."""
    reconciler = DeploymentReconciler(manager, client)
    pod_deleted = Funcs(create=lambda _: False, update=lambda _o, _n: False, name="deleted")
    (Builder(manager)
     .named("deployment")
     .for_(DEPLOYMENT)
     .watches(REPLICA_SET, reconciler.deployments_of_replica_set)
     .watches(POD, reconciler.deployment_of_pod, pod_deleted)
     .with_options(max_concurrent_reconciles=WORKERS)
     .complete(reconciler))
