"""Deployments rolled out by the built-in controllers, driven by the real kubectl against a real
``setpoint up``: rollout status, history, undo, pause, resume and restart; the progress deadline;
cascading deletes of Deployment -> ReplicaSets -> Pods; scale and describe with the Events.

Nothing runs pods: a :class:`Kubelet` thread here marks them Running and Ready."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, eventually

pytestmark = pytest.mark.e2e
TIMEOUT = 30.0


class Kubelet:
    """Makes the pods of a namespace Ready (those whose image ``ready`` allows) until stopped."""

    def __init__(self, server: Server, ns: str) -> None:
        self.server, self.ns = server, ns
        self.ready: Callable[[str], bool] = lambda _image: True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            r = self.server.request("GET", f"/api/v1/namespaces/{self.ns}/pods")
            for pod in r.json().get("items", []) if r.status == 200 else []:
                conds = pod.get("status", {}).get("conditions") or []
                if any(c["type"] == "Ready" and c["status"] == "True" for c in conds):
                    continue
                if not self.ready(pod["spec"]["containers"][0]["image"]):
                    continue
                now = pod["metadata"]["creationTimestamp"]
                self.server.request(
                    "PATCH", f"/api/v1/namespaces/{self.ns}/pods/{pod['metadata']['name']}/status",
                    {"status": {"phase": "Running", "conditions": [
                        {"type": "Ready", "status": "True", "lastTransitionTime": now}]}},
                    content_type="application/merge-patch+json")
            self._stop.wait(0.05)

    def start(self) -> Kubelet:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def kubelet(server: Server, ns: str) -> Iterator[Kubelet]:
    k = Kubelet(server, ns).start()
    yield k
    k.stop()


def get(kubectl: Kubectl, ns: str, *what: str) -> Any:
    return json.loads(kubectl.out("get", *what, "-n", ns, "-o", "json"))


def images(kubectl: Kubectl, ns: str) -> list[str]:
    return sorted(p["spec"]["containers"][0]["image"] for p in get(kubectl, ns, "pods")["items"])


def test_rollout_status_history_and_undo(kubectl: Kubectl, ns: str, kubelet: Kubelet) -> None:
    kubectl("create", "deployment", "web", "--image=nginx:1", "--replicas=3", "-n", ns)
    out = kubectl.out("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    assert 'deployment "web" successfully rolled out' in out
    assert images(kubectl, ns) == ["nginx:1"] * 3
    kubectl("set", "image", "deployment/web", "nginx=nginx:2", "-n", ns)
    out = kubectl.out("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    assert 'deployment "web" successfully rolled out' in out
    eventually(lambda: images(kubectl, ns) == ["nginx:2"] * 3, timeout=TIMEOUT)
    history = kubectl.out("rollout", "history", "deployment/web", "-n", ns).split()
    assert history[:4] == ["deployment.apps/web", "REVISION", "CHANGE-CAUSE", "1"]
    assert "2" in history
    detail = kubectl.out("rollout", "history", "deployment/web", "--revision=1", "-n", ns)
    assert "nginx:1" in detail
    assert "rolled back" in kubectl.out("rollout", "undo", "deployment/web", "-n", ns)
    kubectl.out("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    deploy = get(kubectl, ns, "deployment", "web")
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"
    eventually(lambda: images(kubectl, ns) == ["nginx:1"] * 3, timeout=TIMEOUT)
    eventually(lambda: get(kubectl, ns, "deployment", "web")["metadata"]["annotations"]
               ["deployment.kubernetes.io/revision"] == "3", timeout=TIMEOUT)
    history = kubectl.out("rollout", "history", "deployment/web", "-n", ns).split()
    assert history[3:] == ["2", "<none>", "3", "<none>"]  # revision 1 is now 3
    rss = get(kubectl, ns, "replicasets")["items"]
    assert len(rss) == 2
    old = next(r for r in rss if r["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1")
    assert old["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    kubectl("rollout", "undo", "deployment/web", "--to-revision=2", "-n", ns)
    kubectl.out("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    eventually(lambda: images(kubectl, ns) == ["nginx:2"] * 3, timeout=TIMEOUT)
    history = kubectl.out("rollout", "history", "deployment/web", "-n", ns).split()
    assert history[3:] == ["3", "<none>", "4", "<none>"]


def test_pause_resume_and_restart(kubectl: Kubectl, ns: str, kubelet: Kubelet) -> None:
    kubectl("create", "deployment", "web", "--image=nginx:1", "--replicas=2", "-n", ns)
    kubectl.out("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    assert "paused" in kubectl.out("rollout", "pause", "deployment/web", "-n", ns)
    kubectl("set", "image", "deployment/web", "nginx=nginx:2", "-n", ns)

    def observed() -> bool:
        d = get(kubectl, ns, "deployment", "web")
        return bool(d["status"].get("observedGeneration") == d["metadata"]["generation"])

    eventually(observed, timeout=TIMEOUT)
    d = get(kubectl, ns, "deployment", "web")
    progressing = next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("Unknown", "DeploymentPaused")
    assert len(get(kubectl, ns, "replicasets")["items"]) == 1  # paused: nothing rolled
    assert images(kubectl, ns) == ["nginx:1"] * 2
    assert "resumed" in kubectl.out("rollout", "resume", "deployment/web", "-n", ns)
    kubectl.out("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    eventually(lambda: images(kubectl, ns) == ["nginx:2"] * 2, timeout=TIMEOUT)
    kubectl("rollout", "pause", "deployment/web", "-n", ns)
    undo = kubectl("rollout", "undo", "deployment/web", "-n", ns, check=False)
    assert undo.returncode != 0 and "you cannot rollback a paused deployment" in undo.stderr
    kubectl("rollout", "resume", "deployment/web", "-n", ns)
    before = {p["metadata"]["name"] for p in get(kubectl, ns, "pods")["items"]}
    assert "restarted" in kubectl.out("rollout", "restart", "deployment/web", "-n", ns)
    kubectl.out("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")

    def replaced() -> bool:
        names = {p["metadata"]["name"] for p in get(kubectl, ns, "pods")["items"]}
        return len(names) == 2 and not names & before

    eventually(replaced, timeout=TIMEOUT)
    template = get(kubectl, ns, "deployment", "web")["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    assert len(get(kubectl, ns, "replicasets")["items"]) == 3


def test_rollout_status_reports_the_progress_deadline(kubectl: Kubectl, ns: str, kubelet: Kubelet) -> None:
    kubelet.ready = lambda image: image != "never:ready"
    manifest = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "stuck"},
                "spec": {"replicas": 2, "progressDeadlineSeconds": 2, "selector": {"matchLabels": {"app": "stuck"}},
                         "template": {"metadata": {"labels": {"app": "stuck"}},
                                      "spec": {"containers": [{"name": "c", "image": "never:ready"}]}}}}
    kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(manifest))
    result = kubectl("rollout", "status", "deployment/stuck", "-n", ns, "--timeout=60s", check=False)
    assert result.returncode != 0
    assert 'deployment "stuck" exceeded its progress deadline' in result.stderr
    d = get(kubectl, ns, "deployment", "stuck")
    progressing = next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")


def test_create_scale_and_describe_shows_the_events(kubectl: Kubectl, ns: str, kubelet: Kubelet) -> None:
    kubectl("create", "deployment", "nginx", "--image=nginx", "-n", ns)
    kubectl.out("rollout", "status", "deployment/nginx", "-n", ns, "--timeout=60s")
    kubectl("scale", "deployment", "nginx", "--replicas=3", "-n", ns)
    kubectl.out("rollout", "status", "deployment/nginx", "-n", ns, "--timeout=60s")
    eventually(lambda: len(get(kubectl, ns, "pods")["items"]) == 3, timeout=TIMEOUT)
    rs = get(kubectl, ns, "replicasets")["items"][0]["metadata"]["name"]

    def described() -> str:
        out = kubectl.out("describe", "deployment", "nginx", "-n", ns)
        return out if f"Scaled up replica set {rs} from 1 to 3" in out else ""

    out = eventually(described, timeout=TIMEOUT)
    assert f"Scaled up replica set {rs} from 0 to 1" in out
    assert "ScalingReplicaSet" in out and "deployment-controller" in out
    assert f"NewReplicaSet:   {rs} (3/3 replicas created)" in out
    table = kubectl.out("get", "deploy", "nginx", "-n", ns).splitlines()
    assert table[1].split()[:4] == ["nginx", "3/3", "3", "3"]
    rs_events = kubectl.out("describe", "rs", rs, "-n", ns)
    assert "SuccessfulCreate" in rs_events and f"Created pod: {rs}-" in rs_events


@pytest.mark.parametrize("cascade", ["background", "foreground", "orphan"])
def test_delete_cascades_through_replica_sets_to_pods(kubectl: Kubectl, ns: str, kubelet: Kubelet,
                                                      cascade: str) -> None:
    kubectl("create", "deployment", "web", "--image=nginx", "--replicas=2", "-n", ns)
    kubectl.out("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    pods_before = {p["metadata"]["name"] for p in get(kubectl, ns, "pods")["items"]}
    rs_before = {r["metadata"]["name"] for r in get(kubectl, ns, "replicasets")["items"]}
    kubectl("delete", "deployment", "web", f"--cascade={cascade}", "-n", ns)
    if cascade == "orphan":
        def orphaned() -> bool:
            rss = get(kubectl, ns, "replicasets")["items"]
            return {r["metadata"]["name"] for r in rss} == rs_before \
                and all(not r["metadata"].get("ownerReferences") for r in rss)

        eventually(orphaned, timeout=TIMEOUT)
        # the ReplicaSet keeps (and still owns) its pods
        assert {p["metadata"]["name"] for p in get(kubectl, ns, "pods")["items"]} == pods_before
        assert get(kubectl, ns, "deployments")["items"] == []
        return
    if cascade == "foreground":
        # kubectl waits for the deletion to finish: the dependents went first
        assert get(kubectl, ns, "deployments")["items"] == []
    eventually(lambda: get(kubectl, ns, "replicasets")["items"] == [], timeout=TIMEOUT)
    eventually(lambda: get(kubectl, ns, "pods")["items"] == [], timeout=TIMEOUT)


def test_a_quota_refusing_pods_shows_as_replica_failure(kubectl: Kubectl, ns: str, kubelet: Kubelet) -> None:
    kubectl("create", "quota", "q", "--hard=pods=1", "-n", ns)
    kubectl("create", "deployment", "web", "--image=nginx", "--replicas=3", "-n", ns)

    def failure(kind: str) -> dict[str, Any]:
        items = get(kubectl, ns, kind)["items"]
        conds = (items[0].get("status") or {}).get("conditions") or [] if items else []
        return next((c for c in conds if c["type"] == "ReplicaFailure"), {})

    rs_cond = eventually(lambda: failure("replicasets"), timeout=TIMEOUT)
    assert (rs_cond["status"], rs_cond["reason"]) == ("True", "FailedCreate")
    assert "exceeded quota: q" in rs_cond["message"]
    d_cond = eventually(lambda: failure("deployments"), timeout=TIMEOUT)
    assert d_cond["reason"] == "FailedCreate" and "exceeded quota: q" in d_cond["message"]
    rs = get(kubectl, ns, "replicasets")["items"][0]["metadata"]["name"]
    described = eventually(lambda: (out := kubectl.out("describe", "rs", rs, "-n", ns)) and
                           "FailedCreate" in out and out, timeout=TIMEOUT)
    assert "Error creating: " in described and "exceeded quota: q" in described
    assert len(get(kubectl, ns, "pods")["items"]) == 1
    kubectl("delete", "quota", "q", "-n", ns)
    # Nothing tells the ReplicaSet controller that the quota went: as kube's, it retries on its
    # per-item backoff (5 ms doubling), which a slow run may have grown past the timeout. A change
    # to the ReplicaSet makes it look at once.
    kubectl("annotate", "rs", rs, "-n", ns, "example.com/nudge=1")
    eventually(lambda: len(get(kubectl, ns, "pods")["items"]) == 3, timeout=TIMEOUT)
    eventually(lambda: not failure("replicasets"), timeout=TIMEOUT)
    eventually(lambda: not failure("deployments"), timeout=TIMEOUT)
    kubectl.out("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
