"""core/v1 ResourceQuota and LimitRange (kube's ``pkg/registry/core/resourcequota`` and ``limitrange``).

Validation is ``ValidateResourceQuota`` and ``ValidateLimitRange`` of
``pkg/apis/core/validation``; a LimitRange's container items are defaulted as
``SetDefaults_LimitRangeItem`` (a default limit from ``max``, a default request from the default
limit, else from ``min``). A new ResourceQuota starts with an empty status, which its
``/status`` (the resourcequota controller, the quota admission) fills in; its columns are
``printResourceQuota``'s REQUEST and LIMIT (``<resource>: <used>/<hard>``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from setpoint.apimachinery import quantity
from setpoint.apimachinery.types import Obj
from setpoint.apimachinery.validation import is_qualified_name
from setpoint.apiserver.builtin.declare import declare
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import GoLiteral
from setpoint.apiserver.endpoints.table import AGE_COLUMN, DEFAULT_COLUMNS, NAME_COLUMN
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

STANDARD_RESOURCES = frozenset({
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "resourcequotas", "services",
    "replicationcontrollers", "secrets", "persistentvolumeclaims", "storage", "requests.storage",
    "services.nodeports", "services.loadbalancers", "configmaps"})
STANDARD_QUOTA_RESOURCES = STANDARD_RESOURCES - {"storage"}
INTEGER_RESOURCES = frozenset({"pods", "resourcequotas", "services", "replicationcontrollers", "secrets",
                               "configmaps", "persistentvolumeclaims", "services.nodeports",
                               "services.loadbalancers"})
STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")
QUOTA_SCOPES = frozenset({"Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
                          "CrossNamespacePodAffinity", "VolumeAttributesClass"})


_QUANTITY = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)")
_DECIMAL_EXPONENTS = {"": 0, "n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_EXPONENTS = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}


def go_quantity(text: str) -> GoLiteral | str:
    """A ``resource.Quantity`` as Go's ``%#v`` prints it (a field error's bad value), for what
    ``ParseQuantity`` keeps as an ``int64Amount``; other quantities as their text."""
    def literal(value: int, scale: int, cached: str, fmt: str) -> GoLiteral:
        return GoLiteral(f"resource.Quantity{{i:resource.int64Amount{{value:{value}, scale:{scale}}}, "
                         f'd:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:"{cached}", Format:"{fmt}"}}')

    if text == "0":
        return literal(0, 0, "0", "DecimalSI")
    m = _QUANTITY.fullmatch(text)
    if m is None or quantity.parse_error(text) is not None:
        return text
    sign, num, denom, suffix = m.group(1), m.group(2).lstrip("0"), m.group(3) or "", m.group(4)
    negative = sign == "-"
    shifted = num + denom
    if suffix in _BINARY_EXPONENTS:
        if denom:
            return text
        base = int(num or "0")
        value = base << _BINARY_EXPONENTS[suffix]
        cached = text if base & 7 else ""
        return literal(-value if negative else value, 0, cached, "BinarySI")
    if suffix in _DECIMAL_EXPONENTS:
        exponent, fmt = _DECIMAL_EXPONENTS[suffix], "DecimalSI"
    else:
        exponent, fmt = int(suffix[1:]), "DecimalExponent"
    scale = exponent - len(denom)
    if 18 - len(num or "0") - len(denom) < 0 or scale < -9:
        return text
    value = int(shifted or "0")
    cached = text if scale % 3 == 0 and not shifted.endswith("000") and shifted[:1] not in ("0", "") else ""
    return literal(-value if negative else value, scale, cached, fmt)


def _canonical(text: str) -> str:
    """``Quantity.String()``."""
    return quantity.canonical(quantity.value(text), quantity.format_of(text))


def _hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def validate_resource_name(name: str, path: str) -> list[errors.FieldError]:
    """``validateResourceName``: qualified, and standard unless it has a domain."""
    out = [errors.invalid(path, name, m) for m in is_qualified_name(name)]
    if out:
        return out
    if "/" not in name and name not in STANDARD_RESOURCES and not _hugepages(name):
        out.append(errors.invalid(path, name, "must be a standard resource type or fully qualified"))
    return out


def _quota_resource_name(name: str, path: str) -> list[errors.FieldError]:
    """``ValidateResourceQuotaResourceName``."""
    out = validate_resource_name(name, path)
    if "/" not in name and name not in STANDARD_QUOTA_RESOURCES and not name.startswith("requests.hugepages-"):
        out.append(errors.invalid(path, name, "must be a standard resource for quota"))
    return out


def _extended(name: str) -> bool:
    return "/" in name and not name.startswith("kubernetes.io/") and not name.startswith("requests.")


def _quantity_value(name: str, text: object, path: str) -> list[errors.FieldError]:
    """``validateResourceQuantityValue``: not negative; whole for the counted resources."""
    try:
        amount = quantity.value(str(text))
    except ValueError:
        return []
    out = []
    if amount < 0:
        out.append(errors.invalid(path, _canonical(str(text)), "must be greater than or equal to 0"))
    if (name in INTEGER_RESOURCES or _extended(name)) and (amount * 1000) % 1000 != 0:
        out.append(errors.invalid(path, go_quantity(str(text)), "must be an integer"))
    return out


def _resource_list(values: object, path: str, check_name: Any) -> list[errors.FieldError]:
    out: list[errors.FieldError] = []
    if not isinstance(values, dict):
        return out
    for name, text in values.items():
        key = f"{path}[{name}]"
        out.extend(check_name(name, key))
        out.extend(_quantity_value(name, text, key))
    return out


def _go_scopes(scopes: list[Any]) -> GoLiteral:
    return GoLiteral("[]core.ResourceQuotaScope{" + ", ".join(f'"{s}"' for s in scopes) + "}")


class ResourceQuotaStrategy(Strategy):
    """Status cleared on create and kept on update (``/status`` writes it)."""

    has_generation = False

    def prepare_for_create(self, obj: Obj) -> None:
        obj["status"] = {}

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
        out = _resource_list((spec or {}).get("hard"), "spec.hard", _quota_resource_name)
        scopes = (spec or {}).get("scopes") or []
        if isinstance(scopes, list) and scopes:
            for scope in scopes:
                if scope not in QUOTA_SCOPES:
                    out.append(errors.invalid("spec.scopes", _go_scopes(scopes), "unsupported scope"))
            for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
                if set(pair) <= set(scopes):
                    out.append(errors.invalid("spec.scopes", _go_scopes(scopes), "conflicting scopes"))
        out.extend(_resource_list((status or {}).get("hard"), "status.hard", _quota_resource_name))
        out.extend(_resource_list((status or {}).get("used"), "status.used", _quota_resource_name))
        return out


def _container_resource_name(name: str, path: str) -> list[errors.FieldError]:
    out = validate_resource_name(name, path)
    if "/" not in name and name not in STANDARD_CONTAINER_RESOURCES and not _hugepages(name):
        out.append(errors.invalid(path, name, "must be a standard resource for containers"))
    return out


def default_limit_range(obj: Obj) -> None:
    """``SetDefaults_LimitRangeItem`` on every Container item (empty maps stay out, as omitempty)."""
    for item in (obj.get("spec") or {}).get("limits") or ():
        if not isinstance(item, dict) or item.get("type") != "Container":
            continue
        default = dict(item.get("default") or {})
        request = dict(item.get("defaultRequest") or {})
        for name, amount in (item.get("max") or {}).items():
            default.setdefault(name, amount)
        for name, amount in default.items():
            request.setdefault(name, amount)
        for name, amount in (item.get("min") or {}).items():
            request.setdefault(name, amount)
        if default:
            item["default"] = default
        if request:
            item["defaultRequest"] = request


def _amounts(values: object) -> dict[str, tuple[Decimal, str, Any]]:
    """Each quantity's amount, ``String()`` and ``%#v``."""
    out = {}
    for name, text in (values if isinstance(values, dict) else {}).items():
        try:
            out[name] = (quantity.value(str(text)), _canonical(str(text)), go_quantity(str(text)))
        except ValueError:
            continue
    return out


class LimitRangeStrategy(Strategy):
    has_generation = False

    def prepare_for_create(self, obj: Obj) -> None:
        default_limit_range(obj)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        default_limit_range(obj)

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        """``ValidateLimitRange``."""
        out: list[errors.FieldError] = []
        seen: set[str] = set()
        limits = (obj.get("spec") or {}).get("limits") or []
        for i, item in enumerate(limits if isinstance(limits, list) else []):
            if not isinstance(item, dict):
                continue
            path = f"spec.limits[{i}]"
            kind = str(item.get("type", ""))
            type_errors = [errors.invalid(f"{path}.type", kind, m) for m in is_qualified_name(kind)]
            if not type_errors and "/" not in kind and kind not in LIMIT_TYPES:
                type_errors.append(errors.invalid(f"{path}.type", kind, "must be a standard limit type or fully qualified"))
            out.extend(type_errors)
            if kind in seen:
                out.append(errors.duplicate(f"{path}.type", kind))
            seen.add(kind)
            check = _container_resource_name if kind in ("Pod", "Container") else validate_resource_name
            for field in ("max", "min"):
                for name in item.get(field) or {}:
                    out.extend(check(name, f"{path}.{field}[{name}]"))
            if kind == "Pod":
                if item.get("default"):
                    out.append(errors.forbidden(f"{path}.default", "may not be specified when `type` is 'Pod'"))
                if item.get("defaultRequest"):
                    out.append(errors.forbidden(f"{path}.defaultRequest",
                                                "may not be specified when `type` is 'Pod'"))
            else:
                for field in ("default", "defaultRequest"):
                    for name in item.get(field) or {}:
                        out.extend(check(name, f"{path}.{field}[{name}]"))
            if kind == "PersistentVolumeClaim" and "storage" not in (item.get("min") or {}) \
                    and "storage" not in (item.get("max") or {}):
                out.append(errors.required(f"{path}.limits", "either minimum or maximum storage value is required, "
                                                             "but neither was provided"))
            for name in item.get("maxLimitRequestRatio") or {}:
                out.extend(check(name, f"{path}.maxLimitRequestRatio[{name}]"))
            out.extend(_limit_range_item_values(item, path, kind))
        return out


def _limit_range_item_values(item: Obj, path: str, kind: str) -> list[errors.FieldError]:
    """The per-resource comparisons of ``ValidateLimitRange``."""
    out: list[errors.FieldError] = []
    mins, maxs = _amounts(item.get("min")), _amounts(item.get("max"))
    defaults = _amounts(item.get("default")) if kind != "Pod" else {}
    requests = _amounts(item.get("defaultRequest")) if kind != "Pod" else {}
    ratios = _amounts(item.get("maxLimitRequestRatio"))
    for name in sorted({*mins, *maxs, *ratios} | ({*defaults, *requests} if kind != "Pod" else set())):
        lo, hi, dflt, req, ratio = mins.get(name), maxs.get(name), defaults.get(name), requests.get(name), ratios.get(name)
        if lo and hi and lo[0] > hi[0]:
            out.append(errors.invalid(f"{path}.min[{name}]", lo[2], f"min value {lo[1]} is greater than max value {hi[1]}"))
        if req and lo and lo[0] > req[0]:
            out.append(errors.invalid(f"{path}.defaultRequest[{name}]", req[2],
                                      f"min value {lo[1]} is greater than default request value {req[1]}"))
        if req and hi and req[0] > hi[0]:
            out.append(errors.invalid(f"{path}.defaultRequest[{name}]", req[2],
                                      f"default request value {req[1]} is greater than max value {hi[1]}"))
        if req and dflt and req[0] > dflt[0]:
            out.append(errors.invalid(f"{path}.defaultRequest[{name}]", req[2],
                                      f"default request value {req[1]} is greater than default limit value {dflt[1]}"))
        if dflt and lo and lo[0] > dflt[0]:
            out.append(errors.invalid(f"{path}.default[{name}]", lo[2],
                                      f"min value {lo[1]} is greater than default value {dflt[1]}"))
        if dflt and hi and dflt[0] > hi[0]:
            out.append(errors.invalid(f"{path}.default[{name}]", hi[2],
                                      f"default value {dflt[1]} is greater than max value {hi[1]}"))
        if ratio and ratio[0] < 1:
            out.append(errors.invalid(f"{path}.maxLimitRequestRatio[{name}]", ratio[2],
                                      f"ratio {ratio[1]} is less than 1"))
        if ratio and hi and lo and lo[0] > 0:
            limit = hi[0] / lo[0]
            if int(ratio[0]) > int(limit):
                out.append(errors.invalid(f"{path}.maxLimitRequestRatio[{name}]", ratio[2],
                                          f"ratio {ratio[1]} is greater than max/min = {limit:f}"))
    return out


# --- columns ---------------------------------------------------------------------


def _quota_cells(obj: Obj) -> tuple[str, str]:
    """``printResourceQuota``: ``<name>: <used>/<hard>`` for each hard resource, requests and limits apart."""
    status = obj.get("status") or {}
    hard = status.get("hard") if isinstance(status.get("hard"), dict) else {}
    used = status.get("used") if isinstance(status.get("used"), dict) else {}
    request: list[str] = []
    limit: list[str] = []
    for name in sorted(hard or {}):
        cell = f"{name}: {(used or {}).get(name, '0')}/{(hard or {})[name]}"
        (limit if name.split(".")[0] == "limits" and "." in name else request).append(cell)
    return ", ".join(request), ", ".join(limit)


_QUOTA_COLUMNS = (
    NAME_COLUMN,
    AGE_COLUMN,
    Column("Request", "string", lambda o: _quota_cells(o)[0],
           description="Request represents a minimum amount of cpu/memory that a container may consume."),
    Column("Limit", "string", lambda o: _quota_cells(o)[1],
           description="Limits control the maximum amount of cpu/memory that a container may use independent of "
                       "contention on the node."),
)


def resources() -> list[Resource]:
    """ResourceQuota and LimitRange, freshly made."""
    return [
        declare("", "v1", "ResourceQuota", "resourcequotas", "resourcequota", True, ResourceQuotaStrategy(),
                short_names=("quota",), subresources=frozenset({"status"}), columns=_QUOTA_COLUMNS),
        declare("", "v1", "LimitRange", "limitranges", "limitrange", True, LimitRangeStrategy(),
                short_names=("limits",), columns=DEFAULT_COLUMNS),
    ]
