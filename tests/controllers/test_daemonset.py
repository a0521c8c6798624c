"""The DaemonSet controller over the in-process client: a pod per eligible node (selectors,
affinity, taints), nodes added and removed, rolling updates with maxUnavailable and maxSurge,
revisions, status and events."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sets_helpers import DS, NODE, REVISION, event_messages, node, set_pod_ready, workload

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.runtime.client import PatchType
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

POD = Kind("v1", "Pod")
NS = "daemons"
DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


@pytest.fixture
async def controllers(api: APIServer, client: InProcessClient) -> AsyncIterator[ControllerManager]:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    cm = ControllerManager(api.registry, api.objects, controllers=["daemonset-controller"])
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()


async def pods_by_node(client: InProcessClient) -> dict[str, Obj]:
    out: dict[str, Obj] = {}
    for pod in (await client.list(POD, NS))["items"]:
        terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
            "nodeSelectorTerms"]
        node_name = terms[0]["matchFields"][0]["values"][0]
        assert node_name not in out, f"two pods on {node_name}"
        out[node_name] = pod
    return out


async def on_nodes(client: InProcessClient, expected: list[str]) -> dict[str, Obj]:
    found = await pods_by_node(client)
    assert sorted(found) == expected, sorted(found)
    return found


async def status_is(client: InProcessClient, name: str, **want: int) -> Obj:
    status = (await client.get(DS, name, NS)).get("status") or {}
    assert {k: status.get(k) for k in want} == want, status
    return status


async def test_a_pod_per_eligible_node_following_nodes(client: InProcessClient, controllers: ControllerManager) -> None:
    for name in ("n1", "n2"):
        await client.create(node(name, {"disk": "ssd"}))
    await client.create(node("n3"))  # no disk=ssd label
    body = workload("DaemonSet", "agent", NS)
    body["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    ds = await client.create(body)
    pods = await eventually(lambda: on_nodes(client, ["n1", "n2"]))
    pod = pods["n1"]
    assert pod["metadata"]["generateName"] == "agent-" and "nodeName" not in pod["spec"]
    assert pod["spec"]["affinity"] == {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}
    assert pod["spec"]["tolerations"] == DEFAULT_TOLERATIONS
    labels = pod["metadata"]["labels"]
    assert labels["app"] == "agent" and labels["pod-template-generation"] == "1"
    revisions = (await client.list(REVISION, NS))["items"]
    assert [r["metadata"]["name"] for r in revisions] == [f"agent-{labels['controller-revision-hash']}"]
    assert revisions[0]["revision"] == 1
    assert pod["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]

    await client.patch(NODE, "n3", {"metadata": {"labels": {"disk": "ssd"}}})
    await eventually(lambda: on_nodes(client, ["n1", "n2", "n3"]))
    await client.delete(NODE, "n2")
    await eventually(lambda: on_nodes(client, ["n1", "n3"]))
    # A NoSchedule taint keeps the pod there (misscheduled); NoExecute removes it; a new tainted node gets none.
    await client.patch(NODE, "n3", {"spec": {"taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}})
    await eventually(lambda: status_is(client, "agent", desiredNumberScheduled=1, numberMisscheduled=1,
                                       currentNumberScheduled=1))
    assert sorted(await pods_by_node(client)) == ["n1", "n3"]
    await client.patch(NODE, "n3", {"spec": {"taints": [{"key": "dedicated", "value": "db", "effect": "NoExecute"}]}})
    await eventually(lambda: on_nodes(client, ["n1"]))
    await client.create(node("n4", {"disk": "ssd"}, taints=[{"key": "gpu", "effect": "NoSchedule"}]))
    await client.create(node("n5", {"disk": "ssd"}, taints=[
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]))
    await eventually(lambda: on_nodes(client, ["n1", "n5"]))
    messages = await event_messages(client, NS, "agent")
    assert any(m.startswith("Created pod: agent-") for m in messages)
    assert any(m.startswith("Deleted pod: agent-") for m in messages)


async def test_required_node_affinity_and_tolerations(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(node("a", {"zone": "z1"}))
    await client.create(node("b", {"zone": "z2"}, taints=[{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]))
    await client.create(node("c", {"zone": "z3"}))
    body = workload("DaemonSet", "agent", NS)
    body["spec"]["template"]["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1", "z2"]}]}]}}}
    body["spec"]["template"]["spec"]["tolerations"] = [{"key": "gpu", "operator": "Equal", "value": "yes",
                                                        "effect": "NoSchedule"}]
    await client.create(body)
    pods = await eventually(lambda: on_nodes(client, ["a", "b"]))
    assert pods["b"]["spec"]["tolerations"][0] == {"key": "gpu", "operator": "Equal", "value": "yes",
                                                   "effect": "NoSchedule"}
    for pod in pods.values():
        await set_pod_ready(client, pod["metadata"]["name"], NS)
    await eventually(lambda: status_is(client, "agent", desiredNumberScheduled=2, currentNumberScheduled=2,
                                       numberReady=2, numberAvailable=2, updatedNumberScheduled=2,
                                       numberMisscheduled=0, observedGeneration=1))


async def _ready_all(client: InProcessClient) -> dict[str, Obj]:
    pods = await pods_by_node(client)
    for pod in pods.values():
        if pod.get("status", {}).get("phase") != "Running":
            await set_pod_ready(client, pod["metadata"]["name"], NS)
    return pods


async def test_rolling_update_within_max_unavailable(client: InProcessClient, controllers: ControllerManager) -> None:
    for name in ("n1", "n2", "n3"):
        await client.create(node(name))
    await client.create(workload("DaemonSet", "agent", NS))
    await eventually(lambda: on_nodes(client, ["n1", "n2", "n3"]))
    await _ready_all(client)
    await eventually(lambda: status_is(client, "agent", numberAvailable=3))
    await client.patch(DS, "agent", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.28"}]}}}}, NS, type=PatchType.STRATEGIC)

    async def images() -> list[str]:
        return sorted(p["spec"]["containers"][0]["image"] for p in (await pods_by_node(client)).values())

    # maxUnavailable 1: one old pod replaced; the next waits for the new one to be available.
    await eventually(lambda: _assert_equal(images(), ["nginx:1.27", "nginx:1.27", "nginx:1.28"]))
    await eventually(lambda: status_is(client, "agent", updatedNumberScheduled=1, observedGeneration=2))
    assert await images() == ["nginx:1.27", "nginx:1.27", "nginx:1.28"]

    async def rolled() -> bool:
        await _ready_all(client)
        assert await images() == ["nginx:1.28"] * 3
        return True

    await eventually(rolled)
    await eventually(lambda: status_is(client, "agent", updatedNumberScheduled=3, numberAvailable=3))
    new = await pods_by_node(client)
    assert {p["metadata"]["labels"]["pod-template-generation"] for p in new.values()} == {"2"}
    revisions = sorted((r["revision"], r["metadata"]["name"]) for r in (await client.list(REVISION, NS))["items"])
    assert [n for n, _ in revisions] == [1, 2]
    assert revisions[1][1] == f"agent-{new['n1']['metadata']['labels']['controller-revision-hash']}"


async def _assert_equal(got: object, want: object) -> bool:
    value = await got  # type: ignore[misc]
    assert value == want, value
    return True


async def test_rolling_update_with_surge(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(node("n1"))
    await client.create(workload("DaemonSet", "agent", NS, updateStrategy={
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}))
    old = (await eventually(lambda: on_nodes(client, ["n1"])))["n1"]
    await set_pod_ready(client, old["metadata"]["name"], NS)
    await eventually(lambda: status_is(client, "agent", numberAvailable=1))
    await client.patch(DS, "agent", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.28"}]}}}}, NS, type=PatchType.STRATEGIC)

    async def two_pods() -> list[Obj]:
        items = (await client.list(POD, NS))["items"]
        assert len(items) == 2, [p["metadata"]["name"] for p in items]
        return list(items)

    both = await eventually(two_pods)
    new = next(p for p in both if p["metadata"]["name"] != old["metadata"]["name"])
    assert new["spec"]["containers"][0]["image"] == "nginx:1.28"
    await set_pod_ready(client, new["metadata"]["name"], NS)

    async def only_new() -> bool:
        items = (await client.list(POD, NS))["items"]
        assert [p["metadata"]["name"] for p in items] == [new["metadata"]["name"]]
        return True

    await eventually(only_new)


async def test_failed_daemon_pods_are_replaced(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(node("n1"))
    await client.create(workload("DaemonSet", "agent", NS))
    first = (await eventually(lambda: on_nodes(client, ["n1"])))["n1"]
    await set_pod_ready(client, first["metadata"]["name"], NS, ready=False, phase="Failed")

    async def replaced() -> Obj:
        pods = await on_nodes(client, ["n1"])
        assert pods["n1"]["metadata"]["name"] != first["metadata"]["name"]
        return pods["n1"]

    await eventually(replaced)
    messages = await event_messages(client, NS, "agent")
    assert (f"Found failed daemon pod {NS}/{first['metadata']['name']} on node n1, will try to kill it"
            in messages)


async def test_on_delete_replaces_only_deleted_pods(client: InProcessClient, controllers: ControllerManager) -> None:
    for name in ("n1", "n2"):
        await client.create(node(name))
    await client.create(workload("DaemonSet", "agent", NS, updateStrategy={"type": "OnDelete"}))
    first = await eventually(lambda: on_nodes(client, ["n1", "n2"]))
    await client.patch(DS, "agent", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.28"}]}}}}, NS, type=PatchType.STRATEGIC)
    await eventually(lambda: status_is(client, "agent", observedGeneration=2, updatedNumberScheduled=None))
    await client.delete(POD, first["n2"]["metadata"]["name"], NS)

    async def replaced() -> dict[str, Obj]:
        pods = await on_nodes(client, ["n1", "n2"])
        assert pods["n2"]["spec"]["containers"][0]["image"] == "nginx:1.28"
        return pods

    pods = await eventually(replaced)
    assert pods["n1"]["metadata"]["uid"] == first["n1"]["metadata"]["uid"]
    await eventually(lambda: status_is(client, "agent", updatedNumberScheduled=1))
