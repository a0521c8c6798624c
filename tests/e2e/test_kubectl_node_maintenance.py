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
