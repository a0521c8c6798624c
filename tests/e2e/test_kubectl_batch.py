"""Jobs and CronJobs through kubectl against a real ``setpoint up`` (its job controller runs;
the tests write the pods' phase themselves, as a kubelet would)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from e2e_helpers import Kubectl

pytestmark = pytest.mark.e2e


def _pods(kubectl: Kubectl, ns: str, job: str, n: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        listed = json.loads(kubectl.out("get", "pods", "-n", ns, "-l", f"batch.kubernetes.io/job-name={job}",
                                        "-o", "json"))["items"]
        if len(listed) >= n:
            return list(listed)
        assert time.monotonic() < deadline, f"{len(listed)} pods of {job}, waiting for {n}"
        time.sleep(0.1)


def _set_phase(kubectl: Kubectl, ns: str, pod: dict[str, Any], phase: str) -> None:
    kubectl("patch", "pod", pod["metadata"]["name"], "-n", ns, "--subresource=status", "--type=merge",
            "-p", json.dumps({"status": {"phase": phase}}))


def test_create_job_runs_and_completes(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "job", "pi", "--image=perl", "-n", ns, "--", "perl", "-e", "print 1")
    (pod,) = _pods(kubectl, ns, "pi", 1)
    assert pod["metadata"]["finalizers"] == ["batch.kubernetes.io/job-tracking"]
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "Job"
    _set_phase(kubectl, ns, pod, "Succeeded")
    kubectl("wait", "--for=condition=complete", "job/pi", "-n", ns, "--timeout=30s")
    table = kubectl.out("get", "jobs", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert table[1].split()[:3] == ["pi", "Complete", "1/1"]
    job = json.loads(kubectl.out("get", "job", "pi", "-n", ns, "-o", "json"))
    assert job["status"]["succeeded"] == 1 and job["status"]["completionTime"]
    described = kubectl.out("describe", "job", "pi", "-n", ns)
    assert "1 Succeeded / 0 Failed" in described and "SuccessfulCreate" in described and "Completed" in described
    # kubectl deletes in the background: the garbage collector deletes the pod, which is released.
    kubectl("delete", "job", "pi", "-n", ns)
    deadline = time.monotonic() + 20
    while kubectl.out("get", "pods", "-n", ns, "-l", "batch.kubernetes.io/job-name=pi", "-o", "name"):
        assert time.monotonic() < deadline, "the job's pod is still there"
        time.sleep(0.1)


def test_backoff_limit_fails_the_job(kubectl: Kubectl, ns: str) -> None:
    manifest = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "fails"},
                "spec": {"backoffLimit": 0, "template": {"spec": {
                    "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}
    kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(manifest))
    (pod,) = _pods(kubectl, ns, "fails", 1)
    _set_phase(kubectl, ns, pod, "Failed")
    kubectl("wait", "--for=condition=failed", "job/fails", "-n", ns, "--timeout=30s")
    job = json.loads(kubectl.out("get", "job", "fails", "-n", ns, "-o", "json"))
    failed = [c for c in job["status"]["conditions"] if c["type"] == "Failed"]
    assert [(c["status"], c["reason"], c["message"]) for c in failed] == [
        ("True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
    assert job["status"]["failed"] == 1
    assert kubectl.out("get", "jobs", "-n", ns).splitlines()[1].split()[:3] == ["fails", "Failed", "0/1"]
    events = kubectl.out("get", "events", "-n", ns, "--field-selector", "involvedObject.name=fails")
    assert "BackoffLimitExceeded" in events and "SuccessfulCreate" in events


def test_indexed_job_completes(kubectl: Kubectl, ns: str) -> None:
    manifest = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "idx"},
                "spec": {"completions": 2, "parallelism": 2, "completionMode": "Indexed", "template": {"spec": {
                    "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}
    kubectl("apply", "-f", "-", "-n", ns, input=json.dumps(manifest))
    pods = _pods(kubectl, ns, "idx", 2)
    assert sorted(p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] for p in pods) == ["0", "1"]
    for pod in pods:
        _set_phase(kubectl, ns, pod, "Succeeded")
    kubectl("wait", "--for=condition=complete", "job/idx", "-n", ns, "--timeout=30s")
    assert kubectl.out("get", "job", "idx", "-n", ns, "-o", "jsonpath={.status.completedIndexes}") == "0-1"


def test_create_cronjob_and_a_job_from_it(kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "-n", ns)
    table = kubectl.out("get", "cronjobs", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"]
    assert table[1].split()[:10] == ["tick", "*/5", "*", "*", "*", "*", "<none>", "False", "0", "<none>"]
    cron = json.loads(kubectl.out("get", "cj", "tick", "-n", ns, "-o", "json"))
    assert cron["spec"]["concurrencyPolicy"] == "Allow" and cron["spec"]["successfulJobsHistoryLimit"] == 3
    kubectl("create", "job", "by-hand", "--from=cronjob/tick", "-n", ns)
    job = json.loads(kubectl.out("get", "job", "by-hand", "-n", ns, "-o", "json"))
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    (pod,) = _pods(kubectl, ns, "by-hand", 1)
    assert pod["metadata"]["finalizers"] == ["batch.kubernetes.io/job-tracking"]
    # A running Job deleted: its pod is deleted too, and released from the tracking finalizer.
    kubectl("delete", "job", "by-hand", "-n", ns)
    deadline = time.monotonic() + 20
    while kubectl.out("get", "pods", "-n", ns, "-l", "batch.kubernetes.io/job-name=by-hand", "-o", "name"):
        assert time.monotonic() < deadline, "the job's pod is still there"
        time.sleep(0.1)
    bad = kubectl.run("create", "cronjob", "bad", "--image=busybox", "--schedule=61 * * * *", "-n", ns, check=False)
    assert bad.returncode != 0
    assert 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61' in bad.stderr


def test_a_cronjob_fires_on_schedule(kubectl: Kubectl, ns: str) -> None:
    """``@every 2s`` parses with robfig/cron on kube too: the real clock, a few seconds."""
    kubectl("create", "cronjob", "often", "--image=busybox", "--schedule=@every 2s", "-n", ns)
    deadline = time.monotonic() + 20
    while True:
        jobs = json.loads(kubectl.out("get", "jobs", "-n", ns, "-o", "json"))["items"]
        if jobs:
            break
        assert time.monotonic() < deadline, "no Job made by the CronJob"
        time.sleep(0.2)
    job = jobs[0]
    assert job["metadata"]["name"].startswith("often-")
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    stamp = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    minutes = int(job["metadata"]["name"].rsplit("-", 1)[1])
    assert stamp.endswith("Z") and minutes * 60 <= time.time()
    cron = json.loads(kubectl.out("get", "cronjob", "often", "-n", ns, "-o", "json"))
    deadline = time.monotonic() + 10
    while not cron["status"].get("lastScheduleTime"):
        assert time.monotonic() < deadline, cron["status"]
        time.sleep(0.2)
        cron = json.loads(kubectl.out("get", "cronjob", "often", "-n", ns, "-o", "json"))
    kubectl("patch", "cronjob", "often", "-n", ns, "--type=merge", "-p", '{"spec":{"suspend":true}}')
