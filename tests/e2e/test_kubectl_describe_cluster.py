"""``kubectl get all`` and ``kubectl describe`` on a ``setpoint up`` with simulated nodes: every
section a user reads on a real cluster is there, filled from running pods."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from e2e_helpers import Kubectl, eventually

pytestmark = pytest.mark.e2e

APPS = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
              "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                  {"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                   "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                 "limits": {"cpu": "200m", "memory": "128Mi"}}}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}},
    {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
     "spec": {"serviceName": "db", "replicas": 1, "selector": {"matchLabels": {"app": "db"}},
              "template": {"metadata": {"labels": {"app": "db"}},
                           "spec": {"containers": [{"name": "db", "image": "postgres:17"}]}}}},
    {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
     "spec": {"selector": {"matchLabels": {"app": "agent"}},
              "template": {"metadata": {"labels": {"app": "agent"}},
                           "spec": {"containers": [{"name": "agent", "image": "fluentd"}]}}}},
    {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
     "spec": {"template": {"spec": {"restartPolicy": "Never",
                                    "containers": [{"name": "once", "image": "busybox"}]}}}},
    {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
     "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
         "restartPolicy": "OnFailure", "containers": [{"name": "tick", "image": "busybox"}]}}}}}},
    {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
     "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
              "minReplicas": 2, "maxReplicas": 4,
              "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                            "target": {"type": "Utilization", "averageUtilization": 80}}}]}},
    {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
     "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}},
]


def _ready(kubectl: Kubectl, ns: str) -> bool:
    pods = json.loads(kubectl.out("get", "pods", "-n", ns, "-o", "json"))["items"]
    phases = {p["metadata"]["name"]: p["status"].get("phase") for p in pods}
    web = [n for n in phases if n.startswith("web-")]
    assert len(web) == 2 and all(phases[n] == "Running" for n in web), phases
    assert phases.get("db-0") == "Running", phases
    assert any(n.startswith("once-") and p == "Succeeded" for n, p in phases.items()), phases
    assert sum(1 for n, p in phases.items() if n.startswith("agent-") and p == "Running") >= 3, phases
    return True


def _sections(out: str) -> list[str]:
    """The top-level headings of a describe output (lines that start without indentation)."""
    return [m.group(1) for m in re.finditer(r"^([A-Z][\w /()-]*?):", out, re.M)]


@pytest.fixture
def apps(cluster_kubectl: Kubectl, cluster_ns: str) -> str:
    cluster_kubectl("apply", "-n", cluster_ns, "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                                            "items": APPS}))
    eventually(lambda: _ready(cluster_kubectl, cluster_ns), timeout=30)
    return cluster_ns


def test_get_all(cluster_kubectl: Kubectl, apps: str) -> None:
    out = cluster_kubectl.out("get", "all", "-n", apps)
    blocks = [b.splitlines() for b in out.strip().split("\n\n")]
    kinds = [b[1].split()[0].split("/")[0] for b in blocks]
    assert kinds == ["pod", "service", "daemonset.apps", "deployment.apps", "replicaset.apps", "statefulset.apps",
                     "horizontalpodautoscaler.autoscaling", "cronjob.batch", "job.batch"]
    pods = {line.split()[0]: line.split() for line in blocks[0][1:]}
    assert blocks[0][0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert pods["pod/db-0"][1:4] == ["1/1", "Running", "0"]
    once = next(v for k, v in pods.items() if k.startswith("pod/once-"))
    assert once[1:4] == ["0/1", "Completed", "0"]  # as kube prints a finished container
    assert blocks[3][1].split()[:4] == ["deployment.apps/web", "2/2", "2", "2"]
    assert blocks[8][1].split()[:3] == ["job.batch/once", "Complete", "1/1"]
    wide = cluster_kubectl.out("get", "pods", "-n", apps, "-o", "wide").splitlines()
    assert wide[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                               "READINESS", "GATES"]
    row = next(line.split() for line in wide if line.startswith("db-0"))
    assert row[5].startswith("10.244.") and row[6].startswith("node-") and row[7:] == ["<none>", "<none>"]


def test_describe_pod(cluster_kubectl: Kubectl, apps: str) -> None:
    name = next(p for p in cluster_kubectl.out("get", "pods", "-n", apps, "-l", "app=web", "-o", "name").split())
    pod = json.loads(cluster_kubectl.out("get", name, "-n", apps, "-o", "json"))
    out = cluster_kubectl.out("describe", name, "-n", apps)
    node, host_ip = pod["spec"]["nodeName"], pod["status"]["hostIP"]
    assert re.search(rf"^Node:\s+{node}/{re.escape(host_ip)}$", out, re.M), out
    assert re.search(rf"^IP:\s+{re.escape(pod['status']['podIP'])}$", out, re.M), out
    assert re.search(r"^Status:\s+Running$", out, re.M) and re.search(r"^Start Time:\s+\w", out, re.M), out
    assert re.search(r"^Controlled By:\s+ReplicaSet/web-", out, re.M), out
    for needle in ("    State:          Running", "    Ready:          True", "    Restart Count:  0",
                   "      cpu:     200m", "      memory:  128Mi", "    Port:           80/TCP",
                   "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s"):
        assert needle in out, (needle, out)
    assert re.search(r"^QoS Class:\s+Burstable$", out, re.M), out
    conditions = out.split("Conditions:")[1].split("Volumes:")[0]
    for condition in ("PodScheduled", "Initialized", "Ready", "ContainersReady"):
        assert re.search(rf"^  {condition}\s+True", conditions, re.M), conditions
    assert _sections(out)[:5] == ["Name", "Namespace", "Priority", "Service Account", "Node"], _sections(out)
    assert re.search(r"^Service Account:\s+default$", out, re.M), out
    # The API token, mounted by the ServiceAccount admission plugin.
    volume = next(v["name"] for v in pod["spec"]["volumes"] if v["name"].startswith("kube-api-access-"))
    assert f"      /var/run/secrets/kubernetes.io/serviceaccount from {volume} (ro)" in out, out
    volumes = out.split("\nVolumes:")[1].split("QoS Class:")[0]
    assert re.search(r"Type:\s+Projected \(a volume that contains injected data from multiple sources\)", volumes)
    assert re.search(r"TokenExpirationSeconds:\s+3607", volumes) and re.search(r"DownwardAPI:\s+true", volumes)
    events = out.split("Events:")[1]
    for reason, source in (("Scheduled", "default-scheduler"), ("Pulled", "kubelet"), ("Created", "kubelet"),
                           ("Started", "kubelet")):
        assert re.search(rf"Normal\s+{reason}\s+\S+\s+{source}", events), (reason, events)
    assert f"Successfully assigned {apps}/{name.split('/')[1]} to {node}" in events


def test_describe_node(cluster_kubectl: Kubectl, apps: str) -> None:
    db = json.loads(cluster_kubectl.out("get", "pod", "db-0", "-n", apps, "-o", "json"))
    node = db["spec"]["nodeName"]
    out = cluster_kubectl.out("describe", "node", node)
    for section in ("Name", "Roles", "Labels", "Annotations", "CreationTimestamp", "Taints", "Unschedulable",
                    "Lease", "Conditions", "Addresses", "Capacity", "Allocatable", "System Info", "PodCIDR",
                    "PodCIDRs", "Non-terminated Pods", "Allocated resources", "Events"):
        assert section in _sections(out), (section, _sections(out))
    # The running pods of the node, and only the non-terminated ones (describe asks for
    # spec.nodeName=<node>,status.phase!=Succeeded,status.phase!=Failed).
    pods = out.split("Non-terminated Pods:")[1].split("Allocated resources:")[0]
    assert re.search(rf"^\s+{apps}\s+db-0\s", pods, re.M), pods
    assert not re.search(r"\sonce-", pods), pods
    assert "RegisteredNode" in out.split("Events:")[1]


@pytest.mark.parametrize(("kind", "name", "needles"), [
    ("deployment", "web", ["Replicas:               2 desired | 2 updated | 2 total | 2 available | 0 unavailable",
                           "Available      True    MinimumReplicasAvailable", "NewReplicaSet:   web-",
                           "ScalingReplicaSet"]),
    ("replicaset", "", ["Pods Status:    2 Running / 0 Waiting / 0 Succeeded / 0 Failed", "Controlled By:  Deployment/web",
                        "SuccessfulCreate"]),
    ("service", "web", ["Type:                     ClusterIP", "TargetPort:               80/TCP"]),
    ("statefulset", "db", ["Pods Status:    1 Running / 0 Waiting / 0 Succeeded / 0 Failed",
                           "create Pod db-0 in StatefulSet db successful"]),
    ("daemonset", "agent", ["Number of Nodes Scheduled with Available Pods: ", "Pods Status:  "]),
    ("job", "once", ["Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed", "Completed", "SuccessfulCreate"]),
    ("cronjob", "tick", ["Schedule:                      */5 * * * *", "Concurrency Policy:            Allow"]),
    # The autoscaler reads the usage kubectl top shows: 1m of a 100m request.
    ("hpa", "web", ["Deployment/web", "resource cpu on pods  (as a percentage of request):  1% (1m) / 80%",
                    "ValidMetricFound"]),
    ("pdb", "web", ["Min available:  1", "Allowed disruptions:  1", "Current:              2"]),
])
def test_describe_workloads(cluster_kubectl: Kubectl, apps: str, kind: str, name: str, needles: list[str]) -> None:
    def described() -> str:
        out = cluster_kubectl.out("describe", kind, *([name] if name else []), "-n", apps)
        for needle in needles:
            assert needle in out, (needle, out)
        return out

    out: Any = eventually(described, timeout=20)
    assert "Events:" in out
    if kind == "service":
        ips = sorted(json.loads(cluster_kubectl.out("get", "pods", "-n", apps, "-l", "app=web", "-o", "json"))["items"],
                     key=lambda p: p["status"]["podIP"])
        endpoints = re.search(r"^Endpoints:\s+(\S+)$", out, re.M)
        assert endpoints is not None, out
        assert sorted(endpoints.group(1).split(",")) == sorted(f"{p['status']['podIP']}:80" for p in ips)


def test_pod_status_column_as_kube_prints_it(cluster_kubectl: Kubectl, cluster_ns: str) -> None:
    kubectl, ns = cluster_kubectl, cluster_ns
    kubectl("run", "crash", "--image=busybox", "-n", ns, "--annotations=setpoint.io/behavior=exitAfter: 1s\nexitCode: 1")
    kubectl("run", "pull", "--image=nope", "-n", ns, "--annotations=setpoint.io/behavior=pullError: true")
    kubectl("run", "slow-init", "--image=nginx", "-n", ns, "--annotations=setpoint.io/behavior=containers: {i: {exitAfter: 120s}}",
            "--overrides", json.dumps({"spec": {"initContainers": [{"name": "i", "image": "busybox"}]}}))
    kubectl("run", "done", "--image=busybox", "--restart=Never", "-n", ns)

    def rows() -> dict[str, list[str]]:
        got = {line.split()[0]: line.split()[1:] for line in kubectl.out("get", "pods", "-n", ns).splitlines()[1:]}
        assert got["crash"][:2] == ["0/1", "CrashLoopBackOff"], got
        assert re.fullmatch(r"\d+ \(\d+s ago\)", " ".join(got["crash"][2:5])), got
        assert got["pull"][:3] in (["0/1", "ImagePullBackOff", "0"], ["0/1", "ErrImagePull", "0"]), got
        assert got["slow-init"][:3] == ["0/1", "Init:0/1", "0"], got
        assert got["done"][:3] == ["0/1", "Completed", "0"], got
        return got

    eventually(rows, timeout=30)
