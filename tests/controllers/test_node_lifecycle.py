"""Node lifecycle and taint eviction, on a fake clock; and DefaultTolerationSeconds admission."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from setpoint.apimachinery.clock import FakeClock, format_time, micro_time
from setpoint.apimachinery.taints import tolerates
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import enabled_controllers
from setpoint.controllers.nodelifecycle import NodeLifecycleReconciler, add_node_lifecycle_controller
from setpoint.controllers.options import ControllerOptions
from setpoint.controllers.tainteviction import add_taint_eviction_controller, min_toleration_seconds
from setpoint.runtime import errors
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

NODE = Kind("v1", "Node")
POD = Kind("v1", "Pod")
LEASE = Kind("coordination.k8s.io/v1", "Lease")
EVENT = Kind("v1", "Event")
NS = "default"


@pytest.fixture
def options() -> ControllerOptions:
    return ControllerOptions(clock=FakeClock(datetime.now(UTC)), node_monitor_period=0.02, eviction_poll_period=0.02)


@pytest.fixture
async def controllers(client: InProcessClient, options: ControllerOptions) -> AsyncIterator[NodeLifecycleReconciler]:
    mgr = Manager(client)
    lifecycle = add_node_lifecycle_controller(mgr, client, options)
    add_taint_eviction_controller(mgr, client, options)
    async with mgr.running():
        await mgr.wait_ready()
        yield lifecycle


def ready(status: str) -> Obj:
    return {"type": "Ready", "status": status, "reason": "KubeletReady", "message": "kubelet is posting ready status",
            "lastHeartbeatTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"}


async def make_node(client: InProcessClient, name: str, status: str | None = "True") -> Obj:
    node = await client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
    if status is not None:
        node["status"] = {"conditions": [ready(status)]}
        node = await client.update_status(node)
    return node


async def make_pod(client: InProcessClient, name: str, node: str, **spec: Any) -> Obj:
    pod = await client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}, NS)
    await client.create({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "namespace": NS},
                         "target": {"kind": "Node", "name": node}}, NS)
    return pod


async def taints(client: InProcessClient, name: str) -> list[tuple[str, str]]:
    node = await client.get(NODE, name)
    return sorted((t["key"], t["effect"]) for t in (node.get("spec") or {}).get("taints") or [])


async def gone(client: InProcessClient, name: str) -> bool:
    """Deleted: gone, or terminating (no kubelet runs here to finish a graceful deletion)."""
    try:
        pod = await client.get(POD, name, NS)
    except errors.NotFound:
        return True
    return bool(pod["metadata"].get("deletionTimestamp"))


async def test_pods_get_default_tolerations(client: InProcessClient) -> None:
    pod = await client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": NS},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}],
                                        "tolerations": [{"key": "node.kubernetes.io/unreachable",
                                                         "operator": "Exists", "effect": "NoExecute",
                                                         "tolerationSeconds": 10}]}}, NS)
    assert pod["spec"]["tolerations"] == [
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10},
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
    # A toleration of every key and effect covers both.
    pod = await client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q", "namespace": NS},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}],
                                        "tolerations": [{"operator": "Exists"}]}}, NS)
    assert pod["spec"]["tolerations"] == [{"operator": "Exists"}]


def test_toleration_matching() -> None:
    taint = {"key": "k", "value": "v", "effect": "NoExecute"}
    assert tolerates({"key": "k", "operator": "Equal", "value": "v"}, taint)
    assert not tolerates({"key": "k", "value": "w"}, taint)
    assert tolerates({"operator": "Exists"}, taint)
    assert not tolerates({"key": "k", "operator": "Exists", "effect": "NoSchedule"}, taint)
    assert min_toleration_seconds([{"tolerationSeconds": 30}, {"tolerationSeconds": 10}, {}]) == 10
    assert min_toleration_seconds([{}]) is None
    assert min_toleration_seconds([{"tolerationSeconds": -1}]) == 0


async def test_not_ready_node_is_tainted_and_its_pods_evicted_after_toleration(
        client: InProcessClient, options: ControllerOptions, controllers: NodeLifecycleReconciler) -> None:
    clock = options.clock
    assert isinstance(clock, FakeClock)
    await make_node(client, "n1", "True")
    await make_pod(client, "short", "n1", tolerations=[
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}])
    await make_pod(client, "default-tol", "n1")
    await make_pod(client, "forever", "n1", tolerations=[{"operator": "Exists"}])
    # Names the taint's key and effect (so no default is added) but not its value: does not tolerate it.
    await make_pod(client, "none", "n1", tolerations=[
        {"key": "node.kubernetes.io/not-ready", "operator": "Equal", "value": "x", "effect": "NoExecute"}])
    assert await taints(client, "n1") == []
    forever = await client.get(POD, "forever", NS)
    forever["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    await client.update_status(forever)

    node = await client.get(NODE, "n1")
    node["status"]["conditions"] = [ready("False")]
    await client.update_status(node)
    await eventually(lambda: _assert(taints(client, "n1"), [("node.kubernetes.io/not-ready", "NoExecute"),
                                                              ("node.kubernetes.io/not-ready", "NoSchedule")]))
    await eventually(lambda: gone(client, "none"))
    await eventually(lambda: _events(client, "NodeNotReady", "Node n1 status is now: NodeNotReady"))
    # kube's MarkPodsNotReady.
    await eventually(lambda: _events(client, "NodeNotReady", "Node is not ready"))
    forever = await client.get(POD, "forever", NS)
    assert forever["status"]["conditions"][0]["status"] == "False"
    assert not await gone(client, "short")
    clock.step(31)
    await eventually(lambda: gone(client, "short"))
    await eventually(lambda: _events(client, "TaintManagerEviction", f"Marking for deletion Pod {NS}/short"))
    assert not await gone(client, "default-tol")
    clock.step(270)
    await eventually(lambda: gone(client, "default-tol"))
    assert not await gone(client, "forever")

    # No heartbeat for 301 s: unreachable now. A heartbeat, Ready again: the taints go.
    await eventually(lambda: _assert(taints(client, "n1"), [("node.kubernetes.io/unreachable", "NoExecute"),
                                                              ("node.kubernetes.io/unreachable", "NoSchedule")]))
    node = await client.get(NODE, "n1")
    node["status"]["conditions"] = [{**ready("True"), "lastHeartbeatTime": format_time(clock.now())}]
    await client.update_status(node)
    await eventually(lambda: _assert(taints(client, "n1"), []))


async def test_silent_node_becomes_unreachable_and_lease_keeps_it_alive(
        client: InProcessClient, options: ControllerOptions, controllers: NodeLifecycleReconciler) -> None:
    clock = options.clock
    assert isinstance(clock, FakeClock)
    await make_node(client, "quiet", "True")
    await make_node(client, "leased", "True")
    lease = await client.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                 "metadata": {"name": "leased", "namespace": "kube-node-lease"},
                                 "spec": {"holderIdentity": "leased", "leaseDurationSeconds": 40,
                                          "renewTime": micro_time()}}, "kube-node-lease")
    await make_pod(client, "victim", "quiet", tolerations=[
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}])
    for _ in range(3):
        clock.step(20)
        lease["spec"]["renewTime"] = micro_time(clock.now().timestamp())
        lease = await client.update(lease)
        await eventually(lambda: _seen_renewal(controllers, clock.now().timestamp()))
    # 60 s without a heartbeat from "quiet" (its Ready condition never moved).
    quiet = await eventually(lambda: _ready_status(client, "quiet", "Unknown"))
    ready_condition = next(c for c in quiet["status"]["conditions"] if c["type"] == "Ready")
    assert (ready_condition["reason"], ready_condition["message"]) == (
        "NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert {c["type"] for c in quiet["status"]["conditions"]} == {"Ready", "MemoryPressure", "DiskPressure",
                                                                   "PIDPressure"}
    await eventually(lambda: _assert(taints(client, "quiet"), [("node.kubernetes.io/unreachable", "NoExecute"),
                                                                 ("node.kubernetes.io/unreachable", "NoSchedule")]))
    assert await taints(client, "leased") == []
    assert (await _ready_status(client, "leased", "True"))
    clock.step(6)
    await eventually(lambda: gone(client, "victim"))


def _seen_renewal(lifecycle: NodeLifecycleReconciler, now: float) -> bool:
    health = lifecycle.health.get("leased")
    return health is not None and health.probe == now


async def _ready_status(client: InProcessClient, name: str, status: str) -> Obj:
    node = await client.get(NODE, name)
    cond = next((c for c in (node.get("status") or {}).get("conditions") or [] if c["type"] == "Ready"), None)
    assert cond is not None and cond["status"] == status, cond
    return node


async def _assert(value: Any, expected: Any) -> bool:
    got = await value
    assert got == expected, got
    return True


async def _events(client: InProcessClient, reason: str, message: str) -> bool:
    events = await client.list(EVENT, NS)
    items = events["items"] if isinstance(events, dict) else events
    assert any(e["reason"] == reason and e["message"] == message for e in items), [
        (e["reason"], e["message"]) for e in items]
    return True


def test_controllers_flag_names() -> None:
    everything = enabled_controllers(["*"])
    assert "node-lifecycle-controller" in everything and "taint-eviction-controller" in everything
    assert enabled_controllers(["nodelifecycle"]) == ["node-lifecycle-controller"]
    assert "node-lifecycle-controller" not in enabled_controllers(["*", "-nodelifecycle"])
