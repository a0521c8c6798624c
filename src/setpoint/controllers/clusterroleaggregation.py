"""The ClusterRole aggregation controller (kube's ``clusterrole-aggregation-controller``).

A ClusterRole with an ``aggregationRule`` gets, as its ``rules``, the rules of every other
ClusterRole its ``clusterRoleSelectors`` select: selector by selector, the selected roles in
name order, each rule once. Any ClusterRole change requeues every aggregating ClusterRole.
"""

from __future__ import annotations

from setpoint.apimachinery import labels
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime.builder import Builder
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

CLUSTER_ROLE = Kind("rbac.authorization.k8s.io/v1", "ClusterRole")


def _aggregating(obj: Obj) -> bool:
    return bool((obj.get("aggregationRule") or {}).get("clusterRoleSelectors"))


class ClusterRoleAggregation:
    """Keeps one aggregating ClusterRole's rules the union of those it selects."""

    def __init__(self, manager: Manager, client: InProcessClient) -> None:
        self.cache = manager.cache
        self.client = client

    async def reconcile(self, request: Request) -> Result | None:
        role = self.cache.get(CLUSTER_ROLE, request.name)
        if role is None or not _aggregating(role):
            return None
        everything = sorted(self.cache.list(CLUSTER_ROLE), key=lambda r: str(r["metadata"]["name"]))
        rules: list[Obj] = []
        for selector in role["aggregationRule"]["clusterRoleSelectors"]:
            try:
                matches = labels.as_selector(selector)
            except labels.SelectorError:
                continue
            for other in everything:
                if other["metadata"]["name"] == request.name or not matches.matches(
                        other["metadata"].get("labels") or {}):
                    continue
                for rule in other.get("rules") or []:
                    if rule not in rules:
                        rules.append(rule)
        if rules == (role.get("rules") or []):
            return None
        await self.client.update({**role, "rules": rules})
        return None


def add_clusterrole_aggregation_controller(manager: Manager, client: InProcessClient) -> None:
    """The aggregation controller, on ``manager``, writing through ``client``."""
    cache = manager.cache

    def aggregators(_obj: Obj) -> list[Request]:
        return [Request("", str(r["metadata"]["name"])) for r in cache.list(CLUSTER_ROLE) if _aggregating(r)]

    (Builder(manager)
     .named("clusterrole-aggregation-controller")
     .for_(CLUSTER_ROLE)
     .watches(CLUSTER_ROLE, aggregators)
     .complete(ClusterRoleAggregation(manager, client)))
