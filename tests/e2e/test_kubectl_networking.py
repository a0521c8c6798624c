"""networking.k8s.io/v1 Ingress, IngressClass and NetworkPolicy with kubectl against a real ``setpoint up``."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import Kubectl

pytestmark = pytest.mark.e2e


def test_ingress_create_get_status_delete(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "ingress", "site", "-n", ns, "--class=nginx",
            "--rule=foo.example.com/bar=svc1:8080,tls=my-cert", "--rule=baz.example.com/*=svc2:http")
    ing = json.loads(kubectl.out("get", "ingress", "site", "-n", ns, "-o", "json"))
    paths = [r["http"]["paths"][0] for r in ing["spec"]["rules"]]
    assert [(p["path"], p["pathType"]) for p in paths] == [("/bar", "Exact"), ("/", "Prefix")]
    assert paths[1]["backend"] == {"service": {"name": "svc2", "port": {"name": "http"}}}
    assert ing["metadata"]["generation"] == 1 and ing["status"] == {}
    status = {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}
    kubectl("patch", "ingress", "site", "-n", ns, "--subresource=status", "--type=merge", "-p", json.dumps(status))
    table = kubectl.out("get", "ing", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert table[1].split()[:6] == ["site", "nginx", "foo.example.com,baz.example.com", "192.0.2.10", "80,", "443"]
    kubectl("delete", "ingress", "site", "-n", ns)
    assert kubectl.out("get", "ingress", "-n", ns, "-o", "name") == ""


def test_invalid_ingress_is_refused_with_kubes_message(kubectl: Kubectl, ns: str) -> None:
    manifest = json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "bad"},
                           "spec": {"rules": [{"http": {"paths": [{"path": "relative", "pathType": "Prefix",
                                                                   "backend": {"service": {"name": "web"}}}]}}]}})
    result = kubectl.run("apply", "-n", ns, "-f", "-", input=manifest, check=False)
    assert result.returncode != 0
    assert ('The Ingress "bad" is invalid: \n'
            '* spec.rules[0].http.paths[0].path: Invalid value: "relative": must be an absolute path\n'
            "* spec.rules[0].http.paths[0].backend: Required value: port name or number is required") \
        in result.stderr, result.stderr
    assert kubectl.out("get", "ingress", "-n", ns, "-o", "name") == ""


def test_ingress_class_and_network_policy(kubectl: Kubectl, ns: str) -> None:
    name = f"cls-{ns}"
    ingress_class = json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                                "metadata": {"name": name},
                                "spec": {"controller": "example.com/ingress-controller",
                                         "parameters": {"kind": "Params", "name": "p"}}})
    kubectl("apply", "-f", "-", input=ingress_class)
    try:
        rows = kubectl.out("get", "ingressclass", name).splitlines()
        assert rows[0].split() == ["NAME", "CONTROLLER", "PARAMETERS", "AGE"]
        assert rows[1].split()[:3] == [name, "example.com/ingress-controller", "Params/p"]
        changed = ingress_class.replace("example.com/ingress-controller", "example.com/other")
        result = kubectl.run("apply", "-f", "-", input=changed, check=False)
        assert result.returncode != 0
        assert 'spec.controller: Invalid value: "example.com/other": field is immutable' in result.stderr
    finally:
        kubectl("delete", "ingressclass", name)

    policy = json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "db"},
                         "spec": {"podSelector": {"matchLabels": {"role": "db"}},
                                  "ingress": [{"from": [{"ipBlock": {"cidr": "172.17.0.0/16",
                                                                     "except": ["172.17.1.0/24"]}}],
                                               "ports": [{"port": 6379}]}]}})
    kubectl("apply", "-n", ns, "-f", "-", input=policy)
    got = json.loads(kubectl.out("get", "netpol", "db", "-n", ns, "-o", "json"))
    assert got["spec"]["policyTypes"] == ["Ingress"]
    assert got["spec"]["ingress"][0]["ports"] == [{"port": 6379, "protocol": "TCP"}]
    rows = kubectl.out("get", "networkpolicies", "-n", ns).splitlines()
    assert rows[0].split() == ["NAME", "POD-SELECTOR", "AGE"] and rows[1].split()[:2] == ["db", "role=db"]
    result = kubectl.run("apply", "-n", ns, "-f", "-", input=policy.replace("172.17.1.0/24", "10.0.0.0/8"),
                         check=False)
    assert result.returncode != 0
    assert ('spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of '
            "`cidr`") in result.stderr
    kubectl("delete", "netpol", "db", "-n", ns)
