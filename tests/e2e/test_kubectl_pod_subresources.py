"""Pod subresources through kubectl and the official client against a real ``setpoint up``:
binding, logs, exec, attach, port-forward (nodes are simulated: no container runs)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server

pytestmark = pytest.mark.e2e


def _pod(kubectl: Kubectl, ns: str, name: str, *containers: str) -> None:
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"containers": [{"name": c, "image": "nginx"} for c in containers or ("nginx",)]}}
    kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(manifest))


def _bind(server: Server, ns: str, name: str, node: str) -> Any:
    return server.request("POST", f"/api/v1/namespaces/{ns}/pods/{name}/binding",
                          {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                           "target": {"apiVersion": "v1", "kind": "Node", "name": node}})


def _set_running(server: Server, ns: str, name: str) -> None:
    pod = server.get_json(f"/api/v1/namespaces/{ns}/pods/{name}")
    pod["status"]["phase"] = "Running"
    r = server.request("PUT", f"/api/v1/namespaces/{ns}/pods/{name}/status", pod)
    assert r.status == 200, r.body


def test_binding_shows_in_get_wide(kubectl: Kubectl, server: Server, ns: str) -> None:
    _pod(kubectl, ns, "web")
    r = _bind(server, ns, "web", "node-a")
    assert r.status == 201, r.body
    row = kubectl.out("get", "pod", "web", "-n", ns, "-o", "wide").splitlines()[1].split()
    assert row[0] == "web" and "node-a" in row
    again = _bind(server, ns, "web", "node-b")
    assert again.status == 409
    assert again.json()["message"] == ('Operation cannot be fulfilled on pods/binding "web": '
                                       'pod web is already assigned to node "node-a"')
    assert kubectl.out("get", "pod", "web", "-n", ns, "-o", "jsonpath={.status.conditions[0].type}") == "PodScheduled"


def test_binding_with_the_official_client(k8s: Any, kubectl: Kubectl, ns: str) -> None:
    from kubernetes import client

    _pod(kubectl, ns, "api")
    core = client.CoreV1Api(k8s)
    body = client.V1Binding(metadata=client.V1ObjectMeta(name="api"),
                            target=client.V1ObjectReference(api_version="v1", kind="Node", name="n1"))
    # The answer is a Status, which the generated client fails to read as a V1Binding:
    # ask for the raw response.
    core.create_namespaced_binding(ns, body, _preload_content=False)
    assert core.read_namespaced_pod("api", ns).spec.node_name == "n1"


def test_logs_errors_as_kube(kubectl: Kubectl, server: Server, ns: str) -> None:
    _pod(kubectl, ns, "solo")
    # Not scheduled: kube serves an empty log.
    result = kubectl.run("logs", "solo", "-n", ns)
    assert result.returncode == 0 and result.stdout == ""
    assert _bind(server, ns, "solo", "node-a").status == 201
    result = kubectl.run("logs", "solo", "-n", ns, check=False)
    assert result.returncode != 0
    assert 'Error from server (BadRequest): container "nginx" in pod "solo" is not available' in result.stderr
    result = kubectl.run("logs", "solo", "-c", "nope", "-n", ns, check=False)
    assert result.returncode != 0 and "container nope is not valid for pod solo" in result.stderr


def test_exec_attach_port_forward_print_the_error(kubectl: Kubectl, server: Server, ns: str) -> None:
    _pod(kubectl, ns, "box")
    result = kubectl.run("exec", "box", "-n", ns, "--", "ls", check=False)
    assert result.returncode != 0
    assert "pod box does not have a host assigned" in result.stderr
    assert _bind(server, ns, "box", "sim-1").status == 201
    _set_running(server, ns, "box")
    simulated = 'node "sim-1" is simulated and runs no containers'
    result = kubectl.run("exec", "box", "-n", ns, "--", "ls", check=False, timeout=30)
    assert result.returncode != 0 and simulated in result.stderr, result.stderr
    result = kubectl.run("attach", "box", "-n", ns, check=False, timeout=30)
    assert result.returncode != 0 and simulated in result.stderr, result.stderr
    result = kubectl.run("port-forward", "pod/box", "18080:80", "-n", ns, check=False, timeout=30)
    assert result.returncode != 0 and 'cannot forward ports to pod "box"' in result.stderr, result.stderr


def test_kubectl_debug_adds_an_ephemeral_container(kubectl: Kubectl, ns: str) -> None:
    _pod(kubectl, ns, "dbg")
    result = kubectl.run("debug", "dbg", "-n", ns, "--image=busybox", "--container=debugger", "--target=nginx")
    assert result.returncode == 0, result.stderr
    pod = json.loads(kubectl.out("get", "pod", "dbg", "-n", ns, "-o", "json"))
    [debug] = pod["spec"]["ephemeralContainers"]
    assert debug["name"] == "debugger" and debug["image"] == "busybox" and debug["targetContainerName"] == "nginx"


def test_kubectl_patch_resize(kubectl: Kubectl, ns: str) -> None:
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "rz"},
                "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {
                    "requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}}}]}}
    kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(manifest))
    kubectl("patch", "pod", "rz", "-n", ns, "--subresource=resize", "-p",
            '{"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "400m"}}}]}}')
    assert kubectl.out("get", "pod", "rz", "-n", ns, "-o", "jsonpath={.spec.containers[0].resources.limits.cpu}") == "400m"
    # Requests equal to limits would make the Burstable pod Guaranteed.
    result = kubectl.run("patch", "pod", "rz", "-n", ns, "--subresource=resize", "-p",
                         '{"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "400m"}}}]}}',
                         check=False)
    assert result.returncode != 0
    assert "Pod QOS Class may not change as a result of resizing" in result.stderr
