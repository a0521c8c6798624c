"""coordination.k8s.io/v1 Lease (kube's ``pkg/registry/coordination/lease``)."""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin.declare import declare, description
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.resources import Column, Resource, Strategy


class LeaseStrategy(Strategy):
    has_generation = False

    def validate(self, obj: Obj) -> list[errors.FieldError]:
        spec = obj.get("spec") or {}
        out: list[errors.FieldError] = []
        duration = spec.get("leaseDurationSeconds")
        if duration is not None and (not isinstance(duration, int) or duration <= 0):
            out.append(errors.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
        transitions = spec.get("leaseTransitions")
        if transitions is not None and (not isinstance(transitions, int) or transitions < 0):
            out.append(errors.invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"))
        return out


def _lease_holder(obj: Obj) -> str:
    spec = obj.get("spec")
    holder = spec.get("holderIdentity") if isinstance(spec, dict) else None
    return holder if isinstance(holder, str) else "" if holder is None else str(holder)


def resources() -> list[Resource]:
    """coordination.k8s.io's kinds, freshly made."""
    return [
        declare("coordination.k8s.io", "v1", "Lease", "leases", "lease", True, LeaseStrategy(),
                columns=(Column("Holder", "string", _lease_holder,
                                description=description("io.k8s.api.coordination.v1.LeaseSpec", "holderIdentity")),),
                storage_resource="leases"),
    ]
