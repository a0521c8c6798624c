"""The job controller: pods from the template, counting through finalizers, kube's conditions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from controllers_helpers import running

from setpoint.apimachinery.clock import FakeClock, format_time
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.job import (
    COMPLETION_INDEX,
    INDEX_FAILURE_COUNT,
    TRACKING_FINALIZER,
    add_job_controller,
)
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

JOB = Kind("batch/v1", "Job")
POD = Kind("v1", "Pod")
EVENT = Kind("v1", "Event")
NS = "batch"
TIMEOUT = 10.0


@pytest.fixture
async def jobs(api: APIServer, client: InProcessClient, clock: FakeClock) -> AsyncIterator[Manager]:
    async with running(client, NS, lambda m: add_job_controller(m, client, clock=clock, backoff_base=0.05, backoff_max=0.2)) as manager:
        yield manager


def job(name: str, **spec: Any) -> Obj:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": NS},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}],
                                           "restartPolicy": "Never"}}, **spec}}


async def pods_of(client: InProcessClient, name: str) -> list[Obj]:
    listed = await client.list(POD, NS, label_selector=f"batch.kubernetes.io/job-name={name}")
    return sorted(listed["items"], key=lambda p: p["metadata"]["creationTimestamp"] + p["metadata"]["name"])


async def n_pods(client: InProcessClient, name: str, n: int, *, phase: str | None = None) -> list[Obj]:
    pods = [p for p in await pods_of(client, name) if phase is None or p["status"].get("phase") == phase]
    assert len(pods) == n, [(p["metadata"]["name"], p["status"].get("phase")) for p in pods]
    return pods


async def set_phase(client: InProcessClient, pod: Obj, phase: str, **status: Any) -> None:
    current = await client.get(POD, pod["metadata"]["name"], NS)
    current["status"] = {**current["status"], "phase": phase, **status}
    await client.update_status(current)


async def condition(client: InProcessClient, name: str, kind: str) -> Obj:
    got = await client.get(JOB, name, NS)
    for c in got["status"].get("conditions") or ():
        if c["type"] == kind and c["status"] == "True":
            return got
    raise AssertionError(f"no {kind} condition: {got['status']}")


async def reasons(client: InProcessClient, name: str) -> list[str]:
    listed = await client.list(EVENT, NS)
    return [e["reason"] for e in listed["items"] if e["involvedObject"]["name"] == name]


async def test_a_job_runs_its_pod_and_completes(client: InProcessClient, jobs: Manager, clock: FakeClock) -> None:
    created = await client.create(job("once"))
    (pod,) = await eventually(lambda: n_pods(client, "once", 1), timeout=TIMEOUT)
    meta = pod["metadata"]
    assert meta["generateName"] == "once-" and meta["name"].startswith("once-")
    assert meta["finalizers"] == [TRACKING_FINALIZER]
    assert meta["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "Job", "name": "once",
                                        "uid": created["metadata"]["uid"], "controller": True,
                                        "blockOwnerDeletion": True}]
    assert meta["labels"]["batch.kubernetes.io/controller-uid"] == created["metadata"]["uid"]

    async def running() -> Obj:
        got = await client.get(JOB, "once", NS)
        assert got["status"].get("active") == 1 and got["status"]["ready"] == 0, got["status"]
        return got
    got = await eventually(running, timeout=TIMEOUT)
    assert got["status"]["startTime"] == format_time(clock.now())
    assert got["status"]["terminating"] == 0 and got["status"]["uncountedTerminatedPods"] == {}

    await set_phase(client, pod, "Succeeded")
    done = await eventually(lambda: condition(client, "once", "Complete"), timeout=TIMEOUT)
    status = done["status"]
    assert status["succeeded"] == 1 and "active" not in status and status["uncountedTerminatedPods"] == {}
    assert status["completionTime"] == format_time(clock.now())
    assert [(c["type"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
        ("Complete", "CompletionsReached", "Reached expected number of succeeded pods")]
    # The counted pod lost its finalizer; nothing more is created.
    (after,) = await n_pods(client, "once", 1)
    assert not after["metadata"].get("finalizers")
    assert await eventually(lambda: reasons(client, "once")) and {"SuccessfulCreate", "Completed"} <= set(
        await eventually(lambda: reasons(client, "once")))


async def test_backoff_limit_fails_the_job_as_kube(client: InProcessClient, jobs: Manager,
                                                     clock: FakeClock) -> None:
    await client.create(job("flaky", backoffLimit=1))
    for n in (1, 2):
        pods = await eventually(lambda n=n: n_pods(client, "flaky", n), timeout=TIMEOUT)
        await set_phase(client, next(p for p in pods if p["status"]["phase"] == "Pending"), "Failed")
        clock.step(10)  # past the (injected, short) backoff before the next pod
    failed = await eventually(lambda: condition(client, "flaky", "Failed"), timeout=TIMEOUT)
    status = failed["status"]
    assert status["failed"] == 2 and "active" not in status and "completionTime" not in status
    assert [(c["type"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
    await n_pods(client, "flaky", 2)  # no third pod
    assert "BackoffLimitExceeded" in await eventually(lambda: reasons(client, "flaky"))


async def test_parallel_completions(client: InProcessClient, jobs: Manager) -> None:
    await client.create(job("many", completions=3, parallelism=2))
    pods = await eventually(lambda: n_pods(client, "many", 2), timeout=TIMEOUT)
    for p in pods:
        await set_phase(client, p, "Succeeded")
    pods = await eventually(lambda: n_pods(client, "many", 3), timeout=TIMEOUT)
    running = [p for p in pods if p["status"]["phase"] == "Pending"]
    assert len(running) == 1
    await set_phase(client, running[0], "Succeeded")
    done = await eventually(lambda: condition(client, "many", "Complete"), timeout=TIMEOUT)
    assert done["status"]["succeeded"] == 3


async def test_indexed_job_completes_with_completed_indexes(client: InProcessClient, jobs: Manager,
                                                            clock: FakeClock) -> None:
    await client.create(job("idx", completions=3, parallelism=3, completionMode="Indexed"))
    pods = await eventually(lambda: n_pods(client, "idx", 3), timeout=TIMEOUT)
    by_index = {p["metadata"]["annotations"][COMPLETION_INDEX]: p for p in pods}
    assert sorted(by_index) == ["0", "1", "2"]
    zero = by_index["0"]
    assert zero["metadata"]["labels"][COMPLETION_INDEX] == "0"
    assert zero["metadata"]["generateName"] == "idx-0-" and zero["spec"]["hostname"] == "idx-0"
    assert zero["spec"]["containers"][0]["env"] == [{"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
        "apiVersion": "v1", "fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']"}}}]
    await set_phase(client, by_index["0"], "Succeeded")
    await set_phase(client, by_index["2"], "Succeeded")

    async def two_done() -> bool:
        got = await client.get(JOB, "idx", NS)
        assert got["status"].get("completedIndexes") == "0,2" and got["status"]["succeeded"] == 2, got["status"]
        return True
    await eventually(two_done, timeout=TIMEOUT)
    # A failed index is replaced by a new pod of the same index.
    await set_phase(client, by_index["1"], "Failed")
    clock.step(10)

    async def replaced() -> Obj:
        ones = [p for p in await pods_of(client, "idx")
                if p["metadata"]["annotations"][COMPLETION_INDEX] == "1" and p["status"]["phase"] == "Pending"]
        assert len(ones) == 1
        return ones[0]
    again = await eventually(replaced, timeout=TIMEOUT)
    await set_phase(client, again, "Succeeded")
    done = await eventually(lambda: condition(client, "idx", "Complete"), timeout=TIMEOUT)
    assert done["status"]["completedIndexes"] == "0-2" and done["status"]["failed"] == 1


async def test_active_deadline_with_the_injected_clock(client: InProcessClient, jobs: Manager,
                                                       clock: FakeClock) -> None:
    await client.create(job("slow", activeDeadlineSeconds=30))
    await eventually(lambda: n_pods(client, "slow", 1), timeout=TIMEOUT)
    clock.step(31)
    failed = await eventually(lambda: condition(client, "slow", "Failed"), timeout=TIMEOUT)
    assert [(c["type"], c["reason"], c["message"]) for c in failed["status"]["conditions"]] == [
        ("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline"),
        ("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")]
    assert failed["status"]["failed"] == 1
    async def no_pods() -> bool:  # the active pod was deleted
        await n_pods(client, "slow", 0)
        return True
    await eventually(no_pods, timeout=TIMEOUT)


async def test_pod_failure_policy(client: InProcessClient, jobs: Manager, clock: FakeClock) -> None:
    policy = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
                        {"action": "FailJob", "onExitCodes": {"containerName": "c", "operator": "In",
                                                              "values": [42]}}]}
    await client.create(job("pfp", backoffLimit=3, podFailurePolicy=policy))
    (first,) = await eventually(lambda: n_pods(client, "pfp", 1), timeout=TIMEOUT)
    await set_phase(client, first, "Failed", conditions=[{"type": "DisruptionTarget", "status": "True"}])
    clock.step(10)
    pods = await eventually(lambda: n_pods(client, "pfp", 2), timeout=TIMEOUT)

    async def not_counted() -> bool:
        got = await client.get(JOB, "pfp", NS)
        assert "failed" not in got["status"] and got["status"]["uncountedTerminatedPods"] == {}, got["status"]
        return True
    await eventually(not_counted, timeout=TIMEOUT)
    second = next(p for p in pods if p["status"]["phase"] == "Pending")
    await set_phase(client, second, "Failed", containerStatuses=[{
        "name": "c", "image": "busybox", "imageID": "", "ready": False, "restartCount": 0,
        "state": {"terminated": {"exitCode": 42, "reason": "Error"}}}])
    failed = await eventually(lambda: condition(client, "pfp", "Failed"), timeout=TIMEOUT)
    message = (f"Container c for pod {NS}/{second['metadata']['name']} failed with exit code 42 matching FailJob "
               "rule at index 1")
    assert [(c["type"], c["reason"], c["message"]) for c in failed["status"]["conditions"]] == [
        ("FailureTarget", "PodFailurePolicy", message), ("Failed", "PodFailurePolicy", message)]


async def test_suspend_and_resume(client: InProcessClient, jobs: Manager) -> None:
    await client.create(job("later", suspend=True))

    async def suspended() -> Obj:
        got = await condition(client, "later", "Suspended")
        assert "startTime" not in got["status"]
        return got
    got = await eventually(suspended, timeout=TIMEOUT)
    c = got["status"]["conditions"][0]
    assert (c["reason"], c["message"]) == ("JobSuspended", "Job suspended")
    await n_pods(client, "later", 0)
    await client.patch(JOB, "later", {"spec": {"suspend": False}}, NS)
    await eventually(lambda: n_pods(client, "later", 1), timeout=TIMEOUT)

    async def resumed() -> bool:
        got = await client.get(JOB, "later", NS)
        cond = got["status"]["conditions"][0]
        assert (cond["status"], cond["reason"], cond["message"]) == ("False", "JobResumed", "Job resumed")
        return True
    await eventually(resumed, timeout=TIMEOUT)
    assert {"Suspended", "Resumed"} <= set(await reasons(client, "later"))


async def test_pods_of_a_deleted_job_lose_their_finalizer(client: InProcessClient, jobs: Manager) -> None:
    await client.create(job("bye"))
    (pod,) = await eventually(lambda: n_pods(client, "bye", 1), timeout=TIMEOUT)
    await client.delete(JOB, "bye", NS, propagation_policy="Orphan")

    async def released() -> bool:
        got = await client.get(POD, pod["metadata"]["name"], NS)
        assert not got["metadata"].get("finalizers")
        return True
    await eventually(released, timeout=TIMEOUT)


async def test_backoff_limit_per_index_and_fail_index(client: InProcessClient, jobs: Manager,
                                                      clock: FakeClock) -> None:
    policy = {"rules": [{"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [7]}}]}
    await client.create(job("perindex", completions=3, parallelism=3, completionMode="Indexed",
                            backoffLimitPerIndex=1, podFailurePolicy=policy))
    pods = await eventually(lambda: n_pods(client, "perindex", 3), timeout=TIMEOUT)
    by_index = {p["metadata"]["annotations"][COMPLETION_INDEX]: p for p in pods}
    assert all(p["metadata"]["annotations"][INDEX_FAILURE_COUNT] == "0" for p in pods)
    # Index 0 fails once: retried with the count carried; index 1 fails with exit code 7: FailIndex.
    await set_phase(client, by_index["0"], "Failed")
    await set_phase(client, by_index["1"], "Failed", containerStatuses=[{
        "name": "c", "image": "busybox", "imageID": "", "ready": False, "restartCount": 0,
        "state": {"terminated": {"exitCode": 7}}}])
    await set_phase(client, by_index["2"], "Succeeded")
    clock.step(10)

    async def retried() -> Obj:
        zeros = [p for p in await pods_of(client, "perindex")
                 if p["metadata"]["annotations"][COMPLETION_INDEX] == "0" and p["status"]["phase"] == "Pending"]
        assert len(zeros) == 1
        return zeros[0]
    again = await eventually(retried, timeout=TIMEOUT)
    assert again["metadata"]["annotations"][INDEX_FAILURE_COUNT] == "1"
    assert not [p for p in await pods_of(client, "perindex")
                if p["metadata"]["annotations"][COMPLETION_INDEX] == "1" and p["status"]["phase"] == "Pending"]
    # Its second failure uses up index 0's backoff: every index is done, two failed.
    await set_phase(client, again, "Failed")
    failed = await eventually(lambda: condition(client, "perindex", "Failed"), timeout=TIMEOUT)
    assert failed["status"]["failedIndexes"] == "0-1" and failed["status"]["completedIndexes"] == "2"
    assert [(c["type"], c["reason"], c["message"]) for c in failed["status"]["conditions"]] == [
        ("FailureTarget", "FailedIndexes", "Job has failed indexes"),
        ("Failed", "FailedIndexes", "Job has failed indexes")]


async def test_success_policy_ends_the_job_early(client: InProcessClient, jobs: Manager) -> None:
    await client.create(job("leader", completions=3, parallelism=3, completionMode="Indexed",
                            successPolicy={"rules": [{"succeededIndexes": "0"}]}))
    pods = await eventually(lambda: n_pods(client, "leader", 3), timeout=TIMEOUT)
    leader = next(p for p in pods if p["metadata"]["annotations"][COMPLETION_INDEX] == "0")
    await set_phase(client, leader, "Succeeded")
    done = await eventually(lambda: condition(client, "leader", "Complete"), timeout=TIMEOUT)
    assert [(c["type"], c["reason"], c["message"]) for c in done["status"]["conditions"]] == [
        ("SuccessCriteriaMet", "SuccessPolicy", "Matched rules at index 0"),
        ("Complete", "SuccessPolicy", "Matched rules at index 0")]
    assert done["status"]["completedIndexes"] == "0" and "failed" not in done["status"]


async def test_no_pod_too_many_when_pods_finish_fast(client: InProcessClient, jobs: Manager) -> None:
    """Pods released in one sync are not counted out again by the next one before the cache catches up."""
    await client.create(job("burst", completions=40, parallelism=10))
    seen: set[str] = set()

    async def drive() -> Obj:
        for p in await pods_of(client, "burst"):
            if p["status"].get("phase") == "Pending" and p["metadata"]["name"] not in seen:
                seen.add(p["metadata"]["name"])
                await set_phase(client, p, "Succeeded")
        return await condition(client, "burst", "Complete")
    done = await eventually(drive, timeout=30.0)
    assert done["status"]["succeeded"] == 40
    assert len(await pods_of(client, "burst")) == 40
