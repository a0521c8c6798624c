"""Disruption budgets, evictions, quotas, limit ranges and priority classes against a real ``setpoint up``,
with kubectl and the official client. Nothing runs pods: the tests mark them Running and Ready
through ``pods/status``, as a kubelet would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually

pytestmark = pytest.mark.e2e

client = pytest.importorskip("kubernetes.client")
ApiException = client.exceptions.ApiException


def make_pod(kubectl: Kubectl, ns: str, name: str, *, node: str = "", ready: bool = True,
             labels: dict[str, str] | None = None) -> None:
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "nginx"}]}
    if node:
        # No kubelet on the bare server to finish a graceful deletion: evicted pods go at once.
        spec["nodeName"] = node
        spec["terminationGracePeriodSeconds"] = 0
    manifest = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "labels": labels or {"app": "web"}}, "spec": spec}
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    status = {"status": {"phase": "Running",
                         "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}
    kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p", json.dumps(status))


def pdb_allowed(kubectl: Kubectl, ns: str, name: str, allowed: int) -> bool:
    out = kubectl.out("get", "pdb", name, "-n", ns, "-o", "jsonpath={.status.disruptionsAllowed}")
    assert out == str(allowed), out
    return True


def test_pdb_follows_ready_pods_and_eviction_respects_it(kubectl: Kubectl, k8s: Any, ns: str) -> None:
    for i in range(3):
        make_pod(kubectl, ns, f"web-{i}")
    kubectl("create", "pdb", "web", "--selector=app=web", "--min-available=2", "-n", ns)
    eventually(lambda: pdb_allowed(kubectl, ns, "web", 1))
    table = kubectl.out("get", "pdb", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert table[1].split()[:4] == ["web", "2", "N/A", "1"]

    core = client.CoreV1Api(k8s)

    def evict(name: str) -> Any:
        body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=ns))
        return core.create_namespaced_pod_eviction(name, ns, body)

    evict("web-0")
    eventually(lambda: kubectl.run("get", "pod", "web-0", "-n", ns, check=False).returncode != 0)
    with pytest.raises(ApiException) as e:
        evict("web-1")
    assert e.value.status == 429
    status = json.loads(e.value.body)
    assert status["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert status["details"]["causes"][0]["reason"] == "DisruptionBudget"
    assert kubectl.out("get", "pod", "web-1", "-n", ns, "-o", "name") == "pod/web-1\n"

    # A replacement coming up ready gives the budget back.
    make_pod(kubectl, ns, "web-3")
    eventually(lambda: pdb_allowed(kubectl, ns, "web", 1))
    evict("web-1")
    eventually(lambda: pdb_allowed(kubectl, ns, "web", 0))
    conditions = json.loads(kubectl.out("get", "pdb", "web", "-n", ns, "-o", "jsonpath={.status.conditions}"))
    assert [(c["type"], c["status"], c["reason"]) for c in conditions] == [
        ("DisruptionAllowed", "False", "InsufficientPods")]


def test_kubectl_drain_waits_for_the_budget(kubectl: Kubectl, server: Server, ns: str) -> None:
    node = f"node-{ns}"
    kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}}))
    try:
        make_pod(kubectl, ns, "a", node=node)
        make_pod(kubectl, ns, "b", node=node)
        kubectl("create", "pdb", "web", "--selector=app=web", "--min-available=1", "-n", ns)
        eventually(lambda: pdb_allowed(kubectl, ns, "web", 1))
        result = kubectl.run("drain", node, "--force", "--timeout=7s", check=False, timeout=60)
        assert result.returncode != 0
        assert "Cannot evict pod as it would violate the pod's disruption budget." in result.stderr
        assert kubectl.out("get", "node", node, "-o", "jsonpath={.spec.unschedulable}") == "true"
        assert len(kubectl.out("get", "pods", "-n", ns, "-o", "name").split()) == 1
        # With the budget relaxed, the drain finishes.
        kubectl("patch", "pdb", "web", "-n", ns, "--type=merge", "-p", '{"spec": {"minAvailable": 0}}')
        eventually(lambda: pdb_allowed(kubectl, ns, "web", 1))
        result = kubectl.run("drain", node, "--force", "--timeout=30s", timeout=60)
        assert f"node/{node} drained" in result.stdout
        assert kubectl.out("get", "pods", "-n", ns, "-o", "name") == ""
    finally:
        kubectl("delete", "node", node, check=False)


def quota_synced(kubectl: Kubectl, ns: str, name: str) -> bool:
    used = kubectl.out("get", "quota", name, "-n", ns, "-o", "jsonpath={.status.used}")
    assert used, "no usage yet"
    return True


def test_quota_refuses_the_pod_over_it(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "quota", "q", "--hard=pods=1,requests.cpu=1", "-n", ns)
    eventually(lambda: quota_synced(kubectl, ns, "q"))
    result = kubectl.run("run", "nocpu", "--image=nginx", "--restart=Never", "-n", ns, check=False)
    assert result.returncode != 0
    assert ('Error from server (Forbidden): pods "nocpu" is forbidden: failed quota: q: '
            "must specify requests.cpu for: nocpu") in result.stderr
    kubectl("run", "one", "--image=nginx", "--restart=Never", "--overrides",
            json.dumps({"spec": {"containers": [{"name": "one", "image": "nginx",
                                                 "resources": {"requests": {"cpu": "250m"}}}]}}), "-n", ns)
    result = kubectl.run("run", "two", "--image=nginx", "--restart=Never", "--overrides",
                         json.dumps({"spec": {"containers": [{"name": "two", "image": "nginx",
                                                              "resources": {"requests": {"cpu": "250m"}}}]}}),
                         "-n", ns, check=False)
    assert result.returncode != 0
    assert ('Error from server (Forbidden): pods "two" is forbidden: exceeded quota: q, requested: pods=1, '
            "used: pods=1, limited: pods=1") in result.stderr
    described = kubectl.out("describe", "quota", "q", "-n", ns)
    rows = {line.split()[0]: line.split()[1:] for line in described.splitlines()[4:] if line.strip()}
    assert rows["pods"] == ["1", "1"] and rows["requests.cpu"] == ["250m", "1"], described
    table = kubectl.out("get", "quota", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "AGE", "REQUEST", "LIMIT"]
    assert "pods: 1/1, requests.cpu: 250m/1" in table[1]
    kubectl("delete", "pod", "one", "-n", ns)

    def freed() -> bool:
        assert kubectl.out("get", "quota", "q", "-n", ns, "-o", "jsonpath={.status.used.pods}") == "0"
        return True

    eventually(freed)


def test_limit_range_defaults_a_created_pod(kubectl: Kubectl, ns: str) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "128Mi"},
                             "defaultRequest": {"cpu": "100m"}, "max": {"cpu": "1"}}]}}))
    lr = json.loads(kubectl.out("get", "limitrange", "defaults", "-n", ns, "-o", "json"))
    assert lr["spec"]["limits"][0]["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}
    kubectl("run", "app", "--image=nginx", "--restart=Never", "-n", ns)
    pod = json.loads(kubectl.out("get", "pod", "app", "-n", ns, "-o", "json"))
    assert pod["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "500m", "memory": "128Mi"},
                                                         "requests": {"cpu": "100m", "memory": "128Mi"}}
    assert pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"].startswith("LimitRanger plugin set: ")
    result = kubectl.run("run", "big", "--image=nginx", "--restart=Never", "-n", ns, "--overrides",
                         json.dumps({"spec": {"containers": [{"name": "big", "image": "nginx",
                                                              "resources": {"limits": {"cpu": "2"}}}]}}),
                         check=False)
    assert 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2' in result.stderr


def test_priority_classes(kubectl: Kubectl, ns: str) -> None:
    name = f"high-{ns}"
    kubectl("create", "priorityclass", name, "--value=1000", "--description=test")
    try:
        table = kubectl.out("get", "priorityclass", name, "system-node-critical").splitlines()
        assert table[0].split() == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
        assert table[1].split()[:3] == [name, "1000", "false"]
        assert table[2].split()[:3] == ["system-node-critical", "2000001000", "false"]
        kubectl("run", "prio", "--image=nginx", "--restart=Never", "-n", ns, "--overrides",
                json.dumps({"spec": {"priorityClassName": name}}))
        assert kubectl.out("get", "pod", "prio", "-n", ns, "-o", "jsonpath={.spec.priority}") == "1000"
        result = kubectl.run("run", "lost", "--image=nginx", "--restart=Never", "-n", ns, "--overrides",
                             json.dumps({"spec": {"priorityClassName": "no-such-class"}}), check=False)
        assert ('Error from server (Forbidden): pods "lost" is forbidden: no PriorityClass with name '
                "no-such-class was found") in result.stderr
        result = kubectl.run("patch", "priorityclass", name, "--type=merge", "-p", '{"value": 5}', check=False)
        assert "value: Forbidden: may not be changed in an update." in result.stderr
    finally:
        kubectl("delete", "priorityclass", name, check=False)
