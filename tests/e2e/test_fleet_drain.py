"""``kubectl drain`` on three clusters at once never breaks a disruption budget held across them.

Three ``setpoint up --nodes 1`` are the members, each running a Deployment of 3 (9 healthy pods in
all) and the example's ``XPodDisruptionBudget`` (``minAvailable: 5``); the fleet and the budget's
eviction webhook (``examples/fleet``) run in this process, over kubeconfig Secrets on an embedded
host server. The real kubectl drains each member's only node at the same time: the webhook lets 4
evictions through and answers the others with 429, which kubectl retries until its timeout; the
pods watched on the three servers show the healthy total going from 9 to 5 and never below.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import Kubectl, Server, stop_server, up

from setpoint.runtime import Kind
from setpoint.runtime.fleet import Fleet
from setpoint.testing import eventually, start_api_server

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fleet"
sys.path.insert(0, str(EXAMPLE))

from xpdb import XPDB, XPDBWebhook  # type: ignore[import-not-found]  # noqa: E402

POD = Kind("v1", "Pod")
MEMBERS = 3
REPLICAS = 3
MIN_AVAILABLE = 5


def _deployment() -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"terminationGracePeriodSeconds": 1,
                                           "containers": [{"name": "app", "image": "nginx"}]}}}}


def _healthy(pod: dict[str, Any]) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in (pod.get("status") or {}).get("conditions") or ())


@pytest.fixture
def members(tmp_path: Path) -> Any:
    servers: list[Server] = []
    try:
        for i in range(MEMBERS):
            (tmp_path / f"m{i}").mkdir()
            servers.append(up(tmp_path / f"m{i}", "--nodes", "1", timeout=60))
        yield servers
    finally:
        for srv in servers:
            stop_server(srv.proc)


def test_concurrent_kubectl_drains_on_three_clusters_keep_the_budget(members: list[Server]) -> None:
    asyncio.run(_scenario(members))


async def _scenario(members: list[Server]) -> None:
    names = [f"m{i}" for i in range(MEMBERS)]
    async with start_api_server() as host:
        await host.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fleet"}})
        fleet = Fleet(host.client, namespace="fleet")
        webhook = await XPDBWebhook(fleet).start()
        try:
            fleet.for_members(webhook.install)
            async with fleet.running():
                for name, srv in zip(names, members, strict=True):
                    await host.client.create({
                        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "fleet"},
                        "data": {"kubeconfig": base64.b64encode(srv.kubeconfig.read_bytes()).decode()}})
                clients = [(await fleet.wait_member(name, timeout=60)).client for name in names]
                for client in clients:
                    await client.create(_deployment())
                    await client.create({"apiVersion": XPDB.api_version, "kind": XPDB.kind,
                                         "metadata": {"name": "web", "namespace": "default"},
                                         "spec": {"selector": {"matchLabels": {"app": "web"}},
                                                  "minAvailable": MIN_AVAILABLE}})

                async def all_healthy() -> bool:
                    counts = [sum(map(_healthy, (await c.list(POD, "default", label_selector="app=web"))["items"]))
                              for c in clients]
                    return counts == [REPLICAS] * MEMBERS

                await eventually(all_healthy, timeout=60)
                await _drain_and_check(members, clients)
        finally:
            await webhook.stop()


async def _drain_and_check(members: list[Server], clients: list[Any]) -> None:
    # The pods of every member, as their watches report them, and the healthy total after each event.
    state: list[dict[str, bool]] = [{} for _ in members]
    totals: list[int] = []
    started = asyncio.Event()
    opened = [0]

    async def follow(i: int) -> None:
        listing = await clients[i].list(POD, "default", label_selector="app=web")
        for pod in listing["items"]:
            state[i][pod["metadata"]["name"]] = _healthy(pod)
        stream = await clients[i].watch(POD, "default", label_selector="app=web",
                                        resource_version=listing["metadata"]["resourceVersion"])
        opened[0] += 1
        if opened[0] == len(members):
            started.set()
        async for event in stream:
            if event.type == "BOOKMARK":
                continue
            name = event.object["metadata"]["name"]
            if event.type == "DELETED":
                state[i].pop(name, None)
            else:
                state[i][name] = _healthy(event.object)
            totals.append(sum(sum(s.values()) for s in state))

    followers = [asyncio.create_task(follow(i)) for i in range(len(members))]
    nodes = [_node(srv) for srv in members]
    try:
        await asyncio.wait_for(started.wait(), 30)
        assert sum(sum(s.values()) for s in state) == REPLICAS * len(members)
        drains = [await asyncio.create_subprocess_exec(
            Kubectl(srv).exe, "drain", node, "--ignore-daemonsets", "--timeout=20s",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=srv.env) for srv, node in zip(members, nodes, strict=True)]
        outputs = await asyncio.wait_for(asyncio.gather(*(d.communicate() for d in drains)), 120)
        evicted = sum(out.decode().count(" evicted") for out, _ in outputs)
        stderr = "".join(err.decode() for _, err in outputs)
        # 9 healthy, at least 5 kept: 4 evictions in all, the rest refused (kube's 429, retried by kubectl)
        assert evicted == REPLICAS * len(members) - MIN_AVAILABLE, (outputs, totals)
        assert "(will retry after 5s)" in stderr and 'admission webhook "xpdb.fleet.setpoint.dev" denied' in stderr
        assert any(d.returncode != 0 for d in drains)  # gave up at its timeout, the budget intact

        async def settled() -> bool:
            return sum(sum(s.values()) for s in state) == MIN_AVAILABLE

        await eventually(settled, timeout=30)
        assert min(totals) == MIN_AVAILABLE, totals
    finally:
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)


def _node(srv: Server) -> str:
    nodes = json.loads(Kubectl(srv).out("get", "nodes", "-o", "json"))["items"]
    assert len(nodes) == 1
    return str(nodes[0]["metadata"]["name"])
