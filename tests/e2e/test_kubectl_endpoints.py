"""A Service's Endpoints and EndpointSlices through a real ``setpoint up``, kubectl and the official
client: the controllers follow the pods (whose IP and readiness the test sets through pods/status)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually, setpoint_cmd

from setpoint.controllers.bootstrap import host_address

pytestmark = pytest.mark.e2e


def _pod(name: str, app: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": app}},
                       "spec": {"containers": [{"name": "web", "image": "nginx",
                                                "ports": [{"name": "http", "containerPort": 8080}]}]}})


def _status(kubectl: Kubectl, ns: str, name: str, ip: str, ready: bool) -> None:
    status = {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                         "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                         "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
    kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p", json.dumps(status))


def _service(name: str, **spec: Any) -> str:
    spec.setdefault("ports", [{"name": "http", "port": 80, "targetPort": "http"}])
    return json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                       "spec": {"selector": {"app": name}, **spec}})


def test_endpoints_follow_readiness_and_go_with_the_service(kubectl: Kubectl, ns: str) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=_service("web"))
    kubectl("apply", "-n", ns, "-f", "-", input=_pod("web-1", "web"))
    _status(kubectl, ns, "web-1", "10.1.0.5", ready=False)

    def not_ready() -> bool:
        ep = json.loads(kubectl.out("get", "endpoints", "web", "-n", ns, "-o", "json"))
        assert [a["ip"] for s in ep.get("subsets") or () for a in s.get("notReadyAddresses") or ()] == ["10.1.0.5"]
        return True
    eventually(not_ready)
    slices = kubectl.out("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web").splitlines()
    assert slices[0].split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert slices[1].split()[1:4] == ["IPv4", "8080", "10.1.0.5"] and slices[1].startswith("web-")

    _status(kubectl, ns, "web-1", "10.1.0.5", ready=True)

    def ready() -> bool:
        result = kubectl("get", "endpoints,endpointslices", "-n", ns)
        assert "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice" in result.stderr
        rows = [line.split() for line in result.stdout.splitlines()]
        assert rows[1][:2] == ["endpoints/web", "10.1.0.5:8080"], rows
        return True
    eventually(ready)
    slice_json = json.loads(kubectl.out("get", "endpointslices", "-n", ns, "-o", "json"))["items"][0]
    assert slice_json["endpoints"][0]["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert slice_json["metadata"]["ownerReferences"][0]["kind"] == "Service"
    described = kubectl.out("describe", "service", "web", "-n", ns)
    assert "TargetPort:" in described and "http/TCP" in described
    assert any(line.split() == ["Endpoints:", "10.1.0.5:8080"] for line in described.splitlines()), described

    kubectl("delete", "service", "web", "-n", ns)

    def gone() -> bool:
        out = kubectl("get", "endpoints,endpointslices", "-n", ns, "-o", "name")
        assert out.stdout.split() == [], out.stdout
        return True
    eventually(gone)


def test_headless_service_and_the_official_client(kubectl: Kubectl, k8s: Any, ns: str) -> None:
    from kubernetes import client

    kubectl("apply", "-n", ns, "-f", "-", input=_service("db", clusterIP="None"))
    for i in range(2):
        kubectl("apply", "-n", ns, "-f", "-", input=_pod(f"db-{i}", "db"))
        _status(kubectl, ns, f"db-{i}", f"10.1.0.{10 + i}", ready=True)
    core, discovery = client.CoreV1Api(k8s), client.DiscoveryV1Api(k8s)

    def listed() -> bool:
        ep = core.read_namespaced_endpoints("db", ns)
        assert ep.metadata.labels == {"service.kubernetes.io/headless": ""}
        assert [a.ip for a in ep.subsets[0].addresses] == ["10.1.0.10", "10.1.0.11"]
        assert [(p.name, p.port) for p in ep.subsets[0].ports] == [("http", 8080)]
        slices = discovery.list_namespaced_endpoint_slice(ns, label_selector="kubernetes.io/service-name=db").items
        assert len(slices) == 1
        assert sorted(e.addresses[0] for e in slices[0].endpoints) == ["10.1.0.10", "10.1.0.11"]
        assert slices[0].metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
        return True
    eventually(listed)

    # The selector changes to match nothing: the addresses go, a placeholder slice stays.
    kubectl("patch", "service", "db", "-n", ns, "--type=merge", "-p", '{"spec": {"selector": {"app": "none"}}}')

    def emptied() -> bool:
        assert core.read_namespaced_endpoints("db", ns).subsets is None
        slices = discovery.list_namespaced_endpoint_slice(ns, label_selector="kubernetes.io/service-name=db").items
        assert len(slices) == 1 and not slices[0].endpoints
        return True
    eventually(emptied)


def test_invalid_endpoint_slice_is_refused_with_kubes_message(kubectl: Kubectl, ns: str) -> None:
    manifest = json.dumps({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                           "metadata": {"name": "bad"}, "addressType": "IPv4",
                           "endpoints": [{"addresses": ["fd00::1"]}], "ports": [{"port": 80, "protocol": "HTTP"}]})
    result = kubectl.run("apply", "-n", ns, "-f", "-", input=manifest, check=False)
    assert result.returncode != 0
    assert 'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address' in result.stderr
    assert 'ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"' in result.stderr


def test_the_kubernetes_service(kubectl: Kubectl, server: Server) -> None:
    svc = json.loads(kubectl.out("get", "service", "kubernetes", "-n", "default", "-o", "json"))
    assert svc["spec"]["clusterIP"] == "10.96.0.1"
    assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": server.port}]
    row = kubectl.out("get", "svc", "kubernetes", "-n", "default").splitlines()[1].split()
    assert row[:5] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
    address = host_address()
    if address is None:  # a host without a default route: kube-apiserver would have nothing to advertise either
        return

    def listed() -> bool:
        ep = json.loads(kubectl.out("get", "endpoints", "kubernetes", "-n", "default", "-o", "json"))
        assert ep["subsets"] == [{"addresses": [{"ip": address}],
                                  "ports": [{"name": "https", "port": server.port, "protocol": "TCP"}]}]
        return True
    eventually(listed)
    described = kubectl.out("describe", "service", "kubernetes", "-n", "default")
    assert any(line.split() == ["Endpoints:", f"{address}:{server.port}"] for line in described.splitlines())


def test_a_loopback_advertise_address_is_refused(tmp_path: Path) -> None:
    result = subprocess.run([*setpoint_cmd(), "up", "--data-dir", str(tmp_path), "--advertise-address=127.0.0.1"],
                            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "setpoint: invalid argument for --advertise-address: '127.0.0.1' is not an IP address an endpoint may "
        "hold (not loopback, link-local or unspecified)"]
