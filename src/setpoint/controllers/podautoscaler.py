"""The horizontal pod autoscaler controller: scale a target through ``/scale`` to keep its pods'
resource usage at the HPA's targets.

As kube-controller-manager's (``pkg/controller/podautoscaler/horizontal.go`` and
``replica_calculator.go``), every ``hpa_sync_period`` per HPA: read the target's ``/scale``
(its replicas and its selector), compute each metric's proposal from the selected pods, take
the largest, stabilize it (the downscale window, or ``behavior``'s windows), bound it (``min``/
``max``, the scale-up limit or ``behavior``'s policies), write ``/scale`` when it differs
(``SuccessfulRescale`` "New size: 4; reason: cpu resource utilization (percentage of request)
above target"), and the status: ``currentReplicas``, ``desiredReplicas``, ``currentMetrics``,
``lastScaleTime`` and the ``AbleToScale``/``ScalingActive``/``ScalingLimited`` conditions with
kube's reasons and messages.

Usage is simulated, and is what ``kubectl top`` shows (the server's ``metrics.k8s.io``):
:func:`setpoint.apimachinery.podusage.usage_of`, from the containers' declared behaviour (the
``setpoint.io/behavior`` annotation and the ``kube-system/setpoint-behaviors`` image rules), else
the pod's ``setpoint.io/<resource>-usage`` annotation, else small defaults for containers a
kubelet runs; a pod with none of them has no metric, as a pod metrics-server has not seen.
``Resource`` and ``ContainerResource`` metrics (``Utilization`` of the pods' -- or one container's
-- requests, or ``AverageValue``) are computed; ``Pods``, ``Object`` and ``External`` metrics have
no source and are reported as failing. As in kube,
``Pending`` pods, pods without a Ready condition or a ``startTime`` (for cpu) and pods with
Ready ``False`` count as unready; deleted and ``Failed`` pods are ignored.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from setpoint.apimachinery import labels as labelsel
from setpoint.apimachinery import podbehavior, quantity
from setpoint.apimachinery.clock import format_time
from setpoint.apimachinery.podbehavior import ImageRule
from setpoint.apimachinery.podusage import pod_usage, rules_of, usage_of
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.client import PatchType
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs, generation_changed
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

HPA = Kind("autoscaling/v2", "HorizontalPodAutoscaler")
POD = Kind("v1", "Pod")
CONFIG_MAP = Kind("v1", "ConfigMap")
#: kube's scale-up limit without ``behavior``: max(2 x current, 4).
SCALE_UP_LIMIT_FACTOR, SCALE_UP_LIMIT_MINIMUM = 2.0, 4.0


class MetricError(Exception):
    """A metric that could not be computed: the condition reason and the message."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class _Recommendation:
    replicas: int
    at: float


@dataclass
class _ScaleEvent:
    change: int
    at: float


def _milli(text: object) -> Decimal:
    return quantity.value(str(text)) * 1000


def _ceil(d: Decimal | float) -> int:
    return math.ceil(d)


class Calculator:
    """kube's ``ReplicaCalculator`` over simulated usage (``rules``: the per-image behaviours)."""

    def __init__(self, tolerance: tuple[float, float], rules: list[ImageRule] | None = None) -> None:
        self.down, self.up = tolerance
        self.rules = rules or []

    def within(self, ratio: float) -> bool:
        return (1.0 - self.down) <= ratio <= (1.0 + self.up)

    @staticmethod
    def group(pods: list[Obj], metrics: dict[str, Decimal], resource: str) -> tuple[int, set[str], set[str], set[str]]:
        """``groupPods``: (ready count, unready, missing, ignored)."""
        ready = 0
        unready: set[str] = set()
        missing: set[str] = set()
        ignored: set[str] = set()
        for pod in pods:
            name = pod["metadata"]["name"]
            status = pod.get("status") or {}
            if pod["metadata"].get("deletionTimestamp") or status.get("phase") == "Failed":
                ignored.add(name)
                continue
            if status.get("phase", "Pending") == "Pending":
                unready.add(name)
                continue
            if name not in metrics:
                missing.add(name)
                continue
            if resource == "cpu":
                cond = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
                if cond is None or not status.get("startTime") or cond.get("status") == "False":
                    unready.add(name)
                    continue
            ready += 1
        return ready, unready, missing, ignored

    @staticmethod
    def requests(pods: list[Obj], resource: str, container: str = "") -> dict[str, Decimal]:
        """``calculatePodRequests``: each pod's summed container requests (milli-units): its containers'
        and its restartable init containers' (sidecars), whose usage the metrics include too; only
        ``container``'s when given."""
        out: dict[str, Decimal] = {}
        for pod in pods:
            total = Decimal(0)
            spec = pod.get("spec") or {}
            sidecars = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
            for c in [*(spec.get("containers") or []), *sidecars]:
                if container and c.get("name") != container:
                    continue
                amount = ((c.get("resources") or {}).get("requests") or {}).get(resource)
                if amount is None:
                    raise MetricError("FailedGetResourceMetric", (
                        f"missing request for {resource} in container {c.get('name')} of Pod {pod['metadata']['name']}"))
                total += _milli(amount)
            out[pod["metadata"]["name"]] = total
        return out

    def metrics(self, pods: list[Obj], resource: str, container: str = "") -> dict[str, Decimal]:
        """``GetResourceMetric``: each pod's usage of ``resource`` (milli-units), of ``container``
        only when given -- the usage ``kubectl top`` shows (:mod:`setpoint.apimachinery.podusage`)."""
        if not container:
            out = {p["metadata"]["name"]: u for p in pods if (u := usage_of(p, resource, self.rules)) is not None}
        else:
            out = {}
            for pod in pods:
                usage = pod_usage(pod, self.rules)
                if usage is None:
                    continue
                found = next((c for c in usage.containers if c.name == container), None)
                if found is None:
                    meta = pod["metadata"]
                    raise MetricError("FailedGetResourceMetric", (
                        f"unable to get metrics for resource {resource}: failed to get container metrics: container "
                        f"{container} not present in metrics for pod {meta.get('namespace')}/{meta['name']}"))
                if resource in ("cpu", "memory"):
                    out[pod["metadata"]["name"]] = (Decimal(found.cpu_milli) if resource == "cpu"
                                                    else Decimal(found.memory_bytes) * 1000)
        if not out:
            raise MetricError("FailedGetResourceMetric", (
                f"unable to get metrics for resource {resource}: no metrics returned from resource metrics API"))
        return out

    def utilization_replicas(self, current: int, target: int, resource: str,
                             pods: list[Obj], container: str = "") -> tuple[int, int, Decimal]:
        """``GetResourceReplicas``: (replicas, utilization %, raw average milli-usage)."""
        metrics = self.metrics(pods, resource, container)
        if not pods:
            raise MetricError("FailedGetResourceMetric", "no pods returned by selector while calculating replica count")
        ready, unready, missing, ignored = self.group(pods, metrics, resource)
        for name in ignored | unready:
            metrics.pop(name, None)
        requests = self.requests(pods, resource, container)
        if not metrics:
            raise MetricError("FailedGetResourceMetric",
                              "did not receive metrics for targeted pods (pods might be unready)")
        ratio, utilization, raw = _utilization_ratio(metrics, requests, target)
        scale_up_with_unready = bool(unready) and ratio > 1.0
        if not scale_up_with_unready and not missing:
            if self.within(ratio):
                return current, utilization, raw
            return _ceil(ratio * ready), utilization, raw
        if missing:
            if ratio < 1.0:
                fallback = max(100, target)
                for name in missing:
                    metrics[name] = requests[name] * fallback / 100
            elif ratio > 1.0:
                for name in missing:
                    metrics[name] = Decimal(0)
        if scale_up_with_unready:
            for name in unready:
                metrics[name] = Decimal(0)
        new_ratio, _, _ = _utilization_ratio(metrics, requests, target)
        if self.within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
            return current, utilization, raw
        replicas = _ceil(new_ratio * len(metrics))
        if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
            return current, utilization, raw
        return replicas, utilization, raw

    def average_value_replicas(self, current: int, target: Decimal, resource: str,
                               pods: list[Obj], container: str = "") -> tuple[int, Decimal]:
        """``GetRawResourceReplicas`` (``calcPlainMetricReplicas``): (replicas, average milli-usage)."""
        metrics = self.metrics(pods, resource, container)
        if not pods:
            raise MetricError("FailedGetResourceMetric", "no pods returned by selector while calculating replica count")
        ready, unready, missing, ignored = self.group(pods, metrics, resource)
        for name in ignored | unready:
            metrics.pop(name, None)
        if not metrics:
            raise MetricError("FailedGetResourceMetric",
                              "did not receive metrics for targeted pods (pods might be unready)")
        ratio, usage = _usage_ratio(metrics, target)
        scale_up_with_unready = bool(unready) and ratio > 1.0
        if not scale_up_with_unready and not missing:
            if self.within(ratio):
                return current, usage
            return _ceil(ratio * ready), usage
        if missing:
            for name in missing:
                metrics[name] = target if ratio < 1.0 else Decimal(0)
        if scale_up_with_unready:
            for name in unready:
                metrics[name] = Decimal(0)
        new_ratio, _ = _usage_ratio(metrics, target)
        if self.within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
            return current, usage
        replicas = _ceil(new_ratio * len(metrics))
        if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
            return current, usage
        return replicas, usage


def _utilization_ratio(metrics: dict[str, Decimal], requests: dict[str, Decimal],
                       target: int) -> tuple[float, int, Decimal]:
    """``GetResourceUtilizationRatio``: (ratio, whole-percent utilization, raw average)."""
    total = Decimal(0)
    requested = Decimal(0)
    entries = 0
    for name, value in metrics.items():
        if name not in requests:
            continue
        total += int(value)
        requested += requests[name]
        entries += 1
    if requested == 0:
        raise MetricError("FailedGetResourceMetric", "no metrics returned matched known pods")
    utilization = int(total * 100 // requested)
    return utilization / target, utilization, total // entries


def _usage_ratio(metrics: dict[str, Decimal], target: Decimal) -> tuple[float, Decimal]:
    """``GetMetricUsageRatio``."""
    total = Decimal(sum(int(v) for v in metrics.values()))
    usage = total // len(metrics)
    return float(usage / target), usage


def _set_condition(status: Obj, kind: str, value: str, reason: str, message: str, now: str) -> None:
    """kube's ``setCondition``: the transition time moves only when the status does."""
    conditions: list[Obj] = status.setdefault("conditions", [])
    for c in conditions:
        if c.get("type") == kind:
            if c.get("status") != value:
                c["lastTransitionTime"] = now
            c.update({"status": value, "reason": reason, "message": message})
            return
    conditions.append({"type": kind, "status": value, "lastTransitionTime": now, "reason": reason,
                       "message": message})


def _rate_limit_up(current: int, ups: list[_ScaleEvent], downs: list[_ScaleEvent], rules: Obj,
                   now: float) -> int:
    """``calculateScaleUpLimitWithScalingRules``."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    pick: Callable[[int, int], int] = min if select == "Min" else max
    result = 2**31 - 1 if select == "Min" else -(2**31)
    for policy in rules.get("policies") or []:
        start = current - _changed(policy, ups, now) + _changed(policy, downs, now)
        proposed = (start + int(policy["value"]) if policy.get("type") == "Pods"
                    else _ceil(start * (1 + policy["value"] / 100)))
        result = pick(result, proposed)
    return result


def _rate_limit_down(current: int, ups: list[_ScaleEvent], downs: list[_ScaleEvent], rules: Obj,
                     now: float) -> int:
    """``calculateScaleDownLimitWithBehaviors``."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    pick: Callable[[int, int], int] = max if select == "Min" else min
    result = -(2**31) if select == "Min" else 2**31 - 1
    for policy in rules.get("policies") or []:
        start = current - _changed(policy, ups, now) + _changed(policy, downs, now)
        proposed = (start - int(policy["value"]) if policy.get("type") == "Pods"
                    else int(start * (1 - policy["value"] / 100)))
        result = pick(result, proposed)
    return result


def _changed(policy: Obj, events: list[_ScaleEvent], now: float) -> int:
    """``getReplicasChangePerPeriod``."""
    cutoff = now - float(policy.get("periodSeconds") or 0)
    return sum(e.change for e in events if e.at > cutoff)


class HorizontalReconciler:
    """Reconciles one HorizontalPodAutoscaler."""

    def __init__(self, manager: Manager, client: InProcessClient, options: ControllerOptions) -> None:
        self.cache = manager.cache
        self.client = client
        self.options = options
        self.clock = options.clock
        self.recorder = EventRecorder(client, "horizontal-pod-autoscaler")
        self.recommendations: dict[tuple[str, str], list[_Recommendation]] = {}
        self.scale_ups: dict[tuple[str, str], list[_ScaleEvent]] = {}
        self.scale_downs: dict[tuple[str, str], list[_ScaleEvent]] = {}
        self._parsed_rules: tuple[str, list[ImageRule]] = ("", [])

    async def reconcile(self, request: Request) -> Result | None:
        key = (request.namespace, request.name)
        cached = self.cache.get(HPA, request.name, request.namespace)
        if cached is None:
            for history in (self.recommendations, self.scale_ups, self.scale_downs):
                history.pop(key, None)
            return None
        hpa = copy.deepcopy(cached)
        original = copy.deepcopy(hpa.get("status") or {})
        try:
            await self._reconcile(hpa, key)
        finally:
            if (hpa.get("status") or {}) != original:
                try:
                    await self.client.update_status(hpa)
                except (errors.Conflict, errors.NotFound):
                    pass  # the next sync writes it
        return Result(requeue_after=self.options.hpa_sync_period)

    async def _reconcile(self, hpa: Obj, key: tuple[str, str]) -> None:
        spec = hpa.get("spec") or {}
        status: Obj = hpa.setdefault("status", {})
        now_text = format_time(self.clock.now())
        ref = spec.get("scaleTargetRef") or {}
        ns = hpa["metadata"]["namespace"]
        target = Kind(ref.get("apiVersion") or "v1", ref.get("kind") or "")
        try:
            scale = await self.client.get(target, ref.get("name") or "", ns, subresource="scale")
        except errors.ApiError as e:
            message = f"the HPA controller was unable to get the target's current scale: {e.message}"
            _set_condition(status, "AbleToScale", "False", "FailedGetScale", message, now_text)
            await self.recorder.warning(hpa, "FailedGetScale", e.message)
            return
        _set_condition(status, "AbleToScale", "True", "SucceededGetScale",
                       "the HPA controller was able to get the target's current scale", now_text)
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        min_replicas = int(spec.get("minReplicas", 1))
        max_replicas = int(spec.get("maxReplicas") or 0)
        metric_statuses: list[Obj] = []
        rescale_reason = ""
        desired = 0
        rescale = True
        if current == 0 and min_replicas != 0:
            rescale = False
            _set_condition(status, "ScalingActive", "False", "ScalingDisabled",
                           "scaling is disabled since the replica count of the target is zero", now_text)
        elif current > max_replicas:
            rescale_reason, desired = "Current number of replicas above Spec.MaxReplicas", max_replicas
        elif current < min_replicas:
            rescale_reason, desired = "Current number of replicas below Spec.MinReplicas", min_replicas
        else:
            proposal, metric_name, metric_statuses = await self._compute(hpa, scale, current, status, now_text)
            if proposal is None:
                # setCurrentReplicasAndMetricsInStatus: the desired count stays what it was.
                self._set_status(status, current, int(status.get("desiredReplicas") or 0), metric_statuses, False)
                return
            rescale_metric = ""
            if proposal > desired:
                desired, rescale_metric = proposal, metric_name
            if desired > current:
                rescale_reason = f"{rescale_metric} above target"
            if desired < current:
                rescale_reason = "All metrics below target"
            if spec.get("behavior") is None:
                desired = self._normalize(status, key, current, desired, min_replicas, max_replicas, now_text)
            else:
                desired = self._normalize_with_behaviors(spec["behavior"], status, key, current, desired,
                                                         min_replicas, max_replicas, now_text)
            rescale = desired != current
        if rescale:
            try:
                await self.client.patch(target, ref.get("name") or "", {"spec": {"replicas": desired}}, ns,
                                        type=PatchType.MERGE, subresource="scale")
            except errors.ApiError as e:
                _set_condition(status, "AbleToScale", "False", "FailedUpdateScale",
                               f"the HPA controller was unable to update the target scale: {e.message}", now_text)
                await self.recorder.warning(hpa, "FailedRescale",
                                            f"New size: {desired}; reason: {rescale_reason}; error: {e.message}")
                self._set_status(status, current, int(status.get("desiredReplicas") or 0), metric_statuses, False)
                raise
            _set_condition(status, "AbleToScale", "True", "SucceededRescale",
                           f"the HPA controller was able to update the target scale to {desired}", now_text)
            await self.recorder.normal(hpa, "SuccessfulRescale", f"New size: {desired}; reason: {rescale_reason}")
            self._store_scale_event(key, current, desired)
        else:
            desired = current
        self._set_status(status, current, desired, metric_statuses, rescale)

    def _set_status(self, status: Obj, current: int, desired: int, metrics: list[Obj], rescale: bool) -> None:
        status["currentReplicas"] = current
        status["desiredReplicas"] = desired
        if metrics:
            status["currentMetrics"] = metrics
        else:
            status.pop("currentMetrics", None)
        if rescale:
            status["lastScaleTime"] = format_time(self.clock.now())

    async def _compute(self, hpa: Obj, scale: Obj, current: int, status: Obj,
                       now_text: str) -> tuple[int | None, str, list[Obj]]:
        """``computeReplicasForMetrics``: (replicas, metric name, statuses); replicas None when no
        metric could be computed (the condition and events are set). A metric that failed has a
        zero status (``{"type": ""}``), as kube's."""
        selector_text = (scale.get("status") or {}).get("selector") or ""
        if not selector_text:
            await self.recorder.warning(hpa, "SelectorRequired", "selector is required")
            _set_condition(status, "ScalingActive", "False", "InvalidSelector",
                           "the HPA target's scale is missing a selector", now_text)
            return None, "", []
        try:
            selector = labelsel.parse(selector_text)
        except ValueError as e:
            await self.recorder.warning(hpa, "InvalidSelector", f"couldn't convert selector into a corresponding internal selector object: {e}")
            _set_condition(status, "ScalingActive", "False", "InvalidSelector",
                           "the HPA target's scale has an invalid selector", now_text)
            return None, "", []
        pods = self.cache.list(POD, hpa["metadata"]["namespace"], selector)
        spec = hpa.get("spec") or {}
        behavior = spec.get("behavior") or {}
        tolerance = (self._tolerance(behavior.get("scaleDown")), self._tolerance(behavior.get("scaleUp")))
        calc = Calculator(tolerance, await self._rules())
        metrics = spec.get("metrics") or []
        replicas, metric = 0, ""
        statuses: list[Obj] = []
        invalid: list[MetricError] = []
        for m in metrics:
            try:
                proposal, name, metric_status = self._metric(calc, m, current, pods)
            except MetricError as e:
                invalid.append(e)
                statuses.append({"type": ""})
                await self.recorder.warning(hpa, e.reason, str(e))
                continue
            statuses.append(metric_status)
            if replicas == 0 or proposal > replicas:
                replicas, metric = proposal, name
        if invalid and (len(invalid) >= len(metrics) or replicas < current):
            first = invalid[0]
            _set_condition(status, "ScalingActive", "False", first.reason,
                           f"the HPA was unable to compute the replica count: {first}", now_text)
            await self.recorder.warning(hpa, "FailedComputeMetricsReplicas", (
                f"invalid metrics ({len(invalid)} invalid out of {len(metrics)}), first error is: {first}"))
            return None, "", statuses
        _set_condition(status, "ScalingActive", "True", "ValidMetricFound",
                       f"the HPA was able to successfully calculate a replica count from {metric}", now_text)
        return replicas, metric, statuses

    async def _rules(self) -> list[ImageRule]:
        """The per-image behaviours of ``kube-system/setpoint-behaviors`` (parsed once a version)."""
        try:
            cm = await self.client.get(CONFIG_MAP, podbehavior.RULES_CONFIGMAP, podbehavior.RULES_NAMESPACE)
        except errors.NotFound:
            self._parsed_rules = ("", [])
            return []
        version = str(cm["metadata"].get("resourceVersion", ""))
        if version != self._parsed_rules[0]:
            self._parsed_rules = (version, rules_of(cm))
        return self._parsed_rules[1]

    def _tolerance(self, rules: object) -> float:
        value = rules.get("tolerance") if isinstance(rules, dict) else None
        if value is None:
            return self.options.hpa_tolerance
        return float(quantity.value(str(value)))

    def _metric(self, calc: Calculator, metric: Obj, current: int, pods: list[Obj]) -> tuple[int, str, Obj]:
        kind = metric.get("type")
        if kind not in ("Resource", "ContainerResource"):
            field = {"Pods": "pods", "Object": "object", "External": "external"}.get(str(kind), "")
            name = ((metric.get(field) or {}).get("metric") or {}).get("name") or (metric.get(field) or {}).get("name")
            reason = {"Pods": "FailedGetPodsMetric", "Object": "FailedGetObjectMetric",
                      "External": "FailedGetExternalMetric"}.get(str(kind), "InvalidMetricSourceType")
            raise MetricError(reason, f"failed to get {name} {str(kind).lower()} metric value: "
                                      "no simulated source for this metric type")
        # computeStatusForResourceMetricGeneric, for a pod's or one container's usage.
        per_container = kind == "ContainerResource"
        field = "containerResource" if per_container else "resource"
        source = metric.get(field) or {}
        resource = str(source.get("name"))
        container = str(source.get("container") or "") if per_container else ""
        target = source.get("target") or {}
        reason = "FailedGetContainerResourceMetric" if per_container else "FailedGetResourceMetric"
        outer = (f"failed to get {container} container metric value: " if per_container
                 else f"failed to get {resource} resource metric value: ")

        def status_of(current_value: Obj) -> Obj:
            named = {"name": resource, "container": container} if per_container else {"name": resource}
            return {"type": str(kind), field: {**named, "current": current_value}}

        if target.get("averageValue") is not None:
            try:
                replicas, usage = calc.average_value_replicas(current, _milli(target["averageValue"]), resource,
                                                              pods, container)
            except MetricError as e:
                raise MetricError(reason, f"{outer}failed to get {resource} usage: {e}") from None
            return replicas, f"{resource} resource", status_of({"averageValue": quantity.canonical(usage / 1000)})
        if target.get("averageUtilization") is None:
            raise MetricError(reason, f"{outer}invalid resource metric source: neither an average utilization "
                                      "target nor an average value (usage) target was set")
        try:
            replicas, utilization, raw = calc.utilization_replicas(current, int(target["averageUtilization"]),
                                                                   resource, pods, container)
        except MetricError as e:
            raise MetricError(reason, f"{outer}failed to get {resource} utilization: {e}") from None
        name = (f"{resource} container resource utilization (percentage of request)" if per_container
                else f"{resource} resource utilization (percentage of request)")
        return replicas, name, status_of({"averageUtilization": utilization,
                                          "averageValue": quantity.canonical(raw / 1000)})

    def _normalize(self, status: Obj, key: tuple[str, str], current: int, desired: int, min_replicas: int,
                   max_replicas: int, now_text: str) -> int:
        """``normalizeDesiredReplicas``: the downscale stabilization window, then the rules."""
        now = self.clock.now().timestamp()
        cutoff = now - self.options.hpa_downscale_stabilization
        history = self.recommendations.setdefault(key, [])
        stabilized = desired
        old = None
        for i, rec in enumerate(history):
            if rec.at < cutoff:
                old = i
            elif rec.replicas > stabilized:
                stabilized = rec.replicas
        if old is not None:
            history[old] = _Recommendation(desired, now)
        else:
            history.append(_Recommendation(desired, now))
        if stabilized != desired:
            _set_condition(status, "AbleToScale", "True", "ScaleDownStabilized",
                           "recent recommendations were higher than current one, applying the highest recent "
                           "recommendation", now_text)
        else:
            _set_condition(status, "AbleToScale", "True", "ReadyForNewScale",
                           "recommended size matches current size", now_text)
        scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
        if max_replicas > scale_up_limit:
            maximum, reason, message = (scale_up_limit, "ScaleUpLimit",
                                        "the desired replica count is increasing faster than the maximum scale rate")
        else:
            maximum, reason, message = (max_replicas, "TooManyReplicas",
                                        "the desired replica count is more than the maximum replica count")
        if stabilized < min_replicas:
            result, reason, message = (min_replicas, "TooFewReplicas",
                                       "the desired replica count is less than the minimum replica count")
        elif stabilized > maximum:
            result = maximum
        else:
            result, reason, message = stabilized, "DesiredWithinRange", "the desired count is within the acceptable range"
        _set_condition(status, "ScalingLimited", "False" if result == stabilized else "True", reason, message, now_text)
        return result

    def _normalize_with_behaviors(self, behavior: Obj, status: Obj, key: tuple[str, str], current: int,
                                  desired: int, min_replicas: int, max_replicas: int, now_text: str) -> int:
        """``normalizeDesiredReplicasWithBehaviors``: the windows, then the policies."""
        now = self.clock.now().timestamp()
        up_rules: Obj = behavior.get("scaleUp") or {}
        down_rules: Obj = behavior.get("scaleDown") or {}
        up_window = up_rules.get("stabilizationWindowSeconds") or 0
        down_window = down_rules.get("stabilizationWindowSeconds")
        if down_window is None:
            down_window = self.options.hpa_downscale_stabilization
        up_cutoff, down_cutoff = now - up_window, now - down_window
        history = self.recommendations.setdefault(key, [])
        up_rec = down_rec = desired
        old = None
        for i, rec in enumerate(history):
            if rec.at > up_cutoff:
                up_rec = min(rec.replicas, up_rec)
            if rec.at > down_cutoff:
                down_rec = max(rec.replicas, down_rec)
            if rec.at < up_cutoff and rec.at < down_cutoff:
                old = i
        stabilized = max(current, up_rec)
        stabilized = min(stabilized, down_rec)
        if old is not None:
            history[old] = _Recommendation(desired, now)
        else:
            history.append(_Recommendation(desired, now))
        if stabilized != desired:
            if desired >= current:
                reason, message = ("ScaleUpStabilized", "recent recommendations were lower than current one, "
                                   "applying the lowest recent recommendation")
            else:
                reason, message = ("ScaleDownStabilized", "recent recommendations were higher than current one, "
                                   "applying the highest recent recommendation")
            _set_condition(status, "AbleToScale", "True", reason, message, now_text)
        else:
            _set_condition(status, "AbleToScale", "True", "ReadyForNewScale",
                           "recommended size matches current size", now_text)
        ups, downs = self.scale_ups.get(key, []), self.scale_downs.get(key, [])
        result, reason, message = stabilized, "DesiredWithinRange", "the desired count is within the acceptable range"
        if stabilized > current:
            limit = max(_rate_limit_up(current, ups, downs, up_rules, now), current)
            if max_replicas > limit:
                maximum, why, text = (limit, "ScaleUpLimit",
                                      "the desired replica count is increasing faster than the maximum scale rate")
            else:
                maximum, why, text = (max_replicas, "TooManyReplicas",
                                      "the desired replica count is more than the maximum replica count")
            if stabilized > maximum:
                result, reason, message = maximum, why, text
        elif stabilized < current:
            limit = min(_rate_limit_down(current, ups, downs, down_rules, now), current)
            if min_replicas < limit:
                minimum, why, text = (limit, "ScaleDownLimit",
                                      "the desired replica count is decreasing faster than the maximum scale rate")
            else:
                minimum, why, text = (min_replicas, "TooFewReplicas",
                                      "the desired replica count is less than the minimum replica count")
            if stabilized < minimum:
                result, reason, message = minimum, why, text
        _set_condition(status, "ScalingLimited", "False" if result == stabilized else "True", reason, message, now_text)
        return result

    def _store_scale_event(self, key: tuple[str, str], previous: int, new: int) -> None:
        """``storeScaleEvent``: kept for the longest policy period (30 min at most)."""
        now = self.clock.now().timestamp()
        events = self.scale_ups if new > previous else self.scale_downs
        kept = [e for e in events.get(key, []) if e.at > now - 1800]
        kept.append(_ScaleEvent(abs(new - previous), now))
        events[key] = kept


def _no_requests(_: Any) -> list[Request]:
    return []


def add_hpa_controller(manager: Manager, client: InProcessClient, options: ControllerOptions) -> HorizontalReconciler:
    """The horizontal pod autoscaler controller, on ``manager``, writing through ``client``; its reconciler.

    Each HPA syncs when created, when its spec changes and every ``hpa_sync_period`` -- not on its own
    status writes, nor on pod changes (pods are cached for the metrics only), as kube's -- and when the
    clock jumps (a test's ``FakeClock``)."""
    reconciler = HorizontalReconciler(manager, client, options)
    never = Funcs(create=lambda _: False, update=lambda _o, _n: False, delete=lambda _: False, name="never")
    controller = (Builder(manager)
                  .named("horizontal-pod-autoscaler")
                  .for_(HPA, generation_changed())
                  .watches(POD, _no_requests, never)
                  .complete(reconciler))

    def wake() -> None:
        """A jump of the (fake) clock: every HPA is looked at again now."""
        for hpa in manager.cache.list(HPA):
            controller.queue.add(Request.of(hpa))

    options.clock.subscribe(wake)
    return reconciler
