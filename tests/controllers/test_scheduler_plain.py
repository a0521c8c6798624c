"""The scheduling cycle's one-pass path for common pods picks exactly what the plugin-by-plugin
path picks: the same node, the same sample of nodes, the same tie-break."""

from __future__ import annotations

import random
from typing import Any

import pytest

from setpoint.apimachinery.types import Obj
from setpoint.controllers.scheduler import framework
from setpoint.controllers.scheduler.framework import FitError, Framework, Snapshot, node_tree_order
from setpoint.controllers.scheduler.plugins import NodeInfo, PodInfo, TopologyGroups

WEB = {"matchLabels": {"app": "web"}}


def _node(i: int, rng: random.Random, roomy: bool = False) -> Obj:
    labels = {"kubernetes.io/hostname": f"n{i}", "topology.kubernetes.io/zone": f"z{i % 4}"}
    if i % 17 == 0:
        del labels["topology.kubernetes.io/zone"]  # no zone: counted as "", scored by hostname only
    if i % 29 == 0:
        del labels["kubernetes.io/hostname"]
    cpu, pods = ("64", "500") if roomy else rng.choice([("2", "110"), ("8", "110"), ("32", "5"), ("500m", "110")])
    return {"metadata": {"name": f"n{i}", "labels": labels}, "spec": {},
            "status": {"allocatable": {"cpu": cpu, "memory": "16Gi", "pods": pods}}}


def _pod(i: int, rng: random.Random, ns: str = "default", **spec: Any) -> PodInfo:
    app = rng.choice(["web", "web", "db", "other"])
    requests = rng.choice([{"cpu": "100m", "memory": "128Mi"}, {"cpu": "1"}, {}, {"memory": "1Gi"},
                           {"cpu": "400"}])  # the last fits nowhere
    return PodInfo.of({"metadata": {"name": f"p{i}", "namespace": ns, "labels": {"app": app}},
                       "spec": {"containers": [{"name": "c", "resources": {"requests": requests}}], **spec}})


class Cluster:
    """A framework over its own nodes, as the scheduler keeps them."""

    def __init__(self, nodes: list[Obj], fast: bool) -> None:
        self.framework = Framework(random.Random(7), selectors=self.selectors)
        self.framework.fast = fast
        self.framework.topology = TopologyGroups()
        self.nodes = {n["metadata"]["name"]: NodeInfo(n, topology=self.framework.topology) for n in nodes}
        self.snap = Snapshot(node_tree_order(list(self.nodes.values())))

    @staticmethod
    def selectors(pod: PodInfo) -> list[Obj]:
        return [WEB] if pod.labels.get("app") == "web" and pod.key[0] == "default" else []

    def schedule(self, pod: PodInfo) -> str | None:
        try:
            chosen = self.framework.schedule(pod, self.snap)
        except FitError as e:
            return f"fit error: {e}"
        self.nodes[chosen].add_pod(pod)
        return chosen


def _change(i: int, clusters: tuple[Cluster, ...]) -> None:
    """What happens to the cluster between some cycles."""
    for c in clusters:
        if i == 100:  # a taint on one node: the general path decides while it is there
            n3 = c.nodes["n3"]
            n3.set_node({**n3.node, "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}})
        elif i == 150:
            n3 = c.nodes["n3"]
            n3.set_node({**n3.node, "spec": {}})
        elif i == 200:  # a pod with anti-affinity bound: inter-pod affinity counts again
            c.nodes["n5"].add_pod(_pod(99_999, random.Random(1), affinity={"podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"topologyKey": "kubernetes.io/hostname", "labelSelector": WEB}]}}))
        elif i == 250:
            c.nodes["n5"].remove_pod(("default", "p99999"))


@pytest.mark.parametrize(("seed", "count", "roomy", "kept"), [
    (1, 40, False, None), (2, 150, False, None), (3, 300, False, None),
    (4, 300, True, None),  # roomy: every pod fits the sample
    (5, 150, False, 3),  # what nodes give pods forgotten every few: equal ones found apart
])
def test_each_cycle_picks_what_the_plugin_by_plugin_path_picks(
        seed: int, count: int, roomy: bool, kept: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if kept is not None:
        monkeypatch.setattr(framework, "_MAX_GIVES", kept)
    rng = random.Random(seed)
    nodes = [_node(i, rng, roomy) for i in range(count)]
    fast, slow = Cluster(nodes, True), Cluster(nodes, False)
    bound = random.Random(seed + 100)
    for i in range(2 * count):  # pods already bound, of several groups and namespaces
        info = _pod(10_000 + i, bound, bound.choice(["default", "kube"]))
        for c in (fast, slow):
            c.nodes[f"n{i % count}"].add_pod(info)
    taken = 0
    for i in range(400):
        _change(i, (fast, slow))
        info = _pod(i, rng, rng.choice(["default", "default", "kube"]))
        # Would the one-pass path take it? (A probe: its sample start and coin put back.)
        start, coin = fast.framework.next_start, fast.framework.rng.getstate()
        taken += fast.framework._schedule_plain(info, fast.snap) is not None
        fast.framework.next_start = start
        fast.framework.rng.setstate(coin)
        assert fast.schedule(info) == slow.schedule(info), i
        assert fast.framework.next_start == slow.framework.next_start, i
    assert 150 < taken < 400  # most pods took the one-pass path; the taint, the anti-affinity
    # and the pods fitting nowhere did not


def test_pods_with_affinity_are_counted_per_cluster() -> None:
    topology = TopologyGroups()
    n = NodeInfo({"metadata": {"name": "a"}, "status": {}}, topology=topology)
    anti = _pod(1, random.Random(1), affinity={"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"topologyKey": "kubernetes.io/hostname", "labelSelector": WEB}]}})
    n.add_pod(anti)
    n.add_pod(_pod(2, random.Random(1)))
    assert topology.affinity_pods == 1
    n.set_node({"metadata": {"name": "a", "labels": {"x": "y"}}, "status": {}})  # untracked, tracked again
    assert topology.affinity_pods == 1
    n.add_pod(anti)  # the same pod again
    assert topology.affinity_pods == 1
    n.remove_pod(anti.key)
    assert topology.affinity_pods == 0
    topology.untrack(n)
    n.add_pod(anti)
    assert topology.affinity_pods == 0  # not one of this topology's nodes any more
