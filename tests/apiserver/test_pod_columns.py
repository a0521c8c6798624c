"""``kubectl get pods`` cells, as kube's ``printPod`` computes them from the pod's status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from setpoint.apimachinery.clock import format_time
from setpoint.apiserver.builtin.core import _pod_summary


def pod(status: dict, *, init: int = 0, containers: int = 1, deleting: bool = False) -> dict:
    meta: dict = {"name": "p"}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    spec = {"containers": [{"name": f"c{i}"} for i in range(containers)],
            "initContainers": [{"name": f"i{i}"} for i in range(init)]}
    return {"metadata": meta, "spec": spec, "status": status}


def running(ready: bool = True, restarts: int = 0, last: str = "") -> dict:
    cs = {"name": "c0", "ready": ready, "restartCount": restarts, "state": {"running": {}}, "lastState": {}}
    if last:
        cs["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": last}}
    return cs


def test_pod_cells() -> None:
    assert _pod_summary(pod({"phase": "Pending"})) == ("0/1", "Pending", "0")
    assert _pod_summary(pod({"phase": "Running", "containerStatuses": [running()]})) == ("1/1", "Running", "0")
    ago = format_time(datetime.now(UTC) - timedelta(seconds=75))
    crash = {"name": "c0", "ready": False, "restartCount": 3, "lastState": {"terminated": {"finishedAt": ago}},
             "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
    assert _pod_summary(pod({"phase": "Running", "containerStatuses": [crash]})) == (
        "0/1", "CrashLoopBackOff", "3 (75s ago)")
    waiting_init = {"name": "i0", "state": {"waiting": {"reason": "PodInitializing"}}}
    assert _pod_summary(pod({"phase": "Pending", "initContainerStatuses": [waiting_init]}, init=2))[1] == "Init:0/2"
    failed_init = {"name": "i0", "state": {"terminated": {"exitCode": 2, "reason": "Error"}}}
    assert _pod_summary(pod({"phase": "Failed", "initContainerStatuses": [failed_init]}, init=1))[1] == "Init:Error"
    done = {"name": "c0", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
    assert _pod_summary(pod({"phase": "Succeeded", "containerStatuses": [done]})) == ("0/1", "Completed", "0")
    assert _pod_summary(pod({"phase": "Running", "containerStatuses": [running()]}, deleting=True))[1] == "Terminating"
    assert _pod_summary(pod({"phase": "Succeeded", "containerStatuses": [done]}, deleting=True))[1] == "Completed"
