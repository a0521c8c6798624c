"""What an object uses of a ResourceQuota: kube's ``pkg/quota/v1`` and its core evaluators.

:func:`usage` is an object's usage (``count/<resource>[.<group>]`` for everything; for pods
``pods`` and the compute resources of its containers while it is not terminal; ``services``,
``services.nodeports`` and ``services.loadbalancers``; ``persistentvolumeclaims`` and
``requests.storage``; ``configmaps``, ``secrets``, ``replicationcontrollers`` and
``resourcequotas`` by their old names). :func:`matching_resources` says which quota names an
evaluator counts, :func:`pod_constraints` is the pod evaluator's "must specify" rule and
:func:`matches_scopes` the quota scopes (``BestEffort``, ``NotBestEffort``, ``Terminating``,
``NotTerminating``, ``PriorityClass``). Amounts are ``(Decimal, format)`` pairs, so a sum
prints as kube prints it (:func:`setpoint.apimachinery.quantity.canonical`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from setpoint.apimachinery import quantity
from setpoint.apimachinery.types import Obj

Amount = tuple[Decimal, str]
Usage = dict[str, Amount]

#: Resources counted under their old, unprefixed name too.
LEGACY_COUNT_NAMES = {"pods": "pods", "services": "services", "configmaps": "configmaps", "secrets": "secrets",
                      "persistentvolumeclaims": "persistentvolumeclaims",
                      "replicationcontrollers": "replicationcontrollers", "resourcequotas": "resourcequotas"}
#: The pod evaluator's compute resources.
POD_COMPUTE = ("cpu", "memory", "ephemeral-storage")
#: Names a pod's every container must request when a quota limits them (kube's ``validationSet``).
VALIDATION_SET = frozenset({"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"})
SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
          "CrossNamespacePodAffinity", "VolumeAttributesClass")
_ONE: Amount = (Decimal(1), "DecimalSI")


def object_count_name(group: str, resource: str) -> str:
    """``ObjectCountQuotaResourceNameFor``: ``count/<resource>[.<group>]``."""
    return f"count/{resource}.{group}" if group else f"count/{resource}"


def add(a: Mapping[str, Amount], b: Mapping[str, Amount]) -> Usage:
    """``quota.Add``: the sum, each amount keeping the format of its first operand (of the
    second when the first is zero, as ``Quantity.Add``)."""
    out: Usage = dict(a)
    for name, (v, fmt) in b.items():
        if name in out:
            before, before_fmt = out[name]
            out[name] = (before + v, before_fmt if before else fmt)
        else:
            out[name] = (v, fmt)
    return out


def parse(values: object) -> Usage:
    """A ``ResourceList`` as amounts (values that do not parse are left out)."""
    out: Usage = {}
    if not isinstance(values, dict):
        return out
    for name, text in values.items():
        try:
            out[name] = (quantity.value(str(text)), quantity.format_of(str(text)))
        except ValueError:
            continue
    return out


def render(usage: Mapping[str, Amount]) -> dict[str, str]:
    """Amounts as a ``ResourceList`` of canonical quantity strings."""
    return {name: quantity.canonical(v, fmt) for name, (v, fmt) in usage.items()}


def pretty(usage: Mapping[str, Amount]) -> str:
    """kube's ``prettyPrint``: ``name=value`` sorted by name, comma-joined."""
    return ",".join(f"{name}={quantity.canonical(*usage[name])}" for name in sorted(usage))


def _max(a: Usage, b: Usage) -> Usage:
    out = dict(a)
    for name, amount in b.items():
        if name not in out or amount[0] > out[name][0]:
            out[name] = amount
    return out


def _resources(container: object, key: str) -> Usage:
    res = container.get("resources") if isinstance(container, dict) else None
    return parse(res.get(key) if isinstance(res, dict) else None)


def pod_requests_and_limits(spec: Obj) -> tuple[Usage, Usage]:
    """``PodRequests``/``PodLimits``: containers summed, init containers' maximum, overhead added."""
    requests: Usage = {}
    limits: Usage = {}
    for c in spec.get("containers") or ():
        requests = add(requests, _resources(c, "requests"))
        limits = add(limits, _resources(c, "limits"))
    for c in spec.get("initContainers") or ():
        requests = _max(requests, _resources(c, "requests"))
        limits = _max(limits, _resources(c, "limits"))
    overhead = parse(spec.get("overhead"))
    if overhead:
        requests = add(requests, overhead)
        limits = add(limits, {k: v for k, v in overhead.items() if k in limits})
    return requests, limits


def compute_usage(requests: Mapping[str, Amount], limits: Mapping[str, Amount]) -> Usage:
    """``podComputeUsageHelper``: ``pods`` and what the requests and limits add up to."""
    out: Usage = {"pods": _ONE}
    for name in POD_COMPUTE:
        if name in requests:
            out[name] = requests[name]
            out[f"requests.{name}"] = requests[name]
        if name in limits:
            out[f"limits.{name}"] = limits[name]
    for name, amount in requests.items():
        if name.startswith("hugepages-") or ("/" in name and not name.startswith("requests.")):
            out[f"requests.{name}"] = amount
    return out


def pod_terminal(pod: Obj) -> bool:
    """Not ``QuotaV1Pod``: Failed or Succeeded (or being deleted), so it uses no compute quota."""
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Failed", "Succeeded") or bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def usage(group: str, resource: str, obj: Obj) -> Usage:
    """What ``obj`` (of ``resource`` in ``group``) uses of a quota."""
    out: Usage = {object_count_name(group, resource): _ONE}
    if group:
        return out
    if resource == "pods":
        if pod_terminal(obj):
            return out
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        requests, limits = pod_requests_and_limits(spec or {})
        return add(out, compute_usage(requests, limits))
    legacy = LEGACY_COUNT_NAMES.get(resource)
    if legacy is not None:
        out[legacy] = _ONE
    if resource == "services":
        spec = obj.get("spec") or {}
        kind = spec.get("type")
        if kind in ("NodePort", "LoadBalancer"):
            ports = len(spec.get("ports") or ())
            out["services.nodeports"] = (Decimal(ports), "DecimalSI")
        if kind == "LoadBalancer":
            out["services.loadbalancers"] = _ONE
    elif resource == "persistentvolumeclaims":
        storage = parse(((obj.get("spec") or {}).get("resources") or {}).get("requests")).get("storage")
        if storage is not None:
            out["requests.storage"] = storage
    return out


def matching_resources(group: str, resource: str, names: Iterable[str]) -> list[str]:
    """``Evaluator.MatchingResources``: which of a quota's ``names`` the kind's evaluator counts."""
    count = object_count_name(group, resource)
    known = {count}
    if not group and resource in LEGACY_COUNT_NAMES:
        known.add(LEGACY_COUNT_NAMES[resource])
    if not group and resource == "services":
        known.update({"services.nodeports", "services.loadbalancers"})
    if not group and resource == "persistentvolumeclaims":
        known.add("requests.storage")
    pods = not group and resource == "pods"
    return sorted(name for name in names if name in known or (pods and (
        name in POD_COMPUTE or name.startswith(("requests.", "limits.", "hugepages-")))))


def pod_constraints(required: Iterable[str], pod: Obj) -> str | None:
    """The pod evaluator's ``Constraints``: the message when a container lacks a required resource."""
    required_set = set(required) & VALIDATION_SET
    if not required_set:
        return None
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            if not isinstance(c, dict):
                continue
            have = set(compute_usage(_resources(c, "requests"), _resources(c, "limits")))
            for name in required_set - have:
                missing.setdefault(name, set()).add(str(c.get("name", "")))
    if not missing:
        return None
    parts = [f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing)]
    return "must specify " + "; ".join(parts)


def _qos_best_effort(spec: Obj) -> bool:
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            for part in ("requests", "limits"):
                if any(n in ("cpu", "memory") and quantity.value(str(v)) > 0 for n, v in _raw(c, part).items()):
                    return False
    return True


def _raw(container: object, key: str) -> dict[str, Any]:
    res = container.get("resources") if isinstance(container, dict) else None
    values = res.get(key) if isinstance(res, dict) else None
    return values if isinstance(values, dict) else {}


def _scope_matches(scope: str, operator: str, values: list[str], pod: Obj) -> bool:
    spec = pod.get("spec") or {}
    if scope == "Terminating":
        return spec.get("activeDeadlineSeconds") is not None
    if scope == "NotTerminating":
        return spec.get("activeDeadlineSeconds") is None
    if scope == "BestEffort":
        return _qos_best_effort(spec)
    if scope == "NotBestEffort":
        return not _qos_best_effort(spec)
    if scope == "PriorityClass":
        name = spec.get("priorityClassName")
        if operator == "Exists":
            return bool(name)
        if operator == "DoesNotExist":
            return not name
        if operator == "In":
            return bool(name) and name in values
        if operator == "NotIn":
            return not name or name not in values
        return False
    return True  # scopes about affinity and volumes: nothing here uses them


def matches_scopes(resource_quota: Obj, group: str, resource: str, obj: Obj) -> bool:
    """Whether ``resource_quota``'s scopes (and scope selector) select ``obj``."""
    spec = resource_quota.get("spec") or {}
    selectors: list[tuple[str, str, list[str]]] = [(s, "Exists", []) for s in spec.get("scopes") or ()]
    for expr in ((spec.get("scopeSelector") or {}).get("matchExpressions") or ()):
        if isinstance(expr, dict):
            selectors.append((str(expr.get("scopeName")), str(expr.get("operator")), list(expr.get("values") or ())))
    if not selectors:
        return True
    if group or resource != "pods":
        return False
    return all(_scope_matches(scope, op, values, obj) for scope, op, values in selectors)
