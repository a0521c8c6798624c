"""flowcontrol.apiserver.k8s.io/v1 FlowSchema and PriorityLevelConfiguration
(kube's ``pkg/registry/flowcontrol``).

Defaulted as kube's ``SetDefaults_FlowSchemaSpec`` (``matchingPrecedence: 1000``) and
``SetDefaults_*PriorityLevelConfiguration`` (30 shares, no lending, 64 queues of 50 with a
hand of 8), validated as the main parts of ``ValidateFlowSchema`` and
``ValidatePriorityLevelConfiguration``. The API server's flow control
(:mod:`setpoint.apiserver.flowcontrol`) reads them, creates kube's bootstrap objects and
keeps the FlowSchemas' ``Dangling`` condition.
"""

from __future__ import annotations

from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin import workloads as w
from setpoint.apiserver.builtin.declare import declare
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.table import AGE_COLUMN, NAME_COLUMN
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

GROUP = "flowcontrol.apiserver.k8s.io"
_DISTINGUISHERS = ["ByNamespace", "ByUser"]
_PL_TYPES = ["Exempt", "Limited"]
_RESPONSE_TYPES = ["Queue", "Reject"]
_SUBJECT_KINDS = ["Group", "ServiceAccount", "User"]


class FlowSchemaStrategy(Strategy):
    has_generation = True

    def prepare_for_create(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            spec.setdefault("matchingPrecedence", 1000)
        obj.pop("status", None)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self.prepare_for_create(obj)
        if "status" in old:
            obj["status"] = old["status"]

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        mp = spec.get("matchingPrecedence")
        if not isinstance(mp, int) or not 1 <= mp <= 10000:
            out.append(errors.invalid("spec.matchingPrecedence", mp, "must be between 1 and 10000, inclusive"))
        if not w.get(spec, "priorityLevelConfiguration", "name"):
            out.append(errors.required("spec.priorityLevelConfiguration.name", "must reference a priority level"))
        dm = spec.get("distinguisherMethod")
        if isinstance(dm, dict) and dm.get("type") not in _DISTINGUISHERS:
            out.append(errors.not_supported("spec.distinguisherMethod.type", dm.get("type"), _DISTINGUISHERS))
        for i, rule in enumerate(spec.get("rules") or []):
            path = f"spec.rules[{i}]"
            if not rule.get("subjects"):
                out.append(errors.required(f"{path}.subjects", "subjects must contain at least one value"))
            for j, subject in enumerate(rule.get("subjects") or []):
                if subject.get("kind") not in _SUBJECT_KINDS:
                    out.append(errors.not_supported(f"{path}.subjects[{j}].kind", subject.get("kind"),
                                                    _SUBJECT_KINDS))
            if not rule.get("resourceRules") and not rule.get("nonResourceRules"):
                out.append(errors.required(f"{path}", "at least one of resourceRules and nonResourceRules has "
                                                      "to be non-empty"))
        return out


class PriorityLevelStrategy(Strategy):
    has_generation = True

    def prepare_for_create(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            _default_pl_spec(spec)
        obj.pop("status", None)

    def prepare_for_update(self, obj: Obj, old: Obj) -> None:
        self.prepare_for_create(obj)
        if "status" in old:
            obj["status"] = old["status"]

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        out: list[errors.FieldError] = []
        spec = obj.get("spec")
        name = w.get(obj, "metadata", "name")
        if not isinstance(spec, dict):
            return [errors.required("spec", "")]
        kind = spec.get("type")
        if kind not in _PL_TYPES:
            return [errors.not_supported("spec.type", kind, _PL_TYPES)]
        if (kind == "Exempt") != (name == "exempt"):
            out.append(errors.invalid("spec.type", kind, "type must be 'Exempt' if and only if name is 'exempt'"))
        if kind == "Limited":
            limited = spec.get("limited")
            if not isinstance(limited, dict):
                return [*out, errors.required("spec.limited", "must not be empty when type is Limited")]
            shares = limited.get("nominalConcurrencyShares")
            if not isinstance(shares, int) or shares < 0:
                out.append(errors.invalid("spec.limited.nominalConcurrencyShares", shares, "must be a non-negative "
                                                                                           "integer"))
            lendable = limited.get("lendablePercent")
            if lendable is not None and (not isinstance(lendable, int) or not 0 <= lendable <= 100):
                out.append(errors.invalid("spec.limited.lendablePercent", lendable, "must be between 0 and 100, "
                                                                                    "inclusive"))
            response = limited.get("limitResponse") or {}
            rtype = response.get("type")
            if rtype not in _RESPONSE_TYPES:
                out.append(errors.not_supported("spec.limited.limitResponse.type", rtype, _RESPONSE_TYPES))
            elif rtype == "Queue":
                out.extend(_validate_queuing(response.get("queuing") or {}))
        return out


def _validate_queuing(q: dict[str, Any]) -> list[errors.FieldError]:
    out: list[errors.FieldError] = []
    path = "spec.limited.limitResponse.queuing"
    queues, hand, length = q.get("queues"), q.get("handSize"), q.get("queueLengthLimit")
    if not isinstance(length, int) or length <= 0:
        out.append(errors.invalid(f"{path}.queueLengthLimit", length, "must be positive"))
    if not isinstance(queues, int) or queues <= 0:
        out.append(errors.invalid(f"{path}.queues", queues, "must be positive"))
        return out
    if not isinstance(hand, int) or hand <= 0:
        out.append(errors.invalid(f"{path}.handSize", hand, "must be positive"))
    elif hand > queues:
        out.append(errors.invalid(f"{path}.handSize", hand,
                                  f"should not be greater than queues ({queues})"))
    return out


def _default_pl_spec(spec: dict[str, Any]) -> None:
    """kube's v1 defaults of a priority level's spec."""
    exempt = spec.get("exempt")
    if isinstance(exempt, dict):
        exempt.setdefault("nominalConcurrencyShares", 0)
        exempt.setdefault("lendablePercent", 0)
    limited = spec.get("limited")
    if isinstance(limited, dict):
        limited.setdefault("nominalConcurrencyShares", 30)
        limited.setdefault("lendablePercent", 0)
        response = limited.get("limitResponse")
        if isinstance(response, dict) and response.get("type") == "Queue":
            queuing = response.setdefault("queuing", {})
            if isinstance(queuing, dict):
                queuing.setdefault("queues", 64)
                queuing.setdefault("handSize", 8)
                queuing.setdefault("queueLengthLimit", 50)


def _missing_pl(obj: Obj) -> str:
    for c in w.get(obj, "status", "conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Dangling":
            return str(c.get("status", ""))
    return "?"


def _dm(obj: Obj) -> str:
    return str(w.get(obj, "spec", "distinguisherMethod", "type") or "<none>")


def _or_none(value: Any) -> str:
    return "<none>" if value is None else str(value)


def _queuing(obj: Obj, field: str) -> Any:
    value = w.get(obj, "spec", "limited", "limitResponse", "queuing", field)
    return "<none>" if value is None else value


_FS_COLUMNS = (
    NAME_COLUMN,
    Column("PriorityLevel", "string", lambda o: w.get(o, "spec", "priorityLevelConfiguration", "name") or "",
           description="The name of the PriorityLevelConfiguration this FlowSchema references."),
    Column("MatchingPrecedence", "string", lambda o: str(w.get(o, "spec", "matchingPrecedence")),
           description="The precedence of this FlowSchema among those matching a request."),
    Column("DistinguisherMethod", "string", _dm, description="How flows are told apart."),
    AGE_COLUMN,
    Column("MissingPL", "string", _missing_pl, description="Whether the referenced priority level is missing."),
)

_PL_COLUMNS = (
    NAME_COLUMN,
    Column("Type", "string", lambda o: w.get(o, "spec", "type") or "",
           description="Exempt or Limited."),
    Column("NominalConcurrencyShares", "string",
           lambda o: _or_none(w.get(o, "spec", "limited", "nominalConcurrencyShares")),
           description="The share of the server's concurrency this level gets."),
    Column("Queues", "string", lambda o: str(_queuing(o, "queues")), description="The number of queues."),
    Column("HandSize", "string", lambda o: str(_queuing(o, "handSize")), description="The shuffle sharding hand."),
    Column("QueueLengthLimit", "string", lambda o: str(_queuing(o, "queueLengthLimit")),
           description="The most requests waiting in one queue."),
    AGE_COLUMN,
)


def resources() -> list[Resource]:
    """flowcontrol.apiserver.k8s.io/v1's kinds, freshly made."""
    return [
        declare(GROUP, "v1", "FlowSchema", "flowschemas", "flowschema", False, FlowSchemaStrategy(),
                subresources=frozenset({"status"}), columns=_FS_COLUMNS),
        declare(GROUP, "v1", "PriorityLevelConfiguration", "prioritylevelconfigurations",
                "prioritylevelconfiguration", False, PriorityLevelStrategy(), subresources=frozenset({"status"}),
                columns=_PL_COLUMNS),
    ]
