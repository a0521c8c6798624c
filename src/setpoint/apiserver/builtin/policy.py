"""policy/v1 PodDisruptionBudget (kube's ``pkg/registry/policy/poddisruptionbudget``).

Validation is ``ValidatePodDisruptionBudgetSpec`` of ``pkg/apis/policy/validation``;
columns ``printPodDisruptionBudget``. A new budget starts with kube's zero status (the
disruption controller fills it in); ``/status`` is its own subresource. The ``pods/eviction``
subresource that reads these budgets is :mod:`setpoint.apiserver.registry.eviction`.
"""

from __future__ import annotations

import re
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.encoding.errors import GoLiteral
from setpoint.apiserver.endpoints.table import AGE_COLUMN, NAME_COLUMN
from setpoint.apiserver.registry import metadata
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

#: ``policy.UnhealthyPodEvictionPolicyType`` values.
UNHEALTHY_POD_EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"]
_PERCENT = re.compile(r"^[0-9]+%$")
_PERCENT_MESSAGE = ("a valid percent string must be a numeric string followed by an ending '%' "
                    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")


def go_int_or_string(value: object) -> GoLiteral:
    """An ``intstr.IntOrString`` as Go's ``%#v`` prints it (its String() has a pointer receiver)."""
    if isinstance(value, str):
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return GoLiteral(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{quoted}}}")
    return GoLiteral(f'intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:""}}')


def validate_positive_int_or_percent(value: object, path: str) -> list[errors.FieldError]:
    """``ValidatePositiveIntOrPercent`` and ``IsNotMoreThan100Percent`` of apps validation."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return [errors.invalid(path, value, "must be an integer or percentage (e.g '5%')")]
    if isinstance(value, int):
        return w.non_negative(value, path)
    if not _PERCENT.match(value):
        return [errors.invalid(path, go_int_or_string(value), _PERCENT_MESSAGE)]
    if int(value[:-1]) > 100:
        return [errors.invalid(path, go_int_or_string(value), "must not be greater than 100%")]
    return []


def _go_spec(spec: Obj) -> GoLiteral:
    """The ``%#v`` of a ``policy.PodDisruptionBudgetSpec`` (pointers print as addresses in Go)."""
    def pointer(key: str, type_: str) -> str:
        return f"({type_})(nil)" if spec.get(key) is None else f"({type_})(0xc000010000)"
    return GoLiteral(
        "policy.PodDisruptionBudgetSpec{"
        f"MinAvailable:{pointer('minAvailable', '*intstr.IntOrString')}, "
        f"Selector:{pointer('selector', '*v1.LabelSelector')}, "
        f"MaxUnavailable:{pointer('maxUnavailable', '*intstr.IntOrString')}, "
        f"UnhealthyPodEvictionPolicy:{pointer('unhealthyPodEvictionPolicy', '*policy.UnhealthyPodEvictionPolicyType')}}}")


def _zero_status() -> Obj:
    return {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}


class PodDisruptionBudgetStrategy(Strategy):
    """Status cleared on create, kept on update; the generation moves with the spec."""

    def prepare_for_create(self, obj: Obj) -> None:
        obj["status"] = _zero_status()

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return obj.get("spec") != old.get("spec")

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return []
        out: list[errors.FieldError] = []
        min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
        if min_available is not None and max_unavailable is not None:
            out.append(errors.invalid("spec", _go_spec(spec), "minAvailable and maxUnavailable cannot be both set"))
        if min_available is not None:
            out.extend(validate_positive_int_or_percent(min_available, "spec.minAvailable"))
        if max_unavailable is not None:
            out.extend(validate_positive_int_or_percent(max_unavailable, "spec.maxUnavailable"))
        selector = spec.get("selector")
        if isinstance(selector, dict):
            out.extend(metadata.validate_label_selector(selector, "spec.selector"))
        policy = spec.get("unhealthyPodEvictionPolicy")
        if policy is not None and policy not in UNHEALTHY_POD_EVICTION_POLICIES:
            out.append(errors.not_supported("spec.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POD_EVICTION_POLICIES))
        return out


def _int_or_string(value: Any) -> str:
    """``IntOrString.String()``, ``N/A`` when unset (printPodDisruptionBudget)."""
    if value is None:
        return "N/A"
    return str(value)


_PDB_COLUMNS = (
    NAME_COLUMN,
    Column("Min Available", "string", lambda o: _int_or_string(w.get(o, "spec", "minAvailable")),
           description="The minimum number or percentage of available pods this budget requires."),
    Column("Max Unavailable", "string", lambda o: _int_or_string(w.get(o, "spec", "maxUnavailable")),
           description="The maximum number or percentage of unavailable pods this budget requires."),
    Column("Allowed Disruptions", "integer", lambda o: w.int_at(o, "status", "disruptionsAllowed"),
           description="Calculated number of pods that may be disrupted at this time."),
    AGE_COLUMN,
)


def resources() -> list[Resource]:
    """policy/v1's kinds, freshly made."""
    return [
        declare("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", True,
                PodDisruptionBudgetStrategy(), short_names=("pdb",), subresources=frozenset({"status"}),
                columns=_PDB_COLUMNS),
    ]
