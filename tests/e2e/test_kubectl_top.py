"""``kubectl top``, the metrics.k8s.io API and the autoscaler reading the same usage: on a bare ``setpoint up``
(the test plays the kubelet) and on the cluster (the simulated kubelet runs the pods)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually
from kubernetes import client

from setpoint.apimachinery import podusage as pu

pytestmark = pytest.mark.e2e


def _running_pod(kubectl: Kubectl, server: Server, ns: str, name: str, *, labels: str = "app=web",
                 behavior: str = "", containers: tuple[str, ...] = ("app",), node: str = "") -> None:
    pod: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": dict(kv.split("=") for kv in labels.split(",")),
                     "annotations": {"setpoint.io/behavior": behavior} if behavior else {}},
        "spec": {"containers": [{"name": c, "image": "nginx"} for c in containers]}}
    if node:
        pod["spec"]["nodeName"] = node
    kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(pod))
    status = {"status": {"phase": "Running", "containerStatuses": [
        {"name": c, "ready": True, "restartCount": 0, "image": "nginx", "imageID": "",
         "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}} for c in containers]}}
    r = server.request("PATCH", f"/api/v1/namespaces/{ns}/pods/{name}/status", status,
                       content_type="application/merge-patch+json")
    assert r.status == 200, r.body


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_kubectl_top_pod(kubectl: Kubectl, server: Server, ns: str) -> None:
    # Before any pod runs, kubectl says what it says on a cluster whose pods are new.
    kubectl("create", "configmap", "x", "-n", ns)
    pending = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pending"},
               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(pending))
    result = kubectl.run("top", "pod", "-n", ns, check=False)
    assert result.returncode != 0 and "error: metrics not available yet" in result.stderr, result.stderr

    _running_pod(kubectl, server, ns, "web-1", behavior="cpu: 250m\nmemory: 64Mi", containers=("app", "sidecar"))
    _running_pod(kubectl, server, ns, "web-2", behavior="cpu: 20m\nmemory: 300Mi")
    _running_pod(kubectl, server, ns, "db-0", labels="app=db")  # nothing declared: the defaults
    assert _rows(kubectl.out("top", "pod", "-n", ns)) == [
        ["NAME", "CPU(cores)", "MEMORY(bytes)"],
        ["db-0", f"{pu.DEFAULT_CPU_MILLI}m", "4Mi"],
        ["web-1", "500m", "128Mi"],
        ["web-2", "20m", "300Mi"]]
    assert _rows(kubectl.out("top", "pod", "-n", ns, "--sort-by=memory", "--no-headers")) == [
        ["web-2", "20m", "300Mi"], ["web-1", "500m", "128Mi"], ["db-0", f"{pu.DEFAULT_CPU_MILLI}m", "4Mi"]]
    assert [r[0] for r in _rows(kubectl.out("top", "pod", "-n", ns, "--sort-by=cpu", "--no-headers"))] == [
        "web-1", "web-2", "db-0"]
    assert _rows(kubectl.out("top", "pod", "-n", ns, "-l", "app=web", "--containers")) == [
        ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"],
        ["web-1", "app", "250m", "64Mi"],
        ["web-1", "sidecar", "250m", "64Mi"],
        ["web-2", "app", "20m", "300Mi"]]
    assert _rows(kubectl.out("top", "pod", "web-2", "-n", ns)) == [
        ["NAME", "CPU(cores)", "MEMORY(bytes)"], ["web-2", "20m", "300Mi"]]
    everywhere = _rows(kubectl.out("top", "pod", "-A", "--no-headers"))
    assert [ns, "web-2", "20m", "300Mi"] in everywhere
    # A pod that is not running has no metrics (as metrics-server's), and kubectl says so.
    result = kubectl.run("top", "pod", "pending", "-n", ns, check=False)
    assert result.returncode != 0
    assert f'podmetrics.metrics.k8s.io "{ns}/pending" not found' in result.stderr, result.stderr
    # kubectl get reads the same objects, as a Table.
    assert _rows(kubectl.out("get", "podmetrics", "-n", ns, "-l", "app=web")) == [
        ["NAME", "CPU", "MEMORY", "WINDOW"], ["web-1", "500m", "128Mi", "15s"], ["web-2", "20m", "300Mi", "15s"]]
    got = json.loads(kubectl.out("get", "--raw", f"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods/web-1"))
    assert set(got) == {"kind", "apiVersion", "metadata", "timestamp", "window", "containers"}


def test_kubectl_top_node(kubectl: Kubectl, server: Server, ns: str) -> None:
    names = [f"{ns}-a", f"{ns}-b"]
    for name in names:
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"top-test": ns}}}
        kubectl("apply", "-f", "-", input=json.dumps(node))
        r = server.request("PATCH", f"/api/v1/nodes/{name}/status", {"status": {
            "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}]}}, content_type="application/merge-patch+json")
        assert r.status == 200, r.body
    try:
        _running_pod(kubectl, server, ns, "busy", behavior="cpu: 950m\nmemory: 768Mi", node=names[0])
        rows = _rows(kubectl.out("top", "node", "-l", f"top-test={ns}"))
        assert rows[0] == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
        # busy's 950m and 768Mi plus the node's own 50m and 256Mi: 1000m of 4 cores, 1Gi of 8Gi.
        assert rows[1:] == [[names[0], "1000m", "25%", "1024Mi", "12%"], [names[1], "50m", "1%", "256Mi", "3%"]]
        assert _rows(kubectl.out("top", "node", names[1], "--no-headers")) == [[names[1], "50m", "1%", "256Mi", "3%"]]
        # A node whose kubelet is not Ready is not scraped.
        r = server.request("PATCH", f"/api/v1/nodes/{names[1]}/status", {"status": {
            "conditions": [{"type": "Ready", "status": "Unknown"}]}}, content_type="application/merge-patch+json")
        assert r.status == 200
        rows = _rows(kubectl.out("top", "node", "-l", f"top-test={ns}", "--no-headers"))
        assert rows == [[names[0], "1000m", "25%", "1024Mi", "12%"],
                        [names[1], "<unknown>", "<unknown>", "<unknown>", "<unknown>"]]
    finally:
        for name in names:
            kubectl("delete", "node", name, "--wait=false")


def test_metrics_api_in_discovery(kubectl: Kubectl) -> None:
    rows = _rows(kubectl.out("api-resources", "--api-group=metrics.k8s.io"))
    assert rows == [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"],
                    ["nodes", "metrics.k8s.io/v1beta1", "false", "NodeMetrics"],
                    ["pods", "metrics.k8s.io/v1beta1", "true", "PodMetrics"]]
    # "pods" and "nodes" still mean the core kinds.
    assert kubectl.out("get", "pods", "-A", "-o", "jsonpath={.kind}") == "List"
    assert "metrics.k8s.io/v1beta1" in kubectl.out("api-versions").split()


# --- on the cluster: the kubelet runs the pods, the usage comes from their declared behaviour ---------


def _busy(replicas: int, behavior: str, request: str = "100m") -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "busy"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "busy"}},
                 "template": {"metadata": {"labels": {"app": "busy"}, "annotations": {"setpoint.io/behavior": behavior}},
                              "spec": {"containers": [{"name": "app", "image": "nginx",
                                                       "resources": {"requests": {"cpu": request}}}]}}}})


def _running(kubectl: Kubectl, ns: str, count: int) -> list[dict[str, Any]]:
    pods = json.loads(kubectl.out("get", "pods", "-n", ns, "-l", "app=busy", "-o", "json"))["items"]
    running = [p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
    assert len(running) == count, [(p["metadata"]["name"], p["status"].get("phase")) for p in pods]
    return running


def test_kubectl_top_on_the_cluster(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("apply", "-n", ns, "-f", "-", input=_busy(3, "cpu: 120m\nmemory: 50Mi"))
    pods = eventually(lambda: _running(kubectl, ns, 3))
    rows = _rows(kubectl.out("top", "pod", "-n", ns, "--no-headers"))
    assert sorted(rows) == sorted([p["metadata"]["name"], "120m", "50Mi"] for p in pods)
    # A node's usage is the system share plus its running pods' metrics.
    everything = json.loads(kubectl.out("get", "podmetrics", "-A", "-o", "json"))["items"]
    usage = {(m["metadata"]["namespace"], m["metadata"]["name"]): m for m in everything}
    all_pods = json.loads(kubectl.out("get", "pods", "-A", "-o", "json"))["items"]
    nodes = _rows(kubectl.out("top", "node", "--no-headers"))
    assert {r[0] for r in nodes} >= {"node-1", "node-2", "node-3"}
    for row in nodes:
        on_node = [p for p in all_pods if p["spec"].get("nodeName") == row[0]]
        cpu = pu.SYSTEM_CPU_MILLI + sum(
            int(c["usage"]["cpu"].removesuffix("m"))
            for p in on_node if (m := usage.get((p["metadata"]["namespace"], p["metadata"]["name"])))
            for c in m["containers"])
        assert row[1] == f"{cpu}m", (row, [p["metadata"]["name"] for p in on_node])


def test_the_autoscaler_and_kubectl_top_agree(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    # Each pod uses 100m of its 100m request: against a 50% target the HPA doubles them.
    kubectl("apply", "-n", ns, "-f", "-", input=_busy(2, "cpu: 100m"))
    eventually(lambda: _running(kubectl, ns, 2))
    assert {tuple(r[1:2]) for r in _rows(kubectl.out("top", "pod", "-n", ns, "--no-headers"))} == {("100m",)}
    kubectl("autoscale", "deployment", "busy", "--min=1", "--max=4", "--cpu=50%", "-n", ns)
    eventually(lambda: kubectl.out("get", "hpa", "busy", "-n", ns, "-o",
                                   "jsonpath={.status.currentMetrics[0].resource.current.averageUtilization}") == "100",
               timeout=30)
    eventually(lambda: _running(kubectl, ns, 4), timeout=30)
    assert len(_rows(kubectl.out("top", "pod", "-n", ns, "--no-headers"))) == 4


def test_container_resource_autoscaling_reads_one_containers_usage(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    two = json.loads(_busy(2, "containers: {app: {cpu: 100m}}"))
    two["spec"]["template"]["spec"]["containers"].append(
        {"name": "proxy", "image": "envoy", "resources": {"requests": {"cpu": "100m"}}})
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(two))
    eventually(lambda: _running(kubectl, ns, 2))
    rows = _rows(kubectl.out("top", "pod", "-n", ns, "--containers", "--no-headers"))
    assert sorted({(r[1], r[2]) for r in rows}) == [("app", "100m"), ("proxy", f"{pu.DEFAULT_CPU_MILLI}m")]
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "busy"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "busy"},
                    "minReplicas": 1, "maxReplicas": 6, "metrics": [{"type": "ContainerResource", "containerResource": {
                        "name": "cpu", "container": "app", "target": {"type": "Utilization", "averageUtilization": 50}}}]}}
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(hpa))
    # The app container uses all of its request (the pod as a whole half): twice the pods.
    eventually(lambda: _running(kubectl, ns, 4), timeout=30)
    described = kubectl.out("describe", "hpa", "busy", "-n", ns)
    assert 'resource cpu of container "app" on pods  (as a percentage of request):  100% (100m) / 50%' in described


def test_the_official_client_reads_metrics(kubectl: Kubectl, server: Server, ns: str, k8s: Any) -> None:
    _running_pod(kubectl, server, ns, "web-1", behavior="cpu: 30m\nmemory: 20Mi")
    api = client.CustomObjectsApi(k8s)
    listed = api.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", ns, "pods")
    assert [(i["metadata"]["name"], i["containers"]) for i in listed["items"]] == [
        ("web-1", [{"name": "app", "usage": {"cpu": "30m", "memory": "20Mi"}}])]
    one = api.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", ns, "pods", "web-1")
    assert one["kind"] == "PodMetrics" and one["window"] == "15s"
    nodes = api.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    assert nodes["kind"] == "NodeMetricsList"
