"""autoscaling/v2 HorizontalPodAutoscaler (kube's ``pkg/registry/autoscaling/horizontalpodautoscaler``).

Defaults are ``SetDefaults_HorizontalPodAutoscaler`` of ``pkg/apis/autoscaling/v2/defaults.go``
(``minReplicas: 1``, a CPU 80% utilization metric when none is given, a given ``behavior``
filled with kube's scale-up and scale-down rules); validation is
``pkg/apis/autoscaling/validation``; columns are ``printHorizontalPodAutoscaler``.
The status is written through ``/status``; a create starts with an empty one.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from setpoint.apimachinery import quantity
from setpoint.apimachinery.types import Obj
from setpoint.apimachinery.validation import is_valid_path_segment_name
from setpoint.apiserver.builtin.declare import declare, description
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

_V2 = "io.k8s.api.autoscaling.v2."

#: kube's ``autoscaling.DefaultCPUUtilization``.
DEFAULT_CPU_UTILIZATION = 80
DEFAULT_SCALE_UP: Obj = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                 {"type": "Percent", "value": 100, "periodSeconds": 15}],
}
#: No stabilizationWindowSeconds: the controller's --horizontal-pod-autoscaler-downscale-stabilization.
DEFAULT_SCALE_DOWN: Obj = {
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}
MAX_PERIOD_SECONDS = 1800
MAX_STABILIZATION_WINDOW_SECONDS = 3600
_METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"]
_SOURCE_FIELDS = {"Object": "object", "Pods": "pods", "Resource": "resource", "External": "external",
                  "ContainerResource": "containerResource"}


def _rules(given: object, default: Obj) -> Obj:
    """``copyHPAScalingRules``: the default rules with the given non-nil fields."""
    out = copy.deepcopy(default)
    if isinstance(given, dict):
        for key in ("selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"):
            if given.get(key) is not None:
                out[key] = given[key]
    return out


def default_hpa(obj: Obj) -> None:
    """``SetDefaults_HorizontalPodAutoscaler`` (in place)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION}}}]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        spec["behavior"] = {**behavior, "scaleUp": _rules(behavior.get("scaleUp"), DEFAULT_SCALE_UP),
                            "scaleDown": _rules(behavior.get("scaleDown"), DEFAULT_SCALE_DOWN)}


# --- validation ---------------------------------------------------------------------------


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sign(q: object) -> int:
    if not isinstance(q, str):
        return 0
    try:
        v = quantity.value(q)
    except ValueError:
        return 0
    return (v > 0) - (v < 0)


def _cross_version_ref(ref: object, path: str) -> list[errors.FieldError]:
    ref = ref if isinstance(ref, dict) else {}
    out: list[errors.FieldError] = []
    for key in ("kind", "name"):
        value = ref.get(key) or ""
        if not value:
            out.append(errors.required(f"{path}.{key}", ""))
        else:
            out.extend(errors.invalid(f"{path}.{key}", value, msg) for msg in is_valid_path_segment_name(str(value)))
    return out


def _metric_target(mt: Obj, path: str) -> list[errors.FieldError]:
    out: list[errors.FieldError] = []
    kind = mt.get("type") or ""
    if not kind:
        out.append(errors.required(f"{path}.type", "must specify a metric target type"))
    if kind not in ("Utilization", "Value", "AverageValue"):
        out.append(errors.invalid(f"{path}.type", kind, "must be either Utilization, Value, or AverageValue"))
    for key in ("value", "averageValue"):
        if mt.get(key) is not None and _sign(mt[key]) != 1:
            out.append(errors.invalid(f"{path}.{key}", mt[key], "must be positive"))
    util = _int(mt.get("averageUtilization"))
    if util is not None and util < 1:
        out.append(errors.invalid(f"{path}.averageUtilization", util, "must be greater than 0"))
    return out


def _metric_identifier(mid: object, path: str) -> list[errors.FieldError]:
    name = (mid.get("name") if isinstance(mid, dict) else None) or ""
    if not name:
        return [errors.required(f"{path}.name", "must specify a metric name")]
    return [errors.invalid(f"{path}.name", name, msg) for msg in is_valid_path_segment_name(name)]


def _target(src: Obj) -> Obj:
    t = src.get("target")
    return t if isinstance(t, dict) else {}


def _source_errors(kind: str, src: Obj, path: str) -> list[errors.FieldError]:
    t = _target(src)
    tpath = f"{path}.target"
    out: list[errors.FieldError] = []
    if kind == "object":
        out.extend(_cross_version_ref(src.get("describedObject"), f"{path}.describedObject"))
        out.extend(_metric_identifier(src.get("metric"), f"{path}.metric"))
        out.extend(_metric_target(t, tpath))
        if t.get("value") is None and t.get("averageValue") is None:
            out.append(errors.required(f"{tpath}.averageValue", "must set either a target value or averageValue"))
    elif kind == "external":
        out.extend(_metric_identifier(src.get("metric"), f"{path}.metric"))
        out.extend(_metric_target(t, tpath))
        if t.get("value") is None and t.get("averageValue") is None:
            out.append(errors.required(f"{tpath}.averageValue",
                                       "must set either a target value for metric or a per-pod target"))
        if t.get("value") is not None and t.get("averageValue") is not None:
            out.append(errors.forbidden(f"{tpath}.value",
                                        "may not set both a target value for metric and a per-pod target"))
    elif kind == "pods":
        out.extend(_metric_identifier(src.get("metric"), f"{path}.metric"))
        out.extend(_metric_target(t, tpath))
        if t.get("averageValue") is None:
            out.append(errors.required(f"{tpath}.averageValue", "must specify a positive target averageValue"))
    else:  # resource, containerResource
        if not src.get("name"):
            out.append(errors.required(f"{path}.name", "must specify a resource name"))
        if kind == "containerResource" and not src.get("container"):
            out.append(errors.required(f"{path}.container", "must specify a container"))
        out.extend(_metric_target(t, tpath))
        if t.get("averageUtilization") is None and t.get("averageValue") is None:
            out.append(errors.required(f"{tpath}.averageUtilization",
                                       "must set either a target raw value or a target utilization"))
        if t.get("averageUtilization") is not None and t.get("averageValue") is not None:
            out.append(errors.forbidden(f"{tpath}.averageValue",
                                        "may not set both a target raw value and a target utilization"))
    return out


def _metric_spec(spec: Obj, path: str) -> list[errors.FieldError]:
    """``validateMetricSpec``."""
    out: list[errors.FieldError] = []
    kind = spec.get("type") or ""
    if not kind:
        out.append(errors.required(f"{path}.type", "must specify a metric source type"))
    if kind not in _METRIC_TYPES:
        out.append(errors.not_supported(f"{path}.type", kind, _METRIC_TYPES))
    present: list[str] = []
    for field in ("object", "external", "pods", "resource", "containerResource"):
        src = spec.get(field)
        if src is not None:
            present.append(field)
            if len(present) == 1:
                out.extend(_source_errors(field, src if isinstance(src, dict) else {}, f"{path}.{field}"))
    expected = _SOURCE_FIELDS.get(kind, "")
    if expected:
        if spec.get(expected) is None:
            out.append(errors.required(f"{path}.{expected}", "must populate information for the given metric source"))
    else:
        out.append(errors.not_supported(f"{path}.type", kind, _METRIC_TYPES))
    if len(present) != 1:
        # Go ranges over a set here: the order of these is not fixed in kube either.
        out.extend(errors.forbidden(f"{path}.{f}", "must populate the given metric source only")
                   for f in sorted(set(present) - {expected}))
    return out


def _scaling_rules(rules: object, path: str) -> list[errors.FieldError]:
    if not isinstance(rules, dict):
        return []
    out: list[errors.FieldError] = []
    window = _int(rules.get("stabilizationWindowSeconds"))
    if window is not None and window < 0:
        out.append(errors.invalid(f"{path}.stabilizationWindowSeconds", window, "must be greater than or equal to zero"))
    if window is not None and window > MAX_STABILIZATION_WINDOW_SECONDS:
        out.append(errors.invalid(f"{path}.stabilizationWindowSeconds", window,
                                  f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"))
    select = rules.get("selectPolicy")
    if select is not None and select not in ("Disabled", "Max", "Min"):
        out.append(errors.not_supported(f"{path}.selectPolicy", select, ["Disabled", "Max", "Min"]))
    policies = rules.get("policies") or []
    if not policies:
        out.append(errors.required(f"{path}.policies", "must specify at least one Policy"))
    for i, policy in enumerate(policies):
        p = policy if isinstance(policy, dict) else {}
        ppath = f"{path}.policies[{i}]"
        if p.get("type") not in ("Pods", "Percent"):
            out.append(errors.not_supported(f"{ppath}.type", p.get("type") or "", ["Percent", "Pods"]))
        value, period = _int(p.get("value")) or 0, _int(p.get("periodSeconds")) or 0
        if value <= 0:
            out.append(errors.invalid(f"{ppath}.value", value, "must be greater than zero"))
        if period <= 0:
            out.append(errors.invalid(f"{ppath}.periodSeconds", period, "must be greater than zero"))
        if period > MAX_PERIOD_SECONDS:
            out.append(errors.invalid(f"{ppath}.periodSeconds", period,
                                      f"must be less than or equal to {MAX_PERIOD_SECONDS}"))
    tolerance = rules.get("tolerance")
    if tolerance is not None and _sign(tolerance) < 0:
        out.append(errors.invalid(f"{path}.tolerance", tolerance, "must be greater than or equal to 0"))
    return out


def validate_hpa_spec(spec: Obj, min_lower_bound: int = 1) -> list[errors.FieldError]:
    """``validateHorizontalPodAutoscalerSpec`` (HPAScaleToZero off: minReplicas >= 1)."""
    out: list[errors.FieldError] = []
    min_replicas = _int(spec.get("minReplicas"))
    max_replicas = _int(spec.get("maxReplicas")) or 0
    if min_replicas is not None and min_replicas < min_lower_bound:
        out.append(errors.invalid("spec.minReplicas", min_replicas,
                                  f"must be greater than or equal to {min_lower_bound}"))
    if max_replicas < 1:
        out.append(errors.invalid("spec.maxReplicas", max_replicas, "must be greater than 0"))
    if min_replicas is not None and max_replicas < min_replicas:
        out.append(errors.invalid("spec.maxReplicas", max_replicas, "must be greater than or equal to `minReplicas`"))
    out.extend(_cross_version_ref(spec.get("scaleTargetRef"), "spec.scaleTargetRef"))
    metrics = spec.get("metrics") or []
    has_object_or_external = False
    for i, metric in enumerate(metrics):
        out.extend(_metric_spec(metric if isinstance(metric, dict) else {}, f"spec.metrics[{i}]"))
        if isinstance(metric, dict) and metric.get("type") in ("Object", "External"):
            has_object_or_external = True
    if min_replicas == 0 and not has_object_or_external:
        out.append(errors.forbidden("spec.metrics",
                                    "must specify at least one Object or External metric to support scaling to zero replicas"))
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        out.extend(_scaling_rules(behavior.get("scaleUp"), "spec.behavior.scaleUp"))
        out.extend(_scaling_rules(behavior.get("scaleDown"), "spec.behavior.scaleDown"))
    return out


class HPAStrategy(Strategy):
    """kube's ``autoscalerStrategy``: defaults, a status reset on create, validation."""

    has_generation = True

    def prepare_for_create(self, obj: Obj) -> None:
        default_hpa(obj)
        obj["status"] = {}

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        default_hpa(obj)

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec")
        return validate_hpa_spec(spec if isinstance(spec, dict) else {})

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec")
        old_min = (old.get("spec") or {}).get("minReplicas")
        return validate_hpa_spec(spec if isinstance(spec, dict) else {}, 0 if old_min == 0 else 1)

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return obj.get("spec") != old.get("spec")

    def validate_status_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        """``ValidateHorizontalPodAutoscalerStatusUpdate``: the replica counts are not negative."""
        status = obj.get("status") or {}
        out: list[errors.FieldError] = []
        for key in ("currentReplicas", "desiredReplicas"):
            value = _int(status.get(key))
            if value is not None and value < 0:
                out.append(errors.invalid(f"status.{key}", value, "must be greater than or equal to 0"))
        return out


# --- columns (printHorizontalPodAutoscaler) -------------------------------------------------


def _q(value: object) -> str:
    """A quantity as Go's ``Quantity.String()`` prints it."""
    if not isinstance(value, str):
        return "0"
    try:
        return quantity.canonical(quantity.value(value)) if not value.endswith("i") else value
    except ValueError:
        return value


def _metric_text(spec: Obj, status: Obj | None) -> str:
    kind = spec.get("type")
    field = _SOURCE_FIELDS.get(str(kind), "")
    src: Obj = spec.get(field) or {} if field else {}
    cur: Obj = (status or {}).get(field) or {} if field else {}
    current: Obj = cur.get("current") or {}
    target = _target(src)
    if kind in ("External", "Object"):
        if target.get("averageValue") is not None:
            now = _q(current["averageValue"]) if current.get("averageValue") is not None else "<unknown>"
            return f"{now}/{_q(target['averageValue'])} (avg)"
        now = _q(current.get("value")) if cur else "<unknown>"
        return f"{now}/{_q(target.get('value'))}"
    if kind == "Pods":
        now = _q(current.get("averageValue")) if cur else "<unknown>"
        return f"{now}/{_q(target.get('averageValue'))}"
    if kind in ("Resource", "ContainerResource"):
        name = src.get("name", "")
        if target.get("averageValue") is not None:
            now = _q(current.get("averageValue")) if cur else "<unknown>"
            return f"{name}: {now}/{_q(target['averageValue'])}"
        util = current.get("averageUtilization")
        now = f"{util}%" if util is not None else "<unknown>"
        goal = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
        return f"{name}: {now}/{goal}"
    return "<unknown type>"


def format_hpa_metrics(obj: Obj) -> str:
    """``formatHPAMetrics``: the first two metrics, current/target, then ``+ N more...``."""
    specs = (obj.get("spec") or {}).get("metrics") or []
    if not specs:
        return "<none>"
    statuses = (obj.get("status") or {}).get("currentMetrics") or []
    texts = [_metric_text(s if isinstance(s, dict) else {}, statuses[i] if i < len(statuses) else None)
             for i, s in enumerate(specs)]
    if len(texts) > 2:
        return f"{', '.join(texts[:2])} + {len(texts) - 2} more..."
    return ", ".join(texts)


def _reference(obj: Obj) -> str:
    ref = (obj.get("spec") or {}).get("scaleTargetRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


def _min_pods(obj: Obj) -> str:
    value = (obj.get("spec") or {}).get("minReplicas")
    return "<unset>" if value is None else str(value)


def _int_at(obj: Obj, *path: str) -> int:
    cur: Any = obj
    for p in path:
        cur = cur.get(p) if isinstance(cur, dict) else None
    return cur if isinstance(cur, int) else 0


_HPA_COLUMNS = (
    Column("Reference", "string", _reference, description=description(_V2 + "HorizontalPodAutoscalerSpec", "scaleTargetRef")),
    Column("Targets", "string", format_hpa_metrics, description=description(_V2 + "HorizontalPodAutoscalerSpec", "metrics")),
    Column("MinPods", "string", _min_pods, description=description(_V2 + "HorizontalPodAutoscalerSpec", "minReplicas")),
    Column("MaxPods", "string", lambda o: _int_at(o, "spec", "maxReplicas"),
           description=description(_V2 + "HorizontalPodAutoscalerSpec", "maxReplicas")),
    Column("Replicas", "string", lambda o: _int_at(o, "status", "currentReplicas"),
           description=description(_V2 + "HorizontalPodAutoscalerStatus", "currentReplicas")),
)


# --- autoscaling/v1 -------------------------------------------------------------------------
# kube's pkg/apis/autoscaling/v1/conversion.go: v1 has only a CPU utilization target; everything
# else v2 holds travels in annotations, in v1's own shapes, and is taken back on the way in.

METRIC_SPECS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
METRIC_STATUSES_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
_ROUND_TRIP = (METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION)
_V1_FIELD = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods", "Object": "object",
             "External": "external"}


def _drop_none(d: Obj) -> Obj:
    return {k: v for k, v in d.items() if v is not None}


def _metric_spec_to_v1(m: Obj) -> Obj:
    kind = m.get("type")
    field = _V1_FIELD.get(str(kind), "")
    src: Obj = m.get(field) or {}
    t = _target(src)
    metric: Obj = src.get("metric") or {}
    if kind in ("Resource", "ContainerResource"):
        out = _drop_none({"name": src.get("name"), "container": src.get("container"),
                          "targetAverageUtilization": t.get("averageUtilization"),
                          "targetAverageValue": t.get("averageValue")})
    elif kind == "Pods":
        out = _drop_none({"metricName": metric.get("name"), "selector": metric.get("selector"),
                          "targetAverageValue": t.get("averageValue")})
    elif kind == "Object":
        out = _drop_none({"target": src.get("describedObject"), "metricName": metric.get("name"),
                          "selector": metric.get("selector"), "targetValue": t.get("value"),
                          "averageValue": t.get("averageValue")})
    elif kind == "External":
        out = _drop_none({"metricName": metric.get("name"), "metricSelector": metric.get("selector"),
                          "targetValue": t.get("value"), "targetAverageValue": t.get("averageValue")})
    else:
        return {"type": kind}
    return {"type": kind, field: out}


def _metric_spec_to_v2(m: Obj) -> Obj:
    kind = m.get("type")
    field = _V1_FIELD.get(str(kind), "")
    src: Obj = m.get(field) or {}
    if kind in ("Resource", "ContainerResource"):
        util = src.get("targetAverageUtilization")
        target = _drop_none({"type": "AverageValue" if util is None else "Utilization",
                             "averageUtilization": util, "averageValue": src.get("targetAverageValue")})
        out = _drop_none({"name": src.get("name"), "container": src.get("container"), "target": target})
    elif kind == "Pods":
        out = {"metric": _drop_none({"name": src.get("metricName"), "selector": src.get("selector")}),
               "target": _drop_none({"type": "AverageValue", "averageValue": src.get("targetAverageValue")})}
    elif kind == "Object":
        average = src.get("averageValue")
        out = _drop_none({"describedObject": src.get("target"),
                          "metric": _drop_none({"name": src.get("metricName"), "selector": src.get("selector")}),
                          "target": _drop_none({"type": "Value" if average is None else "AverageValue",
                                                "value": src.get("targetValue"), "averageValue": average})})
    elif kind == "External":
        value = src.get("targetValue")
        out = {"metric": _drop_none({"name": src.get("metricName"), "selector": src.get("metricSelector")}),
               "target": _drop_none({"type": "AverageValue" if value is None else "Value", "value": value,
                                     "averageValue": src.get("targetAverageValue")})}
    else:
        return {"type": kind}
    return {"type": kind, field: out}


def _metric_status_to_v1(m: Obj) -> Obj:
    kind = m.get("type")
    field = _V1_FIELD.get(str(kind), "")
    src: Obj = m.get(field) or {}
    cur: Obj = src.get("current") or {}
    metric: Obj = src.get("metric") or {}
    if kind in ("Resource", "ContainerResource"):
        out = _drop_none({"name": src.get("name"), "container": src.get("container"),
                          "currentAverageUtilization": cur.get("averageUtilization"),
                          "currentAverageValue": cur.get("averageValue")})
    elif kind == "Pods":
        out = _drop_none({"metricName": metric.get("name"), "selector": metric.get("selector"),
                          "currentAverageValue": cur.get("averageValue")})
    elif kind == "Object":
        out = _drop_none({"target": src.get("describedObject"), "metricName": metric.get("name"),
                          "selector": metric.get("selector"), "currentValue": cur.get("value"),
                          "averageValue": cur.get("averageValue")})
    elif kind == "External":
        out = _drop_none({"metricName": metric.get("name"), "metricSelector": metric.get("selector"),
                          "currentValue": cur.get("value"), "currentAverageValue": cur.get("averageValue")})
    else:
        return {"type": kind}
    return {"type": kind, field: out}


def _metric_status_to_v2(m: Obj) -> Obj:
    kind = m.get("type")
    field = _V1_FIELD.get(str(kind), "")
    src: Obj = m.get(field) or {}
    if kind in ("Resource", "ContainerResource"):
        out = _drop_none({"name": src.get("name"), "container": src.get("container"), "current": _drop_none({
            "averageUtilization": src.get("currentAverageUtilization"),
            "averageValue": src.get("currentAverageValue")})})
    elif kind == "Pods":
        out = {"metric": _drop_none({"name": src.get("metricName"), "selector": src.get("selector")}),
               "current": _drop_none({"averageValue": src.get("currentAverageValue")})}
    elif kind == "Object":
        out = _drop_none({"describedObject": src.get("target"),
                          "metric": _drop_none({"name": src.get("metricName"), "selector": src.get("selector")}),
                          "current": _drop_none({"value": src.get("currentValue"),
                                                 "averageValue": src.get("averageValue")})})
    elif kind == "External":
        out = {"metric": _drop_none({"name": src.get("metricName"), "selector": src.get("metricSelector")}),
               "current": _drop_none({"value": src.get("currentValue"),
                                      "averageValue": src.get("currentAverageValue")})}
    else:
        return {"type": kind}
    return {"type": kind, field: out}


def _is_cpu_utilization(m: Obj) -> bool:
    res = m.get("resource") or {}
    return bool(m.get("type") == "Resource" and res.get("name") == "cpu"
                and (res.get("target") or {}).get("averageUtilization") is not None)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def hpa_to_v1(obj: Obj) -> Obj:
    """``Convert_autoscaling_HorizontalPodAutoscaler_To_v1_HorizontalPodAutoscaler``."""
    spec: Obj = obj.get("spec") or {}
    status: Obj = obj.get("status") or {}
    meta = dict(obj.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _ROUND_TRIP}
    metrics = [m for m in spec.get("metrics") or [] if isinstance(m, dict)]
    v1_spec: Obj = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    cpu = next((m for m in metrics if (m.get("resource") or {}).get("name") == "cpu" and m.get("type") == "Resource"),
               None)
    if cpu is not None and (cpu["resource"].get("target") or {}).get("averageUtilization") is not None:
        v1_spec["targetCPUUtilizationPercentage"] = cpu["resource"]["target"]["averageUtilization"]
    others = [_metric_spec_to_v1(m) for m in metrics if not _is_cpu_utilization(m)]
    if others:
        annotations[METRIC_SPECS_ANNOTATION] = _json(others)
    current = [m for m in status.get("currentMetrics") or [] if isinstance(m, dict)]
    if current:
        annotations[METRIC_STATUSES_ANNOTATION] = _json([_metric_status_to_v1(m) for m in current])
    if spec.get("behavior") is not None:
        annotations[BEHAVIOR_ANNOTATION] = _json(spec["behavior"])
    if status.get("conditions"):
        annotations[CONDITIONS_ANNOTATION] = _json(status["conditions"])
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    v1_status: Obj = {k: status[k] for k in ("observedGeneration", "lastScaleTime", "currentReplicas",
                                              "desiredReplicas") if k in status}
    for m in current:
        res = m.get("resource") or {}
        if m.get("type") == "Resource" and res.get("name") == "cpu" and \
                (res.get("current") or {}).get("averageUtilization") is not None:
            v1_status["currentCPUUtilizationPercentage"] = res["current"]["averageUtilization"]
    out: Obj = {**obj, "apiVersion": "autoscaling/v1", "metadata": meta, "spec": v1_spec}
    if "status" in obj:
        out["status"] = v1_status
    return out


def _annotation_list(annotations: Obj, key: str) -> list[Obj]:
    try:
        value = orjson.loads(annotations[key]) if key in annotations else []
    except orjson.JSONDecodeError:
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def hpa_to_v2(obj: Obj) -> Obj:
    """``Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler``."""
    spec: Obj = obj.get("spec") or {}
    status: Obj = obj.get("status") or {}
    meta = dict(obj.get("metadata") or {})
    annotations: Obj = dict(meta.get("annotations") or {})
    v2_spec: Obj = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    metrics: list[Obj] = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics.append({"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": spec["targetCPUUtilizationPercentage"]}}})
    metrics.extend(_metric_spec_to_v2(m) for m in _annotation_list(annotations, METRIC_SPECS_ANNOTATION))
    if not metrics:
        metrics = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION}}}]
    v2_spec["metrics"] = metrics
    if BEHAVIOR_ANNOTATION in annotations:
        try:
            behavior = orjson.loads(annotations[BEHAVIOR_ANNOTATION])
        except orjson.JSONDecodeError:
            behavior = None
        if isinstance(behavior, dict):
            v2_spec["behavior"] = behavior
    v2_status: Obj = {k: status[k] for k in ("observedGeneration", "lastScaleTime", "currentReplicas",
                                              "desiredReplicas") if k in status}
    if METRIC_STATUSES_ANNOTATION in annotations:
        current = [_metric_status_to_v2(m) for m in _annotation_list(annotations, METRIC_STATUSES_ANNOTATION)]
        if current:
            v2_status["currentMetrics"] = current
    elif status.get("currentCPUUtilizationPercentage") is not None:
        v2_status["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {
            "averageUtilization": status["currentCPUUtilizationPercentage"]}}}]
    conditions = _annotation_list(annotations, CONDITIONS_ANNOTATION)
    if conditions:
        v2_status["conditions"] = conditions
    for key in _ROUND_TRIP:
        annotations.pop(key, None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out: Obj = {**obj, "apiVersion": "autoscaling/v2", "metadata": meta, "spec": v2_spec}
    if "status" in obj:
        out["status"] = v2_status
    return out


def convert_hpa(obj: Obj, target: str) -> Obj:
    """An HPA in ``target`` (``autoscaling/v1`` or ``autoscaling/v2``)."""
    if obj.get("apiVersion") == target:
        return obj
    return hpa_to_v1(obj) if target == "autoscaling/v1" else hpa_to_v2(obj)


class HPAV1Strategy(Strategy):
    """autoscaling/v1: kube's strategy runs on the internal (v2) object: convert, run, convert back."""

    has_generation = True

    def __init__(self, v2: HPAStrategy) -> None:
        self.v2 = v2

    @staticmethod
    def _replace(obj: Obj, new: Obj) -> None:
        obj.clear()
        obj.update(new)

    def prepare_for_create(self, obj: Obj) -> None:
        v2 = hpa_to_v2(obj)
        self.v2.prepare_for_create(v2)
        self._replace(obj, hpa_to_v1(v2))

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        v2 = hpa_to_v2(obj)
        self.v2.prepare_for_update(v2, hpa_to_v2(old))
        self._replace(obj, hpa_to_v1(v2))

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        return self.v2.validate(hpa_to_v2(obj))

    def validate_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        return self.v2.validate_update(hpa_to_v2(obj), hpa_to_v2(old))

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return bool(hpa_to_v2(obj).get("spec") != hpa_to_v2(old).get("spec"))

    def validate_status_update(self, obj: Obj, old: Obj) -> list[errors.FieldError]:
        return self.v2.validate_status_update(hpa_to_v2(obj), hpa_to_v2(old))


def _v1_columns() -> tuple[Column, ...]:
    """The same columns, computed on the v2 form (kube prints the internal object)."""
    def on_v2(fn: Any) -> Any:
        return lambda o: fn(hpa_to_v2(o))

    return tuple(Column(c.name, c.type, on_v2(c.value), c.format, c.description, c.priority) for c in _HPA_COLUMNS)


def resources() -> list[Resource]:
    """autoscaling's kinds, freshly made: v2 (preferred, stored) and v1."""
    v2 = HPAStrategy()
    common: dict[str, Any] = {"short_names": ("hpa",), "categories": ("all",), "subresources": frozenset({"status"}),
                              "convert": convert_hpa, "storage_version": "autoscaling/v2"}
    return [
        declare("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
                "horizontalpodautoscaler", True, v2, columns=_HPA_COLUMNS, **common),
        declare("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
                "horizontalpodautoscaler", True, HPAV1Strategy(v2), columns=_v1_columns(), preferred=False,
                **common),
    ]
