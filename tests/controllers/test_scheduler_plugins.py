"""kube-scheduler's filters and scores as pure functions, and the scheduling queue."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.controllers.scheduler import affinity, preemption, spread
from setpoint.controllers.scheduler import plugins as p
from setpoint.controllers.scheduler.framework import (
    FitError,
    Framework,
    Snapshot,
    node_tree_order,
    num_feasible_nodes_to_find,
)
from setpoint.controllers.scheduler.plugins import NodeInfo, PodInfo
from setpoint.controllers.scheduler.queue import SchedulingQueue


def pod(name: str = "p", *, cpu: str | None = None, memory: str | None = None, **spec: Any) -> PodInfo:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return PodInfo.of({"metadata": {"name": name, "namespace": "ns", "creationTimestamp": "2026-01-01T00:00:00Z"},
                       "spec": {"containers": [{"name": "c", "resources": {"requests": requests}}], **spec}})


def node(name: str = "n", *, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
         labels: dict[str, str] | None = None, **spec: Any) -> NodeInfo:
    return NodeInfo({"metadata": {"name": name, "labels": labels or {}}, "spec": spec,
                     "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods}}})


def test_pod_requests_take_init_containers_sidecars_and_overhead() -> None:
    raw: Obj = {"metadata": {"name": "p"}, "spec": {
        "containers": [{"resources": {"requests": {"cpu": "100m", "memory": "1Gi"}}},
                       {"resources": {"requests": {"cpu": "200m"}}}],
        "initContainers": [{"resources": {"requests": {"cpu": "1", "memory": "100Mi"}}},
                           {"restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}}],
        "overhead": {"cpu": "10m"}}}
    assert p.pod_requests(raw) == {"cpu": 1010, "memory": 1024 ** 3}
    assert p.pod_requests({"spec": {"containers": [{}]}}, non_zero=True) == {"cpu": 100, "memory": 200 * 1024 ** 2}


def test_fit_reasons() -> None:
    n = node(cpu="1", memory="1Gi", pods="1")
    assert p.fit(pod(cpu="500m"), n) is None
    n.add_pod(pod("other", cpu="600m"))
    status = p.fit(pod(cpu="500m", memory="2Gi"), n)
    assert status is not None and not status.unresolvable
    assert status.reasons == ("Too many pods", "Insufficient cpu", "Insufficient memory")
    n.remove_pod(("ns", "other"))
    assert n.requested == {"cpu": 0}


def test_node_affinity_and_selector() -> None:
    n = node(labels={"zone": "a", "size": "5"})
    assert p.node_affinity(pod(nodeSelector={"zone": "a"}), n) is None
    assert p.node_affinity(pod(nodeSelector={"zone": "b"}), n) == p.unresolvable(p.ERR_NODE_AFFINITY)

    def required(*exprs: Obj) -> PodInfo:
        return pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": list(exprs)}]}}})
    assert p.node_affinity(required({"key": "size", "operator": "Gt", "values": ["4"]}), n) is None
    assert p.node_affinity(required({"key": "size", "operator": "Lt", "values": ["4"]}), n) is not None
    assert p.node_affinity(required({"key": "gpu", "operator": "DoesNotExist"}), n) is None
    assert p.node_affinity(required({"key": "zone", "operator": "NotIn", "values": ["a"]}), n) is not None
    assert p.node_affinity(required(), n) is not None  # an empty term matches nothing
    by_name = pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]}]}}})
    assert p.node_affinity(by_name, n) is None


def test_taints_unschedulable_ports_node_name() -> None:
    tainted = node(taints=[{"key": "a", "effect": "PreferNoSchedule"}, {"key": "k", "value": "v", "effect": "NoExecute"}])
    status = p.taint_toleration(pod(), tainted)
    assert status == p.unresolvable("node(s) had untolerated taint(s)")
    assert p.taint_toleration(pod(tolerations=[{"key": "k", "operator": "Exists"}]), tainted) is None
    assert p.node_unschedulable(pod(), node(unschedulable=True)) == p.unresolvable(p.ERR_UNSCHEDULABLE)
    assert p.node_name(pod(nodeName="x"), node()) == p.unresolvable(p.ERR_NODE_NAME)
    web = {"containers": [{"name": "c", "ports": [{"containerPort": 80, "hostPort": 8080}]}]}
    n = node()
    n.add_pod(PodInfo.of({"metadata": {"name": "a", "namespace": "ns"}, "spec": web}))
    assert p.node_ports(PodInfo.of({"metadata": {"name": "b", "namespace": "ns"}, "spec": web}), n) == \
        p.unschedulable(p.ERR_NODE_PORTS)


def test_scores() -> None:
    n = node(cpu="4", memory="8Gi")
    # Non-zero requests: 100m and 200Mi for a pod that asks nothing.
    assert p.least_allocated(pod(), n) == ((4000 - 100) * 100 // 4000 + (8192 - 200) * 100 // 8192) // 2
    assert p.least_allocated(pod(cpu="2", memory="4Gi"), n) == 50
    assert p.balanced_allocation(pod(cpu="2", memory="4Gi"), n) == 100
    assert p.balanced_allocation(pod(cpu="4", memory="0"), n) == 50
    scores = {"a": 0, "b": 2, "c": 1}
    p.default_normalize(scores, reverse=True)
    assert scores == {"a": 100, "b": 0, "c": 50}
    prefer = pod(affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 7, "preference": {"matchExpressions": [{"key": "z", "operator": "Exists"}]}}]}})
    assert p.node_affinity_score(prefer, node(labels={"z": "1"})) == 7
    soft = node(taints=[{"key": "k", "effect": "PreferNoSchedule"}])
    assert p.taint_toleration_score(pod(), soft) == 1
    assert p.taint_toleration_score(pod(tolerations=[{"key": "k", "operator": "Exists"}]), soft) == 0


def test_fit_error_message_and_sample_size() -> None:
    statuses = {"a": p.unschedulable("Insufficient cpu"), **{f"n{i}": p.unresolvable(p.ERR_NODE_AFFINITY)
                                                            for i in range(10)}}
    err = FitError(11, statuses, post_filter_msg="preemption: x")
    # Sorted as strings, as kube sorts the histogram: "1 ..." before "10 ...".
    assert err.message() == ("0/11 nodes are available: 1 Insufficient cpu, 10 node(s) didn't match Pod's "
                             "node affinity/selector. preemption: x.")
    assert num_feasible_nodes_to_find(50) == 50
    assert num_feasible_nodes_to_find(100) == 100
    assert num_feasible_nodes_to_find(1000) == 420
    assert num_feasible_nodes_to_find(5000) == 500


def test_framework_picks_least_allocated_and_is_seedable() -> None:
    nodes = [node("a"), node("b"), node("c")]
    nodes[0].add_pod(pod("x", cpu="2"))
    fw = Framework()
    assert fw.schedule(pod(cpu="1"), Snapshot(nodes)) in ("b", "c")
    picks = {Framework(random.Random(7)).schedule(pod(), Snapshot(nodes[1:])) for _ in range(5)}
    assert len(picks) == 1


async def test_queue_orders_by_priority_and_backs_off() -> None:
    q = SchedulingQueue(initial_backoff=0.05, max_backoff=0.2)
    low = pod("low").pod
    high = pod("high", priority=100).pod
    q.add(low)
    q.add(high)
    assert (await q.pop()) is high
    assert (await q.pop()) is low
    assert q.backoff_duration(1) == 0.05 and q.backoff_duration(3) == 0.2 and q.backoff_duration(9) == 0.2
    q.failed(low, unschedulable=True)
    assert q.unschedulable == {("ns", "low")}
    loop = asyncio.get_running_loop()
    start = loop.time()
    q.move_all()
    assert (await asyncio.wait_for(q.pop(), 1)) is low
    assert loop.time() - start >= 0.04
    q.close()
    assert await q.pop() is None


def test_inter_pod_affinity_filter_and_score() -> None:
    a, b = node("a", labels={"zone": "z1"}), node("b", labels={"zone": "z2"})
    db = PodInfo.of({"metadata": {"name": "db", "namespace": "ns", "labels": {"app": "db"}},
                     "spec": {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                         {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}]}}}})
    a.add_pod(db)
    web = PodInfo.of({"metadata": {"name": "w", "namespace": "ns", "labels": {"app": "web"}}, "spec": {}})
    state = affinity.pre_filter(web, [a, b], lambda _: {})
    assert affinity.filter_(state, a) == p.unschedulable(p.ERR_EXISTING_ANTI_AFFINITY)
    assert affinity.filter_(state, b) is None
    # Another namespace is not selected (the term's namespace is its pod's) unless a namespaceSelector says so.
    other = PodInfo.of({"metadata": {"name": "w", "namespace": "other", "labels": {"app": "web"}}, "spec": {}})
    assert affinity.filter_(affinity.pre_filter(other, [a, b], lambda _: {}), a) is None
    near = PodInfo.of({"metadata": {"name": "n", "namespace": "ns"}, "spec": {"affinity": {"podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "podAffinityTerm": {
            "labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "zone"}}]}}}})
    topology = affinity.pre_score(near, [a, b], lambda _: {})
    scores = {"a": affinity.score(topology, a), "b": affinity.score(topology, b)}
    assert scores == {"a": 10, "b": 0}
    affinity.normalize(scores)
    assert scores == {"a": 100, "b": 0}


def test_topology_spread_filter_and_score() -> None:
    nodes = [node("a", labels={"zone": "z1"}), node("b", labels={"zone": "z2"}), node("c")]
    for i in range(2):
        nodes[0].add_pod(PodInfo.of({"metadata": {"name": f"w{i}", "namespace": "ns", "labels": {"app": "w"}},
                                     "spec": {}}))
    constraint = {"maxSkew": 1, "topologyKey": "zone", "labelSelector": {"matchLabels": {"app": "w"}}}
    hard = PodInfo.of({"metadata": {"name": "x", "namespace": "ns", "labels": {"app": "w"}}, "spec": {
        "topologySpreadConstraints": [{**constraint, "whenUnsatisfiable": "DoNotSchedule"}]}})
    state = spread.pre_filter(hard, nodes)
    assert state is not None and state.counts == [{"z1": 2, "z2": 0}]
    assert spread.filter_(state, hard, nodes[0]) == p.unschedulable(p.ERR_SPREAD)
    assert spread.filter_(state, hard, nodes[1]) is None
    assert spread.filter_(state, hard, nodes[2]) == p.unresolvable(p.ERR_SPREAD_LABEL)
    soft = PodInfo.of({"metadata": {"name": "x", "namespace": "ns", "labels": {"app": "w"}}, "spec": {
        "topologySpreadConstraints": [{**constraint, "whenUnsatisfiable": "ScheduleAnyway"}]}})
    scoring = spread.pre_score(soft, nodes, nodes, [])
    assert scoring is not None and scoring.ignored == {"c"}
    scores = {n.name: spread.score(scoring, soft, n) for n in nodes}
    spread.normalize(scoring, scores)
    assert scores["b"] == 100 and scores["a"] < 100 and scores["c"] == 0
    # No constraints of its own: kube's system defaults over what selects the pod.
    assert [c.topology_key for c in spread.default_constraints(soft, [{"matchLabels": {"app": "w"}}])] == [
        "kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    assert spread.default_constraints(soft, []) == []


def prio_pod(name: str, value: int, cpu: str = "1", **labels: str) -> PodInfo:
    return PodInfo.of({"metadata": {"name": name, "namespace": "ns", "labels": labels},
                       "spec": {"priority": value, "containers": [{"resources": {"requests": {"cpu": cpu}}}]}})


def test_preemption_spares_pdb_protected_pods_and_picks_the_cheapest_node() -> None:
    pdb = {"metadata": {"name": "b", "namespace": "ns"}, "spec": {"selector": {"matchLabels": {"app": "db"}}},
           "status": {"disruptionsAllowed": 0}}
    n = node("n", cpu="2")
    db, web = prio_pod("db", 0, app="db"), prio_pod("web", 0, app="web")
    n.add_pod(db)
    n.add_pod(web)
    violating, other = preemption.split_by_pdb([db, web], [pdb])
    assert [v.key[1] for v in violating] == ["db"] and [o.key[1] for o in other] == ["web"]
    fw = Framework(random.Random(1))
    evaluator = preemption.Evaluator(fw)
    snap = Snapshot([n])
    high = prio_pod("high", 10)
    state = fw.pre_filter(high, snap.nodes)
    candidate, status = evaluator.select_victims(high, snap, n, state, [pdb])
    assert status is None and candidate is not None
    assert [v.key[1] for v in candidate.victims] == ["web"] and candidate.pdb_violations == 0
    # Without the PDB, the more important pod is put back first: the victim is the other one.
    candidate, _ = evaluator.select_victims(high, snap, n, state, [])
    assert candidate is not None and len(candidate.victims) == 1
    # Equal priority: nothing to preempt.
    assert evaluator.select_victims(prio_pod("same", 0), snap, n, state, [])[1] == \
        p.unresolvable(preemption.NO_VICTIMS)
    # pickOneNodeForPreemption: fewer PDB violations first, then the lower highest victim priority.
    a = preemption.Candidate(node("a"), [prio_pod("x", 5)], 1)
    b = preemption.Candidate(node("b"), [prio_pod("y", 7)], 0)
    c = preemption.Candidate(node("c"), [prio_pod("z", 3)], 0)
    assert preemption.pick_one([a, b, c]) is c
    d = preemption.Candidate(node("d"), [prio_pod("u", 3), prio_pod("v", 1)], 0)
    assert preemption.pick_one([d, c]) is c


def test_nominated_pods_hold_their_room_for_lower_priority_pods_only() -> None:
    n = node("n", cpu="2")
    n.add_pod(prio_pod("bound", 0))
    fw = Framework(random.Random(1))
    high = prio_pod("high", 100)
    fw.nominated = {"n": {high.key: high}}
    snap = Snapshot([n])
    low = prio_pod("low", 0)
    assert fw.filter_node(low, n, fw.pre_filter(low, snap.nodes)) == p.unschedulable("Insufficient cpu")
    higher = prio_pod("higher", 200)
    assert fw.filter_node(higher, n, fw.pre_filter(higher, snap.nodes)) is None
    # The nominated pod itself fits its node.
    assert fw.filter_node(high, n, fw.pre_filter(high, snap.nodes)) is None


def test_node_tree_order_interleaves_zones() -> None:
    zone = "topology.kubernetes.io/zone"
    nodes = [node("a1", labels={zone: "a"}), node("a2", labels={zone: "a"}), node("a3", labels={zone: "a"}),
             node("b1", labels={zone: "b"}), node("c1", labels={zone: "c"}), node("b2", labels={zone: "b"})]
    assert [n.name for n in node_tree_order(nodes)] == ["a1", "b1", "c1", "a2", "b2", "a3"]


def test_spreading_counts_pods_by_label_group_of_namespace_not_deleted() -> None:
    n = node("a", labels={"zone": "z1"})
    infos = [PodInfo.of({"metadata": {"name": f"w{i}", "namespace": ns, "labels": labels, **extra}, "spec": {}})
             for i, (ns, labels, extra) in enumerate([
                 ("ns", {"app": "w"}, {}), ("ns", {"app": "w"}, {}), ("ns", {"app": "w", "x": "1"}, {}),
                 ("other", {"app": "w"}, {}), ("ns", {"app": "v"}, {}),
                 ("ns", {"app": "w"}, {"deletionTimestamp": "2026-01-01T00:00:00Z"})])]
    for info in infos:
        n.add_pod(info)
    [c] = spread.default_constraints(infos[0], [{"matchLabels": {"app": "w"}}])[:1]
    assert c.count(n, "ns") == 3 and c.count(n, "other") == 1
    n.remove_pod(infos[0].key)
    n.remove_pod(infos[5].key)
    assert c.count(n, "ns") == 2 and len(n.groups) == 4
    n.add_pod(infos[1])  # the same pod again replaces itself
    assert c.count(n, "ns") == 2


def test_topology_groups_give_the_spreading_counts_a_walk_over_every_node_gives() -> None:
    rng = random.Random(7)
    topology = p.TopologyGroups()
    nodes = [NodeInfo({"metadata": {"name": f"n{i}", "labels": {
        "kubernetes.io/hostname": f"n{i}", **({"topology.kubernetes.io/zone": f"z{i % 3}"} if i % 5 else {})}},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}, topology=topology)
        for i in range(12)]
    infos = [PodInfo.of({"metadata": {"name": f"w{i}", "namespace": rng.choice(["ns", "other"]),
                                      "labels": {"app": rng.choice(["w", "v"])}}, "spec": {}}) for i in range(80)]
    for info in infos:
        rng.choice(nodes).add_pod(info)
    for info in infos[:20]:  # some leave, some move
        for n in nodes:
            n.remove_pod(info.key)
        if info.key[1] < "w10":
            rng.choice(nodes).add_pod(info)
    nodes[3].set_node({**nodes[3].node, "metadata": {"name": "n3", "labels": {"topology.kubernetes.io/zone": "z9"}}})
    incoming = PodInfo.of({"metadata": {"name": "x", "namespace": "ns", "labels": {"app": "w"}}, "spec": {}})
    selectors = [{"matchLabels": {"app": "w"}}]
    filtered = nodes[2:9]
    walked = spread.pre_score(incoming, filtered, nodes, selectors)
    kept = spread.pre_score(incoming, filtered, nodes, selectors, topology)
    assert walked is not None and kept is not None and walked.pair_counts == kept.pair_counts
    assert any(kept.pair_counts.values())
    assert spread.scores(kept, incoming, filtered) == {n.name: spread.score(kept, incoming, n) for n in filtered}
    # A status-only new version of a pod changes nothing it counts and keeps the node's generation.
    on = next(n for n in nodes if n.pods)
    key, old = next(iter(on.pods.items()))
    generation = on.generation
    on.replace_pod(PodInfo.of({**old.pod, "status": {"phase": "Running"}}))
    assert on.generation == generation and on.pods[key].pod["status"] == {"phase": "Running"}


def test_a_status_updates_info_keeps_what_the_spec_gave_and_is_what_a_fresh_one_would_be() -> None:
    pod: Obj = {"metadata": {"name": "p", "namespace": "ns", "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}},
                                         "ports": [{"containerPort": 80, "hostPort": 8080}]}],
                         "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                             {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "web"}}}]}}}}
    info = PodInfo.of(pod)
    running = {**pod, "status": {"phase": "Running"}}
    moved = info.with_status_of(running)
    fresh = PodInfo.of(running)
    assert moved.pod is running and moved is not info
    assert {k: v for k, v in vars(moved).items() if k != "extra"} == {k: v for k, v in vars(fresh).items() if k != "extra"}
    assert info.pod is pod  # the old info is left as it was
    relabelled = {**running, "metadata": {**pod["metadata"], "labels": {"app": "db"}}}
    assert info.with_status_of(relabelled).group == ("ns", (("app", "db"),))
