"""The simulated nodes of ``setpoint up`` through kubectl and ``setpoint node``: registered,
Ready, heartbeating; added and removed; cordoned; a pending pod bound once a node with room arrives."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest
from e2e_helpers import Kubectl, Server, eventually, setpoint_node

pytestmark = pytest.mark.e2e


@pytest.fixture
def node_name(cluster: Server) -> Iterator[str]:
    """A unique name for a node the test adds; removed afterwards."""
    name = f"extra-{secrets.token_hex(3)}"
    yield name
    setpoint_node(cluster, "remove", name, check=False)


def test_get_nodes_wide(cluster_kubectl: Kubectl) -> None:
    out = cluster_kubectl.out("get", "nodes", "-o", "wide")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
                                "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    for i, ip in ((1, "172.18.0.2"), (2, "172.18.0.3"), (3, "172.18.0.4")):
        row = rows[f"node-{i}"]
        assert row[1] == "Ready" and row[2] == "<none>", row
        assert row[4].startswith("v1.") and row[5] == ip, row
        assert row[-1].startswith("setpoint://"), row
    zones = cluster_kubectl.out("get", "nodes", "node-1", "node-2", "node-3", "-o",
                                "jsonpath={.items[*].metadata.labels.topology\\.kubernetes\\.io/zone}")
    assert zones.split() == ["zone-a", "zone-b", "zone-c"]


def test_describe_node(cluster_kubectl: Kubectl) -> None:
    out = cluster_kubectl.out("describe", "node", "node-1")
    assert "kubernetes.io/hostname=node-1" in out
    assert "HolderIdentity:  node-1" in out  # the Lease
    for needle in ("MemoryPressure   False", "KubeletHasSufficientMemory", "DiskPressure     False",
                   "PIDPressure      False", "Ready            True", "KubeletReady",
                   "kubelet is posting ready status", "InternalIP:  172.18.0.2", "Hostname:    node-1",
                   "PodCIDR:                      10.244.0.0/24"):
        assert needle in out, (needle, out)
    capacity = out.split("Capacity:")[1].split("Allocatable:")[0]
    allocatable = out.split("Allocatable:")[1].split("System Info:")[0]
    assert "cpu:                4\n" in capacity and "pods:               110" in capacity, capacity
    assert "cpu:                3900m" in allocatable, allocatable
    lease = json.loads(cluster_kubectl.out("get", "lease", "node-1", "-n", "kube-node-lease", "-o", "json"))
    assert lease["spec"]["leaseDurationSeconds"] == 40
    assert lease["metadata"]["ownerReferences"][0]["kind"] == "Node"

    # The Lease is renewed every 10 s.
    def renewed() -> bool:
        again = json.loads(cluster_kubectl.out("get", "lease", "node-1", "-n", "kube-node-lease", "-o", "json"))
        return bool(again["spec"]["renewTime"] > lease["spec"]["renewTime"])

    eventually(renewed, timeout=15, interval=0.5)


def test_node_add_and_remove(cluster: Server, cluster_kubectl: Kubectl, node_name: str) -> None:
    added = setpoint_node(cluster, "add", node_name, "--cpu", "8", "--memory", "32Gi", "--label", "pool=e2e",
                          "--taint", "dedicated=e2e:NoSchedule", "--zone", "zone-x")
    assert added.stdout == f"node/{node_name} created\n"

    def ready() -> dict[str, object]:
        node: dict[str, object] = json.loads(cluster_kubectl.out("get", "node", node_name, "-o", "json"))
        conditions = {c["type"]: c["status"] for c in node["status"]["conditions"]}  # type: ignore[index]
        assert conditions.get("Ready") == "True", conditions
        return node

    node = eventually(ready)
    assert node["metadata"]["labels"]["pool"] == "e2e"  # type: ignore[index]
    assert node["metadata"]["labels"]["topology.kubernetes.io/zone"] == "zone-x"  # type: ignore[index]
    assert node["spec"]["taints"] == [{"key": "dedicated", "value": "e2e", "effect": "NoSchedule"}]  # type: ignore[index]
    assert node["status"]["capacity"]["cpu"] == "8"  # type: ignore[index]
    assert node["status"]["allocatable"]["memory"] == "32568Mi"  # type: ignore[index]
    eventually(lambda: cluster_kubectl("get", "lease", node_name, "-n", "kube-node-lease", check=False).returncode == 0)
    listed = setpoint_node(cluster, "list").stdout
    assert any(line.split()[:3] == [node_name, "Ready", "zone-x"] for line in listed.splitlines()), listed

    again = setpoint_node(cluster, "add", node_name, check=False)
    assert again.returncode == 1
    assert again.stderr == f'Error from server (AlreadyExists): nodes "{node_name}" already exists\n'

    removed = setpoint_node(cluster, "remove", node_name)
    assert removed.stdout == f'node "{node_name}" deleted\n'
    assert cluster_kubectl("get", "node", node_name, check=False).returncode == 1
    eventually(lambda: cluster_kubectl("get", "lease", node_name, "-n", "kube-node-lease",
                                       check=False).returncode == 1)
    missing = setpoint_node(cluster, "remove", node_name, check=False)
    assert (missing.returncode, missing.stderr) == (1, f'Error from server (NotFound): nodes "{node_name}" not found\n')


def test_node_command_errors(cluster: Server, tmp_path: object) -> None:
    bad = setpoint_node(cluster, "add", "x", "--taint", "k=v:Sometimes", check=False)
    assert bad.returncode == 1
    assert bad.stderr == ("setpoint: invalid taint effect 'Sometimes' in 'k=v:Sometimes': one of NoSchedule, "
                          "PreferNoSchedule, NoExecute\n")
    bad = setpoint_node(cluster, "add", "x", "--cpu", "lots", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("setpoint: invalid --cpu 'lots': ")
    bad = setpoint_node(cluster, "list", "--kubeconfig", "/nonexistent/kubeconfig", check=False)
    assert (bad.returncode, bad.stderr) == (1, "setpoint: kubeconfig /nonexistent/kubeconfig does not exist\n")


def test_pending_pod_bound_when_a_node_with_room_is_added(cluster: Server, cluster_kubectl: Kubectl,
                                                          cluster_ns: str, node_name: str) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
           "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "12"}}}],
                    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": node_name,
                                     "effect": "NoSchedule"}]}}
    cluster_kubectl("apply", "-n", cluster_ns, "-f", "-", input=json.dumps(pod))

    def unschedulable() -> bool:
        got = json.loads(cluster_kubectl.out("get", "pod", "big", "-n", cluster_ns, "-o", "json"))
        conditions = {c["type"]: c for c in got["status"].get("conditions") or []}
        scheduled = conditions.get("PodScheduled") or {}
        assert scheduled.get("reason") == "Unschedulable", got["status"]
        return True

    eventually(unschedulable)
    assert cluster_kubectl.out("get", "pod", "big", "-n", cluster_ns, "-o", "jsonpath={.spec.nodeName}") == ""
    setpoint_node(cluster, "add", node_name, "--cpu", "16", "--taint", f"dedicated={node_name}:NoSchedule")
    eventually(lambda: cluster_kubectl.out("get", "pod", "big", "-n", cluster_ns, "-o",
                                           "jsonpath={.spec.nodeName}") == node_name)


def test_cordon_and_uncordon(cluster: Server, cluster_kubectl: Kubectl, cluster_ns: str, node_name: str) -> None:
    setpoint_node(cluster, "add", node_name, "--label", f"only={node_name}")
    eventually(lambda: "Ready" in cluster_kubectl.out("get", "node", node_name))
    assert cluster_kubectl.out("cordon", node_name) == f"node/{node_name} cordoned\n"
    assert cluster_kubectl.out("get", "node", node_name).splitlines()[1].split()[1] == "Ready,SchedulingDisabled"

    def tainted() -> bool:
        taints = json.loads(cluster_kubectl.out("get", "node", node_name, "-o", "jsonpath={.spec.taints}") or "[]")
        assert [(t["key"], t["effect"]) for t in taints] == [("node.kubernetes.io/unschedulable", "NoSchedule")]
        return True

    eventually(tainted)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pinned"},
           "spec": {"nodeSelector": {"only": node_name}, "containers": [{"name": "c", "image": "nginx"}]}}
    cluster_kubectl("apply", "-n", cluster_ns, "-f", "-", input=json.dumps(pod))
    eventually(lambda: "Unschedulable" in cluster_kubectl.out(
        "get", "pod", "pinned", "-n", cluster_ns, "-o", "jsonpath={.status.conditions[*].reason}"))
    assert cluster_kubectl.out("uncordon", node_name) == f"node/{node_name} uncordoned\n"
    eventually(lambda: cluster_kubectl.out("get", "pod", "pinned", "-n", cluster_ns, "-o",
                                           "jsonpath={.spec.nodeName}") == node_name)
    eventually(lambda: cluster_kubectl.out("get", "node", node_name, "-o", "jsonpath={.spec.taints}") == "")


def test_node_marked_not_ready(cluster: Server, cluster_kubectl: Kubectl, node_name: str) -> None:
    setpoint_node(cluster, "add", node_name)
    eventually(lambda: cluster_kubectl.out("get", "node", node_name).splitlines()[1].split()[1] == "Ready")
    cluster_kubectl("annotate", "node", node_name, "setpoint.io/ready=false")
    eventually(lambda: cluster_kubectl.out("get", "node", node_name).splitlines()[1].split()[1] == "NotReady")

    def tainted() -> bool:
        taints = json.loads(cluster_kubectl.out("get", "node", node_name, "-o", "jsonpath={.spec.taints}") or "[]")
        assert sorted((t["key"], t["effect"]) for t in taints) == [("node.kubernetes.io/not-ready", "NoExecute"),
                                                                   ("node.kubernetes.io/not-ready", "NoSchedule")]
        return True

    eventually(tainted)
    described = cluster_kubectl.out("describe", "node", node_name)
    assert "KubeletNotReady" in described and "NodeNotReady" in described, described
    cluster_kubectl("annotate", "node", node_name, "setpoint.io/ready-")
    eventually(lambda: cluster_kubectl.out("get", "node", node_name).splitlines()[1].split()[1] == "Ready")
    eventually(lambda: cluster_kubectl.out("get", "node", node_name, "-o", "jsonpath={.spec.taints}") == "")
