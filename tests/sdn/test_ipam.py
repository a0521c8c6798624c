"""IP allocation without transactions: IPLocks created, never two attachments on one address.

The big test runs three IPAM replicas (three Managers in this process) on 2,000 attachments
created at once in a /21, crashes one replica half-way, then deletes half the attachments and
watches the garbage collector free their locks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from typing import Any

import pytest
from examples.sdn import api, ipam
from sdn_helpers import control_plane, create_all, delete_all, items, kill

from setpoint.runtime import Client, Manager, Request, errors
from setpoint.runtime.informer import FuncHandler, Informer
from setpoint.runtime.objects import owner_reference
from setpoint.testing import ApiServer, eventually

CIDR = "10.8.0.0/21"  # 2,046 usable addresses


def check_allocation(attachments: list[dict[str, Any]], locks: list[dict[str, Any]], cidr: str, vni: int) -> None:
    """Every attachment addressed, inside ``cidr``, no address twice, one lock per attachment on its address."""
    net = ipaddress.IPv4Network(cidr)
    addresses = [a["status"]["ipv4"] for a in attachments]
    assert len(set(addresses)) == len(addresses), "an address was given twice"
    assert all(ipaddress.IPv4Address(ip) in net and ip not in (str(net.network_address), str(net.broadcast_address))
               for ip in addresses)
    assert len(locks) == len(attachments)
    holder = {(lk["metadata"]["ownerReferences"][0]["uid"]): lk for lk in locks}
    for a in attachments:
        lock = holder[a["metadata"]["uid"]]
        assert lock["spec"]["ipv4"] == a["status"]["ipv4"]
        assert lock["metadata"]["name"] == api.lock_name(vni, a["status"]["ipv4"])
        assert a["metadata"]["labels"][api.VNI_LABEL] == str(vni)
        assert a["status"]["mac"] == api.mac_for(vni, a["status"]["ipv4"])


async def addressed(client: Client) -> int:
    return sum(1 for a in await items(client, api.ATTACHMENT) if (a.get("status") or {}).get("ipv4"))


class Watching:
    """What the test sees, from informers of its own (cheap to ask again and again, unlike a list)."""

    def __init__(self, client: Client) -> None:
        self.attachments = Informer(client, api.ATTACHMENT, namespace="default")
        self.locks = Informer(client, api.IPLOCK, namespace="default")
        self.first_address: dict[str, str] = {}
        self.moved: list[str] = []  # attachments whose published address changed: must stay empty
        self.attachments.add_handler(FuncHandler(on_add=self._address, on_update=lambda _, new: self._address(new)))

    def _address(self, att: dict[str, Any]) -> None:
        ip = (att.get("status") or {}).get("ipv4")
        if ip:
            first = self.first_address.setdefault(att["metadata"]["uid"], ip)
            if first != ip:
                self.moved.append(f"{att['metadata']['name']}: {first} -> {ip}")

    async def __aenter__(self) -> Watching:
        self.attachments.start()
        self.locks.start()
        await self.attachments.wait_synced()
        await self.locks.wait_synced()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.attachments.stop()
        await self.locks.stop()

    def addressed(self) -> int:
        return sum(1 for a in self.attachments.store if (a.get("status") or {}).get("ipv4"))

    def settled(self, n: int) -> bool:
        """``n`` attachments, all addressed, and ``n`` locks."""
        return len(self.attachments.store) == n and self.addressed() == n and len(self.locks.store) == n


@pytest.mark.slow
@pytest.mark.parametrize("count", [2000])
async def test_three_replicas_address_every_attachment_once(setpoint_api: ApiServer, count: int) -> None:
    client = setpoint_api.client
    await api.install(client)
    await client.create(api.subnet("big", 21, CIDR))
    started = time.monotonic()
    phases: list[str] = []

    def phase(what: str) -> None:
        phases.append(f"{what} {time.monotonic() - started:.1f} s")

    async with (control_plane(client, ipam_replicas=3) as (_, managers, replicas),
                Watching(client) as seen):
        await eventually(lambda: _validated(client, "big"))
        creating = asyncio.create_task(create_all(client, (api.attachment(f"guest-{i}", "big", f"node-{i % 50}")
                                                           for i in range(count))))
        # a replica dies a third of the way: its share is taken over, nothing is lost or doubled
        await eventually(lambda: seen.addressed() >= count // 3, timeout=60, interval=0.05)
        await kill(managers[2])
        phase("killed one")
        await creating
        phase("created")
        await eventually(lambda: seen.settled(count), timeout=60, interval=0.1)
        phase("addressed")
        check_allocation(await items(client, api.ATTACHMENT), await items(client, api.IPLOCK), CIDR, 21)
        assert all(r.locks_created > 0 for r in replicas)

        # delete half: the garbage collector frees their locks, the rest stay as they are
        gone = [f"guest-{i}" for i in range(0, count, 2)]
        await delete_all(client, api.ATTACHMENT, gone)
        phase("deleted half")
        await eventually(lambda: seen.settled(count - len(gone)), timeout=60, interval=0.1)
        phase("locks collected")
        check_allocation(await items(client, api.ATTACHMENT), await items(client, api.IPLOCK), CIDR, 21)
        # and the freed addresses are given again
        await create_all(client, (api.attachment(f"again-{i}", "big", "node-0") for i in range(len(gone))))
        await eventually(lambda: seen.settled(count), timeout=60, interval=0.1)
        phase("addressed again")
        check_allocation(await items(client, api.ATTACHMENT), await items(client, api.IPLOCK), CIDR, 21)
        assert not seen.moved, seen.moved
    print(f"\n{count} attachments, 3 IPAM replicas (one killed): " + ", ".join(phases))


async def test_a_full_subnet_says_so_and_addresses_when_one_is_freed(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await api.install(client)
    await client.create(api.subnet("tiny", 3, "10.9.0.0/30"))  # two usable addresses
    async with control_plane(client, ipam_replicas=2):
        await create_all(client, [api.attachment(f"g{i}", "tiny", "n") for i in range(3)])
        await eventually(lambda: _at_least(addressed(client), 2))

        async def full() -> str | None:
            waiting = [a for a in await items(client, api.ATTACHMENT) if not (a.get("status") or {}).get("ipv4")]
            conds = (waiting[0].get("status") or {}).get("conditions") or [] if len(waiting) == 1 else []
            return next((waiting[0]["metadata"]["name"] for c in conds if c["reason"] == "NoFreeAddress"), None)

        name = await eventually(full)
        other = next(f"g{i}" for i in range(3) if f"g{i}" != name)
        await client.delete(api.ATTACHMENT, other, "default")
        await eventually(lambda: _at_least(addressed(client), 2), timeout=20)
        attachments = await items(client, api.ATTACHMENT)
        await eventually(lambda: _count(client, api.IPLOCK, 2), timeout=20)
        check_allocation(attachments, await items(client, api.IPLOCK), "10.9.0.0/30", 3)


async def test_a_lock_left_by_a_crash_is_used_and_an_extra_one_released(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await api.install(client)
    await client.create(api.subnet("net", 4, "10.4.0.0/24"))
    # what a replica that died after creating a lock (and one that lost a race) leave behind
    att = await client.create(api.attachment("guest", "net", "n"))
    ref = owner_reference(att, block_owner_deletion=False)
    for ip in ("10.4.0.77", "10.4.0.78"):
        await client.create({"apiVersion": api.API_VERSION, "kind": "IPLock",
                             "metadata": {"name": api.lock_name(4, ip), "namespace": "default",
                                          "ownerReferences": [ref]},
                             "spec": {"vni": 4, "ipv4": ip, "subnet": "net"}})
    async with control_plane(client) as (_, _, (replica,)):
        got = await eventually(lambda: _address(client, "guest"))
        assert got in ("10.4.0.77", "10.4.0.78")
        await eventually(lambda: _count(client, api.IPLOCK, 1))
        check_allocation(await items(client, api.ATTACHMENT), await items(client, api.IPLOCK), "10.4.0.0/24", 4)
        assert replica.locks_created == 0 and replica.locks_released == 1


async def _address(client: Client, name: str) -> str | None:
    ip: str | None = ((await client.get(api.ATTACHMENT, name, "default")).get("status") or {}).get("ipv4")
    return ip


async def _validated(client: Client, name: str) -> bool:
    return bool(((await client.get(api.SUBNET, name, "default")).get("status") or {}).get("validated"))


async def _at_least(value: Any, n: int) -> bool:
    return bool(await value >= n)


async def _count(client: Client, kind: api.Kind, n: int) -> bool:
    return len(await items(client, kind)) == n


async def test_replicas_killed_and_restarted_again_and_again(setpoint_api: ApiServer) -> None:
    """Crashes at any point of a reconcile (between lock and status, mid-label...) lose and double nothing."""
    client = setpoint_api.client
    await api.install(client)
    cidr, count = "10.6.0.0/23", 400
    await client.create(api.subnet("chaos", 6, cidr))
    async with control_plane(client, ipam_replicas=2, lease_duration=1.0) as (_, managers, _replicas), \
            Watching(client) as seen:
        await eventually(lambda: _validated(client, "chaos"))
        creating = asyncio.create_task(create_all(client, (api.attachment(f"g-{i}", "chaos", "n")
                                                           for i in range(count))))
        restarts = 0
        while seen.addressed() < count * 3 // 4:
            victim = restarts % 2
            await kill(managers[victim])
            fresh = Manager(client)
            ipam.setup(fresh, identity=f"replica-{victim}", lease_duration=1.0)
            fresh.start()
            managers[victim] = fresh
            restarts += 1
            await asyncio.sleep(0.3)  # let it work a little before the next crash
        await creating
        try:
            await eventually(lambda: seen.settled(count), timeout=60, interval=0.1)
        finally:
            for m in managers:
                await m.close()
        check_allocation(await items(client, api.ATTACHMENT), await items(client, api.IPLOCK), cidr, 6)
        assert not seen.moved, seen.moved
        assert restarts >= 3


class AlwaysMine:
    """A membership in which this replica is the only one: every attachment is its own."""

    identity = "only"
    joined = True
    lease_duration = renew_every = 1.0

    def ensure_running(self) -> None:
        pass

    def owner(self, key: str) -> str:
        return self.identity


async def test_an_address_another_replica_wrote_is_not_replaced_from_a_stale_cache(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await api.install(client)
    await client.create(api.subnet("net", 5, "10.5.0.0/24"))
    await client.patch(api.SUBNET, "net", {"status": {"validated": True}}, "default", subresource="status")
    att = await client.create(api.attachment("guest", "net", "n"))
    mgr = Manager(client)
    informers = [mgr.cache.acquire(api.ATTACHMENT, indexers={ipam.BY_SUBNET: ipam.attachment_subnet}),
                 mgr.cache.acquire(api.IPLOCK, indexers={ipam.BY_HOLDER: ipam.lock_holder}),
                 mgr.cache.acquire(api.SUBNET)]
    await mgr.cache.start()
    try:
        await mgr.cache.wait_synced()
        for inf in informers[:2]:
            await inf.stop()  # this replica's cache falls behind: it still sees the guest unlabelled, unaddressed
        # meanwhile another replica addressed it
        await client.create({"apiVersion": api.API_VERSION, "kind": "IPLock",
                             "metadata": {"name": api.lock_name(5, "10.5.0.9"), "namespace": "default",
                                          "ownerReferences": [owner_reference(att, block_owner_deletion=False)]},
                             "spec": {"vni": 5, "ipv4": "10.5.0.9", "subnet": "net"}})
        await client.patch(api.ATTACHMENT, "guest", {"status": {"ipv4": "10.5.0.9", "mac": api.mac_for(5, "10.5.0.9")}},
                           "default", subresource="status")
        replica = ipam.IPAM(mgr, AlwaysMine())  # type: ignore[arg-type]
        assert await replica.reconcile(Request("default", "guest")) is None
        now = await client.get(api.ATTACHMENT, "guest", "default")
        assert now["status"]["ipv4"] == "10.5.0.9"  # not replaced by an address of its own
        assert now["metadata"]["labels"][api.VNI_LABEL] == "5"
        assert replica.locks_created == 0
    finally:
        await mgr.cache.stop()


async def test_a_lock_deleted_by_hand_is_taken_again(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    await api.install(client)
    await client.create(api.subnet("net", 3, "10.3.0.0/24"))
    async with control_plane(client, ipam_replicas=2):
        await client.create(api.attachment("guest", "net", "n"))
        ip = await eventually(lambda: _address(client, "guest"))
        name = api.lock_name(3, ip)
        first = await eventually(lambda: _lock(client, name))
        await client.delete(api.IPLOCK, name, "default")
        again = await eventually(lambda: _lock(client, name), timeout=15)
        assert again["metadata"]["uid"] != first["metadata"]["uid"]
        assert again["metadata"]["ownerReferences"] == first["metadata"]["ownerReferences"]
        assert await _address(client, "guest") == ip
        check_allocation(await items(client, api.ATTACHMENT), await items(client, api.IPLOCK), "10.3.0.0/24", 3)


async def _lock(client: Client, name: str) -> dict[str, Any] | None:
    try:
        return await client.get(api.IPLOCK, name, "default")
    except errors.NotFound:
        return None
