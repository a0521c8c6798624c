"""``kubectl rollout`` and ``kubectl scale`` on a ``setpoint up`` with simulated nodes: the pods are
scheduled and played out by the kubelet, nothing in the test writes their status (the bare-server
versions, with a hand-made kubelet, are in ``test_kubectl_rollout.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import Kubectl, eventually

pytestmark = pytest.mark.e2e
TIMEOUT = 30.0


def get(kubectl: Kubectl, ns: str, *what: str) -> Any:
    return json.loads(kubectl.out("get", *what, "-n", ns, "-o", "json"))


def running(kubectl: Kubectl, ns: str, app: str) -> list[dict[str, Any]]:
    """The pods of ``app`` that run (not being deleted)."""
    pods = get(kubectl, ns, "pods", "-l", f"app={app}")["items"]
    return [p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


def images(kubectl: Kubectl, ns: str, app: str) -> list[str]:
    return sorted(p["spec"]["containers"][0]["image"] for p in running(kubectl, ns, app))


def status(kubectl: Kubectl, ns: str, what: str) -> str:
    return kubectl.out("rollout", "status", what, "-n", ns, "--timeout=60s")


def test_deployment_rollout_status_history_undo_on_real_pods(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("create", "deployment", "web", "--image=nginx:1", "--replicas=3", "-n", ns)
    assert 'deployment "web" successfully rolled out' in status(kubectl, ns, "deployment/web")
    pods = running(kubectl, ns, "web")
    assert len(pods) == 3 and all(p["spec"]["nodeName"] and p["status"]["podIP"] for p in pods)
    kubectl("set", "image", "deployment/web", "nginx=nginx:2", "-n", ns)
    assert 'deployment "web" successfully rolled out' in status(kubectl, ns, "deployment/web")
    eventually(lambda: images(kubectl, ns, "web") == ["nginx:2"] * 3, timeout=TIMEOUT)
    history = kubectl.out("rollout", "history", "deployment/web", "-n", ns).split()
    assert history == ["deployment.apps/web", "REVISION", "CHANGE-CAUSE", "1", "<none>", "2", "<none>"]
    assert "rolled back" in kubectl.out("rollout", "undo", "deployment/web", "-n", ns)
    status(kubectl, ns, "deployment/web")
    eventually(lambda: images(kubectl, ns, "web") == ["nginx:1"] * 3, timeout=TIMEOUT)
    assert kubectl.out("get", "deploy", "web", "-n", ns).splitlines()[1].split()[:4] == ["web", "3/3", "3", "3"]


def test_deployment_pause_resume_restart_and_scale(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("create", "deployment", "web", "--image=nginx:1", "--replicas=2", "-n", ns)
    status(kubectl, ns, "deployment/web")
    assert "paused" in kubectl.out("rollout", "pause", "deployment/web", "-n", ns)
    kubectl("set", "image", "deployment/web", "nginx=nginx:2", "-n", ns)
    eventually(lambda: (d := get(kubectl, ns, "deployment", "web"))["status"].get("observedGeneration")
               == d["metadata"]["generation"], timeout=TIMEOUT)
    assert images(kubectl, ns, "web") == ["nginx:1"] * 2  # paused: nothing rolled
    assert "resumed" in kubectl.out("rollout", "resume", "deployment/web", "-n", ns)
    status(kubectl, ns, "deployment/web")
    eventually(lambda: images(kubectl, ns, "web") == ["nginx:2"] * 2, timeout=TIMEOUT)
    before = {p["metadata"]["name"] for p in running(kubectl, ns, "web")}
    assert "restarted" in kubectl.out("rollout", "restart", "deployment/web", "-n", ns)
    status(kubectl, ns, "deployment/web")
    eventually(lambda: len(names := {p["metadata"]["name"] for p in running(kubectl, ns, "web")}) == 2
               and not names & before, timeout=TIMEOUT)
    # kubectl scale: up, then down, each time to running pods.
    assert kubectl.out("scale", "deployment", "web", "--replicas=5", "-n", ns) == "deployment.apps/web scaled\n"
    status(kubectl, ns, "deployment/web")
    eventually(lambda: len(running(kubectl, ns, "web")) == 5, timeout=TIMEOUT)
    kubectl("scale", "deployment", "web", "--replicas=1", "-n", ns)
    eventually(lambda: len(get(kubectl, ns, "pods", "-l", "app=web")["items"]) == 1, timeout=TIMEOUT)
    assert kubectl.out("get", "deploy", "web", "-n", ns).splitlines()[1].split()[:4] == ["web", "1/1", "1", "1"]


def test_statefulset_and_daemonset_rollouts(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    template = {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"serviceName": "db", "replicas": 3, "selector": {"matchLabels": {"app": "db"}},
                 "template": template}}))
    out = status(kubectl, ns, "statefulset/db")
    # kube defaults the rolling update's partition to 0, so kubectl reports a partitioned roll out.
    assert "partitioned roll out complete: 3 new pods have been updated..." in out, out
    assert sorted(p["metadata"]["name"] for p in running(kubectl, ns, "db")) == ["db-0", "db-1", "db-2"]
    kubectl("set", "image", "statefulset/db", "db=postgres:17", "-n", ns)
    status(kubectl, ns, "statefulset/db")
    eventually(lambda: images(kubectl, ns, "db") == ["postgres:17"] * 3, timeout=TIMEOUT)
    assert "rolled back" in kubectl.out("rollout", "undo", "statefulset/db", "-n", ns)
    status(kubectl, ns, "statefulset/db")
    eventually(lambda: images(kubectl, ns, "db") == ["postgres:16"] * 3, timeout=TIMEOUT)
    kubectl("scale", "statefulset", "db", "--replicas=1", "-n", ns)
    eventually(lambda: [p["metadata"]["name"] for p in get(kubectl, ns, "pods", "-l", "app=db")["items"]] == ["db-0"],
               timeout=TIMEOUT)

    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps({
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
            "metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "fluentd:1"}]}}}}))
    assert 'daemon set "agent" successfully rolled out' in status(kubectl, ns, "daemonset/agent")
    nodes = {p["spec"]["nodeName"] for p in running(kubectl, ns, "agent")}
    assert {"node-1", "node-2", "node-3"} <= nodes
    kubectl("set", "image", "daemonset/agent", "a=fluentd:2", "-n", ns)
    assert 'daemon set "agent" successfully rolled out' in status(kubectl, ns, "daemonset/agent")
    eventually(lambda: set(images(kubectl, ns, "agent")) == {"fluentd:2"}, timeout=TIMEOUT)
    history = kubectl.out("rollout", "history", "daemonset/agent", "-n", ns).split()
    assert history[:7] == ["daemonset.apps/agent", "REVISION", "CHANGE-CAUSE", "1", "<none>", "2", "<none>"]
