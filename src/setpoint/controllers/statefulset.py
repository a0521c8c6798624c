"""The StatefulSet controller: pods with stable names, storage and order.

As kube-controller-manager's (``pkg/controller/statefulset``): a StatefulSet ``web`` of
``replicas: 3`` has pods ``web-0``, ``web-1``, ``web-2`` (from ``spec.ordinals.start``),
each labelled with its name (``statefulset.kubernetes.io/pod-name``), its ordinal
(``apps.kubernetes.io/pod-index``) and its revision (``controller-revision-hash``), its
``hostname`` and ``subdomain`` set, and a PersistentVolumeClaim ``<claim>-web-<ordinal>``
per volume claim template, created before the pod.

``podManagementPolicy: OrderedReady`` creates one pod at a time, waiting for each to be
Running and Ready (and available for ``minReadySeconds``) before the next, and scales down
from the highest ordinal, one at a time; ``Parallel`` creates and deletes all at once.
Templates are saved as ControllerRevisions (:mod:`.history`); ``RollingUpdate`` replaces
the pods not at the update revision from the highest ordinal down to ``partition``,
``maxUnavailable`` (default 1: kube's MaxUnavailableStatefulSet is on) at a time, and only
while fewer replicas than that are unhealthy; ``OnDelete`` replaces only the pods a user
deletes. ``persistentVolumeClaimRetentionPolicy`` is kept by controller references on the
claims (the StatefulSet for ``whenDeleted: Delete``, the pod for ``whenScaled: Delete``
once it is scaled away), which the garbage collector acts on. The status (replicas, ready,
available, current and updated counts, revisions, collision count, observed generation)
and the Events (``SuccessfulCreate`` "create Pod web-0 in StatefulSet web successful",
``SuccessfulDelete``, ``FailedCreate``...) are kube's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.controllers import history
from setpoint.controllers import pods as p
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime import labels as labelsel
from setpoint.runtime.builder import Builder
from setpoint.runtime.client import PatchType
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.objects import owner_reference
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind
from setpoint.runtime.store import OWNER_UID, by_owner_uid

log = logging.getLogger(__name__)

STATEFUL_SET = Kind("apps/v1", "StatefulSet")
PVC = Kind("v1", "PersistentVolumeClaim")
#: ``apps.StatefulSetPodNameLabel`` and ``apps.PodIndexLabel``.
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
COMPONENT = "statefulset-controller"
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")
#: How soon a pod whose claim is stale is looked at again (nothing announces the claim's deletion).
STALE_CLAIM_RECHECK_SECONDS = 1.0


def parent_and_ordinal(pod: Obj) -> tuple[str, int]:
    """``getParentNameAndOrdinal``: ``("web", 2)`` for ``web-2``; ``("", -1)`` for other names."""
    m = _ORDINAL.match(pod["metadata"]["name"])
    if m is None:
        return "", -1
    return m.group(1), int(m.group(2))


def ordinal(pod: Obj) -> int:
    return parent_and_ordinal(pod)[1]


def start_ordinal(sts: Obj) -> int:
    start = ((sts["spec"].get("ordinals") or {}).get("start")) or 0
    return int(start)


def replicas_of(sts: Obj) -> int:
    return int(sts["spec"].get("replicas", 1) or 0)


def in_ordinal_range(pod: Obj, sts: Obj) -> bool:
    o, start = ordinal(pod), start_ordinal(sts)
    return start <= o < start + replicas_of(sts)


def claim_name(claim: Obj, sts: Obj, ordinal_: int) -> str:
    """``getPersistentVolumeClaimName``: ``<claim>-<set>-<ordinal>``."""
    return f"{claim['metadata']['name']}-{sts['metadata']['name']}-{ordinal_}"


def pod_claims(sts: Obj, pod: Obj) -> dict[str, Obj]:
    """``getPersistentVolumeClaims``: the pod's claims by template name, as they are created."""
    o = ordinal(pod)
    selector_labels = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
    out: dict[str, Obj] = {}
    for template in sts["spec"].get("volumeClaimTemplates") or ():
        tmeta = template.get("metadata") or {}
        meta: Obj = {"name": claim_name(template, sts, o), "namespace": sts["metadata"].get("namespace"),
                     "labels": {**(tmeta.get("labels") or {}), **selector_labels}}
        if tmeta.get("annotations"):
            meta["annotations"] = dict(tmeta["annotations"])
        out[tmeta["name"]] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                              "spec": dict(template.get("spec") or {})}
    return out


def _storage(sts: Obj, pod: Obj) -> None:
    """``updateStorage``: a PVC volume per claim template, the template's other volumes kept."""
    claims = pod_claims(sts, pod)
    spec = pod["spec"]
    volumes = [{"name": name, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
               for name, claim in claims.items()]
    volumes.extend(v for v in spec.get("volumes") or () if v.get("name") not in claims)
    if volumes:
        spec["volumes"] = volumes


def new_pod(sts: Obj, template: Obj, ordinal_: int, revision: str) -> Obj:
    """``newVersionedStatefulSetPod`` of one revision's template: name, identity, storage."""
    pod = p.pod_from_template(template, sts)
    name = f"{sts['metadata']['name']}-{ordinal_}"
    meta = pod["metadata"]
    meta["name"] = name
    meta["labels"].update({POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal_),
                           history.POD_REVISION_LABEL: revision})
    pod["spec"]["hostname"] = name
    service = sts["spec"].get("serviceName")
    if service:
        pod["spec"]["subdomain"] = service
    _storage(sts, pod)
    return pod


def identity_matches(sts: Obj, pod: Obj) -> bool:
    """``identityMatches``."""
    parent, o = parent_and_ordinal(pod)
    meta = pod["metadata"]
    labels = meta.get("labels") or {}
    return (o >= 0 and parent == sts["metadata"]["name"]
            and meta.get("namespace") == sts["metadata"].get("namespace")
            and labels.get(POD_NAME_LABEL) == meta["name"] and labels.get(POD_INDEX_LABEL) == str(o))


def revision_of(pod: Obj) -> str:
    return str((pod["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL, ""))


def is_created(pod: Obj) -> bool:
    return p.phase(pod) != ""


def is_running_and_ready(pod: Obj) -> bool:
    return p.phase(pod) == "Running" and p.is_ready(pod)


def is_healthy(pod: Obj) -> bool:
    return is_running_and_ready(pod) and not p.is_terminating(pod)


@dataclass
class _Counts:
    replicas: int = 0
    ready: int = 0
    available: int = 0
    current: int = 0
    updated: int = 0


def count_replicas(pods: Sequence[Obj], min_ready: int, current: str, update: str) -> _Counts:
    """``computeReplicaStatus``."""
    counts = _Counts()
    now = datetime.now(UTC)
    for pod in pods:
        created = is_created(pod)
        if created:
            counts.replicas += 1
        if is_running_and_ready(pod):
            counts.ready += 1
            if p.is_available(pod, min_ready, now):
                counts.available += 1
        if created and not p.is_terminating(pod):
            rev = revision_of(pod)
            counts.current += rev == current
            counts.updated += rev == update
    return counts


def retention_refs(sts: Obj, pod: Obj) -> tuple[bool, bool]:
    """Whether a claim of ``pod`` should be owned by the set and by the pod
    (``updateClaimOwnerRefForSetAndPod``'s cases)."""
    policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
    scaled_down = not in_ordinal_range(pod, sts)
    by_pod = policy.get("whenScaled") == "Delete" and scaled_down
    by_set = policy.get("whenDeleted") == "Delete" and not by_pod
    return by_set, by_pod


def max_unavailable_of(rolling: Obj, replicas: int) -> int:
    """``getStatefulSetMaxUnavailable``: ``maxUnavailable`` (default 1) of the replicas, rounded
    down, at least 1."""
    value = rolling.get("maxUnavailable", 1)
    if isinstance(value, str) and value.endswith("%"):
        try:
            number = int(value[:-1]) * replicas // 100
        except ValueError:
            number = 1
    else:
        number = value if isinstance(value, int) and not isinstance(value, bool) else 1
    return max(number, 1)


def _controller_ref(owner: Obj, api_version: str, kind: str) -> Obj:
    """``metav1.NewControllerRef``."""
    meta = owner["metadata"]
    return {"apiVersion": api_version, "kind": kind, "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def _matches_ref(ref: Obj, owner: Obj, api_version: str, kind: str) -> bool:
    """``matchesRef``: the reference names ``owner``'s kind and name (whatever its uid)."""
    return bool(ref.get("apiVersion") == api_version and ref.get("kind") == kind
                and ref.get("name") == owner["metadata"]["name"])


class _StepFailed(Exception):
    """A write of the sync failed; ``status`` is what the sync saw before it."""

    def __init__(self, status: Obj, cause: errors.ApiError) -> None:
        super().__init__(str(cause))
        self.status = status
        self.cause = cause


class StatefulSetReconciler:
    """Brings one StatefulSet's pods, claims, revisions and status to its spec."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client
        self.events = EventRecorder(client, COMPONENT)

    # -- the sync -----------------------------------------------------------------------------------

    async def reconcile(self, request: Request) -> Result | None:
        sts = self.cache.get(STATEFUL_SET, request.name, request.namespace)
        if sts is None:
            return None
        try:
            selector = labelsel.from_label_selector(sts["spec"].get("selector"))
        except labelsel.SelectorError as e:
            log.warning("statefulset %s/%s has a bad selector: %s", request.namespace, request.name, e)
            return None
        pods = await self._claim_pods(sts, selector)
        revisions = await history.claim_revisions(
            self.client, self.cache.list(history.CONTROLLER_REVISION, request.namespace), sts, selector)
        current, update, collisions = await self._revisions(sts, revisions)
        waits: list[float] = []
        try:
            status, requeue = await self._update(sts, current, update, collisions, pods, waits)
        except _StepFailed as failed:
            await self._write_status(sts, failed.status)  # what was seen is written even so, as kube does
            raise failed.cause from None
        if waits:
            requeue = min(w for w in (requeue, *waits) if w)
        await self._write_status(sts, status)
        live = {current["metadata"]["name"], update["metadata"]["name"], *(revision_of(x) for x in pods)}
        await history.truncate_history(self.client, revisions, live, int(sts["spec"].get("revisionHistoryLimit", 10)))
        return Result(requeue_after=requeue) if requeue else None

    async def _claim_pods(self, sts: Obj, selector: labelsel.Selector) -> list[Obj]:
        """``getPodsForStatefulSet``: the pods it controls, orphans of its name and selector
        adopted, its pods that no longer match released."""
        uid = sts["metadata"]["uid"]
        ns = sts["metadata"].get("namespace")
        name = sts["metadata"]["name"]
        out: list[Obj] = []
        for pod in self.cache.by_index(p.POD, OWNER_UID, uid):
            if p.controller_uid(pod) != uid:
                continue
            if selector.matches(pod["metadata"].get("labels")):
                out.append(pod)
            elif not p.is_terminating(pod):
                await self._set_owner(pod, [r for r in pod["metadata"].get("ownerReferences") or ()
                                            if r.get("uid") != uid])
        if sts["metadata"].get("deletionTimestamp"):
            return out
        for pod in self.cache.list(p.POD, ns, selector):
            if p.controller_uid(pod) is None and not p.is_terminating(pod) and parent_and_ordinal(pod)[0] == name:
                adopted = await self._set_owner(pod, [*(pod["metadata"].get("ownerReferences") or ()),
                                                      owner_reference(sts)])
                if adopted is not None:
                    out.append(adopted)
        return out

    async def _set_owner(self, pod: Obj, refs: list[Obj]) -> Obj | None:
        meta = pod["metadata"]
        patch = {"metadata": {"ownerReferences": refs, "uid": meta["uid"]}}
        try:
            return await self.client.patch(p.POD, meta["name"], patch, meta.get("namespace"))
        except errors.NotFound:
            return None

    async def _revisions(self, sts: Obj, revisions: list[Obj]) -> tuple[Obj, Obj, int]:
        """``getStatefulSetRevisions``: the current and update revisions, and the collision count."""
        revisions[:] = history.sort_revisions(revisions)
        collisions = int((sts.get("status") or {}).get("collisionCount") or 0)
        template = sts["spec"]["template"]
        wanted = history.new_revision(sts, (template.get("metadata") or {}).get("labels"),
                                      history.template_patch(template), history.next_revision(revisions), collisions)
        wanted["metadata"]["annotations"] = dict(sts["metadata"].get("annotations") or {})
        equal = history.find_equal_revisions(revisions, wanted)
        if equal and history.equal_revision(revisions[-1], equal[-1]):
            update = revisions[-1]
        elif equal:
            update = await history.update_revision(self.client, equal[-1], wanted["revision"])
        else:
            update, collisions = await history.create_revision(self.client, sts, wanted, collisions)
        current_name = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == current_name), update)
        return current, update, collisions

    async def _update(self, sts: Obj, current: Obj, update: Obj, collisions: int,
                      pods: list[Obj], waits: list[float]) -> tuple[Obj, float | None]:
        """``updateStatefulSet``: one step towards the spec; the status seen, and when to look again."""
        spec = sts["spec"]
        current_name, update_name = current["metadata"]["name"], update["metadata"]["name"]
        current_template, update_template = history.template_of(current), history.template_of(update)
        min_ready = int(spec.get("minReadySeconds") or 0)
        start, count = start_ordinal(sts), replicas_of(sts)
        replicas: list[Obj | None] = [None] * count
        condemned: list[Obj] = []
        for pod in pods:
            o = ordinal(pod)
            if start <= o < start + count:
                replicas[o - start] = pod
            elif o >= 0:
                condemned.append(pod)
        strategy = spec.get("updateStrategy") or {}
        rolling = strategy.get("rollingUpdate")
        partition = int((rolling or {}).get("partition") or 0)
        current_replicas = int((sts.get("status") or {}).get("currentReplicas") or 0)
        for i in range(count):
            if replicas[i] is None:
                o = start + i
                # newVersionedStatefulSetPod: below the partition, pods stay at the current revision.
                at_current = strategy.get("type") == "RollingUpdate" and (
                    (rolling is None and o < start + current_replicas) or (rolling is not None and o < start + partition))
                replicas[i] = (new_pod(sts, current_template, o, current_name) if at_current
                               else new_pod(sts, update_template, o, update_name))
        live: list[Obj] = [r for r in replicas if r is not None]
        condemned.sort(key=ordinal, reverse=True)
        first_unhealthy: Obj | None = next((r for r in live if not is_healthy(r)), None)
        if first_unhealthy is None:
            first_unhealthy = next((c for c in reversed(condemned) if not is_healthy(c)), None)

        def status() -> Obj:
            c = count_replicas([*live, *condemned], min_ready, current_name, update_name)
            return self._status(sts, c, current_name, update_name, collisions)

        requeue = self._availability_requeue(live, min_ready)

        async def steps() -> tuple[Obj, float | None]:
            if sts["metadata"].get("deletionTimestamp"):
                return status(), requeue
            monotonic = spec.get("podManagementPolicy") != "Parallel"

            async def replica_step(i: int) -> bool:
                return await self._process_replica(sts, update_template, monotonic, live[i], waits)

            if await self._run_for_all(len(live), replica_step, monotonic):
                return status(), requeue

            async def claim_step(i: int) -> bool:
                await self._fix_claims(sts, condemned[i])
                return False

            if await self._run_for_all(len(condemned), claim_step, monotonic):
                return status(), requeue

            async def condemned_step(i: int) -> bool:
                return await self._process_condemned(sts, first_unhealthy, monotonic, condemned[i], min_ready)

            if await self._run_for_all(len(condemned), condemned_step, monotonic):
                return status(), requeue
            result = status()
            if strategy.get("type") == "OnDelete":
                return result, requeue
            # updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet, on by default): with
            # fewer than maxUnavailable replicas unhealthy, delete the pods not at the update revision from
            # the highest ordinal down to the partition, as many as the difference.
            max_unavailable = max_unavailable_of(rolling, count) if rolling is not None else 1
            unavailable = sum(not is_healthy(r) for r in live)
            if unavailable >= max_unavailable:
                return result, requeue
            to_delete = max_unavailable - unavailable
            for target in range(len(live) - 1, partition - 1, -1):
                if to_delete <= 0:
                    break
                pod = live[target]
                if revision_of(pod) != update_name and not p.is_terminating(pod):
                    log.info("Pod %s of StatefulSet %s is terminating for update", pod["metadata"]["name"],
                             sts["metadata"]["name"])
                    await self._delete_pod(sts, pod)
                    to_delete -= 1
                    result["currentReplicas"] = max(0, int(result.get("currentReplicas") or 0) - 1)
            return result, requeue

        try:
            return await steps()
        except errors.ApiError as e:
            raise _StepFailed(status(), e) from e

    @staticmethod
    async def _run_for_all(n: int, step: Callable[[int], Awaitable[bool]], monotonic: bool) -> bool:
        """``runForAll``: in order until a step says stop (monotonic), or every step (burst)."""
        if monotonic:
            for i in range(n):
                if await step(i):
                    return True
            return False
        failure: BaseException | None = None
        for i in range(n):
            try:
                await step(i)
            except errors.ApiError as e:
                failure = failure or e
        if failure is not None:
            raise failure
        return False

    @staticmethod
    def _availability_requeue(pods: Sequence[Obj], min_ready: int) -> float | None:
        """When a ready pod will count as available (``minReadySeconds``), to look again then."""
        if min_ready <= 0:
            return None
        waits = [w for w in (p.available_in(x, min_ready) for x in pods if is_created(x)) if w]
        return min(waits) + 0.05 if waits else None

    # -- replicas -----------------------------------------------------------------------------------

    async def _process_replica(self, sts: Obj, update_template: Obj, monotonic: bool, pod: Obj,
                               waits: list[float]) -> bool:
        """``processReplica``: True when the sync must stop here (``waits`` gets when to look again,
        for what no event will announce)."""
        phase = p.phase(pod)
        if phase in ("Failed", "Succeeded"):
            meta = sts["metadata"]
            what = "failed" if phase == "Failed" else "terminated"
            await self.events.event(sts, "Warning" if phase == "Failed" else "Normal", f"Recreating{what.title()}Pod",
                                    f"StatefulSet {meta.get('namespace')}/{meta['name']} is recreating {what} Pod "
                                    f"{pod['metadata']['name']}")
            if not p.is_terminating(pod):
                await self._delete_pod(sts, pod)
            return True
        if not is_created(pod):
            if await self._claim_is_stale(sts, pod):
                # The garbage collector is about to delete a claim of the previous pod of this name.
                waits.append(STALE_CLAIM_RECHECK_SECONDS)
                return True
            created = await self._create_pod(sts, pod)
            return monotonic or not created
        if phase == "Pending":
            await self._create_claims(sts, pod)
        if p.is_terminating(pod) and monotonic:
            return True
        if not is_running_and_ready(pod) and monotonic:
            return True
        if not p.is_available(pod, int(sts["spec"].get("minReadySeconds") or 0)) and monotonic:
            return True
        if not identity_matches(sts, pod):
            await self._update_identity(sts, pod)
        if not await self._claims_match(sts, pod):
            await self._fix_claims(sts, pod)
        return False

    async def _process_condemned(self, sts: Obj, first_unhealthy: Obj | None, monotonic: bool, pod: Obj,
                                 min_ready: int) -> bool:
        """``processCondemned``: delete a pod beyond the replicas (in order, when monotonic)."""
        if p.is_terminating(pod):
            return monotonic
        if not is_running_and_ready(pod) and monotonic and pod is not first_unhealthy:
            return True
        if not p.is_available(pod, min_ready) and monotonic and pod is not first_unhealthy:
            return True
        log.info("Pod %s of StatefulSet %s is terminating for scale down", pod["metadata"]["name"],
                 sts["metadata"]["name"])
        await self._delete_pod(sts, pod)
        return monotonic

    async def _create_pod(self, sts: Obj, pod: Obj) -> bool:
        """``CreateStatefulPod``: the claims, then the pod; False when it exists already."""
        name = pod["metadata"]["name"]
        try:
            await self._create_claims(sts, pod)
            created = await self.client.create(pod)
        except errors.AlreadyExists:
            return False
        except errors.ApiError as e:
            await self._pod_event("create", sts, name, e)
            raise
        await self._pod_event("create", sts, name, None)
        await self._fix_claims(sts, created)
        return True

    async def _delete_pod(self, sts: Obj, pod: Obj) -> None:
        name = pod["metadata"]["name"]
        try:
            await self.client.delete(p.POD, name, pod["metadata"].get("namespace"),
                                     preconditions={"uid": pod["metadata"]["uid"]})
        except errors.NotFound:
            return
        except errors.ApiError as e:
            await self._pod_event("delete", sts, name, e)
            raise
        await self._pod_event("delete", sts, name, None)

    async def _update_identity(self, sts: Obj, pod: Obj) -> None:
        o = ordinal(pod)
        name = pod["metadata"]["name"]
        patch = {"metadata": {"labels": {POD_NAME_LABEL: name, POD_INDEX_LABEL: str(o)}}}
        try:
            await self.client.patch(p.POD, name, patch, pod["metadata"].get("namespace"))
        except errors.NotFound:
            return
        except errors.ApiError as e:
            await self._pod_event("update", sts, name, e)
            raise
        await self._pod_event("update", sts, name, None)

    async def _pod_event(self, verb: str, sts: Obj, pod: str, error: errors.ApiError | None) -> None:
        """``recordPodEvent``."""
        name = sts["metadata"]["name"]
        if error is None:
            await self.events.normal(sts, f"Successful{verb.title()}", f"{verb} Pod {pod} in StatefulSet {name} successful")
        else:
            await self.events.warning(sts, f"Failed{verb.title()}",
                                      f"{verb} Pod {pod} in StatefulSet {name} failed error: {error.message}")

    # -- claims -------------------------------------------------------------------------------------

    async def _create_claims(self, sts: Obj, pod: Obj) -> None:
        """``createPersistentVolumeClaims``: the pod's missing claims."""
        ns = sts["metadata"].get("namespace")
        set_name, pod_name = sts["metadata"]["name"], pod["metadata"]["name"]
        for claim in pod_claims(sts, pod).values():
            cname = claim["metadata"]["name"]
            try:
                existing = await self.client.get(PVC, cname, ns)
            except errors.NotFound:
                existing = None
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    raise errors.ApiError(409, message=f"pvc {cname} is being deleted")
                continue
            try:
                await self.client.create(claim)
            except errors.AlreadyExists:
                continue
            except errors.ApiError as e:
                await self.events.warning(sts, "FailedCreate", f"create Claim {cname} for Pod {pod_name} "
                                                               f"in StatefulSet {set_name} failed error: {e.message}")
                raise
            await self.events.normal(sts, "SuccessfulCreate",
                                     f"create Claim {cname} Pod {pod_name} in StatefulSet {set_name} success")

    @staticmethod
    def _wanted_refs(sts: Obj, pod: Obj, claim: Obj) -> list[Obj] | None:
        """``updateClaimOwnerRefForSetAndPod``: the claim's owner references under the retention
        policy (controller references to the set or the pod); None to leave a claim alone whose
        reference to the set or pod has another uid (a previous set's: ``hasStaleOwnerRef``)."""
        refs = claim["metadata"].get("ownerReferences") or []
        ours = [(sts, "apps/v1", "StatefulSet"), (pod, "v1", "Pod")]
        for ref in refs:
            for owner, api_version, kind in ours:
                if _matches_ref(ref, owner, api_version, kind) and ref.get("uid") != owner["metadata"].get("uid"):
                    return None
        kept = [r for r in refs if not any(_matches_ref(r, o, a, k) for o, a, k in ours)]
        if any(r.get("controller") for r in kept):  # hasUnexpectedController: add nothing
            return kept
        by_set, by_pod = retention_refs(sts, pod)
        if by_set:
            kept.append(_controller_ref(sts, "apps/v1", "StatefulSet"))
        if by_pod and pod["metadata"].get("uid"):
            kept.append(_controller_ref(pod, "v1", "Pod"))
        return kept

    async def _claims_match(self, sts: Obj, pod: Obj) -> bool:
        """``ClaimsMatchRetentionPolicy``: every existing claim of the pod has the owners the policy wants."""
        for claim in await self._existing_claims(sts, pod):
            wanted = self._wanted_refs(sts, pod, claim)
            if wanted is not None and _ref_set(wanted) != _ref_set(claim["metadata"].get("ownerReferences") or []):
                return False
        return True

    async def _fix_claims(self, sts: Obj, pod: Obj) -> None:
        """``UpdatePodClaimForRetentionPolicy``: set the claims' owner references for the policy."""
        for claim in await self._existing_claims(sts, pod):
            wanted = self._wanted_refs(sts, pod, claim)
            if wanted is None or _ref_set(wanted) == _ref_set(claim["metadata"].get("ownerReferences") or []):
                continue
            meta = claim["metadata"]
            try:
                await self.client.patch(PVC, meta["name"], {"metadata": {"ownerReferences": wanted or None}},
                                        meta.get("namespace"))
            except errors.NotFound:
                continue

    async def _claim_is_stale(self, sts: Obj, pod: Obj) -> bool:
        """``PodClaimIsStale``: with ``whenScaled: Delete``, a claim still owned by an earlier pod of
        this name (another uid, or any for a pod not created yet) blocks the pod's creation."""
        policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        if policy.get("whenScaled", "Retain") == "Retain":
            return False
        uid = pod["metadata"].get("uid")
        for claim in await self._existing_claims(sts, pod):
            for ref in claim["metadata"].get("ownerReferences") or ():
                if _matches_ref(ref, pod, "v1", "Pod") and ref.get("uid") != uid:
                    return True
        return False

    async def _existing_claims(self, sts: Obj, pod: Obj) -> list[Obj]:
        out = []
        for claim in pod_claims(sts, pod).values():
            try:
                out.append(await self.client.get(PVC, claim["metadata"]["name"], claim["metadata"]["namespace"]))
            except errors.NotFound:
                continue
        return out

    # -- status -------------------------------------------------------------------------------------

    @staticmethod
    def _status(sts: Obj, c: _Counts, current: str, update: str, collisions: int) -> Obj:
        """The apps/v1 StatefulSetStatus (zero counts omitted as Go's ``omitempty`` omits them)."""
        status: Obj = {"observedGeneration": sts["metadata"].get("generation"), "replicas": c.replicas}
        for key, value in (("readyReplicas", c.ready), ("currentReplicas", c.current),
                           ("updatedReplicas", c.updated)):
            if value:
                status[key] = value
        status.update(currentRevision=current, updateRevision=update, collisionCount=collisions,
                      availableReplicas=c.available)
        return status

    async def _write_status(self, sts: Obj, status: Obj) -> None:
        """``updateStatefulSetStatus``: complete a finished rolling update, write when changed."""
        strategy = (sts["spec"].get("updateStrategy") or {}).get("type")
        wanted = replicas_of(sts)
        if strategy == "RollingUpdate" and status.get("updatedReplicas", 0) == wanted \
                and status.get("readyReplicas", 0) == wanted and status["replicas"] == wanted:
            status["currentReplicas"] = status.get("updatedReplicas", 0)
            if not status["currentReplicas"]:
                status.pop("currentReplicas")
            status["currentRevision"] = status["updateRevision"]
        old: Obj = dict(sts.get("status") or {})
        if "conditions" in old:
            status["conditions"] = old["conditions"]
        if old == status:
            return
        meta = sts["metadata"]
        try:
            await self.client.patch(STATEFUL_SET, meta["name"], [{"op": "replace", "path": "/status", "value": status}],
                                    meta.get("namespace"), type=PatchType.JSON, subresource="status")
        except errors.NotFound:
            pass


def _ref_set(refs: Sequence[Obj]) -> set[tuple[str, bool]]:
    return {(str(r.get("uid")), bool(r.get("controller"))) for r in refs}


def _selects(owner: Obj, pod: Obj) -> bool:
    """The owner's selector selects the pod (a selector that does not parse selects nothing)."""
    try:
        return labelsel.from_label_selector(owner["spec"].get("selector")).matches(pod["metadata"].get("labels"))
    except labelsel.SelectorError:
        return False


def _owner_index(obj: Obj) -> list[str]:
    return list(by_owner_uid(obj))


def add_statefulset_controller(manager: Manager, client: InProcessClient) -> Any:
    """The StatefulSet controller, on ``manager``, writing through ``client``."""
    manager.cache.informer(p.POD, indexers={OWNER_UID: _owner_index})

    def orphan_to_sets(pod: Obj) -> list[Request]:
        """An orphan pod wakes the sets of its namespace whose selector and name it fits (to adopt it)."""
        if p.controller_uid(pod) is not None:
            return []
        ns = pod["metadata"].get("namespace") or ""
        parent = parent_and_ordinal(pod)[0]
        return [Request(ns, s["metadata"]["name"]) for s in manager.cache.list(STATEFUL_SET, ns)
                if s["metadata"]["name"] == parent and _selects(s, pod)]

    return (Builder(manager)
            .named("statefulset")
            .for_(STATEFUL_SET)
            .owns(p.POD)
            .watches(p.POD, orphan_to_sets)
            .owns(history.CONTROLLER_REVISION)
            .with_options(max_concurrent_reconciles=5)  # kube-controller-manager's --concurrent-*-syncs
            .complete(StatefulSetReconciler(manager, client)))
