"""kube-scheduler's behaviour on ``setpoint up`` with nodes, through kubectl and the official client:
requests against allocatable, nodeSelector and node affinity, taints and tolerations, pod
(anti-)affinity, topology spreading, priority and preemption, a pending pod bound once a node with
room arrives, and the ``Scheduled``/``FailedScheduling`` events ``kubectl describe`` shows.

The three nodes ``node-1``..``node-3`` (zones ``zone-a``..``zone-c``, 3900m cpu allocatable) are
shared with the other tests: tests that need exact capacity add their own tainted nodes and remove
them, and cluster-scoped objects (nodes, taints, PriorityClasses) are cleaned up afterwards.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually, setpoint_node

pytestmark = pytest.mark.e2e

BASE_NODES = ["node-1", "node-2", "node-3"]
ZONES = {"node-1": "zone-a", "node-2": "zone-b", "node-3": "zone-c"}
HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def core(cluster: Server) -> Iterator[Any]:
    """The official client's ``CoreV1Api`` on the cluster."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    try:
        yield client.CoreV1Api(api_client)
    finally:
        api_client.close()


@pytest.fixture
def base_nodes(cluster_kubectl: Kubectl) -> list[str]:
    """Wait until the cluster's nodes are node-1..3 only, untainted and schedulable (another test's
    added nodes gone), so that messages counting the nodes are exact."""
    def only_base() -> bool:
        nodes = json.loads(cluster_kubectl.out("get", "nodes", "-o", "json"))["items"]
        assert sorted(n["metadata"]["name"] for n in nodes) == BASE_NODES, [n["metadata"]["name"] for n in nodes]
        for n in nodes:
            assert not (n.get("spec") or {}).get("taints") and not (n.get("spec") or {}).get("unschedulable"), n
        return True

    eventually(only_base)
    return BASE_NODES


@pytest.fixture
def add_node(cluster: Server, cluster_kubectl: Kubectl) -> Iterator[Callable[..., str]]:
    """Adds a node of the test's own (``setpoint node add``), tainted ``dedicated=<name>:NoSchedule``
    and labelled ``only=<name>`` so that no other test's pod lands there; removed afterwards."""
    added: list[str] = []

    def add(*flags: str) -> str:
        name = f"sched-{secrets.token_hex(3)}"
        added.append(name)
        setpoint_node(cluster, "add", name, "--label", f"only={name}", "--taint", f"dedicated={name}:NoSchedule",
                      *flags)
        eventually(lambda: cluster_kubectl.out("get", "node", name).splitlines()[1].split()[1] == "Ready")
        return name

    yield add
    for name in added:
        cluster_kubectl("delete", "node", name, "--ignore-not-found", "--wait=false")


def pod(name: str, *, cpu: str | None = None, memory: str | None = None, labels: dict[str, str] | None = None,
        on: str | None = None, **spec: Any) -> dict[str, Any]:
    """A Pod manifest; ``on``: selected onto (and tolerating) one of the test's own nodes."""
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: dict[str, Any] = {"name": "c", "image": "nginx"}
    if requests:
        container["resources"] = {"requests": requests}
    if on is not None:
        spec.setdefault("nodeSelector", {"only": on})
        spec.setdefault("tolerations", [{"key": "dedicated", "operator": "Equal", "value": on,
                                         "effect": "NoSchedule"}])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [container], **spec}}


def apply(kubectl: Kubectl, ns: str, *objects: dict[str, Any]) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                             "items": list(objects)}))


def node_of(core: Any, ns: str, name: str) -> str:
    return str(core.read_namespaced_pod(name, ns).spec.node_name or "")


def bound(core: Any, ns: str, name: str) -> str:
    """Wait until the pod is bound; its node."""
    return str(eventually(lambda: node_of(core, ns, name), message=f"pod {name} not bound"))


def unschedulable(core: Any, ns: str, name: str) -> str:
    """Wait until the pod has ``PodScheduled=False`` (``Unschedulable``); the condition's message."""
    def check() -> str:
        got = core.read_namespaced_pod(name, ns)
        conditions = {c.type: c for c in got.status.conditions or []}
        scheduled = conditions.get("PodScheduled")
        assert scheduled is not None and scheduled.status == "False", got.status
        assert scheduled.reason == "Unschedulable", scheduled
        assert not got.spec.node_name and got.status.phase == "Pending", got
        return str(scheduled.message)

    return str(eventually(check))


def failed_scheduling(kubectl: Kubectl, ns: str, name: str) -> list[str]:
    """The messages of the pod's ``FailedScheduling`` events (from default-scheduler, Warning)."""
    events = json.loads(kubectl.out("get", "events", "-n", ns, "-o", "json", "--field-selector",
                                    f"involvedObject.name={name},reason=FailedScheduling"))["items"]
    for e in events:
        assert e["type"] == "Warning" and e["source"].get("component") == "default-scheduler", e
    return [e["message"] for e in events]


def described_field(described: str, name: str) -> str:
    """A top-level field of ``kubectl describe`` output (``Node:   <none>`` -> ``<none>``)."""
    found = re.search(rf"^{re.escape(name)}:[ \t]+(.*)$", described, re.M)
    assert found is not None, (name, described)
    return found.group(1).strip()


def preemption_never(n: int) -> str:
    return (f"no new claims to deallocate, preemption: 0/{n} nodes are available: "
            f"{n} Preemption is not helpful for scheduling.")


def no_victims(n: int) -> str:
    return (f"no new claims to deallocate, preemption: 0/{n} nodes are available: "
            f"{n} No preemption victims found for incoming pod.")


# --- resources ---------------------------------------------------------------------------------


def test_pod_larger_than_any_node_stays_pending(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                                base_nodes: list[str]) -> None:
    apply(cluster_kubectl, cluster_ns, pod("huge", cpu="5", memory="100Gi"))
    message = unschedulable(core, cluster_ns, "huge")
    expected = ("0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory. " + no_victims(3))
    assert message == expected
    eventually(lambda: failed_scheduling(cluster_kubectl, cluster_ns, "huge") == [expected])
    assert cluster_kubectl.out("get", "pod", "huge", "-n", cluster_ns).splitlines()[1].split()[2] == "Pending"

    described = cluster_kubectl.out("describe", "pod", "huge", "-n", cluster_ns)
    assert described_field(described, "Node") == "<none>"
    event_lines = [line.split() for line in described.split("Events:")[1].splitlines() if "FailedScheduling" in line]
    assert len(event_lines) == 1, described
    assert event_lines[0][:2] == ["Warning", "FailedScheduling"] and "default-scheduler" in event_lines[0], described
    assert described.rstrip().endswith(expected), described


def test_requests_count_against_allocatable(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                            base_nodes: list[str], add_node: Callable[..., str]) -> None:
    node = add_node("--cpu", "2")  # allocatable 1900m
    assert cluster_kubectl.out("get", "node", node, "-o", "jsonpath={.status.allocatable.cpu}") == "1900m"
    apply(cluster_kubectl, cluster_ns, pod("first", cpu="1500m", on=node))
    assert bound(core, cluster_ns, "first") == node
    apply(cluster_kubectl, cluster_ns, pod("second", cpu="500m", on=node))
    expected = ("0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector. "
                "no new claims to deallocate, preemption: 0/4 nodes are available: 1 No preemption victims found "
                "for incoming pod, "
                "3 Preemption is not helpful for scheduling.")
    assert unschedulable(core, cluster_ns, "second") == expected
    # Exactly what is left fits.
    apply(cluster_kubectl, cluster_ns, pod("third", cpu="400m", on=node))
    assert bound(core, cluster_ns, "third") == node
    # A bound pod deleted gives its room back: the pending one is bound.
    cluster_kubectl("delete", "pod", "first", "-n", cluster_ns, "--wait=false")
    assert bound(core, cluster_ns, "second") == node
    described = cluster_kubectl.out("describe", "pod", "second", "-n", cluster_ns)
    assert f"Successfully assigned {cluster_ns}/second to {node}" in described, described
    assert "FailedScheduling" in described and "Scheduled" in described, described


def test_pod_count_against_allocatable_pods(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                            add_node: Callable[..., str]) -> None:
    node = add_node("--pods", "2")
    apply(cluster_kubectl, cluster_ns, pod("a", on=node), pod("b", on=node))
    assert bound(core, cluster_ns, "a") == node and bound(core, cluster_ns, "b") == node
    apply(cluster_kubectl, cluster_ns, pod("c", on=node))
    assert "1 Too many pods" in unschedulable(core, cluster_ns, "c")


# --- node selection ----------------------------------------------------------------------------


def test_node_selector_and_required_node_affinity(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                                  base_nodes: list[str]) -> None:
    required = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": ZONE, "operator": "In", "values": ["zone-a", "zone-b"]},
                              {"key": HOSTNAME, "operator": "NotIn", "values": ["node-1"]}]}]}}}
    either = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": HOSTNAME, "operator": "In", "values": ["no-such-node"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}]}}}
    apply(cluster_kubectl, cluster_ns,
          pod("by-zone", nodeSelector={ZONE: "zone-c"}),
          pod("by-host", nodeSelector={HOSTNAME: "node-2"}),
          pod("by-affinity", affinity=required),
          pod("by-field", affinity=either),
          pod("nowhere", nodeSelector={"disktype": "nvme"}))
    assert bound(core, cluster_ns, "by-zone") == "node-3"
    assert bound(core, cluster_ns, "by-host") == "node-2"
    assert bound(core, cluster_ns, "by-affinity") == "node-2"
    assert bound(core, cluster_ns, "by-field") == "node-1"
    expected = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. " + preemption_never(3)
    assert unschedulable(core, cluster_ns, "nowhere") == expected
    eventually(lambda: failed_scheduling(cluster_kubectl, cluster_ns, "nowhere") == [expected])
    described = cluster_kubectl.out("describe", "pod", "nowhere", "-n", cluster_ns)
    assert described_field(described, "Node-Selectors") == "disktype=nvme"

    # A node given the label later gets the pod.
    cluster_kubectl("label", "node", "node-3", "disktype=nvme")
    try:
        assert bound(core, cluster_ns, "nowhere") == "node-3"
    finally:
        cluster_kubectl("label", "node", "node-3", "disktype-")


def test_preferred_node_affinity(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                 base_nodes: list[str]) -> None:
    preferred = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "preference": {"matchExpressions": [{"key": ZONE, "operator": "In", "values": ["zone-a"]}]}},
        {"weight": 100, "preference": {"matchExpressions": [{"key": ZONE, "operator": "In", "values": ["zone-c"]}]}},
    ]}}
    apply(cluster_kubectl, cluster_ns, *(pod(f"p{i}", affinity=preferred) for i in range(3)))
    assert [bound(core, cluster_ns, f"p{i}") for i in range(3)] == ["node-3"] * 3
    # Preferred only: a pod whose preference no node matches is still scheduled.
    nothing = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 1, "preference": {"matchExpressions": [{"key": "disktype", "operator": "Exists"}]}}]}}
    apply(cluster_kubectl, cluster_ns, pod("anywhere", affinity=nothing))
    assert bound(core, cluster_ns, "anywhere") in BASE_NODES


# --- taints and tolerations --------------------------------------------------------------------


def test_taints_and_tolerations(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                base_nodes: list[str], add_node: Callable[..., str]) -> None:
    node = add_node()
    assert cluster_kubectl.out("taint", "nodes", node, "team=blue:NoSchedule") == f"node/{node} tainted\n"
    intolerant = pod("intolerant", nodeSelector={"only": node},
                     tolerations=[{"key": "dedicated", "operator": "Exists"}])
    tolerant = pod("tolerant", nodeSelector={"only": node},
                   tolerations=[{"key": "dedicated", "operator": "Exists"},
                                {"key": "team", "operator": "Equal", "value": "blue", "effect": "NoSchedule"}])
    apply(cluster_kubectl, cluster_ns, intolerant, tolerant)
    assert bound(core, cluster_ns, "tolerant") == node
    expected = ("0/4 nodes are available: 1 node(s) had untolerated taint(s), "
                "3 node(s) didn't match Pod's node affinity/selector. " + preemption_never(4))
    assert unschedulable(core, cluster_ns, "intolerant") == expected
    described = cluster_kubectl.out("describe", "node", node)
    assert f"dedicated={node}:NoSchedule" in described and "team=blue:NoSchedule" in described, described

    # The taint removed, the pending pod is bound.
    assert cluster_kubectl.out("taint", "nodes", node, "team-") == f"node/{node} untainted\n"
    assert bound(core, cluster_ns, "intolerant") == node

    # A pod without the node's own toleration never goes there, whatever it selects.
    apply(cluster_kubectl, cluster_ns, pod("no-toleration", nodeSelector={"only": node}))
    assert unschedulable(core, cluster_ns, "no-toleration").startswith(
        "0/4 nodes are available: 1 node(s) had untolerated taint(s), ")


def test_prefer_no_schedule_taint_is_avoided(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                             base_nodes: list[str], add_node: Callable[..., str]) -> None:
    a, b = add_node(), add_node()
    cluster_kubectl("taint", "nodes", a, "slow=yes:PreferNoSchedule")
    tolerations = [{"key": "dedicated", "operator": "Exists"}]
    both = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "only", "operator": "In", "values": [a, b]}]}]}}}
    apply(cluster_kubectl, cluster_ns, *(pod(f"p{i}", affinity=both, tolerations=tolerations) for i in range(3)))
    assert [bound(core, cluster_ns, f"p{i}") for i in range(3)] == [b] * 3


# --- pod affinity and anti-affinity -------------------------------------------------------------


def _term(labels: dict[str, str], key: str) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": labels}, "topologyKey": key}


def test_pod_anti_affinity_by_hostname(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                       base_nodes: list[str]) -> None:
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [_term({"app": "web"}, HOSTNAME)]}}
    apply(cluster_kubectl, cluster_ns, *(pod(f"web-{i}", labels={"app": "web"}, affinity=anti) for i in range(3)))
    nodes = [bound(core, cluster_ns, f"web-{i}") for i in range(3)]
    assert sorted(nodes) == BASE_NODES
    apply(cluster_kubectl, cluster_ns, pod("web-3", labels={"app": "web"}, affinity=anti))
    expected = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. " + no_victims(3)
    assert unschedulable(core, cluster_ns, "web-3") == expected
    # A pod without the term, matched by theirs, is kept away by the existing pods' anti-affinity.
    apply(cluster_kubectl, cluster_ns, pod("plain", labels={"app": "web"}))
    expected = "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. " + no_victims(3)
    assert unschedulable(core, cluster_ns, "plain") == expected
    # One of them gone: the first pod in the queue takes its node.
    cluster_kubectl("delete", "pod", "web-1", "-n", cluster_ns, "--wait=false")
    eventually(lambda: node_of(core, cluster_ns, "web-3") or node_of(core, cluster_ns, "plain"))
    assert {node_of(core, cluster_ns, "web-3"), node_of(core, cluster_ns, "plain")} - {""} == {nodes[1]}


def test_pod_affinity_and_anti_affinity_by_zone(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                                base_nodes: list[str]) -> None:
    apply(cluster_kubectl, cluster_ns, pod("db", labels={"app": "db"}, nodeSelector={HOSTNAME: "node-2"}))
    assert bound(core, cluster_ns, "db") == "node-2"
    near = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [_term({"app": "db"}, ZONE)]}}
    far = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [_term({"app": "db"}, ZONE)]}}
    apply(cluster_kubectl, cluster_ns, *(pod(f"near-{i}", affinity=near) for i in range(2)),
          *(pod(f"far-{i}", affinity=far) for i in range(4)))
    assert [bound(core, cluster_ns, f"near-{i}") for i in range(2)] == ["node-2"] * 2
    far_nodes = {bound(core, cluster_ns, f"far-{i}") for i in range(4)}
    assert "node-2" not in far_nodes and far_nodes <= {"node-1", "node-3"}

    # Affinity to pods that exist nowhere: no node fits, and preemption cannot help.
    lonely = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [_term({"app": "cache"}, ZONE)]}}
    apply(cluster_kubectl, cluster_ns, pod("lonely", affinity=lonely))
    expected = "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. " + preemption_never(3)
    assert unschedulable(core, cluster_ns, "lonely") == expected
    # The pod it wants arrives (in zone-c): it follows.
    apply(cluster_kubectl, cluster_ns, pod("cache", labels={"app": "cache"}, nodeSelector={ZONE: "zone-c"}))
    assert bound(core, cluster_ns, "lonely") == "node-3"


def test_preferred_pod_affinity(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                base_nodes: list[str]) -> None:
    apply(cluster_kubectl, cluster_ns, pod("anchor", labels={"app": "anchor"}, nodeSelector={HOSTNAME: "node-1"}))
    assert bound(core, cluster_ns, "anchor") == "node-1"
    prefer = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100, "podAffinityTerm": _term({"app": "anchor"}, HOSTNAME)}]}}
    avoid = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100, "podAffinityTerm": _term({"app": "anchor"}, ZONE)}]}}
    apply(cluster_kubectl, cluster_ns, *(pod(f"with-{i}", affinity=prefer) for i in range(2)),
          *(pod(f"without-{i}", affinity=avoid) for i in range(2)))
    assert [bound(core, cluster_ns, f"with-{i}") for i in range(2)] == ["node-1"] * 2
    assert all(bound(core, cluster_ns, f"without-{i}") != "node-1" for i in range(2))


# --- topology spreading ------------------------------------------------------------------------


def _spread(key: str, skew: int = 1, when: str = "DoNotSchedule", **extra: Any) -> dict[str, Any]:
    return {"maxSkew": skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"app": "spread"}}, **extra}


def test_topology_spread_over_zones_and_hostnames(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                                  base_nodes: list[str]) -> None:
    # Scoring alone would put them all on node-1: the constraints (a filter) spread them.
    to_node_1 = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100, "preference": {"matchExpressions": [{"key": HOSTNAME, "operator": "In",
                                                             "values": ["node-1"]}]}}]}}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "spread"},
                  "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "spread"}},
                           "template": {"metadata": {"labels": {"app": "spread"}},
                                        "spec": {"containers": [{"name": "c", "image": "nginx"}],
                                                 "topologySpreadConstraints": [_spread(ZONE), _spread(HOSTNAME)],
                                                 "affinity": to_node_1}}}}
    apply(cluster_kubectl, cluster_ns, deployment)

    def spread() -> dict[str, int]:
        pods = core.list_namespaced_pod(cluster_ns, label_selector="app=spread").items
        assert len(pods) == 6 and all(p.spec.node_name for p in pods), [(p.metadata.name, p.spec.node_name)
                                                                           for p in pods]
        counts: dict[str, int] = {}
        for p in pods:
            counts[p.spec.node_name] = counts.get(p.spec.node_name, 0) + 1
        return counts

    assert eventually(spread) == {"node-1": 2, "node-2": 2, "node-3": 2}
    wide = cluster_kubectl.out("get", "pods", "-n", cluster_ns, "-l", "app=spread", "-o", "wide")
    assert sorted(line.split()[6] for line in wide.splitlines()[1:]) == ["node-1", "node-1", "node-2", "node-2",
                                                                          "node-3", "node-3"], wide


def test_topology_spread_when_unsatisfiable(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                            base_nodes: list[str]) -> None:
    # One matching pod in every zone; minDomains 4 (more zones than there are) makes the global
    # minimum 0, so with maxSkew 1 no zone may take another.
    apply(cluster_kubectl, cluster_ns,
          *(pod(f"placed-{n}", labels={"app": "spread"}, nodeSelector={HOSTNAME: n}) for n in BASE_NODES))
    for n in BASE_NODES:
        assert bound(core, cluster_ns, f"placed-{n}") == n
    apply(cluster_kubectl, cluster_ns,
          pod("strict", labels={"app": "spread"}, topologySpreadConstraints=[_spread(ZONE, minDomains=4)]))
    expected = "0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints. " + no_victims(3)
    assert unschedulable(core, cluster_ns, "strict") == expected
    # ScheduleAnyway: the same constraint is only a preference.
    apply(cluster_kubectl, cluster_ns,
          pod("lenient", labels={"app": "spread"}, topologySpreadConstraints=[_spread(ZONE, when="ScheduleAnyway")]))
    assert bound(core, cluster_ns, "lenient") in BASE_NODES
    # A topology key no node has: DoNotSchedule cannot be met, ScheduleAnyway is ignored.
    apply(cluster_kubectl, cluster_ns,
          pod("unknown-key", labels={"app": "spread"}, topologySpreadConstraints=[_spread("example.com/rack")]),
          pod("unknown-key-anyway", labels={"app": "spread"},
              topologySpreadConstraints=[_spread("example.com/rack", when="ScheduleAnyway")]))
    expected = ("0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints "
                "(missing required label). " + preemption_never(3))
    assert unschedulable(core, cluster_ns, "unknown-key") == expected
    assert bound(core, cluster_ns, "unknown-key-anyway") in BASE_NODES


# --- priority and preemption ---------------------------------------------------------------------


@pytest.fixture
def priority_classes(cluster_kubectl: Kubectl) -> Iterator[dict[str, str]]:
    """Two PriorityClasses of the test's own, low (10) and high (1000); deleted afterwards."""
    suffix = secrets.token_hex(3)
    names = {"low": f"low-{suffix}", "high": f"high-{suffix}"}
    for level, value in (("low", 10), ("high", 1000)):
        cluster_kubectl("create", "priorityclass", names[level], f"--value={value}",
                        f"--description={level} priority for a scheduling test")
    yield names
    cluster_kubectl("delete", "priorityclass", *names.values(), "--ignore-not-found")


def test_preemption_evicts_lower_priority_pods(cluster: Server, cluster_kubectl: Kubectl, cluster_ns: str,
                                               core: Any, base_nodes: list[str], add_node: Callable[..., str],
                                               priority_classes: dict[str, str]) -> None:
    node = add_node("--cpu", "2")  # allocatable 1900m
    low = priority_classes["low"]
    apply(cluster_kubectl, cluster_ns, *(pod(f"low-{i}", cpu="800m", on=node, priorityClassName=low)
                                         for i in range(2)))
    assert [bound(core, cluster_ns, f"low-{i}") for i in range(2)] == [node, node]
    assert core.read_namespaced_pod("low-0", cluster_ns).spec.priority == 10

    # Without a priority above theirs, nothing is preempted.
    apply(cluster_kubectl, cluster_ns, pod("peer", cpu="1", on=node, priorityClassName=low))
    expected = ("0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector. "
                "no new claims to deallocate, preemption: 0/4 nodes are available: 1 No preemption victims found "
                "for incoming pod, "
                "3 Preemption is not helpful for scheduling.")
    assert unschedulable(core, cluster_ns, "peer") == expected
    cluster_kubectl("delete", "pod", "peer", "-n", cluster_ns)

    watch = cluster.watch(f"/api/v1/namespaces/{cluster_ns}/pods?watch=true")
    try:
        # The high-priority pod needs 1000m: one low pod (800m) must go, and one is enough.
        apply(cluster_kubectl, cluster_ns, pod("high", cpu="1", on=node, priorityClassName=priority_classes["high"]))
        nominated: set[str] = set()
        disrupted: dict[str, dict[str, Any]] = {}
        deleted: set[str] = set()
        while True:
            event = watch.next_event()
            obj = event["object"]
            name = obj["metadata"]["name"]
            status = obj.get("status") or {}
            if name == "high":
                if status.get("nominatedNodeName"):
                    nominated.add(status["nominatedNodeName"])
                if obj["spec"].get("nodeName"):
                    break
            for c in status.get("conditions") or []:
                if c["type"] == "DisruptionTarget":
                    disrupted[name] = c
            if event["type"] == "DELETED":
                deleted.add(name)
    finally:
        watch.close()
    assert nominated == {node}
    assert node_of(core, cluster_ns, "high") == node
    assert core.read_namespaced_pod("high", cluster_ns).spec.priority == 1000
    assert len(deleted) == 1 and deleted <= {"low-0", "low-1"}, deleted
    (victim,) = deleted
    survivor = ({"low-0", "low-1"} - deleted).pop()
    assert set(disrupted) == {victim}, disrupted
    condition = disrupted[victim]
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "True", "PreemptionByScheduler", "default-scheduler: preempting to accommodate a higher priority pod")
    assert node_of(core, cluster_ns, survivor) == node
    high_uid = core.read_namespaced_pod("high", cluster_ns).metadata.uid
    preempted = json.loads(cluster_kubectl.out("get", "events", "-n", cluster_ns, "-o", "json", "--field-selector",
                                               f"involvedObject.name={victim},reason=Preempted"))["items"]
    assert [e["message"] for e in preempted] == [f"Preempted by pod {high_uid} on node {node}"]
    described = cluster_kubectl.out("describe", "pod", "high", "-n", cluster_ns)
    assert described_field(described, "Priority Class Name") == priority_classes["high"]
    assert f"Successfully assigned {cluster_ns}/high to {node}" in described, described


def test_preemption_policy_never(cluster_kubectl: Kubectl, cluster_ns: str, core: Any, base_nodes: list[str],
                                 add_node: Callable[..., str], priority_classes: dict[str, str]) -> None:
    node = add_node("--cpu", "2")
    apply(cluster_kubectl, cluster_ns, pod("low", cpu="1500m", on=node, priorityClassName=priority_classes["low"]))
    assert bound(core, cluster_ns, "low") == node
    polite = f"polite-{secrets.token_hex(3)}"
    cluster_kubectl("create", "priorityclass", polite, "--value=1000", "--preemption-policy=Never")
    try:
        apply(cluster_kubectl, cluster_ns, pod("polite", cpu="1", on=node, priorityClassName=polite))
        expected = ("0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't match Pod's node "
                    "affinity/selector. no new claims to deallocate, preemption: not eligible due to "
                    "preemptionPolicy=Never.")
        assert unschedulable(core, cluster_ns, "polite") == expected
        assert node_of(core, cluster_ns, "low") == node
    finally:
        cluster_kubectl("delete", "priorityclass", polite, "--ignore-not-found")


# --- nodes arriving ------------------------------------------------------------------------------


def test_pending_pod_bound_to_a_node_created_with_kubectl(cluster_kubectl: Kubectl, cluster_ns: str, core: Any,
                                                          base_nodes: list[str]) -> None:
    name = f"sched-{secrets.token_hex(3)}"
    # Tolerating the new node's taint (so that only this test's pods go there), selecting any node.
    apply(cluster_kubectl, cluster_ns, pod("big", cpu="6", tolerations=[
        {"key": "dedicated", "operator": "Equal", "value": name, "effect": "NoSchedule"}]))
    assert unschedulable(core, cluster_ns, "big") == "0/3 nodes are available: 3 Insufficient cpu. " + no_victims(3)
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"only": name}},
            "spec": {"taints": [{"key": "dedicated", "value": name, "effect": "NoSchedule"}]},
            "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"}}}
    assert cluster_kubectl.out("create", "-f", "-", input=json.dumps(node)) == f"node/{name} created\n"
    try:
        assert bound(core, cluster_ns, "big") == name
        described = cluster_kubectl.out("describe", "pod", "big", "-n", cluster_ns)
        events = described.split("Events:")[1]
        assert "FailedScheduling" in events and f"Successfully assigned {cluster_ns}/big to {name}" in events, events
        assert events.index("FailedScheduling") < events.index("Scheduled "), events
    finally:
        cluster_kubectl("delete", "node", name, "--ignore-not-found", "--wait=false")
