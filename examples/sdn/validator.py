"""The subnet validator: invariants *between* Subnets, which no single object's schema can state.

Two rules hold across the Subnets of one VNI:

* they all live in one namespace (a virtual network belongs to one tenant);
* their CIDRs never overlap (an address of a VNI means one guest).

The API server checks each object alone, so a controller checks the group: every Subnet of
a VNI is judged in one order -- oldest first (``creationTimestamp``, then namespace and name) --
and a Subnet is valid when it conflicts with no *valid* Subnet before it. The verdict depends
only on the set of Subnets, not on the order events arrive in, so any number of validator
replicas agree. It is written to ``status.validated``, ``status.errors`` and the ``Valid``
condition, and a Warning Event says why a Subnet was refused. The IPAM controller gives no
address on a Subnet that is not validated.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from setpoint.runtime import Builder, Manager, Request, Result, conditions
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.status import update_status

from .api import SUBNET

BY_VNI = "vni"  # index: Subnets by VNI
VALID = "Valid"


def subnet_vni(obj: Mapping[str, Any]) -> list[str]:
    """Index function: the Subnet's VNI."""
    return [str(obj["spec"]["vni"])]


def _order(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return meta.get("creationTimestamp") or "", meta.get("namespace") or "", meta["name"]


def _network(obj: Mapping[str, Any]) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(obj["spec"]["ipv4"])
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def judge(subnets: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """The errors of each Subnet of one VNI, keyed by (namespace, name); no errors: valid."""
    valid: list[tuple[Mapping[str, Any], ipaddress.IPv4Network]] = []
    verdicts: dict[tuple[str, str], list[str]] = {}
    for s in sorted(subnets, key=_order):
        meta = s["metadata"]
        errors: list[str] = []
        net = _network(s)
        if net is None:
            errors.append(f"spec.ipv4 {s['spec']['ipv4']!r} is not an IPv4 CIDR")
        if valid and valid[0][0]["metadata"]["namespace"] != meta["namespace"]:
            o = valid[0][0]["metadata"]
            errors.append(f"VNI {s['spec']['vni']} belongs to namespace {o['namespace']} "
                          f"(Subnet {o['namespace']}/{o['name']})")
        elif net is not None:
            errors.extend(f"{net} overlaps {other_net} of Subnet {o['metadata']['namespace']}/"
                          f"{o['metadata']['name']} in VNI {s['spec']['vni']}"
                          for o, other_net in valid if net.overlaps(other_net))
        if not errors and net is not None:
            valid.append((s, net))
        verdicts[(meta["namespace"], meta["name"])] = errors
    return verdicts


class SubnetValidator:
    """Reconciles one Subnet by judging every Subnet of its VNI; see the module docstring."""

    def __init__(self, mgr: Manager) -> None:
        self.client = mgr.client
        self.cache = mgr.cache
        self.events = EventRecorder(mgr.client, "subnet-validator")

    async def reconcile(self, req: Request) -> Result | None:
        sn = self.cache.get(SUBNET, req.name, req.namespace)
        if sn is None or sn["metadata"].get("deletionTimestamp"):
            return None
        peers: Sequence[Mapping[str, Any]] = self.cache.by_index(SUBNET, BY_VNI, str(sn["spec"]["vni"]))
        errors = judge(peers).get((req.namespace or "", req.name), [])
        status: dict[str, Any] = {**(sn.get("status") or {})}
        conds = [dict(c) for c in status.get("conditions") or ()]
        generation = sn["metadata"].get("generation")
        if errors:
            conditions.set_condition(conds, VALID, conditions.FALSE, "Conflict", "; ".join(errors),
                                     observed_generation=generation)
        else:
            conditions.set_condition(conds, VALID, conditions.TRUE, "NoConflict",
                                     f"no other Subnet of VNI {sn['spec']['vni']} conflicts",
                                     observed_generation=generation)
        was_invalid = status.get("validated") is False and bool(status.get("errors"))
        status.update(validated=not errors, errors=errors or None, conditions=conds)
        if status.get("errors") is None:
            status.pop("errors", None)
        written = await update_status(self.client, sn, status, optimistic=True)
        if written is not None and errors and not was_invalid:
            await self.events.warning(sn, "SubnetConflict", "; ".join(errors))
        return None


def setup(mgr: Manager) -> SubnetValidator:
    """Add the subnet validator to ``mgr``."""
    validator = SubnetValidator(mgr)
    mgr.cache.informer(SUBNET, indexers={BY_VNI: subnet_vni})

    def same_vni(sn: Mapping[str, Any]) -> list[Request]:
        """A Subnet's change can change the verdict on every Subnet of its VNI (itself included)."""
        peers = mgr.cache.by_index(SUBNET, BY_VNI, str(sn["spec"]["vni"]))
        return [Request.of(sn), *(Request.of(p) for p in peers)]

    Builder(mgr).named("subnet-validator").watches(SUBNET, same_vni).complete(validator)
    return validator
