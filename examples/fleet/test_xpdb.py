"""The cross-cluster disruption budget, tested with three member servers and a host server.

Concurrent drains on the three members never take the healthy total below the budget; checked
over the webhook's decisions and over the pods' deletions watched on every member.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import yaml
from xpdb import POD, XPDB, XPDBWebhook

from setpoint.runtime import Kind, errors
from setpoint.runtime.fleet import Fleet
from setpoint.testing import ApiServer, eventually, start_api_server

LEASE = Kind("coordination.k8s.io/v1", "Lease")


def kubeconfig_secret(name: str, api: ApiServer) -> dict[str, Any]:
    kubeconfig = yaml.safe_dump(api.control_plane.kubeconfig).encode()
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "fleet"},
            "data": {"kubeconfig": base64.b64encode(kubeconfig).decode()}}


@contextlib.asynccontextmanager
async def fleet_of(n: int) -> AsyncIterator[tuple[ApiServer, list[ApiServer], Fleet, XPDBWebhook]]:
    """A host server, ``n`` member servers, a fleet over them and the budget's webhook on each."""
    async with contextlib.AsyncExitStack() as stack:
        host = await stack.enter_async_context(start_api_server())
        members = [await stack.enter_async_context(start_api_server()) for _ in range(n)]
        await host.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fleet"}})
        fleet = Fleet(host.client, namespace="fleet")
        webhook = await XPDBWebhook(fleet).start()
        stack.push_async_callback(webhook.stop)
        fleet.for_members(webhook.install)
        await stack.enter_async_context(fleet.running())
        for i, member in enumerate(members):
            await host.client.create(kubeconfig_secret(f"m{i}", member))
        for i in range(n):
            await fleet.wait_member(f"m{i}")
        yield host, members, fleet, webhook


async def ready_pod(api: ApiServer, name: str, app: str = "web") -> None:
    pod = await api.client.create({"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
                                   "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    await api.client.update(pod, subresource="status")


def budget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": XPDB.api_version, "kind": XPDB.kind, "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}}


async def evict(api: ApiServer, name: str, *, dry_run: bool = False) -> bool:
    """One eviction: True if the pod was evicted, False on kube's 429."""
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}}
    try:
        await api.client.request("POST", f"/api/v1/namespaces/default/pods/{name}/eviction", body=body,
                                 params={"dryRun": "All"} if dry_run else None)
    except errors.TooManyRequests:
        return False
    return True


async def drain(api: ApiServer, names: list[str], *, until: float) -> list[str]:
    """Evict every pod at once, retrying refused ones (as ``kubectl drain`` does) until ``until``."""
    async def one(name: str) -> str | None:
        while time.monotonic() < until:
            if await evict(api, name):
                return name
            await asyncio.sleep(0.05)
        return None

    return [n for n in await asyncio.gather(*(one(n) for n in names)) if n is not None]


async def record_deletions(members: list[ApiServer], log: list[tuple[float, int, str]]) -> list[asyncio.Task[None]]:
    async def watch(i: int, api: ApiServer) -> None:
        listed = await api.client.list(POD, "default")
        stream = await api.client.watch(POD, "default", resource_version=listed["metadata"]["resourceVersion"])
        async for event in stream:
            if event.type == "DELETED":
                log.append((time.monotonic(), i, event.object["metadata"]["name"]))

    return [asyncio.create_task(watch(i, api)) for i, api in enumerate(members)]


async def test_concurrent_drains_on_three_clusters_never_break_the_budget() -> None:
    async with fleet_of(3) as (_host, members, _fleet, webhook):
        for i, api in enumerate(members):
            await api.client.create(budget(minAvailable=5))
            for j in range(3):
                await ready_pod(api, f"web-{i}-{j}")
            await ready_pod(api, f"other-{i}", app="other")  # no budget selects it
        deletions: list[tuple[float, int, str]] = []
        watchers = await record_deletions(members, deletions)
        try:
            until = time.monotonic() + 8.0
            evicted = await asyncio.gather(*(drain(api, [f"web-{i}-{j}" for j in range(3)] + [f"other-{i}"],
                                                   until=until) for i, api in enumerate(members)))
            await eventually(lambda: len(deletions) == sum(len(e) for e in evicted))
        finally:
            for w in watchers:
                w.cancel()
        # every unprotected pod went; of the nine protected ones, exactly four (9 - 5)
        assert all(f"other-{i}" in e for i, e in enumerate(evicted))
        protected = [n for e in evicted for n in e if n.startswith("web-")]
        assert len(protected) == 4, evicted
        remaining = [p for api in members for p in (await api.client.list(POD, "default",
                                                                          label_selector="app=web"))["items"]]
        assert len(remaining) == 5
        # the recorded history: replayed in order, the healthy total never went below 5 ...
        healthy = 9
        for _, _, name in sorted(deletions):
            if name.startswith("web-"):
                healthy -= 1
                assert healthy >= 5
        # ... and the webhook's decisions were taken one at a time, each seeing the one before it
        allowed = [d for d in webhook.history if d.allowed]
        assert [d.healthy for d in allowed] == [9, 8, 7, 6]
        assert all(d.healthy - 1 >= d.minimum == 5 for d in allowed)
        assert all(d.healthy <= 5 for d in webhook.history if not d.allowed)
        # the Leases are free again
        for api in members:
            lease = await api.client.get(LEASE, "xpdb-web", "default")
            assert not lease["spec"].get("holderIdentity")


async def replica_set(api: ApiServer, name: str, replicas: int) -> list[str]:
    """A ReplicaSet (the built-in controller makes its pods, unscheduled); its pods marked Ready."""
    labels = {"app": "web", "rs": name}
    await api.client.create({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                             "metadata": {"name": name, "namespace": "default"},
                             "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                                      "template": {"metadata": {"labels": labels},
                                                   "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    pods = await eventually(lambda: _pods_of(api, name, replicas))
    for pod in pods:
        pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        await api.client.update(pod, subresource="status")
    return [p["metadata"]["name"] for p in pods]


async def _pods_of(api: ApiServer, rs: str, n: int) -> list[dict[str, Any]] | None:
    items = (await api.client.list(POD, "default", label_selector=f"rs={rs}"))["items"]
    return items if len(items) == n else None


async def test_max_unavailable_counts_the_controllers_replicas_and_an_unreachable_member_refuses() -> None:
    async with fleet_of(2) as (_host, members, _fleet, webhook):
        names = []
        for i, api in enumerate(members):
            await api.client.create(budget(maxUnavailable="25%"))  # of 4 pods wanted: 1 may be unavailable
            names.append(await replica_set(api, f"web-{i}", 2))
        # a dry run (kubectl drain --dry-run=server) is answered, and takes no Lease and grants nothing
        assert await evict(members[0], names[0][0], dry_run=True)
        assert webhook.history[-1].allowed and webhook.history[-1].healthy == 4
        assert await members[0].client.get(POD, names[0][0], "default")
        for api in members:
            with contextlib.suppress(errors.NotFound):
                await api.client.get(LEASE, "xpdb-web", "default")
                raise AssertionError("a dry run took a Lease")
        assert await evict(members[0], names[0][0])
        # the ReplicaSet replaces the pod (unready): 3 of 4 healthy, none more may go
        assert not await evict(members[1], names[1][0])
        assert webhook.history[-1].reason.startswith("3 of 4 pods healthy")
        assert not webhook.history[-1].allowed
        # the schema holds a budget to one of the two fields
        try:
            await members[0].client.create({**budget(minAvailable=1, maxUnavailable=1),
                                            "metadata": {"name": "both", "namespace": "default"}})
            raise AssertionError("a budget with both fields was accepted")
        except errors.Invalid as e:
            assert "set exactly one of minAvailable and maxUnavailable" in str(e)
        # a member that stops answering: evictions on the others are refused, not guessed
        await members[1].stop()
        try:
            assert not await evict(members[0], names[0][1])
            assert (await members[0].client.get(POD, names[0][1], "default"))["metadata"]["name"] == names[0][1]
        finally:
            await members[1].start()
