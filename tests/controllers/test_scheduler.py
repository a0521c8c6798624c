"""The scheduler in-process: kube-scheduler's default profile placing pods on nodes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.controllers.options import ControllerOptions
from setpoint.controllers.scheduler import Scheduler, add_scheduler
from setpoint.controllers.scheduler.scheduler import SCHEDULER_NAME
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

NODE = Kind("v1", "Node")
POD = Kind("v1", "Pod")
EVENT = Kind("v1", "Event")
NS = "default"


@pytest.fixture
async def scheduler(client: InProcessClient) -> AsyncIterator[Scheduler]:
    options = ControllerOptions(scheduler_initial_backoff=0.01, scheduler_max_backoff=0.05)
    mgr = Manager(client)
    sched = add_scheduler(mgr, client, options, seed=1)
    async with mgr.running():
        await mgr.wait_ready()
        yield sched


async def make_node(client: InProcessClient, name: str, *, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
                    labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    node = await client.create({"apiVersion": "v1", "kind": "Node",
                                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                                      **(labels or {})}},
                                "spec": spec})
    node["status"] = {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
                      "capacity": {"cpu": cpu, "memory": memory, "pods": pods}}
    return await client.update_status(node)


async def make_pod(client: InProcessClient, name: str, *, cpu: str | None = None, memory: str | None = None,
                   labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: Obj = {"name": "c", "image": "nginx"}
    if requests:
        container["resources"] = {"requests": requests}
    return await client.create({"apiVersion": "v1", "kind": "Pod",
                                "metadata": {"name": name, "namespace": NS, "labels": labels or {}},
                                "spec": {"containers": [container], **spec}}, NS)


async def node_of(client: InProcessClient, name: str) -> str | None:
    pod = await client.get(POD, name, NS)
    node: str | None = pod["spec"].get("nodeName")
    return node


async def bound(client: InProcessClient, name: str) -> str:
    async def check() -> str | None:
        return await node_of(client, name)
    node: str = await eventually(check)
    return node


async def failed_scheduling(client: InProcessClient, name: str) -> str:
    async def check() -> str | None:
        events = await client.list(EVENT, NS, field_selector=f"involvedObject.name={name},reason=FailedScheduling")
        return str(events["items"][-1]["message"]) if events["items"] else None
    message: str = await eventually(check)
    return message


async def test_binds_to_the_node_with_room_and_records_scheduled(
        client: InProcessClient, scheduler: Scheduler) -> None:
    await make_node(client, "small", cpu="1")
    await make_node(client, "big", cpu="8")
    await make_pod(client, "p", cpu="2")
    assert await bound(client, "p") == "big"
    pod = await client.get(POD, "p", NS)
    assert next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")["status"] == "True"
    events = await client.list(EVENT, NS, field_selector="involvedObject.name=p,reason=Scheduled")
    event = events["items"][0]
    assert event["message"] == "Successfully assigned default/p to big"
    assert event["source"]["component"] == "default-scheduler"
    assert event["reportingComponent"] == "default-scheduler"


async def test_failed_scheduling_message_as_kube_then_bound_when_a_node_with_room_comes(
        client: InProcessClient, scheduler: Scheduler) -> None:
    await make_node(client, "a", cpu="1", labels={"disk": "hdd"})
    await make_node(client, "b", cpu="8", labels={"disk": "hdd"})
    await make_node(client, "c", cpu="8", labels={"disk": "hdd"})
    await client.patch(NODE, "b", {"metadata": {"labels": {"disk": "none"}}})
    await client.patch(NODE, "c", {"metadata": {"labels": {"disk": "none"}}})
    await make_pod(client, "p", cpu="2", nodeSelector={"disk": "hdd"})
    message = await failed_scheduling(client, "p")
    assert message == ("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node "
                       "affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found "
                       "for incoming pod, 2 Preemption is not helpful for scheduling.")

    async def condition() -> Obj | None:
        pod = await client.get(POD, "p", NS)
        found = [c for c in (pod.get("status") or {}).get("conditions") or [] if c["type"] == "PodScheduled"]
        return found[0] if found else None
    cond = await eventually(condition)
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", message)
    assert await node_of(client, "p") is None
    await make_node(client, "d", cpu="4", labels={"disk": "hdd"})
    assert await bound(client, "p") == "d"


async def test_unresolvable_everywhere_says_preemption_is_not_helpful(
        client: InProcessClient, scheduler: Scheduler) -> None:
    for name in ("a", "b", "c"):
        await make_node(client, name)
    await make_pod(client, "p", nodeSelector={"zone": "nowhere"})
    assert await failed_scheduling(client, "p") == (
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes "
        "are available: 3 Preemption is not helpful for scheduling.")
    await make_pod(client, "never", nodeSelector={"zone": "nowhere"}, **await high_priority(client, 0, "Never"))
    assert await failed_scheduling(client, "never") == (
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: not eligible "
        "due to preemptionPolicy=Never.")


async def test_no_nodes(client: InProcessClient, scheduler: Scheduler) -> None:
    await make_pod(client, "p")
    assert await failed_scheduling(client, "p") == "no nodes available to schedule pods"


async def test_resources_count_bound_pods_init_containers_and_pod_count(
        client: InProcessClient, scheduler: Scheduler) -> None:
    await make_node(client, "n", cpu="2", memory="1Gi", pods="3")
    await make_pod(client, "a", cpu="1500m")
    assert await bound(client, "a") == "n"
    await make_pod(client, "b", cpu="1")
    assert await failed_scheduling(client, "b") == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption "
        "victims found for incoming pod.")
    await client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "init", "namespace": NS},
                         "spec": {"containers": [{"name": "c", "image": "x"}],
                                  "initContainers": [{"name": "i", "image": "x",
                                                      "resources": {"requests": {"memory": "2Gi"}}}]}}, NS)
    assert (await failed_scheduling(client, "init")).startswith("0/1 nodes are available: 1 Insufficient memory.")
    await make_pod(client, "c")
    assert await bound(client, "c") == "n"
    await make_pod(client, "d")
    assert await bound(client, "d") == "n"
    await make_pod(client, "e")
    assert (await failed_scheduling(client, "e")).startswith("0/1 nodes are available: 1 Too many pods.")
    # Deleting a bound pod makes room (for b alone: e, which would take the same slot, goes first).
    await client.delete(POD, "e", NS, grace_period_seconds=0)
    await client.delete(POD, "a", NS, grace_period_seconds=0)
    assert await bound(client, "b") == "n"


async def test_taints_tolerations_and_unschedulable_nodes(client: InProcessClient, scheduler: Scheduler) -> None:
    await make_node(client, "gpu", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    await make_node(client, "cordoned", unschedulable=True)
    await make_pod(client, "plain")
    assert await failed_scheduling(client, "plain") == (
        "0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    await make_pod(client, "tolerant", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu",
                                                     "effect": "NoSchedule"}])
    assert await bound(client, "tolerant") == "gpu"
    await make_pod(client, "cordon-tolerant", tolerations=[{"key": "node.kubernetes.io/unschedulable",
                                                            "operator": "Exists", "effect": "NoSchedule"}])
    assert await bound(client, "cordon-tolerant") == "cordoned"


async def test_required_and_preferred_node_affinity(client: InProcessClient, scheduler: Scheduler) -> None:
    for name, zone in (("a", "z1"), ("b", "z2"), ("c", "z3")):
        await make_node(client, name, labels={"zone": zone})
    required = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z2", "z9"]}]}]}}}
    await make_pod(client, "req", affinity=required)
    assert await bound(client, "req") == "b"
    preferred = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 50, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z3"]}]}}]}}
    for i in range(3):
        await make_pod(client, f"pref{i}", affinity=preferred)
        assert await bound(client, f"pref{i}") == "c"


async def test_prefer_no_schedule_taints_are_avoided(client: InProcessClient, scheduler: Scheduler) -> None:
    await make_node(client, "tainted", taints=[{"key": "k", "value": "v", "effect": "PreferNoSchedule"}])
    await make_node(client, "clean")
    for i in range(3):
        await make_pod(client, f"p{i}")
        assert await bound(client, f"p{i}") == "clean"


async def test_spreads_pods_by_least_allocated(client: InProcessClient, scheduler: Scheduler) -> None:
    for name in ("a", "b", "c"):
        await make_node(client, name)
    for i in range(6):
        await make_pod(client, f"p{i}", cpu="500m", memory="512Mi")
    nodes = [await bound(client, f"p{i}") for i in range(6)]
    assert sorted(nodes) == ["a", "a", "b", "b", "c", "c"]


async def test_other_schedulers_and_gated_pods_are_left_alone(client: InProcessClient, scheduler: Scheduler) -> None:
    await make_node(client, "n")
    await make_pod(client, "other", schedulerName="my-scheduler")
    await make_pod(client, "gated", schedulingGates=[{"name": "wait"}])
    await make_pod(client, "mine")
    assert await bound(client, "mine") == "n"
    assert await node_of(client, "other") is None
    assert await node_of(client, "gated") is None


def spread_on(key: str, app: str, **extra: Any) -> list[Obj]:
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "DoNotSchedule",
             "labelSelector": {"matchLabels": {"app": app}}, **extra}]


def anti(app: str, key: str = "kubernetes.io/hostname") -> Obj:
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}]}}


async def test_topology_spread_across_zones(client: InProcessClient, scheduler: Scheduler) -> None:
    zone = "topology.kubernetes.io/zone"
    for name, z in (("a1", "z1"), ("a2", "z1"), ("a3", "z1"), ("b", "z2"), ("c", "z3")):
        await make_node(client, name, labels={zone: z})
    for i in range(6):
        await make_pod(client, f"w{i}", labels={"app": "web"}, topologySpreadConstraints=spread_on(zone, "web"))
        await bound(client, f"w{i}")
    zones = {"a1": "z1", "a2": "z1", "a3": "z1", "b": "z2", "c": "z3"}
    placed = [zones[await bound(client, f"w{i}")] for i in range(6)]
    assert sorted(placed) == ["z1", "z1", "z2", "z2", "z3", "z3"]


async def test_topology_spread_min_domains_and_missing_label(client: InProcessClient, scheduler: Scheduler) -> None:
    zone = "topology.kubernetes.io/zone"
    await make_node(client, "a", labels={zone: "z1"})
    await make_node(client, "b")
    constraints = spread_on(zone, "web", minDomains=2)
    await make_pod(client, "w0", labels={"app": "web"}, topologySpreadConstraints=constraints)
    assert await bound(client, "w0") == "a"
    await make_pod(client, "w1", labels={"app": "web"}, topologySpreadConstraints=constraints)
    assert await failed_scheduling(client, "w1") == (
        "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) didn't match "
        "pod topology spread constraints (missing required label). preemption: 0/2 nodes are available: 1 No "
        "preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.")
    # A second zone: the pod goes there.
    await client.patch(NODE, "b", {"metadata": {"labels": {zone: "z2"}}})
    assert await bound(client, "w1") == "b"


async def test_pod_anti_affinity(client: InProcessClient, scheduler: Scheduler) -> None:
    for name in ("a", "b", "c"):
        await make_node(client, name)
    for i in range(3):
        await make_pod(client, f"db{i}", labels={"app": "db"}, affinity=anti("db"))
    assert sorted([await bound(client, f"db{i}") for i in range(3)]) == ["a", "b", "c"]
    await make_pod(client, "db3", labels={"app": "db"}, affinity=anti("db"))
    assert await failed_scheduling(client, "db3") == (
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are "
        "available: 3 No preemption victims found for incoming pod.")
    # The db pods' anti-affinity keeps other db pods away, even those without terms of their own.
    await make_pod(client, "plain-db", labels={"app": "db"})
    assert (await failed_scheduling(client, "plain-db")).startswith(
        "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules.")
    await client.delete(POD, "plain-db", NS)
    freed = await node_of(client, "db0")
    await client.delete(POD, "db0", NS, grace_period_seconds=0)
    assert await bound(client, "db3") == freed


async def test_required_and_preferred_pod_affinity(client: InProcessClient, scheduler: Scheduler) -> None:
    zone = "topology.kubernetes.io/zone"
    for name, z in (("a", "z1"), ("b", "z2"), ("c", "z3")):
        await make_node(client, name, labels={zone: z})
    with_db = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": zone}]}}
    await make_pod(client, "lonely", affinity=with_db)
    assert await failed_scheduling(client, "lonely") == (
        "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are "
        "available: 3 Preemption is not helpful for scheduling.")
    await make_pod(client, "db", labels={"app": "db"}, nodeSelector={zone: "z2"})
    assert await bound(client, "db") == "b"
    assert await bound(client, "lonely") == "b"
    # The first of a group with affinity to itself goes anywhere.
    self_affine = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": zone}]}}
    await make_pod(client, "cache0", labels={"app": "cache"}, affinity=self_affine)
    first = await bound(client, "cache0")
    await make_pod(client, "cache1", labels={"app": "cache"}, affinity=self_affine)
    assert await bound(client, "cache1") == first
    prefer = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {
        "labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}}]}}
    for i in range(3):
        await make_pod(client, f"near{i}", affinity=prefer)
        assert await bound(client, f"near{i}") == "b"


async def test_replicaset_pods_spread_across_nodes(client: InProcessClient, scheduler: Scheduler) -> None:
    for name in ("a", "b", "c"):
        await make_node(client, name)
    rs = await client.create({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web", "namespace": NS},
                              "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "web"}},
                                       "template": {"metadata": {"labels": {"app": "web"}},
                                                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}, NS)
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": rs["metadata"]["uid"],
             "controller": True}
    for i in range(6):
        await client.create({"apiVersion": "v1", "kind": "Pod",
                             "metadata": {"name": f"web-{i}", "namespace": NS, "labels": {"app": "web"},
                                          "ownerReferences": [owner]},
                             "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, NS)
    nodes = [await bound(client, f"web-{i}") for i in range(6)]
    assert sorted(nodes) == ["a", "a", "b", "b", "c", "c"]


async def high_priority(client: InProcessClient, value: int, policy: str | None = None) -> dict[str, Any]:
    """Pod spec fields giving priority ``value`` (and ``preemptionPolicy``): through a
    PriorityClass where one is served (Priority admission computes both from it)."""
    if any(r.kind == "PriorityClass" for r in client.registry.all()):
        name = f"p{value}-{(policy or 'default').lower()}"
        klass: Obj = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
                      "value": value}
        if policy:
            klass["preemptionPolicy"] = policy
        await client.create(klass)
        return {"priorityClassName": name}
    return {"priority": value, **({"preemptionPolicy": policy} if policy else {})}


@pytest.fixture
async def slow_scheduler(client: InProcessClient) -> AsyncIterator[Scheduler]:
    """A scheduler whose first retry waits half a second (kube's is 1 s)."""
    mgr = Manager(client)
    sched = add_scheduler(mgr, client, ControllerOptions(scheduler_initial_backoff=0.5, scheduler_max_backoff=1),
                          seed=1)
    async with mgr.running():
        await mgr.wait_ready()
        yield sched


async def test_preemption_deletes_a_lower_priority_pod_and_nominates_the_node(
        client: InProcessClient, slow_scheduler: Scheduler) -> None:
    await make_node(client, "n", cpu="2")
    await make_pod(client, "low0", cpu="1")
    await make_pod(client, "low1", cpu="1")
    assert await bound(client, "low0") == "n" and await bound(client, "low1") == "n"
    high = await make_pod(client, "high", cpu="1", **await high_priority(client, 1000))
    assert await failed_scheduling(client, "high") == "0/1 nodes are available: 1 Insufficient cpu."
    # A lower-priority pod coming now does not take the room made for the nominated pod.
    await make_pod(client, "sneaky", cpu="1")
    async def preempted() -> list[Obj]:
        items: list[Obj] = (await client.list(EVENT, NS, field_selector="reason=Preempted"))["items"]
        return items
    event = (await eventually(preempted))[0]
    victim = event["involvedObject"]["name"]
    assert victim in ("low0", "low1")
    assert event["message"] == f"Preempted by pod {high['metadata']['uid']} on node n"
    assert await bound(client, "high") == "n"
    pod = await client.get(POD, "high", NS)
    assert pod["status"]["nominatedNodeName"] == "n"
    survivor = {"low0", "low1"} - {victim}
    assert await node_of(client, survivor.pop()) == "n"
    names = {p["metadata"]["name"] for p in (await client.list(POD, NS))["items"]}
    assert victim not in names
    assert await node_of(client, "sneaky") is None


async def test_preemption_is_not_helpful_for_equal_priority_or_never(
        client: InProcessClient, scheduler: Scheduler) -> None:
    await make_node(client, "n", cpu="1")
    await make_pod(client, "first", cpu="1")
    assert await bound(client, "first") == "n"
    await make_pod(client, "never", cpu="1", **await high_priority(client, 50, "Never"))
    assert await failed_scheduling(client, "never") == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.")
    assert await node_of(client, "first") == "n"


async def test_controller_manager_runs_the_scheduler_only_when_asked(api: APIServer, client: InProcessClient) -> None:
    await make_node(client, "n")
    plain = ControllerManager(api.registry, api.objects, controllers=())
    assert SCHEDULER_NAME not in plain.manager.controllers
    cm = ControllerManager(api.registry, api.objects, controllers=(), scheduler=True)
    await cm.start()
    try:
        await make_pod(client, "p")
        assert await bound(client, "p") == "n"
    finally:
        await cm.stop()


async def test_preemption_by_a_higher_pod_clears_lower_nominations(
        client: InProcessClient, slow_scheduler: Scheduler) -> None:
    await make_node(client, "n", cpu="2")
    await make_pod(client, "low0", cpu="1")
    await make_pod(client, "low1", cpu="1")
    assert await bound(client, "low0") == "n" and await bound(client, "low1") == "n"
    await make_pod(client, "mid", cpu="1", **await high_priority(client, 500))

    async def nominated(name: str) -> str | None:
        pod = await client.get(POD, name, NS)
        value: str | None = (pod.get("status") or {}).get("nominatedNodeName")
        return value
    assert await eventually(lambda: nominated("mid")) == "n"
    await make_pod(client, "top", cpu="2", **await high_priority(client, 1000))
    assert await bound(client, "top") == "n"
    await eventually(lambda: _is_none(nominated("mid")))
    assert await node_of(client, "mid") is None


async def _is_none(value: Any) -> bool:
    return await value is None


async def test_preemption_spares_a_pod_its_disruption_budget_protects(
        client: InProcessClient, slow_scheduler: Scheduler) -> None:
    assert slow_scheduler.pdbs_served
    await client.create({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                         "metadata": {"name": "db", "namespace": NS},
                         "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "db"}}}}, NS)
    await make_node(client, "n", cpu="2")
    # Without the budget, the pod bound first would be put back first and the db pod preempted.
    await make_pod(client, "web", cpu="1", labels={"app": "web"})
    assert await bound(client, "web") == "n"
    await make_pod(client, "db", cpu="1", labels={"app": "db"})
    assert await bound(client, "db") == "n"
    await make_pod(client, "high", cpu="1", **await high_priority(client, 1000))
    assert await bound(client, "high") == "n"
    names = {p["metadata"]["name"] for p in (await client.list(POD, NS))["items"]}
    assert names == {"db", "high"}
