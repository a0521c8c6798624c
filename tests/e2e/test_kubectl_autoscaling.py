"""kubectl autoscale and HorizontalPodAutoscalers against a real ``setpoint up``."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import Kubectl, Server, eventually

pytestmark = pytest.mark.e2e


def test_kubectl_autoscale_and_get_hpa(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "deployment", "web", "--image=nginx", "-n", ns)
    kubectl("autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=50", "-n", ns)
    hpa = json.loads(kubectl.out("get", "hpa", "web", "-n", ns, "-o", "json"))
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["minReplicas"] == 2 and hpa["spec"]["maxReplicas"] == 5
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 50}
    # The same HPA through autoscaling/v1.
    assert kubectl.out("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-n", ns, "-o",
                       "jsonpath={.spec.targetCPUUtilizationPercentage}") == "50"
    header, row = kubectl.out("get", "hpa", "-n", ns).splitlines()[:2]
    assert header.split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert row.split()[:6] == ["web", "Deployment/web", "cpu:", "<unknown>/50%", "2", "5"]
    # The controller brings the Deployment (1 replica) up to minReplicas.
    eventually(lambda: kubectl.out("get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}") == "2",
               timeout=15)
    events = kubectl.out("get", "events", "-n", ns, "--field-selector", "reason=SuccessfulRescale")
    assert "New size: 2; reason: Current number of replicas below Spec.MinReplicas" in events
    bad = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "bad"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "minReplicas": 3, "maxReplicas": 1}}
    result = kubectl.run("apply", "-f", "-", "-n", ns, input=json.dumps(bad), check=False)
    assert result.returncode != 0
    assert "spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`" in result.stderr


def _pods(kubectl: Kubectl, ns: str) -> list[str]:
    return [p.removeprefix("pod/") for p in kubectl.out("get", "pods", "-n", ns, "-l", "app=web", "-o",
                                                         "name").split()]


def _running_with_usage(kubectl: Kubectl, server: Server, ns: str, name: str, usage: str) -> None:
    """What a node would do: the pod runs, Ready, and reports its (simulated) cpu usage."""
    kubectl("annotate", "pod", name, f"setpoint.io/cpu-usage={usage}", "--overwrite", "-n", ns)
    status = {"status": {"phase": "Running", "startTime": "2026-01-01T00:00:00Z", "conditions": [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
    r = server.request("PATCH", f"/api/v1/namespaces/{ns}/pods/{name}/status", status,
                       content_type="application/merge-patch+json")
    assert r.status == 200, r.body


def test_hpa_scales_a_deployment_from_simulated_usage(kubectl: Kubectl, server: Server, ns: str) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                               {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}]}}}}
    kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(deployment))
    first = eventually(lambda: len(_pods(kubectl, ns)) == 2 and _pods(kubectl, ns), timeout=15)
    for name in first:
        _running_with_usage(kubectl, server, ns, name, "100m")
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "minReplicas": 1, "maxReplicas": 10,
                    "metrics": [{"type": "Resource", "resource": {
                        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
                    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}}}}
    kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(hpa))

    def replicas(want: str) -> bool:
        got = kubectl.out("get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}")
        assert got == want, got
        return True

    # 100% of request against a 50% target: twice the pods.
    eventually(lambda: replicas("4"), timeout=15)
    row = eventually(lambda: _row_with(kubectl, ns, "cpu: 100%/50%"), timeout=15)
    assert row[:2] == ["web", "Deployment/web"] and row[-4:-1] == ["1", "10", "2"], row
    events = kubectl.out("get", "events", "-n", ns, "--field-selector", "reason=SuccessfulRescale")
    assert "New size: 4; reason: cpu resource utilization (percentage of request) above target" in events

    # Usage drops; a spec change makes the controller sync now rather than in 15 s.
    for name in first:
        _running_with_usage(kubectl, server, ns, name, "10m")
    kubectl("patch", "hpa", "web", "-n", ns, "--type=merge", "-p", '{"spec": {"maxReplicas": 9}}')
    eventually(lambda: replicas("1"), timeout=15)
    events = kubectl.out("get", "events", "-n", ns, "--field-selector", "reason=SuccessfulRescale")
    assert "New size: 1; reason: All metrics below target" in events


def _row_with(kubectl: Kubectl, ns: str, text: str) -> list[str]:
    line = kubectl.out("get", "hpa", "web", "-n", ns).splitlines()[1]
    assert text in line, line
    return line.replace("cpu: ", "cpu:").split()
