"""The ReplicaSet controller with the API server in-process: pods created to match replicas,
surplus deleted not-ready first, orphans adopted and non-matching pods released, status counts,
the ReplicaFailure condition and the Events."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from controllers_helpers import RefuseDeletes
from workload_helpers import POD, REPLICA_SET, events_of, make_ready, pods, replica_set

from setpoint.apimachinery.clock import parse_time
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers import replicaset
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.controllers.pods import deletion_order, ready_condition
from setpoint.runtime import metrics
from setpoint.runtime.reconcile import Request
from setpoint.testing import eventually

TIMEOUT = 10.0


@pytest.fixture
async def controllers(api: APIServer) -> AsyncIterator[ControllerManager]:
    cm = ControllerManager(api.registry, api.objects, controllers=["replicaset-controller"])
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()


async def count(client: InProcessClient, n: int, selector: str = "app=web") -> bool:
    return len(await pods(client, selector)) == n


async def test_creates_pods_named_after_the_replicaset_and_owned_by_it(
        client: InProcessClient, controllers: ControllerManager) -> None:
    rs = await client.create(replica_set("web", 3, {"app": "web"}))
    await eventually(lambda: count(client, 3), timeout=TIMEOUT)
    for pod in await pods(client, "app=web"):
        name = pod["metadata"]["name"]
        assert name.startswith("web-") and len(name) == len("web-") + 5
        assert pod["metadata"]["ownerReferences"] == [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": rs["metadata"]["uid"],
             "controller": True, "blockOwnerDeletion": True}]
        assert pod["spec"]["containers"][0]["image"] == "nginx:1"

    async def status_counts() -> bool:
        got = await client.get(REPLICA_SET, "web", "default")
        st = got["status"]
        return (st.get("replicas"), st.get("fullyLabeledReplicas"), st.get("readyReplicas"),
                st.get("observedGeneration")) == (3, 3, None, 1)

    await eventually(status_counts, timeout=TIMEOUT)
    for pod in await pods(client, "app=web"):
        await make_ready(client, pod)

    async def all_ready() -> bool:
        st = (await client.get(REPLICA_SET, "web", "default"))["status"]
        return st.get("readyReplicas") == 3 and st.get("availableReplicas") == 3

    await eventually(all_ready, timeout=TIMEOUT)

    async def created_events() -> bool:
        evs = [e for e in await events_of(client, "web") if e["reason"] == "SuccessfulCreate"]
        return len(evs) == 3 and all(e["message"].startswith("Created pod: web-") for e in evs)

    await eventually(created_events, timeout=TIMEOUT)


async def test_scale_down_deletes_not_ready_pods_first(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(replica_set("web", 4, {"app": "web"}))
    await eventually(lambda: count(client, 4), timeout=TIMEOUT)
    all_pods = await pods(client, "app=web")
    ready = {p["metadata"]["name"] for p in all_pods[:2]}
    for pod in all_pods[:2]:
        await make_ready(client, pod)
    await eventually(lambda: _ready_count(client, 2), timeout=TIMEOUT)
    await client.patch(REPLICA_SET, "web", {"spec": {"replicas": 2}}, "default")
    await eventually(lambda: count(client, 2), timeout=TIMEOUT)
    assert {p["metadata"]["name"] for p in await pods(client, "app=web")} == ready

    async def deleted_events() -> bool:
        return len([e for e in await events_of(client, "web") if e["reason"] == "SuccessfulDelete"]) == 2

    await eventually(deleted_events, timeout=TIMEOUT)


async def _ready_count(client: InProcessClient, n: int) -> bool:
    return bool((await client.get(REPLICA_SET, "web", "default"))["status"].get("readyReplicas") == n)


async def test_never_overshoots_while_pods_are_deleted_and_recreated(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(replica_set("web", 5, {"app": "web"}))
    await eventually(lambda: count(client, 5), timeout=TIMEOUT)
    for pod in (await pods(client, "app=web"))[:3]:
        await client.delete(POD, pod["metadata"]["name"], "default")
    await eventually(lambda: count(client, 5), timeout=TIMEOUT)
    # exactly 3 replacements: no extra pods created from a cache that lagged the deletes
    await eventually(lambda: _created(client, 8), timeout=TIMEOUT)
    assert len(await pods(client, "app=web")) == 5


async def _created(client: InProcessClient, n: int) -> bool:
    return len(await _reasons(client, "SuccessfulCreate")) == n


async def test_adopts_orphans_and_releases_pods_that_stop_matching(
        client: InProcessClient, controllers: ControllerManager) -> None:
    orphan = await client.create({"apiVersion": "v1", "kind": "Pod",
                                  "metadata": {"name": "orphan", "namespace": "default", "labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "x"}]}})
    rs = await client.create(replica_set("web", 2, {"app": "web"}))

    async def adopted() -> bool:
        got = await client.get(POD, "orphan", "default")
        return [r["uid"] for r in got["metadata"].get("ownerReferences") or ()] == [rs["metadata"]["uid"]]

    await eventually(adopted, timeout=TIMEOUT)
    await eventually(lambda: count(client, 2), timeout=TIMEOUT)
    assert orphan["metadata"]["name"] in {p["metadata"]["name"] for p in await pods(client, "app=web")}
    await client.patch(POD, "orphan", {"metadata": {"labels": {"app": "other"}}}, "default")

    async def released() -> bool:
        got = await client.get(POD, "orphan", "default")
        return not got["metadata"].get("ownerReferences")

    await eventually(released, timeout=TIMEOUT)
    await eventually(lambda: count(client, 2), timeout=TIMEOUT)  # a replacement was made


async def test_a_refused_delete_sets_replica_failure_until_a_sync_succeeds(
        client: InProcessClient, controllers: ControllerManager, refuse: RefuseDeletes) -> None:
    await client.create(replica_set("web", 2, {"app": "web"}))
    await eventually(lambda: count(client, 2), timeout=TIMEOUT)
    refuse.names.update(p["metadata"]["name"] for p in await pods(client, "app=web"))
    await client.patch(REPLICA_SET, "web", {"spec": {"replicas": 1}}, "default")

    async def failure() -> dict[str, object] | None:
        conds = (await client.get(REPLICA_SET, "web", "default"))["status"].get("conditions") or []
        return next((c for c in conds if c["type"] == "ReplicaFailure"), None)

    cond = await eventually(failure, timeout=TIMEOUT)
    assert (cond["status"], cond["reason"]) == ("True", "FailedDelete")
    assert "forbidden" in str(cond["message"])
    evs = await eventually(lambda: _reasons(client, "FailedDelete"), timeout=TIMEOUT)
    assert evs[0]["type"] == "Warning" and evs[0]["message"].startswith("Error deleting: ")
    refuse.names.clear()
    await eventually(lambda: count(client, 1), timeout=TIMEOUT)
    await eventually(lambda: _no(failure), timeout=TIMEOUT)


async def _no(check: Callable[[], Awaitable[object]]) -> bool:
    return not await check()


async def _reasons(client: InProcessClient, reason: str) -> list[Obj]:
    return [e for e in await events_of(client, "web") if e["reason"] == reason]


def test_deletion_order_ranks_as_kube() -> None:
    def pod(name: str, node: str = "", phase: str = "Running", ready: bool = False,
            created: str = "2024-01-01T00:00:00Z") -> dict[str, object]:
        return {"metadata": {"name": name, "uid": name, "creationTimestamp": created},
                "spec": {"nodeName": node} if node else {},
                "status": {"phase": phase, "conditions": [
                    {"type": "Ready", "status": "True" if ready else "False",
                     "lastTransitionTime": "2024-01-01T00:00:00Z"}]}}

    ps = [pod("ready", "n1", ready=True), pod("unscheduled", phase="Pending"), pod("pending", "n1", "Pending"),
          pod("notready", "n1"), pod("ready-new", "n2", ready=True, created="2024-01-02T00:00:00Z")]
    order = [p["metadata"]["name"] for p in deletion_order(ps, ps, now=1.8e9)]  # type: ignore[misc]
    assert order[:3] == ["unscheduled", "pending", "notready"]
    assert order[3] == "ready"  # doubled up on n1 with the others


async def test_available_only_after_min_ready_seconds(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(replica_set("web", 2, {"app": "web"}, minReadySeconds=2))
    await eventually(lambda: count(client, 2), timeout=TIMEOUT)
    for pod in await pods(client, "app=web"):
        await make_ready(client, pod)
    ready_since = max(parse_time(ready_condition(p)["lastTransitionTime"]).timestamp()
                      for p in await pods(client, "app=web"))

    async def counts() -> tuple[int | None, int | None]:
        st = (await client.get(REPLICA_SET, "web", "default"))["status"]
        return st.get("readyReplicas"), st.get("availableReplicas")

    # nothing changes after the pods became ready: the controller looks again by itself, and
    # counts them available only once they have been ready for minReadySeconds
    assert await eventually(lambda: _when(counts, (2, 2)), timeout=TIMEOUT)
    # (conditions' times are whole seconds: a controller that ignored minReadySeconds would count
    # them available within a second of that time, before these two had passed)
    assert time.time() >= ready_since + 2


def sample(metric: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(metric, labels) or 0.0


async def _when(check: Callable[[], Awaitable[object]], want: object) -> bool:
    return await check() == want


async def test_its_own_status_write_does_not_wake_it_but_anyone_elses_does(
        client: InProcessClient, controllers: ControllerManager) -> None:
    # A sync counts every pod of the ReplicaSet: the echo of its own status write, which carries
    # nothing new, must not cost another one; a status written by anyone else is put right.
    await client.create(replica_set("web", 3, {"app": "web"}))
    controller = controllers.manager.controllers["replicaset"]
    request = Request("default", "web")

    async def settled(replicas: int) -> bool:
        server = await client.get(REPLICA_SET, "web", "default")
        cached = controllers.manager.cache.get(REPLICA_SET, "web", "default")
        return (server["status"].get("replicas") == replicas and cached is not None
                and cached["metadata"]["resourceVersion"] == server["metadata"]["resourceVersion"]
                and request not in controller.queue)

    await eventually(lambda: settled(3), timeout=TIMEOUT)
    syncs = sample("controller_runtime_reconcile_total", controller="replicaset", result="success")
    await client.patch(REPLICA_SET, "web", {"status": {"replicas": 7}}, "default", subresource="status")
    await eventually(lambda: settled(3), timeout=TIMEOUT)
    assert sample("controller_runtime_reconcile_total", controller="replicaset", result="success") == syncs + 1


async def test_the_last_pod_it_waits_for_to_become_ready_is_counted_at_once(
        client: InProcessClient, controllers: ControllerManager, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pods' status changes are gathered into one sync per window, but the one that may complete
    # the ReplicaSet is not kept waiting for the window's end (a rollout's last step).
    monkeypatch.setattr(replicaset, "STATUS_SYNC_DELAY", 60.0)
    monkeypatch.setattr(replicaset, "STATUS_SYNC_MAX_DELAY", 60.0)
    await client.create(replica_set("web", 3, {"app": "web"}))
    await eventually(lambda: count(client, 3), timeout=TIMEOUT)

    async def status(ready: int | None) -> bool:
        st = (await client.get(REPLICA_SET, "web", "default"))["status"]
        return st.get("replicas") == 3 and st.get("readyReplicas") == ready

    await eventually(lambda: status(None), timeout=TIMEOUT)
    for pod in await pods(client, "app=web"):
        await make_ready(client, pod)
    await eventually(lambda: status(3), timeout=TIMEOUT)  # not 60 s later
