"""kubectl autoscale and HorizontalPodAutoscalers against a real ``setpoint up``."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import Kubectl

pytestmark = pytest.mark.e2e


def test_kubectl_autoscale_and_get_hpa(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "deployment", "web", "--image=nginx", "-n", ns)
    kubectl("autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=50", "-n", ns)
    hpa = json.loads(kubectl.out("get", "hpa", "web", "-n", ns, "-o", "json"))
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["minReplicas"] == 2 and hpa["spec"]["maxReplicas"] == 5
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 50}
    header, row = kubectl.out("get", "hpa", "-n", ns).splitlines()[:2]
    assert header.split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert row.split()[:7] == ["web", "Deployment/web", "cpu:", "<unknown>/50%", "2", "5", "0"]
    bad = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "bad"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "minReplicas": 3, "maxReplicas": 1}}
    result = kubectl.run("apply", "-f", "-", "-n", ns, input=json.dumps(bad), check=False)
    assert result.returncode != 0
    assert "spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`" in result.stderr
