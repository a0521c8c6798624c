"""The simulated nodes' agent, on a fake clock: registration, status, Lease heartbeats, failures,
and the node lifecycle controller's view of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from setpoint.apimachinery.clock import FakeClock, format_time
from setpoint.apimachinery.types import Obj
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.kubelet.nodes import NodeAgent, add_node_agent
from setpoint.controllers.nodelifecycle import add_node_lifecycle_controller
from setpoint.controllers.options import ControllerOptions
from setpoint.runtime import errors
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

NODE = Kind("v1", "Node")
LEASE = Kind("coordination.k8s.io/v1", "Lease")
LEASES = "kube-node-lease"
EVENT = Kind("v1", "Event")


@pytest.fixture
def options(clock: FakeClock) -> ControllerOptions:
    return ControllerOptions(clock=clock, node_monitor_period=0.02)


@pytest.fixture
async def agent(client: InProcessClient, options: ControllerOptions) -> AsyncIterator[NodeAgent]:
    mgr = Manager(client)
    agent = add_node_agent(mgr, client, options, count=3)
    add_node_lifecycle_controller(mgr, client, options)
    async with mgr.running():
        await mgr.wait_ready()
        for i in (1, 2, 3):
            await eventually(lambda i=i: lease(client, f"node-{i}"))
        yield agent


async def lease(client: InProcessClient, name: str) -> Obj | None:
    try:
        return await client.get(LEASE, name, LEASES)
    except errors.NotFound:
        return None


def condition(node: Obj, kind: str) -> Obj:
    found = next((c for c in (node.get("status") or {}).get("conditions") or [] if c["type"] == kind), None)
    assert found is not None, node.get("status")
    return found


async def taints(client: InProcessClient, name: str) -> list[tuple[str, str]]:
    node = await client.get(NODE, name)
    return sorted((t["key"], t["effect"]) for t in (node.get("spec") or {}).get("taints") or [])


async def _equals(value: Any, expected: Any) -> bool:
    got = await value
    assert got == expected, got
    return True


async def _ready(client: InProcessClient, name: str, status: str, reason: str | None = None) -> Obj:
    node = await client.get(NODE, name)
    ready = condition(node, "Ready")
    assert ready["status"] == status, ready
    assert reason is None or ready["reason"] == reason, ready
    return node


async def step(clock: FakeClock, agent: NodeAgent, seconds: float = 10) -> None:
    """Move the clock by one renew interval and wait for every node's Lease to be renewed."""
    before = agent.renewals
    clock.step(seconds)
    await eventually(lambda: agent.renewals >= before + len(agent.nodes))


async def test_registration_as_a_kubelet(client: InProcessClient, agent: NodeAgent, clock: FakeClock) -> None:
    nodes = [await client.get(NODE, f"node-{i}") for i in (1, 2, 3)]
    labels = nodes[0]["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "node-1"
    assert labels["kubernetes.io/os"] == labels["beta.kubernetes.io/os"] == "linux"
    assert labels["kubernetes.io/arch"] == labels["beta.kubernetes.io/arch"] == "amd64"
    assert labels["node.kubernetes.io/instance-type"] == "setpoint.standard"
    assert [n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes] == ["zone-a", "zone-b", "zone-c"]
    assert [n["spec"]["podCIDR"] for n in nodes] == ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"]
    assert nodes[1]["spec"]["podCIDRs"] == ["10.244.1.0/24"]
    status = nodes[0]["status"]
    assert status["capacity"] == {"cpu": "4", "ephemeral-storage": "104857600Ki", "hugepages-1Gi": "0",
                                  "hugepages-2Mi": "0", "memory": "16777216Ki", "pods": "110"}
    assert status["allocatable"] == {"cpu": "3900m", "ephemeral-storage": "90Gi", "hugepages-1Gi": "0",
                                     "hugepages-2Mi": "0", "memory": "16184Mi", "pods": "110"}
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status")]
    assert all(c["lastHeartbeatTime"] == format_time(clock.now()) for c in status["conditions"])
    assert [n["status"]["addresses"] for n in nodes[:2]] == [
        [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "node-1"}],
        [{"type": "InternalIP", "address": "172.18.0.3"}, {"type": "Hostname", "address": "node-2"}]]
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}
    info = status["nodeInfo"]
    assert info["kubeletVersion"].startswith("v1.")
    assert (info["operatingSystem"], info["architecture"]) == ("linux", "amd64")
    assert info["containerRuntimeVersion"].startswith("setpoint://")
    held = await lease(client, "node-1")
    assert held is not None
    assert held["spec"]["holderIdentity"] == "node-1"
    assert held["spec"]["leaseDurationSeconds"] == 40
    assert held["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Node", "name": "node-1",
                                                    "uid": nodes[0]["metadata"]["uid"]}]


async def test_leases_renewed_and_nodes_stay_ready(client: InProcessClient, agent: NodeAgent,
                                                   clock: FakeClock) -> None:
    first = await lease(client, "node-2")
    assert first is not None
    rv = (await client.get(NODE, "node-2"))["metadata"]["resourceVersion"]
    for _ in range(6):  # 60 s: past the 40 s grace period, so only the Leases keep the nodes alive
        await step(clock, agent)
    renewed = await lease(client, "node-2")
    assert renewed is not None and renewed["spec"]["renewTime"] > first["spec"]["renewTime"]
    for i in (1, 2, 3):
        await _ready(client, f"node-{i}", "True", "KubeletReady")
        assert await taints(client, f"node-{i}") == []
    # Nothing changed and no report was due: the Node was not written.
    assert (await client.get(NODE, "node-2"))["metadata"]["resourceVersion"] == rv
    # Every 5 minutes the status is posted again (heartbeat times move, transitions do not).
    node = await client.get(NODE, "node-2")
    for _ in range(25):
        await step(clock, agent)
    posted = await client.get(NODE, "node-2")
    assert condition(posted, "Ready")["lastHeartbeatTime"] > condition(node, "Ready")["lastHeartbeatTime"]
    assert condition(posted, "Ready")["lastTransitionTime"] == condition(node, "Ready")["lastTransitionTime"]


async def test_user_node_is_filled_in_keeping_what_the_user_gave(client: InProcessClient, agent: NodeAgent) -> None:
    await client.create({"apiVersion": "v1", "kind": "Node",
                         "metadata": {"name": "big", "labels": {"pool": "gpu", "topology.kubernetes.io/zone": "z9"}},
                         "spec": {"taints": [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]},
                         "status": {"capacity": {"cpu": "64", "memory": "256Gi"}}})
    node = await eventually(lambda: _ready(client, "big", "True"))
    node = await eventually(lambda: lease(client, "big")) and await client.get(NODE, "big")
    labels = node["metadata"]["labels"]
    assert (labels["pool"], labels["topology.kubernetes.io/zone"], labels["kubernetes.io/hostname"]) == (
        "gpu", "z9", "big")
    assert node["spec"]["taints"] == [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]
    assert node["spec"]["podCIDR"] == "10.244.3.0/24"
    assert node["status"]["capacity"]["cpu"] == "64" and node["status"]["capacity"]["pods"] == "110"
    assert node["status"]["allocatable"]["cpu"] == "63900m"
    assert node["status"]["allocatable"]["memory"] == "261944Mi"
    assert node["status"]["addresses"][0] == {"type": "InternalIP", "address": "172.18.0.5"}
    # Without a zone: the zone with fewest nodes (zone-a..c have one each; the first of them).
    await client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "plain"}})
    plain = await eventually(lambda: _ready(client, "plain", "True"))
    assert plain["metadata"]["labels"]["topology.kubernetes.io/zone"] == "zone-a"
    assert plain["metadata"]["labels"]["failure-domain.beta.kubernetes.io/zone"] == "zone-a"
    assert plain["spec"]["podCIDR"] == "10.244.4.0/24"


async def test_not_ready_and_silent_nodes(client: InProcessClient, agent: NodeAgent, clock: FakeClock) -> None:
    await client.patch(NODE, "node-1", {"metadata": {"annotations": {"setpoint.io/ready": "false"}}})
    node = await eventually(lambda: _ready(client, "node-1", "False", "KubeletNotReady"))
    assert condition(node, "MemoryPressure")["status"] == "False"
    await eventually(lambda: _equals(taints(client, "node-1"), [("node.kubernetes.io/not-ready", "NoExecute"),
                                                                ("node.kubernetes.io/not-ready", "NoSchedule")]))
    await client.patch(NODE, "node-1", {"metadata": {"annotations": {"setpoint.io/ready": None}}})
    await eventually(lambda: _ready(client, "node-1", "True", "KubeletReady"))
    events = [(e["reason"], e["message"], e["source"]["component"], e["involvedObject"]["uid"])
              for e in (await client.list(EVENT, "default"))["items"] if e["involvedObject"]["name"] == "node-1"]
    assert ("NodeNotReady", "Node node-1 status is now: NodeNotReady", "kubelet", "node-1") in events
    assert ("NodeReady", "Node node-1 status is now: NodeReady", "kubelet", "node-1") in events
    await eventually(lambda: _equals(taints(client, "node-1"), []))

    # Heartbeats stopped: after the grace period the node is Unknown and unreachable.
    await client.patch(NODE, "node-2", {"metadata": {"annotations": {"setpoint.io/heartbeat": "stopped"}}})
    stopped = await eventually(lambda: lease(client, "node-2"))
    for _ in range(5):
        clock.step(10)
        await eventually(lambda: _lease_renewed(client, "node-1", clock))
    assert (await lease(client, "node-2")) == stopped
    await eventually(lambda: _ready(client, "node-2", "Unknown", "NodeStatusUnknown"))
    await eventually(lambda: _equals(taints(client, "node-2"), [("node.kubernetes.io/unreachable", "NoExecute"),
                                                                ("node.kubernetes.io/unreachable", "NoSchedule")]))
    assert await taints(client, "node-3") == []
    # It comes back.
    await client.patch(NODE, "node-2", {"metadata": {"annotations": {"setpoint.io/heartbeat": None}}})
    await eventually(lambda: _ready(client, "node-2", "True", "KubeletReady"))
    await eventually(lambda: _equals(taints(client, "node-2"), []))


async def _lease_renewed(client: InProcessClient, name: str, clock: FakeClock) -> bool:
    held = await lease(client, name)
    return held is not None and held["spec"]["renewTime"].startswith(format_time(clock.now())[:-1])


async def test_deleted_node_is_forgotten_and_its_lease_removed(client: InProcessClient, agent: NodeAgent,
                                                                clock: FakeClock) -> None:
    await client.delete(NODE, "node-3")
    await eventually(lambda: _equals(lease(client, "node-3"), None))
    await eventually(lambda: "node-3" not in agent.nodes)
    await step(clock, agent)
    assert await lease(client, "node-3") is None
    # A deleted Lease of a live node is made again.
    await client.delete(LEASE, "node-1", LEASES)
    await eventually(lambda: lease(client, "node-1"))
