"""The Deployment controller (with the ReplicaSet controller) in-process: rolling updates within
maxSurge/maxUnavailable, Recreate, revisions and history, pause and resume, the progress
deadline, proportional scaling and the Events. A "kubelet" task here makes pods ready."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from workload_helpers import DEPLOYMENT, POD, REPLICA_SET, deployment, events_of, make_ready, pods

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.deployutil import compute_hash
from setpoint.controllers.history import safe_encode
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.manager import ControllerManager
from setpoint.controllers.pods import is_ready
from setpoint.runtime.client import PatchType, items
from setpoint.testing import eventually

TIMEOUT = 20.0


@pytest.fixture
async def controllers(api: APIServer) -> AsyncIterator[ControllerManager]:
    cm = ControllerManager(api.registry, api.objects, controllers=["replicaset-controller", "deployment-controller"])
    await cm.start()
    try:
        yield cm
    finally:
        await cm.stop()


class Kubelet:
    """Makes every new pod whose image ``ready(image)`` allows Ready, after ``delay`` seconds."""

    def __init__(self, client: InProcessClient, delay: float = 0.01) -> None:
        self.client = client
        self.delay = delay
        self.ready: Callable[[str], bool] = lambda _image: True
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Kubelet:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    async def _run(self) -> None:
        watch = await self.client.watch(POD, "default")
        async for ev in watch:
            if ev.type != "ADDED":
                continue
            pod = ev.object
            if self.ready(pod["spec"]["containers"][0]["image"]):
                asyncio.get_running_loop().call_later(
                    self.delay, lambda p=pod: asyncio.ensure_future(make_ready(self.client, p)))


async def get_d(client: InProcessClient, name: str = "web") -> Obj:
    return await client.get(DEPLOYMENT, name, "default")


def condition(d: Obj, type_: str) -> dict[str, Any]:
    return next((c for c in d["status"].get("conditions") or () if c["type"] == type_), {})


async def rolled_out(client: InProcessClient, name: str = "web") -> bool:
    d = await get_d(client, name)
    st, n = d["status"], d["spec"]["replicas"]
    return (st.get("observedGeneration") == d["metadata"]["generation"] and st.get("updatedReplicas") == n
            and st.get("replicas") == n and st.get("availableReplicas") == n
            and condition(d, "Progressing").get("reason") == "NewReplicaSetAvailable")


async def replica_sets(client: InProcessClient) -> list[Obj]:
    return list(items(await client.list(REPLICA_SET, "default")))


def test_safe_encode_and_hash_shape() -> None:
    assert safe_encode("0123456789") == "456789bcdf"  # kube's SafeEncodeString of the ASCII digits
    h = compute_hash({"spec": {}}, None)
    assert h == compute_hash({"spec": {}}, None) != compute_hash({"spec": {}}, 1)
    assert all(c in "bcdfghjklmnpqrstvwxz2456789" for c in h)


async def test_rolling_update_stays_within_surge_and_unavailability(
        client: InProcessClient, controllers: ControllerManager) -> None:
    async with Kubelet(client):
        await client.create(deployment("web", 10, {"app": "web"}, strategy={
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}))
        await eventually(lambda: rolled_out(client), timeout=TIMEOUT)
        d = await get_d(client)
        assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
        (rs1,) = await replica_sets(client)
        h = rs1["metadata"]["labels"]["pod-template-hash"]
        assert rs1["metadata"]["name"] == f"web-{h}"
        assert rs1["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": h}
        assert rs1["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1",
                                                  "deployment.kubernetes.io/desired-replicas": "10",
                                                  "deployment.kubernetes.io/max-replicas": "13"}

        seen: list[tuple[int, int]] = []
        watching = [asyncio.Event(), asyncio.Event()]
        spec_sums: list[int] = []
        stop = asyncio.Event()

        async def record_pods() -> None:
            listing = await client.list(POD, "default")
            state: dict[str, Obj] = {o["metadata"]["name"]: o for o in items(listing)}
            watch = await client.watch(POD, "default", resource_version=listing["metadata"]["resourceVersion"])
            watching[0].set()
            async for ev in watch:
                if ev.type == "DELETED":
                    state.pop(ev.object["metadata"]["name"], None)
                elif ev.type in ("ADDED", "MODIFIED"):
                    state[ev.object["metadata"]["name"]] = ev.object
                seen.append((len(state), sum(1 for p in state.values() if is_ready(p))))
                if stop.is_set():
                    return

        async def record_replica_sets() -> None:
            listing = await client.list(REPLICA_SET, "default")
            state: dict[str, Obj] = {o["metadata"]["name"]: o for o in items(listing)}
            watch = await client.watch(REPLICA_SET, "default", resource_version=listing["metadata"]["resourceVersion"])
            watching[1].set()
            async for ev in watch:
                if ev.type == "DELETED":
                    state.pop(ev.object["metadata"]["name"], None)
                elif ev.type in ("ADDED", "MODIFIED"):
                    state[ev.object["metadata"]["name"]] = ev.object
                spec_sums.append(sum(r["spec"]["replicas"] for r in state.values()))
                if stop.is_set():
                    return

        recorders = [asyncio.create_task(record_pods()), asyncio.create_task(record_replica_sets())]
        await asyncio.wait_for(asyncio.gather(*(w.wait() for w in watching)), TIMEOUT)
        await client.patch(DEPLOYMENT, "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:2"}]}}}}, "default", type=PatchType.STRATEGIC)
        await eventually(lambda: rolled_out(client), timeout=TIMEOUT)
        stop.set()
        await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}})
        for t in recorders:
            t.cancel()
    assert max(spec_sums) == 13, spec_sums  # the surge was used, never exceeded
    assert max(total for total, _ in seen) <= 13, seen
    assert min(ready for _, ready in seen) >= 8, seen
    final = await pods(client, "app=web")
    assert len(final) == 10 and {p["spec"]["containers"][0]["image"] for p in final} == {"nginx:2"}
    d = await get_d(client)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert d["status"]["updatedReplicas"] == 10 and d["status"].get("unavailableReplicas") is None
    assert condition(d, "Available")["reason"] == "MinimumReplicasAvailable"
    old = next(r for r in await replica_sets(client) if r["metadata"]["name"] == rs1["metadata"]["name"])
    assert old["spec"]["replicas"] == 0
    messages = [e["message"] for e in await events_of(client, "web") if e["reason"] == "ScalingReplicaSet"]
    assert f"Scaled up replica set {rs1['metadata']['name']} from 0 to 10" in messages
    assert any(m.startswith(f"Scaled down replica set {rs1['metadata']['name']} from 10 to ") for m in messages)


async def test_recreate_removes_old_pods_before_creating_new_ones(
        client: InProcessClient, controllers: ControllerManager) -> None:
    async with Kubelet(client):
        await client.create(deployment("web", 3, {"app": "web"}, strategy={"type": "Recreate"}))
        await eventually(lambda: rolled_out(client), timeout=TIMEOUT)
        images: list[set[str]] = []
        stop = asyncio.Event()

        async def record() -> None:
            state: dict[str, str] = {}
            watch = await client.watch(POD, "default")
            async for ev in watch:
                name = ev.object["metadata"]["name"]
                if ev.type == "DELETED":
                    state.pop(name, None)
                elif ev.type in ("ADDED", "MODIFIED"):
                    state[name] = ev.object["spec"]["containers"][0]["image"]
                images.append(set(state.values()))
                if stop.is_set():
                    return

        task = asyncio.create_task(record())
        await eventually(lambda: len(images) >= 3)
        await client.patch(DEPLOYMENT, "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:2"}]}}}}, "default", type=PatchType.STRATEGIC)
        await eventually(lambda: rolled_out(client), timeout=TIMEOUT)
        stop.set()
        task.cancel()
    assert all(len(s) <= 1 for s in images), images
    assert {"nginx:2"} in images


async def test_progress_deadline_exceeded(client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(deployment("web", 2, {"app": "web"}, progressDeadlineSeconds=1))

    async def timed_out() -> bool:
        c = condition(await get_d(client), "Progressing")
        return c.get("status") == "False" and c.get("reason") == "ProgressDeadlineExceeded"

    await eventually(timed_out, timeout=TIMEOUT)
    d = await get_d(client)
    (rs,) = await replica_sets(client)
    assert condition(d, "Progressing")["message"] == f'ReplicaSet "{rs["metadata"]["name"]}" has timed out progressing.'
    assert condition(d, "Available") == {**condition(d, "Available"), "status": "False",
                                         "reason": "MinimumReplicasUnavailable",
                                         "message": "Deployment does not have minimum availability."}
    assert d["status"]["unavailableReplicas"] == 2


async def test_paused_deployment_does_not_roll_and_resumes(
        client: InProcessClient, controllers: ControllerManager) -> None:
    async with Kubelet(client):
        await client.create(deployment("web", 2, {"app": "web"}))
        await eventually(lambda: rolled_out(client), timeout=TIMEOUT)
        await client.patch(DEPLOYMENT, "web", {"spec": {"paused": True}}, "default")

        async def paused() -> bool:
            return condition(await get_d(client), "Progressing").get("reason") == "DeploymentPaused"

        await eventually(paused, timeout=TIMEOUT)
        await client.patch(DEPLOYMENT, "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:2"}]}}}}, "default", type=PatchType.STRATEGIC)

        async def observed() -> bool:
            d = await get_d(client)
            return bool(d["status"].get("observedGeneration") == d["metadata"]["generation"])

        await eventually(observed, timeout=TIMEOUT)
        assert len(await replica_sets(client)) == 1
        assert condition(await get_d(client), "Progressing")["status"] == "Unknown"
        await client.patch(DEPLOYMENT, "web", {"spec": {"paused": False}}, "default")
        await eventually(lambda: rolled_out(client), timeout=TIMEOUT)
    assert len(await replica_sets(client)) == 2
    assert {p["spec"]["containers"][0]["image"] for p in await pods(client, "app=web")} == {"nginx:2"}


async def test_revision_history_limit_and_rollback_to_an_old_template(
        client: InProcessClient, controllers: ControllerManager) -> None:
    async with Kubelet(client):
        await client.create(deployment("web", 1, {"app": "web"}, revisionHistoryLimit=2))
        await eventually(lambda: rolled_out(client), timeout=TIMEOUT)
        for image in ("nginx:2", "nginx:3", "nginx:1", "nginx:4"):
            await client.patch(DEPLOYMENT, "web", {"spec": {"template": {"spec": {"containers": [
                {"name": "app", "image": image}]}}}}, "default", type=PatchType.STRATEGIC)
            await eventually(lambda: rolled_out(client), timeout=TIMEOUT)

        async def history() -> dict[str, Any]:
            rss = await replica_sets(client)
            if len(rss) != 3:
                return {}
            return {r["spec"]["template"]["spec"]["containers"][0]["image"]:
                    r["metadata"]["annotations"] for r in rss}

        got = await eventually(history, timeout=TIMEOUT)
    # nginx:1 was revision 1 and became 4 when rolled back to; nginx:2 (revision 2) was the oldest
    # of three old ones, beyond the limit of 2
    assert set(got) == {"nginx:1", "nginx:3", "nginx:4"}
    assert got["nginx:1"]["deployment.kubernetes.io/revision"] == "4"
    assert got["nginx:1"]["deployment.kubernetes.io/revision-history"] == "1"
    assert got["nginx:3"]["deployment.kubernetes.io/revision"] == "3"
    assert got["nginx:4"]["deployment.kubernetes.io/revision"] == "5"
    assert (await get_d(client))["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "5"


async def test_scaling_is_proportional_during_a_rollout(
        client: InProcessClient, controllers: ControllerManager) -> None:
    kubelet = Kubelet(client)
    async with kubelet:
        await client.create(deployment("web", 10, {"app": "web"}, strategy={
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}))
        await eventually(lambda: rolled_out(client), timeout=TIMEOUT)
        kubelet.ready = lambda image: image != "nginx:2"  # the new version never becomes ready
        await client.patch(DEPLOYMENT, "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:2"}]}}}}, "default", type=PatchType.STRATEGIC)

        async def stuck() -> dict[str, int]:
            sizes = {r["spec"]["template"]["spec"]["containers"][0]["image"]: r["spec"]["replicas"]
                     for r in await replica_sets(client)}
            return sizes if sizes == {"nginx:1": 8, "nginx:2": 5} else {}

        await eventually(stuck, timeout=TIMEOUT)
        await client.patch(DEPLOYMENT, "web", {"spec": {"replicas": 20}}, "default")

        async def scaled() -> dict[str, int]:
            sizes = {r["spec"]["template"]["spec"]["containers"][0]["image"]: r["spec"]["replicas"]
                     for r in await replica_sets(client)}
            return sizes if sum(sizes.values()) == 23 else {}

        sizes = await eventually(scaled, timeout=TIMEOUT)
    # 20 + maxSurge 3 in kube's proportions: 8 * 23/13 = 14.2 -> 14, 5 * 23/13 = 8.8 -> 9
    assert sizes == {"nginx:1": 14, "nginx:2": 9}


async def test_a_hash_collision_bumps_collision_count(
        client: InProcessClient, controllers: ControllerManager) -> None:
    await client.create(deployment("web", 1, {"app": "web"}, paused=True))
    d = await get_d(client)
    taken = f"web-{compute_hash(d['spec']['template'], None)}"
    squatter = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": taken, "namespace": "default", "ownerReferences": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "controller": True,
                     "uid": "00000000-0000-0000-0000-00000000000a"}]},
                "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web", "x": "y"}},
                         "template": {"metadata": {"labels": {"app": "web", "x": "y"}},
                                      "spec": {"containers": [{"name": "app", "image": "other"}]}}}}
    await client.create(squatter)
    await client.patch(DEPLOYMENT, "web", {"spec": {"paused": False}}, "default")

    async def rolled_to_another_name() -> list[str]:
        mine = [r["metadata"]["name"] for r in await replica_sets(client)
                if (r["metadata"].get("ownerReferences") or [{}])[0].get("uid") == d["metadata"]["uid"]]
        return mine

    (name,) = await eventually(rolled_to_another_name, timeout=TIMEOUT)
    assert name == f"web-{compute_hash(d['spec']['template'], 1)}" != taken
    assert (await get_d(client))["status"]["collisionCount"] == 1
