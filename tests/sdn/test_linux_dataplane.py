"""The Linux data plane: guests in network namespaces reach each other across hosts within a VNI only.

Skipped, with the reason, where network namespaces, veths, bridges or VXLAN devices cannot be made
(not root, or a kernel or container without them). Every namespace a test makes it removes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
from examples.sdn import agent, api
from examples.sdn.linux import LinuxDataPlane, Underlay, netns_usable, reachable
from sdn_helpers import control_plane

from setpoint.runtime import Client, Manager
from setpoint.testing import ApiServer, eventually

REASON = "network namespaces need root" if os.geteuid() != 0 else netns_usable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))
PYTHON = (sys.executable,)


@contextlib.contextmanager
def hosts(n: int) -> Iterator[list[LinuxDataPlane]]:
    """``n`` hosts on one underlay (10.99.0.1...), removed afterwards."""
    tag = secrets.token_hex(2)
    underlay = Underlay(f"sp{tag}-u")
    underlay.create()
    made: list[LinuxDataPlane] = []
    try:
        for i in range(n):
            made.append(LinuxDataPlane(f"sp{tag}-h{i + 1}", f"10.99.0.{i + 1}", underlay, prefix_of=lambda vni: 8))
        yield made
    finally:
        for host in made:
            host.delete()
        underlay.delete()


async def can_reach(guest_ns: str, ip: str) -> bool:
    return await asyncio.to_thread(reachable, guest_ns, ip, python=PYTHON)


async def test_guests_reach_each_other_within_a_vni_only() -> None:
    with hosts(2) as (one, two):
        one.add_local(1, "10.1.0.2", "02:01:0a:01:00:02", "spa")
        two.add_local(1, "10.1.0.3", "02:01:0a:01:00:03", "spb")
        two.add_local(2, "10.2.0.4", "02:02:0a:02:00:04", "spc")
        a = one.guest_namespace("spa")
        assert not await can_reach(a, "10.1.0.3")  # nobody told host one where b lives yet
        one.add_remote(1, "10.1.0.3", "02:01:0a:01:00:03", "10.99.0.2")
        two.add_remote(1, "10.1.0.2", "02:01:0a:01:00:02", "10.99.0.1")
        assert await can_reach(a, "10.1.0.3")
        assert not await can_reach(a, "10.2.0.4")  # on the same /8, in another VNI
        two.remove_local(1, "10.1.0.3")
        one.remove_remote(1, "10.1.0.3")
        assert not await can_reach(a, "10.1.0.3")


@contextlib.asynccontextmanager
async def linux_agents(client: Client, planes: list[LinuxDataPlane]) -> AsyncIterator[list[agent.NodeAgent]]:
    running: list[agent.NodeAgent] = []
    async with contextlib.AsyncExitStack() as stack:
        for i, plane in enumerate(planes):
            mgr = Manager(client)
            running.append(agent.setup(mgr, f"node-{i + 1}", plane.host_ip, plane))
            await stack.enter_async_context(mgr.running())
        yield running


async def test_agents_program_the_linux_data_plane(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await api.install(client)
    await client.create(api.subnet("net-1", 1, "10.1.0.0/24"))
    await client.create(api.subnet("net-2", 2, "10.2.0.0/24"))
    with hosts(2) as planes:
        async with control_plane(client), linux_agents(client, planes):
            for name, subnet, node in (("x", "net-1", "node-1"), ("y", "net-1", "node-2"), ("z", "net-2", "node-2")):
                await client.create(api.attachment(name, subnet, node))
            x, y, z = [await eventually(lambda n=n: _placed(client, n)) for n in ("x", "y", "z")]
            from_x = planes[0].guest_namespace(x["status"]["ifname"])
            await eventually(lambda: can_reach(from_x, y["status"]["ipv4"]), timeout=20, interval=0.2)
            assert not await can_reach(from_x, z["status"]["ipv4"])
            from_y = planes[1].guest_namespace(y["status"]["ifname"])
            assert await can_reach(from_y, x["status"]["ipv4"])
            await client.delete(api.ATTACHMENT, "y", "default")

            async def gone() -> bool:
                return not await can_reach(from_x, y["status"]["ipv4"])

            await eventually(gone, timeout=20, interval=0.2)
            assert (1, y["status"]["ipv4"]) not in planes[0].remote


async def _placed(client: Client, name: str) -> dict[str, object] | None:
    att = await client.get(api.ATTACHMENT, name, "default")
    st = att.get("status") or {}
    return att if st.get("ipv4") and st.get("hostIP") and st.get("ifname") else None
