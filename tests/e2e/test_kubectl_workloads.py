"""kubectl's workload commands against a real ``setpoint up`` (nothing runs pods, so none is ready)."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import Kubectl

pytestmark = pytest.mark.e2e


def test_create_scale_expose_deployment(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "deployment", "nginx", "--image=nginx", "--replicas=2", "-n", ns)
    deploy = json.loads(kubectl.out("get", "deploy", "nginx", "-n", ns, "-o", "json"))
    assert deploy["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": "25%"}
    assert deploy["spec"]["replicas"] == 2
    table = kubectl.out("get", "deploy", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    row = table[1].split()
    assert row[:2] == ["nginx", "0/2"] and row[2] in ("0", "2") and row[3] == "0"  # no pod is ready
    assert "scaled" in kubectl.out("scale", "deployment", "nginx", "--replicas=5", "-n", ns)
    assert kubectl.out("get", "deploy", "nginx", "-n", ns, "-o", "jsonpath={.spec.replicas}") == "5"
    kubectl("expose", "deployment", "nginx", "--port=80", "-n", ns)
    svc = json.loads(kubectl.out("get", "svc", "nginx", "-n", ns, "-o", "json"))
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert svc["spec"]["selector"] == {"app": "nginx"} and svc["spec"]["clusterIP"].startswith("10.")
    everything = kubectl.out("get", "all", "-n", ns)
    assert "deployment.apps/nginx" in everything and "service/nginx" in everything


def test_mismatched_selector_is_refused(kubectl: Kubectl, ns: str) -> None:
    manifest = json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
                           "spec": {"selector": {"matchLabels": {"app": "a"}},
                                    "template": {"metadata": {"labels": {"app": "b"}},
                                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    result = kubectl.run("apply", "-f", "-", "-n", ns, input=manifest, check=False)
    assert result.returncode != 0
    assert ('spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: '
            "`selector` does not match template `labels`") in result.stderr
