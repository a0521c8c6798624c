"""The node agent: one informer per VNI with a local attachment, and the guest -> host tables they feed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from examples.sdn import agent, api
from examples.sdn.dataplane import MemoryDataPlane
from sdn_helpers import control_plane

from setpoint.runtime import Client, Manager
from setpoint.testing import ApiServer, eventually

HOSTS = {"node-1": "192.168.0.1", "node-2": "192.168.0.2"}


@contextlib.asynccontextmanager
async def agents(client: Client) -> AsyncIterator[dict[str, tuple[agent.NodeAgent, Manager]]]:
    """An agent for each node of :data:`HOSTS`, each in a manager of its own (as on its own host)."""
    running: dict[str, tuple[agent.NodeAgent, Manager]] = {}
    async with contextlib.AsyncExitStack() as stack:
        for node, host in HOSTS.items():
            mgr = Manager(client)
            running[node] = (agent.setup(mgr, node, host), mgr)
            await stack.enter_async_context(mgr.running())
        yield running


def vni_informers(mgr: Manager) -> list[int]:
    """The VNIs of the label-selected attachment informers in the manager's cache, one entry per informer."""
    return sorted(int(inf.label_selector.rsplit("=", 1)[1]) for inf in mgr.cache.informers
                  if inf.label_selector and inf.label_selector.startswith(api.VNI_LABEL + "="))


def exactly(node_agent: agent.NodeAgent, mgr: Manager, expected: set[int]) -> bool:
    """One running informer per expected VNI, and nothing else besides the local one."""
    return (vni_informers(mgr) == sorted(expected) and set(node_agent.running_vni_informers) == expected
            and len(mgr.cache.informers) == 1 + len(expected))


async def install(client: Client) -> None:
    await api.install(client)
    for vni in (1, 2, 3):
        await client.create(api.subnet(f"net-{vni}", vni, f"10.{vni}.0.0/24"))


async def test_one_informer_per_vni_with_a_local_attachment_at_every_step(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await install(client)
    async with control_plane(client), agents(client) as running:
        one, mgr_one = running["node-1"]
        two, mgr_two = running["node-2"]
        # (action, attachment, subnet, node) -> the VNIs each agent then watches
        script: list[tuple[str, str, str, str, set[int], set[int]]] = [
            ("add", "a1", "net-1", "node-1", {1}, set()),
            ("add", "a2", "net-1", "node-1", {1}, set()),         # a second guest of VNI 1: no second informer
            ("add", "b1", "net-2", "node-1", {1, 2}, set()),
            ("add", "c1", "net-3", "node-2", {1, 2}, {3}),        # a VNI elsewhere: not node-1's business
            ("add", "a3", "net-1", "node-2", {1, 2}, {1, 3}),
            ("delete", "a1", "", "", {1, 2}, {1, 3}),             # a2 still holds VNI 1 on node-1
            ("delete", "a2", "", "", {2}, {1, 3}),                # the last: VNI 1's informer stops
            ("delete", "b1", "", "", set(), {1, 3}),
            ("add", "a4", "net-1", "node-1", {1}, {1, 3}),        # and starts again
            ("delete", "c1", "", "", {1}, {1}),
            ("delete", "a3", "", "", {1}, set()),
        ]
        for action, name, subnet, node, on_one, on_two in script:
            if action == "add":
                await client.create(api.attachment(name, subnet, node))
            else:
                await client.delete(api.ATTACHMENT, name, "default")
            step = f"after {action} {name}"
            await eventually(lambda e=on_one: exactly(one, mgr_one, e), timeout=10)
            await eventually(lambda e=on_two: exactly(two, mgr_two, e), timeout=10)
            assert one.informers_started - one.informers_stopped == len(on_one), step
        assert one.informers_started == 3 and one.informers_stopped == 2  # VNI 1 twice, VNI 2 once


async def test_agents_spread_where_guests_live_within_a_vni_only(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await install(client)
    async with control_plane(client), agents(client) as running:
        one, two = running["node-1"][0], running["node-2"][0]
        assert isinstance(one.dataplane, MemoryDataPlane) and isinstance(two.dataplane, MemoryDataPlane)
        for name, subnet, node in (("x", "net-1", "node-1"), ("y", "net-1", "node-2"), ("z", "net-2", "node-2")):
            await client.create(api.attachment(name, subnet, node))
        x, y, z = [await eventually(lambda n=n: _placed(client, n)) for n in ("x", "y", "z")]
        assert (x["status"]["hostIP"], y["status"]["hostIP"]) == (HOSTS["node-1"], HOSTS["node-2"])
        assert x["status"]["ifname"] == agent.ifname_for(x["metadata"]["uid"]) and len(x["status"]["ifname"]) <= 15
        # within VNI 1 each host knows where the other's guest lives
        await eventually(lambda: one.dataplane.route(1, y["status"]["ipv4"]) == HOSTS["node-2"])
        await eventually(lambda: two.dataplane.route(1, x["status"]["ipv4"]) == HOSTS["node-1"])
        assert one.dataplane.route(1, x["status"]["ipv4"]) == f"local:{x['status']['ifname']}"
        assert two.dataplane.route(2, z["status"]["ipv4"]) == f"local:{z['status']['ifname']}"
        # node-1 has no guest in VNI 2: it neither watches nor knows it
        assert one.dataplane.route(2, z["status"]["ipv4"]) is None and 2 not in one.vnis
        assert one.dataplane.remote == {1: {y["status"]["ipv4"]: (y["status"]["mac"], HOSTS["node-2"])}}
        # a guest that goes is forgotten everywhere
        await client.delete(api.ATTACHMENT, "y", "default")
        await eventually(lambda: one.dataplane.route(1, y["status"]["ipv4"]) is None)
        await eventually(lambda: two.dataplane.route(1, y["status"]["ipv4"]) is None)
        assert two.dataplane.route(1, x["status"]["ipv4"]) is None and 1 not in two.vnis


async def _placed(client: Client, name: str) -> dict[str, Any] | None:
    att = await client.get(api.ATTACHMENT, name, "default")
    st = att.get("status") or {}
    return att if st.get("ipv4") and st.get("hostIP") and st.get("ifname") else None
