"""The disruption controller: keeps every PodDisruptionBudget's status current.

As kube-controller-manager's (``pkg/controller/disruption/disruption.go``): the pods a budget
selects (in its namespace) are counted; ``currentHealthy`` is those Ready, not being deleted
and not in ``status.disruptedPods`` (evictions the API server granted, for up to
:data:`DELETION_TIMEOUT`); ``desiredHealthy`` and ``expectedPods`` come from an integer
``minAvailable`` and the pod count, or, for a percentage or ``maxUnavailable``, from the scale of
the pods' controllers (a ReplicaSet -- or the Deployment that controls it --, or any kind with a
``/scale`` subresource); ``disruptionsAllowed`` is ``currentHealthy - desiredHealthy`` (0 while no
pod is expected). The ``DisruptionAllowed`` condition says ``SufficientPods``,
``InsufficientPods`` or, when the status could not be computed (a pod whose controller is gone
or has no scale), ``SyncFailed`` with the error, and then ``disruptionsAllowed`` is 0 (kube's
``failSafe``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from setpoint.apimachinery import labels
from setpoint.apimachinery.clock import format_time, parse_time
from setpoint.apimachinery.selection import SelectorError
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.endpoints.handlers import scale_of
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.pods import is_ready
from setpoint.runtime import conditions, errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

PDB = Kind("policy/v1", "PodDisruptionBudget")
POD = Kind("v1", "Pod")
#: How long an eviction's entry in ``disruptedPods`` keeps its pod out of the healthy count.
DELETION_TIMEOUT = timedelta(minutes=2)
#: The condition, and its reasons (``policy.DisruptionAllowedCondition`` ...).
DISRUPTION_ALLOWED = "DisruptionAllowed"
SUFFICIENT_PODS = "SufficientPods"
INSUFFICIENT_PODS = "InsufficientPods"
SYNC_FAILED = "SyncFailed"


class SyncError(Exception):
    """The budget's status cannot be computed (kube's ``trySync`` error)."""


def selector_of(pdb: Obj) -> labels.Selector:
    """``LabelSelectorAsSelector(spec.selector)``: nil selects nothing, ``{}`` everything."""
    selector = (pdb.get("spec") or {}).get("selector")
    if selector is None:
        return labels.nothing()
    return labels.as_selector(selector)


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``."""
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        raise SyncError("invalid value for IntOrString: invalid type: string is not a percentage")
    try:
        percent = int(text[:-1])
    except ValueError:
        raise SyncError(f"invalid value {text!r}: strconv.Atoi: parsing {text[:-1]!r}: invalid syntax") from None
    scaled = percent * total / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)


def _controller_ref(obj: Obj) -> Obj | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return dict(ref)
    return None


class DisruptionReconciler:
    """Computes and writes one budget's status."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client
        self.events = EventRecorder(client, "controllermanager")

    async def reconcile(self, request: Request) -> Result | None:
        pdb = self.cache.get(PDB, request.name, request.namespace)
        if pdb is None:
            return None
        now = datetime.now(UTC)
        try:
            pods = self._pods(pdb)
        except SelectorError as e:
            await self.events.warning(pdb, "NoPods", f"Failed to get pods: {e}")
            await self._fail_safe(pdb, str(e))
            return None
        if not pods:
            await self.events.normal(pdb, "NoPods", "No matching pods found")
        try:
            expected, desired, unmanaged = await self._expected(pdb, pods)
        except SyncError as e:
            await self.events.warning(pdb, "CalculateExpectedPodCountFailed",
                                      f"Failed to calculate the number of expected pods: {e}")
            await self._fail_safe(pdb, str(e))
            return None
        if unmanaged:
            await self.events.warning(pdb, "UnmanagedPods", (
                f"Pods selected by this PodDisruptionBudget (selector: {go_selector_string(pdb)}) were found to be "
                "unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in "
                'undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to '
                "an integer value."))
        disrupted, recheck = self._disrupted(pdb, pods, now)
        healthy = sum(1 for p in pods if not p["metadata"].get("deletionTimestamp")
                      and not _recently_disrupted(disrupted.get(p["metadata"]["name"]), now) and is_ready(p))
        await self._update(pdb, healthy, desired, expected, disrupted)
        if recheck is not None:
            return Result(requeue_after=max((recheck - now).total_seconds(), 0.0))
        return None

    def _pods(self, pdb: Obj) -> list[Obj]:
        selector = selector_of(pdb)
        return [p for p in self.cache.list(POD, pdb["metadata"]["namespace"])
                if selector.matches(p["metadata"].get("labels") or {})]

    async def _expected(self, pdb: Obj, pods: list[Obj]) -> tuple[int, int, list[str]]:
        """``getExpectedPodCount``: (expectedCount, desiredHealthy, unmanaged pods)."""
        spec = pdb.get("spec") or {}
        max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
        if max_unavailable is not None:
            expected, unmanaged = await self._expected_scale(pods)
            desired = max(expected - scaled_value(max_unavailable, expected, True), 0)
            return expected, desired, unmanaged
        if min_available is not None:
            if isinstance(min_available, int):
                return len(pods), min_available, []
            expected, unmanaged = await self._expected_scale(pods)
            return expected, scaled_value(min_available, expected, True), unmanaged
        return 0, 0, []

    async def _expected_scale(self, pods: list[Obj]) -> tuple[int, list[str]]:
        """``getExpectedScale``: the sum of the scales of the pods' controllers, and the pods
        without one (left out, as kube's "unmanaged pods")."""
        scales: dict[str, int] = {}
        unmanaged: list[str] = []
        for pod in pods:
            ref = _controller_ref(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in scales:
                continue
            found = await self._find_scale(ref, pod["metadata"]["namespace"])
            if found is None:
                raise SyncError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    async def _find_scale(self, ref: Obj, namespace: str) -> tuple[str, int] | None:
        """kube's finders: a ReplicaSet (its Deployment's scale when one controls it), else any
        kind through its ``/scale``."""
        api_version, kind, name = str(ref.get("apiVersion", "")), str(ref.get("kind", "")), str(ref.get("name", ""))
        if api_version == "apps/v1" and kind == "ReplicaSet":
            rs = await self._get(Kind(api_version, kind), name, namespace)
            if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
                return None
            owner = _controller_ref(rs)
            if owner is not None and owner.get("apiVersion") == "apps/v1" and owner.get("kind") == "Deployment":
                return await self._find_scale(owner, namespace)
            return str(ref["uid"]), int((rs.get("spec") or {}).get("replicas") or 0)
        group = api_version.rpartition("/")[0]
        resource = next((r for r in self.client.registry.all()
                         if r.group_version == api_version and r.kind == kind), None)
        if resource is None:
            raise SyncError(f'no matches for kind "{kind}" in version "{api_version}"')
        if "scale" not in resource.subresources:
            qualified = f"{resource.plural}.{group}" if group else resource.plural
            raise SyncError(f"{qualified} does not implement the scale subresource")
        obj = await self._get(Kind(api_version, kind), name, namespace)
        if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
            return None
        scale = scale_of(resource, obj)
        return str(ref["uid"]), int(scale["spec"]["replicas"])

    async def _get(self, kind: Kind, name: str, namespace: str) -> Obj | None:
        try:
            return await self.client.get(kind, name, namespace)
        except errors.NotFound:
            return None

    @staticmethod
    def _disrupted(pdb: Obj, pods: list[Obj], now: datetime) -> tuple[dict[str, str], datetime | None]:
        """``buildDisruptedPodMap``: the entries still pending, and when the first one expires."""
        known = (pdb.get("status") or {}).get("disruptedPods") or {}
        out: dict[str, str] = {}
        recheck: datetime | None = None
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp") or name not in known:
                continue
            at = parse_time(known[name])
            if at is None:
                continue
            expires = at + DELETION_TIMEOUT
            if expires < now:
                continue
            out[name] = known[name]
            if recheck is None or expires < recheck:
                recheck = expires
        return out, recheck

    async def _update(self, pdb: Obj, healthy: int, desired: int, expected: int, disrupted: dict[str, str]) -> None:
        """``updatePdbStatus``: write only when something changed."""
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        status = pdb.get("status") or {}
        generation = pdb["metadata"].get("generation", 0)
        if (status.get("currentHealthy") == healthy and status.get("desiredHealthy") == desired
                and status.get("expectedPods") == expected and status.get("disruptionsAllowed") == allowed
                and (status.get("disruptedPods") or {}) == disrupted
                and status.get("observedGeneration") == generation and _conditions_up_to_date(pdb)):
            return
        new_status: Obj = {"disruptionsAllowed": allowed, "currentHealthy": healthy, "desiredHealthy": desired,
                           "expectedPods": expected, "observedGeneration": generation,
                           "conditions": [dict(c) for c in status.get("conditions") or ()]}
        if disrupted:
            new_status["disruptedPods"] = disrupted
        update_disruption_allowed_condition(new_status)
        await self.client.update_status({**pdb, "status": new_status})

    async def _fail_safe(self, pdb: Obj, message: str) -> None:
        """``failSafe``: no disruption allowed, and a ``SyncFailed`` condition saying why."""
        status = dict(pdb.get("status") or {})
        status["disruptionsAllowed"] = 0
        conds = [dict(c) for c in status.get("conditions") or ()]
        conditions.set_condition(conds, DISRUPTION_ALLOWED, conditions.FALSE, SYNC_FAILED, message,
                                 observed_generation=int(status.get("observedGeneration") or 0))
        status["conditions"] = conds
        await self.client.update_status({**pdb, "status": status})


def go_selector_string(pdb: Obj) -> str:
    """``spec.selector`` as its generated ``String()`` prints it (``%v`` of the pointer)."""
    selector = (pdb.get("spec") or {}).get("selector")
    if not isinstance(selector, dict):
        return "nil"
    match_labels = selector.get("matchLabels") or {}
    labels_text = "".join(f"{k}: {match_labels[k]}," for k in sorted(match_labels))
    exprs = "".join(
        f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
        f"Values:[{' '.join(map(str, e.get('values') or []))}],}},"
        for e in selector.get("matchExpressions") or () if isinstance(e, dict))
    return (f"&LabelSelector{{MatchLabels:map[string]string{{{labels_text}}},"
            f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}")


def update_disruption_allowed_condition(status: Obj) -> None:
    """``pdbhelper.UpdateDisruptionAllowedCondition`` on a status (in place)."""
    conds = status.setdefault("conditions", [])
    observed = int(status.get("observedGeneration") or 0)
    if int(status.get("disruptionsAllowed") or 0) > 0:
        conditions.set_condition(conds, DISRUPTION_ALLOWED, conditions.TRUE, SUFFICIENT_PODS,
                                 observed_generation=observed)
    else:
        conditions.set_condition(conds, DISRUPTION_ALLOWED, conditions.FALSE, INSUFFICIENT_PODS,
                                 observed_generation=observed)


def _conditions_up_to_date(pdb: Obj) -> bool:
    """``pdbhelper.ConditionsAreUpToDate``."""
    status = pdb.get("status") or {}
    cond = conditions.get_condition(status.get("conditions"), DISRUPTION_ALLOWED)
    if cond is None or status.get("observedGeneration") != pdb["metadata"].get("generation"):
        return False
    if int(status.get("disruptionsAllowed") or 0) > 0:
        return cond.get("status") == conditions.TRUE and cond.get("reason") == SUFFICIENT_PODS
    return cond.get("status") == conditions.FALSE and cond.get("reason") == INSUFFICIENT_PODS


def _recently_disrupted(at: str | None, now: datetime) -> bool:
    t = parse_time(at) if at else None
    return t is not None and t + DELETION_TIMEOUT > now


def disruption_time(now: datetime | None = None) -> str:
    """A ``disruptedPods`` entry's time (``metav1.Time``)."""
    return format_time(now or datetime.now(UTC))


def add_disruption_controller(manager: Manager, client: InProcessClient) -> None:
    """The disruption controller, on ``manager``, writing through ``client``."""

    def budgets_of(pod: Obj) -> list[Request]:
        """``getPdbForPod`` for every budget: the budgets whose selector matches the pod."""
        meta = pod["metadata"]
        pod_labels = meta.get("labels") or {}
        out = []
        for pdb in manager.cache.list(PDB, meta.get("namespace")):
            try:
                if selector_of(pdb).matches(pod_labels):
                    out.append(Request(str(meta.get("namespace")), pdb["metadata"]["name"]))
            except SelectorError:
                continue
        return out

    (Builder(manager)
     .named("disruption")
     .for_(PDB)
     .watches(POD, budgets_of)
     .complete(DisruptionReconciler(manager, client)))
