"""PodDisruptionBudgets: the kind (defaults, validation, columns) and the disruption controller's status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.runtime import errors
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

PDB = Kind("policy/v1", "PodDisruptionBudget")
POD = Kind("v1", "Pod")
RS = Kind("apps/v1", "ReplicaSet")
TIMEOUT = 10.0


@pytest.fixture
async def controllers(api: APIServer) -> AsyncIterator[ControllerManager]:
    cm = ControllerManager(api.registry, api.objects, controllers=["disruption"])
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()


def pdb(name: str = "web", **spec: Any) -> Obj:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}}


async def make_pod(client: InProcessClient, name: str, *, ready: bool, owner: Obj | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": "default", "labels": {"app": "web"}}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"], "controller": True,
                                    "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"]}]
    pod = await client.create({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    return await set_ready(client, pod, ready)


async def set_ready(client: InProcessClient, pod: Obj, ready: bool) -> Obj:
    status = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    return await client.update_status({**pod, "status": status})


async def status_of(client: InProcessClient, name: str = "web") -> Obj:
    status: Obj = (await client.get(PDB, name, "default"))["status"]
    return status


async def test_a_new_budget_starts_at_zero_and_is_validated(client: InProcessClient) -> None:
    created = await client.create(pdb(minAvailable=2))
    assert created["status"] == {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}
    assert created["metadata"]["generation"] == 1
    with pytest.raises(errors.Invalid) as e:
        await client.create(pdb("bad", minAvailable="120%", maxUnavailable=-1))
    causes = [(c["field"], c["message"]) for c in e.value.status["details"]["causes"]]
    assert causes[0][0] == "spec" and causes[0][1].endswith("minAvailable and maxUnavailable cannot be both set")
    assert causes[1:] == [
        ("spec.minAvailable", 'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: '
                              "must not be greater than 100%"),
        ("spec.maxUnavailable", "Invalid value: -1: must be greater than or equal to 0"),
    ]
    with pytest.raises(errors.Invalid) as e:
        await client.create(pdb("bad", minAvailable="x", unhealthyPodEvictionPolicy="Sometimes"))
    assert [c["field"] for c in e.value.status["details"]["causes"]] == [
        "spec.minAvailable", "spec.unhealthyPodEvictionPolicy"]


async def test_disruptions_allowed_follow_healthy_pods(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(pdb(minAvailable=2))
    pods = [await make_pod(client, f"web-{i}", ready=True) for i in range(3)]

    async def allowed(n: int, healthy: int) -> Obj:
        status = await status_of(client)
        assert (status["disruptionsAllowed"], status["currentHealthy"]) == (n, healthy), status
        return status

    status = await eventually(lambda: allowed(1, 3), timeout=TIMEOUT)
    assert status["desiredHealthy"] == 2 and status["expectedPods"] == 3 and status["observedGeneration"] == 1
    [cond] = status["conditions"]
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
        "DisruptionAllowed", "True", "SufficientPods", "")

    await set_ready(client, pods[0], False)
    status = await eventually(lambda: allowed(0, 2), timeout=TIMEOUT)
    [cond] = status["conditions"]
    assert (cond["status"], cond["reason"]) == ("False", "InsufficientPods")

    await client.delete(POD, "web-1", "default")
    await eventually(lambda: allowed(0, 1), timeout=TIMEOUT)
    # A spec change moves the generation; the controller observes it.
    current = await client.get(PDB, "web", "default")
    await client.update({**current, "spec": {**current["spec"], "minAvailable": 0}})
    status = await eventually(lambda: allowed(1, 1), timeout=TIMEOUT)
    assert status["observedGeneration"] == 2


async def test_percentages_use_the_controllers_scale(client: InProcessClient, controllers: ControllerManager) -> None:
    rs = await client.create({
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    for i in range(3):
        await make_pod(client, f"web-{i}", ready=True, owner=rs)
    await client.create(pdb(maxUnavailable="50%"))

    async def check() -> Obj:
        status = await status_of(client)
        # 4 expected (the ReplicaSet's scale), 50% of 4 may be unavailable: 2 desired, 3 healthy.
        assert (status["expectedPods"], status["desiredHealthy"], status["currentHealthy"],
                status["disruptionsAllowed"]) == (4, 2, 3, 1), status
        return status

    await eventually(check, timeout=TIMEOUT)


async def test_a_pod_whose_controller_is_gone_fails_the_sync(
        client: InProcessClient, controllers: ControllerManager) -> None:
    ghost = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "gone", "uid": "1234"}}
    await make_pod(client, "web-0", ready=True, owner=ghost)
    await client.create(pdb(minAvailable="50%"))

    async def failed() -> Obj:
        status = await status_of(client)
        cond = (status.get("conditions") or [{}])[0]
        assert (cond.get("status"), cond.get("reason")) == ("False", "SyncFailed"), status
        return cond

    cond = await eventually(failed, timeout=TIMEOUT)
    assert cond["message"] == 'found no controllers for pod "web-0"'


async def test_statefulset_scale_unmanaged_pods_and_jobs(
        client: InProcessClient, controllers: ControllerManager) -> None:
    sts = await client.create({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
        "spec": {"replicas": 5, "serviceName": "db", "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    await make_pod(client, "db-0", ready=True, owner=sts)
    await make_pod(client, "loose", ready=True)
    await client.create(pdb(minAvailable="40%"))

    async def scaled() -> Obj:
        status = await status_of(client)
        # 5 expected through the StatefulSet's /scale, 40% of 5 desired; the pod without a controller is left out
        # of the scale but counts as healthy.
        assert (status["expectedPods"], status["desiredHealthy"], status["currentHealthy"],
                status["disruptionsAllowed"]) == (5, 2, 2, 0), status
        return status

    await eventually(scaled, timeout=TIMEOUT)

    async def warned() -> Obj:
        events = (await client.list(Kind("v1", "Event"), "default"))["items"]
        [event] = [e for e in events if e["reason"] == "UnmanagedPods"]
        return event

    event = await eventually(warned, timeout=TIMEOUT)
    assert event["type"] == "Warning" and event["involvedObject"]["kind"] == "PodDisruptionBudget"
    assert event["message"].startswith(
        "Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: web,},"
        "MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged.")

    job = await client.create({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": "default"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
                                       "containers": [{"name": "c", "image": "busybox"}]}}}})
    await make_pod(client, "once-0", ready=True, owner=job)

    async def failed() -> Obj:
        status = await status_of(client)
        cond = (status.get("conditions") or [{}])[0]
        assert (cond.get("reason"), cond.get("message")) == (
            "SyncFailed", "jobs.batch does not implement the scale subresource"), status
        return status

    status = await eventually(failed, timeout=TIMEOUT)
    assert status["disruptionsAllowed"] == 0
