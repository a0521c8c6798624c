"""Pods on the simulated nodes of a real ``setpoint up``, through the real kubectl: Deployments
become Available across the nodes, logs print the declared lines, a crashing container backs
off, a Job completes, a deleted pod stops gracefully."""

from __future__ import annotations

import json
import time

import pytest
from e2e_helpers import Kubectl, eventually

pytestmark = pytest.mark.e2e

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 6
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        readinessProbe: {httpGet: {path: /, port: 80}}
"""


def pod_manifest(name: str, behavior: dict[str, object], *, restart: str = "Always",
                 containers: tuple[str, ...] = ("app",)) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name, "annotations": {"setpoint.io/behavior": json.dumps(behavior)}},
                       "spec": {"restartPolicy": restart,
                                "containers": [{"name": c, "image": "busybox:1.36"} for c in containers]}})


def pod_json(kubectl: Kubectl, ns: str, name: str) -> dict[str, object]:
    out: dict[str, object] = json.loads(kubectl.out("get", "pod", name, "-n", ns, "-o", "json"))
    return out


def test_a_deployment_becomes_available_across_the_nodes(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=30s", timeout=40)
    kubectl("wait", "--for=condition=Available", "deployment/web", "-n", ns, "--timeout=10s", timeout=20)
    pods = json.loads(kubectl.out("get", "pods", "-n", ns, "-o", "json"))["items"]
    assert len(pods) == 6
    assert {p["spec"]["nodeName"] for p in pods} == {"node-1", "node-2", "node-3"}
    assert all(p["status"]["phase"] == "Running" for p in pods)
    assert len({p["status"]["podIP"] for p in pods}) == 6
    wide = kubectl.out("get", "pods", "-n", ns, "-o", "wide")
    assert "1/1     Running" in wide and "node-" in wide
    described = kubectl.out("describe", "pod", pods[0]["metadata"]["name"], "-n", ns)
    assert "Started container web" in described and "kubelet" in described


def test_logs_print_the_declared_lines(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest(
        "talker", {"logs": ["hello from {pod}", "on {node}"], "containers": {"side": {"logs": ["side car"]}}},
        containers=("app", "side")))
    kubectl("wait", "--for=condition=Ready", "pod/talker", "-n", ns, "--timeout=10s", timeout=20)
    node = pod_json(kubectl, ns, "talker")["spec"]["nodeName"]  # type: ignore[index]
    assert kubectl.out("logs", "talker", "-c", "app", "-n", ns) == f"hello from talker\non {node}\n"
    assert kubectl.out("logs", "talker", "-c", "side", "-n", ns) == "side car\n"
    assert kubectl.out("logs", "talker", "-c", "app", "--tail=1", "-n", ns) == f"on {node}\n"
    stamped = kubectl.out("logs", "talker", "-c", "app", "--timestamps", "-n", ns).splitlines()
    assert stamped[0].endswith("Z hello from talker") and ".000000000Z" in stamped[0]
    result = kubectl.run("logs", "talker", "-c", "app", "--previous", "-n", ns, check=False)
    assert result.returncode != 0
    assert 'previous terminated container "app" in pod "talker" not found' in result.stderr
    result = kubectl.run("exec", "talker", "-c", "app", "-n", ns, "--", "ls", check=False)
    assert result.returncode != 0
    assert 'is simulated and runs no containers' in result.stderr


def test_logs_follow_ends_when_the_container_does(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest(
        "batch", {"logs": ["working"], "exitAfter": "3s"}, restart="Never"))
    kubectl("wait", "--for=jsonpath={.status.phase}=Running", "pod/batch", "-n", ns, "--timeout=10s", timeout=20)
    started = time.monotonic()
    result = kubectl.run("logs", "-f", "batch", "-n", ns, timeout=20)
    assert result.stdout == "working\n"
    assert time.monotonic() - started > 1  # held open until the container exited
    eventually(lambda: pod_json(kubectl, ns, "batch")["status"]["phase"] == "Succeeded")  # type: ignore[index]
    assert kubectl.out("logs", "batch", "-n", ns) == "working\n"


def test_a_crashing_container_backs_off(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest(
        "crasher", {"exitAfter": "500ms", "exitCode": 1, "logs": ["panic in run {restart}"]}))

    def backing_off() -> dict[str, object]:
        status = pod_json(kubectl, ns, "crasher")["status"]
        cs = status["containerStatuses"][0]  # type: ignore[index]
        assert cs["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff", cs
        return cs  # type: ignore[no-any-return]

    cs = eventually(backing_off, timeout=10)
    assert cs["restartCount"] == 1
    assert cs["state"]["waiting"]["message"].startswith("back-off 10s restarting failed container=app")  # type: ignore[index]
    assert cs["lastState"]["terminated"]["exitCode"] == 1  # type: ignore[index]
    assert "CrashLoopBackOff" in kubectl.out("get", "pod", "crasher", "-n", ns)
    assert kubectl.out("logs", "crasher", "-n", ns) == "panic in run 1\n"
    assert kubectl.out("logs", "crasher", "--previous", "-n", ns) == "panic in run 1\n"
    # After the 10 s back-off, the third run: the restart count grows.
    eventually(lambda: pod_json(kubectl, ns, "crasher")["status"]["containerStatuses"][0]["restartCount"] >= 2,  # type: ignore[index]
               timeout=20)
    events = kubectl.out("get", "events", "-n", ns, "--field-selector", "involvedObject.name=crasher,reason=BackOff")
    assert "Back-off restarting failed container app in pod crasher_" in events


def test_a_job_completes(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("create", "job", "once", "--image=busybox:1.36", "-n", ns, "--", "true")
    kubectl("wait", "--for=condition=complete", "job/once", "-n", ns, "--timeout=20s", timeout=30)
    pods = json.loads(kubectl.out("get", "pods", "-n", ns, "-l", "job-name=once", "-o", "json"))["items"]
    assert [p["status"]["phase"] for p in pods] == ["Succeeded"]


def test_delete_pod_waits_for_the_graceful_stop(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("apply", "-n", ns, "-f", "-", input=pod_manifest("slowstop", {"terminationDelay": "2s"}))
    kubectl("wait", "--for=condition=Ready", "pod/slowstop", "-n", ns, "--timeout=10s", timeout=20)
    started = time.monotonic()
    kubectl("delete", "pod", "slowstop", "-n", ns, timeout=40)
    took = time.monotonic() - started
    assert 1.5 < took < 20
    assert kubectl.run("get", "pod", "slowstop", "-n", ns, check=False).returncode != 0
    events = kubectl.out("get", "events", "-n", ns, "--field-selector", "involvedObject.name=slowstop,reason=Killing")
    assert "Stopping container app" in events
