"""Node maintenance and failure on a ``setpoint up`` with simulated nodes, through the real kubectl:
a node that goes NotReady has its pods evicted after their toleration and replaced elsewhere.

The failure scenario runs on a server of its own, with kube-controller-manager's short monitor
periods, so that it takes seconds rather than the default 40 s grace period."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually, free_port, start_server, stop_server, wait_ready

pytestmark = pytest.mark.e2e


def _start(base: Path, *extra: str) -> Server:
    port = free_port()
    data_dir = base / "data"
    log = base / "server.log"
    proc = start_server(data_dir, port, *extra, log_path=log)
    wait_ready(port, proc)
    srv = Server(port, data_dir, proc, log, base / "kube-cache")
    srv.env = {**os.environ, "KUBECONFIG": str(srv.kubeconfig), "KUBECACHEDIR": str(base / "kube-cache"),
               "HOME": str(base)}
    return srv


@pytest.fixture(scope="module")
def fast_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Three simulated nodes, a node lifecycle controller that looks every second and gives up
    on a silent node after three."""
    srv = _start(tmp_path_factory.mktemp("setpoint-fast"), "--node-monitor-period", "1s",
                 "--node-monitor-grace-period", "3s")
    try:
        yield srv
    finally:
        stop_server(srv.proc)


def _deployment(name: str, replicas: int, toleration_seconds: int | None = None) -> str:
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "nginx"}]}
    if toleration_seconds is not None:
        spec["tolerations"] = [{"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": toleration_seconds}
                               for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")]
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                       "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                                "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}})


def _pods(kubectl: Kubectl, ns: str, app: str) -> list[dict[str, Any]]:
    items = json.loads(kubectl.out("get", "pods", "-n", ns, "-l", f"app={app}", "-o", "json"))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def _placed(kubectl: Kubectl, ns: str, app: str, count: int) -> dict[str, str]:
    """pod -> node, once ``count`` live pods are all bound."""
    pods = _pods(kubectl, ns, app)
    placed = {p["metadata"]["name"]: p["spec"].get("nodeName", "") for p in pods}
    assert len(placed) == count and all(placed.values()), placed
    return placed


@pytest.mark.parametrize(("annotation", "taint"), [
    ("setpoint.io/ready=false", "node.kubernetes.io/not-ready"),
    ("setpoint.io/heartbeat=stopped", "node.kubernetes.io/unreachable"),
])
def test_pods_of_a_failed_node_are_evicted_after_their_toleration_and_replaced(
        fast_cluster: Server, annotation: str, taint: str) -> None:
    kubectl = Kubectl(fast_cluster)
    ns = "failure-" + taint.rsplit("/", 1)[1]
    kubectl("create", "namespace", ns)
    # Six pods over three nodes, tolerating a failed node for 2 s.
    kubectl("apply", "-n", ns, "-f", "-", input=_deployment("web", 6, toleration_seconds=2))
    before = eventually(lambda: _placed(kubectl, ns, "web", 6), timeout=30)
    victim = next(iter(before.values()))
    on_victim = {p for p, n in before.items() if n == victim}
    kubectl("annotate", "node", victim, annotation)
    try:
        def tainted() -> bool:
            taints = json.loads(kubectl.out("get", "node", victim, "-o", "jsonpath={.spec.taints}") or "[]")
            assert (taint, "NoExecute") in {(t["key"], t["effect"]) for t in taints}, taints
            return True

        eventually(tainted, timeout=30)
        # The node's pods are deleted by the taint eviction controller and replaced on the others.
        def replaced() -> dict[str, str]:
            after = _placed(kubectl, ns, "web", 6)
            assert not on_victim & set(after), after
            assert victim not in after.values(), after
            return after

        eventually(replaced, timeout=30)
        events = kubectl.out("get", "events", "-n", ns, "--field-selector", "reason=TaintManagerEviction")
        for pod in on_victim:
            assert f"Marking for deletion Pod {ns}/{pod}" in events, events
        node_events = kubectl.out("get", "events", "-A", "--field-selector", f"involvedObject.name={victim}")
        assert "NodeNotReady" in node_events, node_events
    finally:
        kubectl("annotate", "node", victim, annotation.split("=")[0] + "-")
        kubectl("delete", "namespace", ns, "--wait=false")
    # The node comes back: Ready and untainted.
    eventually(lambda: kubectl.out("get", "node", victim, "-o", "jsonpath={.spec.taints}") == "", timeout=30)


# --- drain, cordon, uncordon on the session's cluster ---------------------------------------------


def _ready_count(kubectl: Kubectl, ns: str, app: str) -> int:
    return sum(1 for p in _pods(kubectl, ns, app)
               if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or []))


def test_drain_respects_the_budget_and_uncordon_makes_the_node_schedulable(cluster_kubectl: Kubectl,
                                                                          cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    # Three replicas, one per node (anti-affinity), a budget that allows one down at a time; and a
    # DaemonSet, which --ignore-daemonsets leaves in place.
    web = json.loads(_deployment("web", 3))
    web["spec"]["template"]["spec"]["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                                            "topologyKey": "kubernetes.io/hostname"}}]}}
    # Each replacement takes a moment to become ready, so the budget holds the drain back meanwhile.
    web["spec"]["template"]["metadata"]["annotations"] = {"setpoint.io/behavior": "readyAfter: 6s"}
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(web))
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps({
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
            "metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "fluentd"}]}}}}))
    kubectl("create", "pdb", "web", "--selector=app=web", "--max-unavailable=1", "-n", ns)
    eventually(lambda: _ready_count(kubectl, ns, "web") == 3, timeout=30)
    eventually(lambda: kubectl.out("get", "pdb", "web", "-n", ns, "-o", "jsonpath={.status.disruptionsAllowed}") == "1")
    placed = _placed(kubectl, ns, "web", 3)
    node = sorted(placed.values())[0]
    on_node = [p for p, n in placed.items() if n == node]
    # Another web pod deleted first: until its replacement is ready the budget allows nothing, and
    # drain retries.
    other = next(p for p, n in placed.items() if n != node)
    kubectl("delete", "pod", other, "-n", ns, "--wait=false")
    eventually(lambda: kubectl.out("get", "pdb", "web", "-n", ns, "-o", "jsonpath={.status.disruptionsAllowed}") == "0")
    try:
        result = kubectl.run("drain", node, "--ignore-daemonsets", "--timeout=60s", timeout=90)
        assert result.returncode == 0, result.stderr
        assert f"node/{node} cordoned" in result.stdout
        assert f"node/{node} drained" in result.stdout
        assert f"Warning: ignoring DaemonSet-managed Pods: {ns}/agent-" in result.stderr
        for pod in on_node:
            assert f"pod/{pod} evicted" in result.stdout, result.stdout
        # kubectl printed kube's message from the 429, then retried until the budget allowed it.
        assert ("error when evicting pods/\"" in result.stderr
                and "Cannot evict pod as it would violate the pod's disruption budget." in result.stderr), result.stderr
        assert kubectl.out("get", "node", node, "-o", "jsonpath={.spec.unschedulable}") == "true"
        assert kubectl.out("get", "nodes", node).splitlines()[1].split()[1] == "Ready,SchedulingDisabled"
        # The replacements run on the other nodes; the DaemonSet's pod stays.
        after = eventually(lambda: _placed(kubectl, ns, "web", 3), timeout=30)
        assert node not in after.values(), after
        eventually(lambda: _ready_count(kubectl, ns, "web") == 3, timeout=30)
        agents = {p["spec"]["nodeName"] for p in _pods(kubectl, ns, "agent")}
        assert node in agents
    finally:
        assert kubectl.out("uncordon", node) == f"node/{node} uncordoned\n"
    assert kubectl.out("get", "node", node, "-o", "jsonpath={.spec.unschedulable}") == ""
    # Schedulable again: a pod pinned to it runs there.
    kubectl("run", "pinned", "--image=nginx", "-n", ns, "--overrides",
            json.dumps({"spec": {"nodeSelector": {"kubernetes.io/hostname": node}}}))
    eventually(lambda: kubectl.out("get", "pod", "pinned", "-n", ns, "-o", "jsonpath={.status.phase}") == "Running",
               timeout=30)
