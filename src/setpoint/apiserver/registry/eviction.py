"""The ``pods/eviction`` subresource: delete a pod unless its disruption budget forbids it.

kube's ``pkg/registry/core/pod/storage/eviction.go``. A pod that is Pending, terminal or
already being deleted is deleted at once. Otherwise the PodDisruptionBudgets of its
namespace whose selector matches it are read: more than one is a 500; with one, an unready
pod may go when the budget is met (``currentHealthy >= desiredHealthy > 0``) or its
``unhealthyPodEvictionPolicy`` is ``AlwaysAllow``; a ready pod needs ``disruptionsAllowed``
above 0 -- the budget is then decremented and the pod noted in ``status.disruptedPods`` (so
the disruption controller does not count it while it goes), else the answer is kube's 429
TooManyRequests with a ``DisruptionBudget`` cause. The pod then gets the ``DisruptionTarget``
condition and is deleted with the Eviction's ``deleteOptions`` (preconditions, propagation,
dry run). Success is a ``Status`` with code 201.

Admission sees the Eviction as kube's does (a CREATE of ``pods/eviction`` whose object is the
Eviction): mutating admission first, validating admission once the names are checked (kube's
``createValidation``), so a validating webhook on ``pods/eviction`` can refuse it before
anything is read or written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from setpoint.apimachinery import labels
from setpoint.apimachinery.clock import format_time
from setpoint.apimachinery.selection import SelectorError
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry, Resource

#: kube's ``MaxDisruptedPodSize``: more pending evictions than this are refused.
MAX_DISRUPTED_POD_SIZE = 2000
#: How often a budget changed meanwhile is read again (kube's ``EvictionsRetry`` steps).
_RETRIES = 20
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
#: The kinds of body accepted (``AcceptsGroupVersion``).
EVICTION_VERSIONS = ("policy/v1", "policy/v1beta1")


def _too_many_requests(cause: str, retry_after: int) -> errors.StatusError:
    """``NewTooManyRequests`` with a ``DisruptionBudget`` cause (Retry-After when above 0)."""
    details: dict[str, Any] = {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
    headers = []
    if retry_after > 0:
        details["retryAfterSeconds"] = retry_after
        headers.append(("Retry-After", str(retry_after)))
    return errors.StatusError(429, "TooManyRequests", VIOLATION, details=details, headers=headers)


def still_processing(pdb_name: str) -> errors.StatusError:
    """``createTooManyRequestsError``."""
    return _too_many_requests(f"The disruption budget {pdb_name} is still being processed by the server.", 10)


def _pdb_forbidden(name: str, why: str) -> errors.StatusError:
    return errors.StatusError(403, "Forbidden", f'poddisruptionbudget.policy "{name}" is forbidden: {why}',
                              details={"name": name, "group": "policy", "kind": "poddisruptionbudget"})


def pod_ready(pod: Obj) -> bool:
    """``IsPodReady``."""
    for c in (pod.get("status") or {}).get("conditions") or ():
        if isinstance(c, dict) and c.get("type") == "Ready":
            return bool(c.get("status") == "True")
    return False


def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def _can_ignore_pdb(pod: Obj) -> bool:
    return _phase(pod) in ("Succeeded", "Failed", "Pending") or bool(pod["metadata"].get("deletionTimestamp"))


def _should_enforce_resource_version(pod: Obj) -> bool:
    return _phase(pod) not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


class Evictions:
    """Serves ``POST .../pods/<name>/eviction`` over the pods and budgets of one server."""

    def __init__(self, registry: Registry, objects: ObjectStore) -> None:
        self.registry = registry
        self.objects = objects

    def _resource(self, group: str, plural: str) -> Resource:
        r = self.registry.get(group, "v1", plural)
        assert r is not None, f"{plural} are not served"
        return r

    async def create(self, namespace: str, name: str, eviction: Obj, query_dry_run: list[str],
                     attrs: Attributes | None = None) -> Obj:
        """Evict; the answer is a success ``Status``, or a :class:`StatusError` is raised.

        ``attrs`` (the request's) runs the Eviction through admission; None skips it."""
        if attrs is not None:  # the request's dryRun, as kube's create handler gives admission
            attrs = replace(attrs, kind="Eviction", kind_group_version=("policy", "v1"), dry_run=bool(query_dry_run))
            await self.objects.admission.admit(attrs, eviction, None)
        meta = eviction.get("metadata") if isinstance(eviction.get("metadata"), dict) else {}
        if name != (meta or {}).get("name"):
            raise errors.bad_request("name in URL does not match name in Eviction object")
        if attrs is not None:
            await self.objects.admission.validate(attrs, eviction, None)
        options = self._delete_options(eviction, query_dry_run)
        dry_run = bool(options.get("dryRun"))
        pods = self._resource("", "pods")
        pod = (await self.objects.get(pods, namespace, name)).obj
        if _can_ignore_pdb(pod):
            pre = dict(options.get("preconditions") or {})
            if _should_enforce_resource_version(pod) and not pre.get("resourceVersion"):
                pre["resourceVersion"] = pod["metadata"].get("resourceVersion")
            await self._delete(pods, namespace, name, options, pre, dry_run)
            return _success()
        pdbs = await self._budgets(pod)
        if len(pdbs) > 1:
            raise errors.unknown("This pod has more than one PodDisruptionBudget, which the eviction subresource "
                                 "does not support.")
        enforce_rv = False
        pdb_name = ""
        if pdbs:
            pdb = pdbs[0]
            pdb_name = pdb["metadata"]["name"]
            spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
            budget_met = int(status.get("currentHealthy") or 0) >= int(status.get("desiredHealthy") or 0) > 0
            if not pod_ready(pod) and (spec.get("unhealthyPodEvictionPolicy") == "AlwaysAllow" or budget_met):
                # An unready pod counts for nothing: it may go without using up the budget.
                enforce_rv = True
            else:
                await self._check_and_decrement(pdb, name, dry_run)
        pre = dict(options.get("preconditions") or {})
        if enforce_rv:
            pre["resourceVersion"] = pod["metadata"].get("resourceVersion")
        try:
            await self._delete(pods, namespace, name, options, pre, dry_run)
        except errors.StatusError as e:
            original = options.get("preconditions") or {}
            if e.code == 409 and enforce_rv and not original.get("resourceVersion"):
                raise still_processing(pdb_name) from None
            raise
        return _success()

    @staticmethod
    def _delete_options(eviction: Obj, query_dry_run: list[str]) -> Obj:
        """``propagateDryRun``: the Eviction's deleteOptions with the request's dryRun."""
        options = eviction.get("deleteOptions")
        options = dict(options) if isinstance(options, dict) else {}
        body_dry_run = options.get("dryRun") or []
        if not body_dry_run:
            options["dryRun"] = list(query_dry_run)
        elif query_dry_run and list(query_dry_run) != list(body_dry_run):
            raise errors.unknown(f"Non-matching dry-run options in request and content: "
                                 f"[{' '.join(query_dry_run)}] and [{' '.join(map(str, body_dry_run))}]")
        for v in options.get("dryRun") or []:
            if v != "All":
                raise errors.bad_request(f'Invalid dry run value: "{v}"; only "All" is supported')
        return options

    async def _budgets(self, pod: Obj) -> list[Obj]:
        """``getPodDisruptionBudgets``: a nil, empty or invalid selector matches nothing."""
        pdbs = self._resource("policy", "poddisruptionbudgets")
        listed = await self.objects.list(pdbs, pod["metadata"]["namespace"])
        pod_labels = pod["metadata"].get("labels") or {}
        out = []
        for cobj in listed.items:
            selector = (cobj.obj.get("spec") or {}).get("selector")
            if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
                continue
            try:
                if labels.as_selector(selector).matches(pod_labels):
                    out.append(cobj.obj)
            except SelectorError:
                continue
        return out

    async def _check_and_decrement(self, pdb: Obj, pod_name: str, dry_run: bool) -> None:
        """``checkAndDecrement``, read again and retried while the budget changes under it."""
        pdbs = self._resource("policy", "poddisruptionbudgets")
        meta = pdb["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        for attempt in range(_RETRIES):
            if attempt:
                pdb = (await self.objects.get(pdbs, namespace, name)).obj
            new_status = self._decremented(pdb, pod_name)
            if dry_run:
                return
            want_rv = pdb["metadata"].get("resourceVersion")

            async def write(current: Obj, status: Obj = new_status, rv: Any = want_rv) -> Obj:
                if current["metadata"].get("resourceVersion") != rv:
                    raise errors.conflict("poddisruptionbudgets", "policy", name, errors.MODIFIED_DETAIL)
                return {**current, "status": status}

            try:
                await self.objects.guaranteed_update(pdbs, namespace, name, write, subresource="status",
                                                     retry_conflicts=False)
                return
            except errors.StatusError as e:
                if e.code != 409:
                    raise
        raise errors.StatusError(504, "Timeout", f'couldn\'t update PodDisruptionBudget "{name}" due to conflicts',
                                 details={"retryAfterSeconds": 10}, headers=[("Retry-After", "10")])

    @staticmethod
    def _decremented(pdb: Obj, pod_name: str) -> Obj:
        """The budget's status after one more disruption; raises when none is allowed."""
        meta, status = pdb["metadata"], dict(pdb.get("status") or {})
        name = meta["name"]
        if int(status.get("observedGeneration") or 0) < int(meta.get("generation") or 0):
            raise still_processing(name)
        allowed = int(status.get("disruptionsAllowed") or 0)
        if allowed < 0:
            raise _pdb_forbidden(name, "pdb disruptions allowed is negative")
        disrupted = dict(status.get("disruptedPods") or {})
        if len(disrupted) > MAX_DISRUPTED_POD_SIZE:
            raise _pdb_forbidden(name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller")
        if allowed == 0:
            raise _too_many_requests(f"The disruption budget {name} needs {int(status.get('desiredHealthy') or 0)} "
                                     f"healthy pods and has {int(status.get('currentHealthy') or 0)} currently", 0)
        status["disruptionsAllowed"] = allowed - 1
        if allowed - 1 == 0:
            conds = [dict(c) for c in status.get("conditions") or ()]
            _set_insufficient(conds, int(status.get("observedGeneration") or 0))
            status["conditions"] = conds
        disrupted[pod_name] = format_time(datetime.now(UTC))
        status["disruptedPods"] = disrupted
        return status

    async def _delete(self, pods: Resource, namespace: str, name: str, options: Obj, pre: Obj, dry_run: bool) -> None:
        """``addConditionAndDeletePod``: the ``DisruptionTarget`` condition, then the delete."""
        if not dry_run:
            async def condition(current: Obj) -> Obj:
                cur_meta = current["metadata"]
                uid, rv = pre.get("uid"), pre.get("resourceVersion")
                if uid and uid != cur_meta.get("uid"):
                    raise errors.conflict("pods", "", name, (
                        f"the UID in the precondition ({uid}) does not match the UID in record "
                        f"({cur_meta.get('uid', '')}). The object might have been deleted and then recreated"))
                if rv and rv != cur_meta.get("resourceVersion"):
                    raise errors.conflict("pods", "", name, (
                        f"the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in "
                        f"record ({cur_meta.get('resourceVersion', '')}). The object might have been modified"))
                status = dict(current.get("status") or {})
                conds = [dict(c) for c in status.get("conditions") or () if isinstance(c, dict)]
                _set_disruption_target(conds)
                status["conditions"] = conds
                new = {**current, "status": status, "metadata": {**cur_meta}}
                new["metadata"].pop("resourceVersion", None)
                return new

            updated, _ = await self.objects.guaranteed_update(pods, namespace, name, condition, subresource="status")
            if pre.get("resourceVersion"):
                pre = {**pre, "resourceVersion": updated["metadata"]["resourceVersion"]}
        await self.objects.delete(pods, namespace, name, uid=pre.get("uid") or None,
                                  resource_version=pre.get("resourceVersion") or None,
                                  propagation=_propagation(options), dry_run=dry_run,
                                  grace_period_seconds=_grace(options))


def _grace(options: Obj) -> int | None:
    grace = options.get("gracePeriodSeconds")
    return grace if isinstance(grace, int) and not isinstance(grace, bool) else None


def _propagation(options: Obj) -> str | None:
    policy = options.get("propagationPolicy")
    if policy is not None:
        return str(policy)
    orphan = options.get("orphanDependents")
    if orphan is not None:
        return "Orphan" if orphan else "Background"
    return None


def _set_insufficient(conds: list[Obj], observed: int) -> None:
    """``UpdateDisruptionAllowedCondition`` for a budget left with no disruption."""
    for c in conds:
        if c.get("type") == "DisruptionAllowed":
            if c.get("status") != "False":
                c["lastTransitionTime"] = format_time(datetime.now(UTC))
            c.update(status="False", reason="InsufficientPods", message="", observedGeneration=observed)
            return
    conds.append({"type": "DisruptionAllowed", "status": "False", "observedGeneration": observed,
                  "lastTransitionTime": format_time(datetime.now(UTC)), "reason": "InsufficientPods", "message": ""})


def _set_disruption_target(conds: list[Obj]) -> None:
    """``UpdatePodCondition`` with ``DisruptionTarget`` (reason ``EvictionByEvictionAPI``)."""
    now = format_time(datetime.now(UTC))
    for c in conds:
        if c.get("type") == "DisruptionTarget":
            if c.get("status") != "True":
                c["lastTransitionTime"] = now
            c.update(status="True", reason="EvictionByEvictionAPI", message="Eviction API: evicting")
            return
    conds.append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None, "lastTransitionTime": now,
                  "reason": "EvictionByEvictionAPI", "message": "Eviction API: evicting"})


def _success() -> Obj:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
