"""Node lifecycle and taint eviction through a real ``setpoint up``: a NotReady node is tainted
and its pods are deleted after their tolerationSeconds; pods get kube's default tolerations."""

from __future__ import annotations

import json
import secrets

import pytest
from e2e_helpers import Kubectl, Server, eventually

pytestmark = pytest.mark.e2e


def test_not_ready_node_is_tainted_and_pods_evicted(kubectl: Kubectl, server: Server, ns: str) -> None:
    node = f"sim-{secrets.token_hex(3)}"
    r = server.request("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}})
    assert r.status == 201, r.body
    status = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}, "status": {"conditions": [
        {"type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": "simulated",
         "lastHeartbeatTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
    for name, seconds in (("quick", 1), ("patient", 3600)):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               # No kubelet on the bare server to finish a graceful deletion: evicted pods go at once.
               "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}],
                        "terminationGracePeriodSeconds": 0,
                        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                         "effect": "NoExecute", "tolerationSeconds": seconds}]}}
        kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(pod))
    tolerations = json.loads(kubectl.out("get", "pod", "quick", "-n", ns, "-o", "jsonpath={.spec.tolerations}"))
    assert {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
            "tolerationSeconds": 300} in tolerations
    r = server.request("PATCH", f"/api/v1/nodes/{node}/status", status,
                       content_type="application/merge-patch+json")
    assert r.status == 200, r.body

    def tainted() -> bool:
        taints = json.loads(kubectl.out("get", "node", node, "-o", "jsonpath={.spec.taints}") or "[]")
        assert sorted((t["key"], t["effect"]) for t in taints) == [
            ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/not-ready", "NoSchedule")], taints
        return True

    eventually(tainted, timeout=10)
    eventually(lambda: "quick" not in kubectl.out("get", "pods", "-n", ns, "-o", "name"), timeout=15)
    assert "pod/patient" in kubectl.out("get", "pods", "-n", ns, "-o", "name")
    events = kubectl.out("get", "events", "-n", ns, "--field-selector", "reason=TaintManagerEviction")
    assert f"Marking for deletion Pod {ns}/quick" in events
    kubectl("delete", "node", node)


def test_kubectl_drain_cordons_and_evicts(kubectl: Kubectl, server: Server, ns: str) -> None:
    node = f"drain-{secrets.token_hex(3)}"
    assert server.request("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node",
                                                   "metadata": {"name": node}}).status == 201
    for name in ("a", "b"):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}],
                        "terminationGracePeriodSeconds": 0}}  # no kubelet here to stop them gracefully
        kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(pod))
    result = kubectl.run("drain", node, "--force", "--timeout=30s", timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"evicting pod {ns}/a" in result.stderr + result.stdout
    assert f"node/{node} drained" in result.stdout
    assert kubectl.out("get", "pods", "-n", ns, "-o", "name") == ""
    assert kubectl.out("get", "node", node, "-o", "jsonpath={.spec.unschedulable}") == "true"
    eventually(lambda: "node.kubernetes.io/unschedulable" in kubectl.out(
        "get", "node", node, "-o", "jsonpath={.spec.taints[*].key}"), timeout=10)
    kubectl("delete", "node", node)
