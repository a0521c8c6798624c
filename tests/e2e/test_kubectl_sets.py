"""StatefulSets and DaemonSets through a real ``setpoint up`` and kubectl: the controllers
make the pods, the test plays the kubelet (pod phase and Ready through ``pods/status``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually

pytestmark = pytest.mark.e2e

MERGE = "application/merge-patch+json"


def pods(server: Server, ns: str, selector: str = "") -> dict[str, Any]:
    path = f"/api/v1/namespaces/{ns}/pods" + (f"?labelSelector={selector}" if selector else "")
    return {p["metadata"]["name"]: p for p in server.get_json(path)["items"]}


def make_ready(server: Server, ns: str, name: str) -> None:
    """What a kubelet would report: Running and Ready."""
    status = {"status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
    r = server.request("PATCH", f"/api/v1/namespaces/{ns}/pods/{name}/status", status, content_type=MERGE)
    assert r.status in (200, 404), r.body


def ready_everything(server: Server, ns: str) -> dict[str, Any]:
    """Mark every pod of the namespace that is not Ready; the pods seen."""
    seen = pods(server, ns)
    for name, pod in seen.items():
        if (pod.get("status") or {}).get("phase") != "Running":
            make_ready(server, ns, name)
    return seen


STATEFUL_SET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "nginx:1.27"}]}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"""


def test_statefulset_rollout_status_history_and_undo(server: Server, kubectl: Kubectl, ns: str) -> None:
    kubectl("apply", "-f", "-", "-n", ns, input=STATEFUL_SET)
    eventually(lambda: list(pods(server, ns)) == ["web-0"])
    # OrderedReady: web-1 only once web-0 is Running and Ready.
    assert kubectl.out("get", "sts", "web", "-n", ns, "-o", "jsonpath={.status.replicas}") == "1"
    assert list(pods(server, ns)) == ["web-0"]
    status = kubectl.popen("rollout", "status", "statefulset/web", "-n", ns, "--timeout=60s")
    eventually(lambda: len(ready_everything(server, ns)) == 2 and
               kubectl.out("get", "sts", "web", "-n", ns, "-o", "jsonpath={.status.readyReplicas}") == "2")
    out, err = status.communicate(timeout=60)
    assert status.returncode == 0, err
    assert "partitioned roll out complete: 2 new pods have been updated..." in out
    table = kubectl.out("get", "statefulset", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "READY", "AGE"] and table[1].split()[:2] == ["web", "2/2"]
    claims = kubectl.out("get", "pvc", "-n", ns).splitlines()
    assert claims[0].split() == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES", "STORAGECLASS",
                                 "VOLUMEATTRIBUTESCLASS", "AGE"]
    assert [line.split()[:2] for line in claims[1:]] == [["www-web-0", "Pending"], ["www-web-1", "Pending"]]

    kubectl("set", "image", "statefulset/web", "app=nginx:1.28", "-n", ns)

    def rolled(image: str) -> bool:
        seen = ready_everything(server, ns)
        return (sorted(seen) == ["web-0", "web-1"]
                and all(p["spec"]["containers"][0]["image"] == image for p in seen.values())
                and kubectl.out("get", "sts", "web", "-n", ns, "-o",
                                "jsonpath={.status.updatedReplicas}/{.status.readyReplicas}") == "2/2")

    eventually(lambda: rolled("nginx:1.28"))
    history = kubectl.out("rollout", "history", "statefulset/web", "-n", ns).splitlines()
    assert history[0] == "statefulset.apps/web "
    assert [line.split()[0] for line in history[2:] if line.strip()] == ["1", "2"]
    first = kubectl.out("rollout", "history", "statefulset/web", "-n", ns, "--revision=1")
    assert "statefulset.apps/web with revision #1" in first and "nginx:1.27" in first
    revisions = kubectl.out("get", "controllerrevisions", "-n", ns).splitlines()
    assert revisions[0].split() == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    assert sorted(line.split()[1:3] for line in revisions[1:]) == [["statefulset.apps/web", "1"],
                                                                   ["statefulset.apps/web", "2"]]
    assert "rolled back" in kubectl.out("rollout", "undo", "statefulset/web", "-n", ns)
    eventually(lambda: rolled("nginx:1.27"))
    history = kubectl.out("rollout", "history", "statefulset/web", "-n", ns).splitlines()
    assert [line.split()[0] for line in history[2:] if line.strip()] == ["2", "3"]
    sts = json.loads(kubectl.out("get", "sts", "web", "-n", ns, "-o", "json"))
    assert sts["status"]["currentRevision"] == sts["status"]["updateRevision"]
    events = kubectl.out("get", "events", "-n", ns, "--field-selector", "involvedObject.name=web")
    assert "create Pod web-0 in StatefulSet web successful" in events
    assert "create Claim www-web-0 Pod web-0 in StatefulSet web success" in events


def test_statefulset_parallel_scale(server: Server, kubectl: Kubectl, ns: str) -> None:
    kubectl("apply", "-f", "-", "-n", ns,
            input=STATEFUL_SET.replace("replicas: 2", "replicas: 3\n  podManagementPolicy: Parallel"))
    eventually(lambda: sorted(pods(server, ns)) == ["web-0", "web-1", "web-2"])
    kubectl("scale", "statefulset", "web", "--replicas=1", "-n", ns)
    eventually(lambda: sorted(pods(server, ns)) == ["web-0"])


def daemon_set(ns: str, image: str = "nginx:1.27") -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"nodeSelector": {"e2e-pool": ns},
                                       "containers": [{"name": "app", "image": image}]}}}})


def node_manifest(name: str, pool: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"e2e-pool": pool}}})


def pods_on_nodes(server: Server, ns: str) -> dict[str, str]:
    """node -> pod, from the affinity each daemon pod is pinned with."""
    out = {}
    for name, pod in pods(server, ns).items():
        terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
            "nodeSelectorTerms"]
        out[terms[0]["matchFields"][0]["values"][0]] = name
    return out


def test_daemonset_follows_nodes_and_rolls_out(server: Server, kubectl: Kubectl, ns: str) -> None:
    nodes = [f"{ns}-{i}" for i in range(3)]
    try:
        for n in nodes[:2]:
            kubectl("apply", "-f", "-", input=node_manifest(n, ns))
        kubectl("apply", "-f", "-", "-n", ns, input=daemon_set(ns))
        eventually(lambda: sorted(pods_on_nodes(server, ns)) == nodes[:2])
        kubectl("apply", "-f", "-", input=node_manifest(nodes[2], ns))
        eventually(lambda: sorted(pods_on_nodes(server, ns)) == nodes)
        kubectl("taint", "nodes", nodes[1], "maintenance=now:NoExecute")
        eventually(lambda: sorted(pods_on_nodes(server, ns)) == [nodes[0], nodes[2]])
        kubectl("delete", "node", nodes[2])
        eventually(lambda: sorted(pods_on_nodes(server, ns)) == [nodes[0]])
        kubectl("taint", "nodes", nodes[1], "maintenance=now:NoExecute-")
        eventually(lambda: sorted(pods_on_nodes(server, ns)) == nodes[:2])

        status = kubectl.popen("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s")
        eventually(lambda: len(ready_everything(server, ns)) == 2 and kubectl.out(
            "get", "ds", "agent", "-n", ns, "-o", "jsonpath={.status.numberAvailable}") == "2")
        out, err = status.communicate(timeout=60)
        assert status.returncode == 0, err
        assert 'daemon set "agent" successfully rolled out' in out
        table = kubectl.out("get", "daemonset", "-n", ns).splitlines()
        assert table[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE",
                                    "SELECTOR", "AGE"]
        assert table[1].split()[:7] == ["agent", "2", "2", "2", "2", "2", f"e2e-pool={ns}"]

        kubectl("set", "image", "daemonset/agent", "app=nginx:1.28", "-n", ns)

        def rolled(image: str) -> bool:
            seen = ready_everything(server, ns)
            return (len(seen) == 2 and all(p["spec"]["containers"][0]["image"] == image for p in seen.values())
                    and kubectl.out("get", "ds", "agent", "-n", ns, "-o",
                                    "jsonpath={.status.updatedNumberScheduled}/{.status.numberAvailable}") == "2/2")

        eventually(lambda: rolled("nginx:1.28"))
        history = kubectl.out("rollout", "history", "daemonset/agent", "-n", ns).splitlines()
        assert [line.split()[0] for line in history[2:] if line.strip()] == ["1", "2"]
        assert "rolled back" in kubectl.out("rollout", "undo", "daemonset/agent", "-n", ns)
        eventually(lambda: rolled("nginx:1.27"))
        history = kubectl.out("rollout", "history", "daemonset/agent", "-n", ns).splitlines()
        assert [line.split()[0] for line in history[2:] if line.strip()] == ["2", "3"]
        revisions = kubectl.out("get", "controllerrevisions", "-n", ns).splitlines()
        assert sorted(line.split()[1:3] for line in revisions[1:]) == [["daemonset.apps/agent", "2"],
                                                                       ["daemonset.apps/agent", "3"]]
        events = kubectl.out("get", "events", "-n", ns, "--field-selector", "involvedObject.name=agent")
        assert "Created pod: agent-" in events and "Deleted pod: agent-" in events
    finally:
        kubectl("delete", "node", *nodes, "--ignore-not-found")


def test_official_client_reads_statefulsets_and_daemonsets(server: Server, k8s: Any, ns: str) -> None:
    """The typed models refuse a status without its required fields: kube's empty statuses carry them."""
    from kubernetes import client

    apps = client.AppsV1Api(k8s)
    body = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "db"}},
                     "template": {"metadata": {"labels": {"app": "db"}},
                                  "spec": {"containers": [{"name": "db", "image": "postgres:17"}]}}}}
    created = apps.create_namespaced_stateful_set(ns, body)
    assert created.status.replicas == 0 and created.spec.update_strategy.rolling_update.partition == 0
    eventually(lambda: list(pods(server, ns)) == ["db-0"])
    make_ready(server, ns, "db-0")
    sts = eventually(lambda: (s := apps.read_namespaced_stateful_set(
        "db", ns)).status.ready_replicas == 1 and s)
    assert sts.status.current_revision == sts.status.update_revision
    revisions = apps.list_namespaced_controller_revision(ns).items
    assert [r.revision for r in revisions] == [1]
    assert revisions[0].metadata.owner_references[0].name == "db"
