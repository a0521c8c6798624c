"""The pod garbage collector on a fake clock: orphans after the quarantine, terminated pods over
the threshold, unscheduled terminating pods."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from setpoint.apimachinery.clock import FakeClock, format_time
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import enabled_controllers
from setpoint.controllers.options import ControllerOptions
from setpoint.controllers.podgc import PodGC, add_pod_gc_controller
from setpoint.runtime import errors
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

NODE = Kind("v1", "Node")
POD = Kind("v1", "Pod")
NS = "default"


@pytest.fixture
def options(clock: FakeClock) -> ControllerOptions:
    return ControllerOptions(clock=clock, terminated_pod_gc_threshold=2)


@pytest.fixture
async def gc(client: InProcessClient, options: ControllerOptions) -> AsyncIterator[PodGC]:
    mgr = Manager(client)
    gc = add_pod_gc_controller(mgr, client, options)
    async with mgr.running():
        await mgr.wait_ready()
        yield gc


async def make_pod(client: InProcessClient, name: str, node: str | None = None, phase: str | None = None,
                   **meta: Any) -> Obj:
    pod = await client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS, **meta},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, NS)
    if node is not None:
        await client.create({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "namespace": NS},
                             "target": {"kind": "Node", "name": node}}, NS)
        pod = await client.get(POD, name, NS)
    if phase is not None:
        pod["status"] = {**(pod.get("status") or {}), "phase": phase}
        pod = await client.update_status(pod)
    return pod


async def exists(client: InProcessClient, name: str) -> bool:
    try:
        await client.get(POD, name, NS)
    except errors.NotFound:
        return False
    return True


def test_registered_as_kube_names_it() -> None:
    assert "pod-garbage-collector-controller" in enabled_controllers(["*"])
    assert "pod-garbage-collector-controller" not in enabled_controllers(["*", "-podgc"])


async def test_orphaned_pods_deleted_after_quarantine(client: InProcessClient, gc: PodGC, clock: FakeClock) -> None:
    await client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kept"}})
    await client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "doomed"}})
    await make_pod(client, "safe", "kept", "Running")
    await make_pod(client, "orphan", "doomed", "Running")
    await client.delete(NODE, "doomed")
    clock.step(1)  # a pass: the missing node enters quarantine
    await eventually(lambda: "doomed" in gc.quarantine)
    clock.step(20)
    await eventually(lambda: gc.passes >= 3)
    assert await exists(client, "orphan")
    clock.step(20)  # 41 s after: a GET confirms the node is gone; the pod is failed, then deleted
    await eventually(lambda: _gone(client, "orphan"))
    assert await exists(client, "safe")
    assert gc.deleted == 1


async def test_orphan_status_marked_failed_with_disruption_target(client: InProcessClient, options: ControllerOptions,
                                                                  clock: FakeClock) -> None:
    """With a finalizer holding the pod, what the collector wrote before deleting shows."""
    mgr = Manager(client)
    gc = add_pod_gc_controller(mgr, client, options)
    await make_pod(client, "held", "nowhere", "Running", finalizers=["example.com/hold"])
    async with mgr.running():
        await mgr.wait_ready()
        clock.step(1)
        await eventually(lambda: "nowhere" in gc.quarantine)
        clock.step(40)

        async def marked() -> Obj:
            pod = await client.get(POD, "held", NS)
            assert pod["metadata"].get("deletionTimestamp"), pod["metadata"]
            return pod

        pod = await eventually(marked)
    assert pod["status"]["phase"] == "Failed"
    target = next(c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (target["status"], target["reason"], target["message"]) == ("True", "DeletionByPodGC",
                                                                       "PodGC: node no longer exists")
    assert target["lastTransitionTime"] == format_time(clock.now())
    pod["metadata"]["finalizers"] = []
    await client.update(pod)


async def test_node_back_before_quarantine_ends(client: InProcessClient, gc: PodGC, clock: FakeClock) -> None:
    await make_pod(client, "waiting", "late-node", "Running")
    clock.step(1)
    await eventually(lambda: "late-node" in gc.quarantine)
    await client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "late-node"}})
    await eventually(lambda: gc.cache.get(NODE, "late-node") is not None)
    clock.step(45)
    await eventually(lambda: "late-node" not in gc.quarantine)
    assert await exists(client, "waiting")


async def test_terminated_pods_over_threshold(client: InProcessClient, gc: PodGC, clock: FakeClock) -> None:
    await client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}})
    for name in ("a", "b", "c"):
        await make_pod(client, name, "n", "Succeeded")
        clock.set(clock.now() + timedelta(seconds=1))  # distinct creation order is by name on ties
    evicted = await make_pod(client, "z-evicted", "n", "Failed")
    evicted["status"]["reason"] = "Evicted"
    await client.update_status(evicted)
    await make_pod(client, "running", "n", "Running")
    clock.step(20)
    # 4 terminated, threshold 2: the evicted one first, then the oldest.
    await eventually(lambda: _gone(client, "z-evicted"))
    await eventually(lambda: _gone(client, "a"))
    assert await exists(client, "b") and await exists(client, "c") and await exists(client, "running")


async def test_unscheduled_terminating_pods_deleted(client: InProcessClient, gc: PodGC, clock: FakeClock) -> None:
    await make_pod(client, "stuck", finalizers=["example.com/hold"])
    await client.delete(POD, "stuck", NS)
    clock.step(20)

    async def failed() -> bool:
        pod = await client.get(POD, "stuck", NS)
        assert pod["status"]["phase"] == "Failed", pod["status"]
        return True

    await eventually(failed)
    pod = await client.get(POD, "stuck", NS)
    pod["metadata"]["finalizers"] = []
    await client.update(pod)


async def _gone(client: InProcessClient, name: str) -> bool:
    return not await exists(client, name)
