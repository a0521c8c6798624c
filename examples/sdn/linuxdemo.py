"""``python -m examples.sdn linux``: two hosts and three guests in real network namespaces (root only).

Tenants reuse addresses: VNIs 1 and 2 both have a Subnet 10.1.0.0/24. Guests ``a`` (VNI 1, on
node-1), ``b`` (VNI 1, on node-2) and ``c`` (VNI 2, on node-2) get addresses from IPAM, their
namespaces and VXLAN entries from the agents; then ``a`` reaches ``b`` across hosts, and does not
reach ``c``; ``b`` is deleted and ``a`` no longer reaches it. ``--keep`` leaves it running (try
``ip netns exec <guest namespace> ping <address>``) until Ctrl-C; every namespace is removed at
the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
import time
from typing import Any

from setpoint.runtime import Client, Manager

from . import agent, api, ipam, validator
from .linux import LinuxDataPlane, Underlay, netns_usable, reachable


async def _placed(client: Client, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        att = await client.get(api.ATTACHMENT, name, "default")
        st = att.get("status") or {}
        if st.get("ipv4") and st.get("hostIP") and st.get("ifname"):
            return att
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} was not placed in 30 s: {st}")
        await asyncio.sleep(0.1)


async def _reach(ns: str, ip: str) -> bool:
    return await asyncio.to_thread(reachable, ns, ip, python=(sys.executable,))


async def _settle(ns: str, ip: str, want: bool, timeout: float = 20.0) -> bool:
    """Probe until reachability is ``want`` (the agents program the hosts as events arrive) or time runs out."""
    deadline = time.monotonic() + timeout
    reached = await _reach(ns, ip)
    while reached != want and time.monotonic() < deadline:
        await asyncio.sleep(0.2)  # a probe of the kernel's state: there is no event to wait for
        reached = await _reach(ns, ip)
    return reached


async def run(client: Client, *, keep: bool = False) -> None:
    why = netns_usable()
    if why is not None:
        raise SystemExit(f"the Linux data plane needs network namespaces: {why}")
    await api.install(client)
    for vni in (1, 2):
        await client.create(api.subnet(f"net-{vni}", vni, "10.1.0.0/24"))
    tag = secrets.token_hex(2)
    underlay = Underlay(f"sp{tag}-u")
    underlay.create()
    planes: list[LinuxDataPlane] = []
    try:
        for i in (1, 2):
            planes.append(LinuxDataPlane(f"sp{tag}-h{i}", f"10.99.0.{i}", underlay))
        managers = [Manager(client) for _ in range(4)]
        validator.setup(managers[0])
        ipam.setup(managers[1])
        for i, plane in enumerate(planes):
            agent.setup(managers[2 + i], f"node-{i + 1}", plane.host_ip, plane)
        async with contextlib.AsyncExitStack() as stack:
            for m in managers:
                await stack.enter_async_context(m.running())
            for name, vni, node in (("a", 1, "node-1"), ("b", 1, "node-2"), ("c", 2, "node-2")):
                await client.create(api.attachment(name, f"net-{vni}", node))
            a, b, c = [await _placed(client, n) for n in "abc"]
            host = {"node-1": planes[0], "node-2": planes[1]}
            ns = {att["metadata"]["name"]: host[att["spec"]["node"]].guest_namespace(att["status"]["ifname"])
                  for att in (a, b, c)}
            for att in (a, b, c):
                st = att["status"]
                print(f"guest {att['metadata']['name']}: VNI {api.vni_of(att)}, {st['ipv4']} on "
                      f"{att['spec']['node']} (host {st['hostIP']}), namespace {ns[att['metadata']['name']]}")
            ip_b, ip_c = b["status"]["ipv4"], c["status"]["ipv4"]
            reached = await _settle(ns["a"], ip_b, True)
            print(f"a -> b ({ip_b}, same VNI, other host): {'reached' if reached else 'NOT reached'}")
            if ip_c == ip_b:
                print(f"c has b's address ({ip_c}) in its own VNI: a reaches b there, never c")
            else:
                print(f"a -> c ({ip_c}, VNI 2): {'reached' if await _reach(ns['a'], ip_c) else 'not reached'}")
            if keep:
                print(f"try: ip netns exec {ns['a']} python3 -c \"import socket; "
                      f"socket.create_connection(('{ip_b}', 22), 1)\"   (refused = reached); Ctrl-C to end")
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.Event().wait()
            await client.delete(api.ATTACHMENT, "b", "default")
            reached = await _settle(ns["a"], ip_b, False)
            print(f"b deleted; a -> {ip_b}: {'reached' if reached else 'not reached'}")
    finally:
        for plane in planes:
            plane.delete()
        underlay.delete()
