"""The IPAM controller: an address for every NetworkAttachment, without transactions.

Kubernetes has no multi-object transaction, so "take a free address and record it on the
attachment" cannot be one write. Instead the address itself is an object: the IPAM
controller *creates* an :class:`~examples.sdn.api.IPLock` named after the VNI and the
address. The API server creates a name once -- ``AlreadyExists`` means another attachment
has it, so another address is tried. Only then is the address written to the attachment's
status (conditionally, on the resourceVersion read). The lock is owned by the attachment, so
the garbage collector frees it when the attachment goes.

Every step is safe to repeat, and to run on several replicas at once:

* a replica that died between creating a lock and writing the status left a lock owned by the
  attachment: the next reconcile (any replica's) finds it and records that address;
* two replicas that addressed one attachment at once both hold a lock, but only one status write
  succeeds (the other's resourceVersion is stale); the loser's lock is then an extra lock owned
  by an addressed attachment, and is deleted;
* a lock deleted by hand is created again for the attachment whose status has its address (if
  another attachment took the address meanwhile, the first says ``AddressConflict``).

Replicas share the work: each renews a Lease (:mod:`examples.sdn.membership`) and addresses
the attachments that rendezvous hashing of their uids gives it among the live replicas. When a
replica dies its Lease runs out (``lease_duration``) and its share moves to the others; while
views of who is alive differ, two replicas may race for one attachment, which the above settles.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from setpoint.runtime import Builder, Manager, Request, Result, conditions, errors, predicate
from setpoint.runtime.leader import LEASE
from setpoint.runtime.objects import owner_reference
from setpoint.runtime.status import update_status

from .api import ATTACHMENT, IPLOCK, SUBNET, VNI_LABEL, lock_name, mac_for, vni_of
from .membership import Membership

BY_SUBNET = "subnet"    # index: attachments by "namespace/subnet"
BY_HOLDER = "holder"    # index: locks by the uid of the attachment holding them
ADDRESSED = "Addressed"
#: addresses tried per reconcile before trying again later (each taken one costs a request)
ATTEMPTS = 16
#: how long an addressed attachment's lock may be missing from the cache before it is created again
LOCK_GRACE = 2.0


def attachment_subnet(obj: Mapping[str, Any]) -> list[str]:
    """Index function: the attachment's Subnet, as ``namespace/name``."""
    return [f"{obj['metadata']['namespace']}/{obj['spec']['subnet']}"]


def lock_holder(obj: Mapping[str, Any]) -> list[str]:
    """Index function: the uid of the attachment that holds the lock."""
    return [r["uid"] for r in obj["metadata"].get("ownerReferences") or () if r.get("kind") == ATTACHMENT.kind]


def _dotted(address: int) -> str:
    return socket.inet_ntoa(address.to_bytes(4, "big"))


def hosts(net: ipaddress.IPv4Network) -> range:
    """The usable addresses of ``net`` as integers (no network or broadcast address below a /31)."""
    first, last = int(net.network_address), int(net.broadcast_address)
    return range(first, last + 1) if net.prefixlen >= 31 else range(first + 1, last)


class IPAM:
    """Reconciles one NetworkAttachment: label, lock, status. See the module docstring."""

    def __init__(self, mgr: Manager, membership: Membership, *, rng: random.Random | None = None) -> None:
        self.client = mgr.client
        self.cache = mgr.cache
        self.membership = membership
        self.rng = rng or random.Random()
        self._claiming: set[tuple[str, int]] = set()  # (namespace/vni, address) being created now
        self._missing_locks: dict[str, float] = {}  # addressed attachments whose lock is not cached: since
        #: counters, for tests and benchmarks
        self.locks_created = 0
        self.locks_taken = 0      # AlreadyExists answers
        self.locks_released = 0   # extra locks deleted

    async def reconcile(self, req: Request) -> Result | None:
        att = self.cache.get(ATTACHMENT, req.name, req.namespace)
        if att is None or att["metadata"].get("deletionTimestamp"):
            return None
        uid = att["metadata"]["uid"]
        status = att.get("status") or {}
        if status.get("ipv4"):
            await self._release_extra_locks(att, status["ipv4"])
            return await self._keep_lock(att, status["ipv4"])
        self.membership.ensure_running()
        if not self.membership.joined:
            return Result(requeue_after=0.1)  # until its own Lease is back: the others see this replica too
        if self.membership.owner(uid) != self.membership.identity:
            return Result(requeue_after=self.membership.lease_duration)  # another's; looked at again if it dies
        sn = self.cache.get(SUBNET, att["spec"]["subnet"], req.namespace)
        if sn is None:
            await self._not_addressed(att, "SubnetNotFound", f"Subnet {att['spec']['subnet']} does not exist")
            return None
        vni = int(sn["spec"]["vni"])
        if (att["metadata"].get("labels") or {}).get(VNI_LABEL) != str(vni):
            att = await self.client.patch(ATTACHMENT, req.name, {"metadata": {"labels": {VNI_LABEL: str(vni)}}},
                                          req.namespace)
            # the answer is newer than the cache: another replica may have addressed it meanwhile, and a
            # status written on this resourceVersion would replace that address
            status = att.get("status") or {}
            if status.get("ipv4"):
                return None
        if not (sn.get("status") or {}).get("validated"):
            await self._not_addressed(att, "SubnetNotValidated",
                                      f"Subnet {sn['metadata']['name']} is not validated (see its status.errors)")
            return None
        net = ipaddress.IPv4Network(sn["spec"]["ipv4"])
        address = self._held(uid, vni, net)
        if address is None:
            address = await self._take(att, sn, vni, net)
        if address is None:
            await self._not_addressed(att, "NoFreeAddress", f"no free address in {net} (or all tried were taken)")
            return Result(requeue_after=1.0)
        conds = [dict(c) for c in status.get("conditions") or ()]
        conditions.set_condition(conds, ADDRESSED, conditions.TRUE, "Allocated", f"{address} in {net}")
        await update_status(self.client, att, {**status, "ipv4": str(address), "mac": mac_for(vni, address),
                                               "conditions": conds}, optimistic=True)
        return None

    def _held(self, uid: str, vni: int, net: ipaddress.IPv4Network) -> ipaddress.IPv4Address | None:
        """An address of ``net`` the attachment already holds a lock on (an earlier try that died)."""
        for lock in self.cache.by_index(IPLOCK, BY_HOLDER, uid):
            address = ipaddress.IPv4Address(lock["spec"]["ipv4"])
            if lock["spec"]["vni"] == vni and address in net:
                return address
        return None

    async def _take(self, att: Mapping[str, Any], sn: Mapping[str, Any], vni: int,
                    net: ipaddress.IPv4Network) -> ipaddress.IPv4Address | None:
        """Create a lock on a free address of ``net`` for ``att``; None if none could be had."""
        ns = sn["metadata"]["namespace"]
        key = f"{ns}/{vni}"

        def taken(a: int) -> bool:
            """A lock on ``a`` is cached, or a worker of this replica is creating one."""
            return (key, a) in self._claiming or self.cache.get(IPLOCK, lock_name(vni, _dotted(a)), ns) is not None

        for candidate in self._candidates(hosts(net), taken):
            address = ipaddress.IPv4Address(candidate)
            lock = {"apiVersion": IPLOCK.api_version, "kind": IPLOCK.kind,
                    "metadata": {"name": lock_name(vni, address), "namespace": ns,
                                 "ownerReferences": [owner_reference(dict(att), block_owner_deletion=False)]},
                    "spec": {"vni": vni, "ipv4": str(address), "subnet": sn["metadata"]["name"]}}
            self._claiming.add((key, candidate))
            try:
                await self.client.create(lock)
            except errors.AlreadyExists:
                self.locks_taken += 1
                continue
            finally:
                self._claiming.discard((key, candidate))
            self.locks_created += 1
            return address
        return None

    def _candidates(self, pool: range, taken: Callable[[int], bool]) -> list[int]:
        """Up to :data:`ATTEMPTS` addresses of ``pool`` not known to be taken, in random order:
        replicas and workers drawing at random rarely draw the same. Draws are cheap lookups by
        lock name; only when they find nothing is the whole pool scanned."""
        picked: set[int] = set()
        for _ in range(min(4 * len(pool), 20_000)):
            a = pool[self.rng.randrange(len(pool))]
            if a not in picked and not taken(a):
                picked.add(a)
                if len(picked) == ATTEMPTS:
                    break
        if not picked:
            free = [a for a in pool if not taken(a)]
            return self.rng.sample(free, min(ATTEMPTS, len(free)))
        return list(picked)

    async def _release_extra_locks(self, att: Mapping[str, Any], address: str) -> None:
        """Delete the locks ``att`` holds besides the one on its recorded address (lost races)."""
        for lock in self.cache.by_index(IPLOCK, BY_HOLDER, att["metadata"]["uid"]):
            if lock["spec"]["ipv4"] == address:
                continue
            meta = lock["metadata"]
            try:
                await self.client.delete(IPLOCK, meta["name"], meta["namespace"],
                                         preconditions={"uid": meta["uid"]})
                self.locks_released += 1
            except (errors.NotFound, errors.Conflict):
                pass

    async def _keep_lock(self, att: Mapping[str, Any], address: str) -> Result | None:
        """The lock on an attachment's address is there; if it went (deleted by hand), take it again.

        A lock missing from the cache may only not have arrived yet (the status event can come before
        the lock's): it is looked at again after :data:`LOCK_GRACE` seconds, and created only if still
        missing then. Only the replica whose share the attachment is does this.
        """
        uid, meta = att["metadata"]["uid"], att["metadata"]
        vni = vni_of(att)
        if vni is None or not self.membership.joined or self.membership.owner(uid) != self.membership.identity:
            return None
        name = lock_name(vni, address)
        if self.cache.get(IPLOCK, name, meta["namespace"]) is not None:
            self._missing_locks.pop(uid, None)
            return None
        since = self._missing_locks.setdefault(uid, time.monotonic())
        wait = since + LOCK_GRACE - time.monotonic()
        if wait > 0:
            return Result(requeue_after=wait)
        del self._missing_locks[uid]
        lock = {"apiVersion": IPLOCK.api_version, "kind": IPLOCK.kind,
                "metadata": {"name": name, "namespace": meta["namespace"],
                             "ownerReferences": [owner_reference(dict(att), block_owner_deletion=False)]},
                "spec": {"vni": vni, "ipv4": address, "subnet": att["spec"]["subnet"]}}
        status = att.get("status") or {}
        conds = [dict(c) for c in status.get("conditions") or ()]
        try:
            await self.client.create(lock)
            self.locks_created += 1
            held = True
        except errors.AlreadyExists:
            held = lock_holder(await self.client.get(IPLOCK, name, meta["namespace"])) == [uid]
        if held:  # taken again (or the cache was behind)
            conditions.set_condition(conds, ADDRESSED, conditions.TRUE, "Allocated", f"{address} (lock {name})")
        else:
            conditions.set_condition(conds, ADDRESSED, conditions.FALSE, "AddressConflict",
                                     f"{address} is locked by another attachment ({name})")
        await update_status(self.client, dict(att), {**status, "conditions": conds}, optimistic=True)
        return None if held else Result(requeue_after=LOCK_GRACE)

    async def _not_addressed(self, att: Mapping[str, Any], reason: str, message: str) -> None:
        status = att.get("status") or {}
        conds = [dict(c) for c in status.get("conditions") or ()]
        conditions.set_condition(conds, ADDRESSED, conditions.FALSE, reason, message)
        await update_status(self.client, dict(att), {**status, "conditions": conds}, optimistic=True)


def setup(mgr: Manager, *, identity: str = "ipam", lease_duration: float = 10.0,
          rng: random.Random | None = None) -> IPAM:
    """Add an IPAM replica named ``identity`` to ``mgr`` (replicas need distinct identities)."""
    ipam = IPAM(mgr, Membership(mgr, "ipam", identity, lease_duration=lease_duration), rng=rng)
    mgr.cache.informer(ATTACHMENT, indexers={BY_SUBNET: attachment_subnet})
    mgr.cache.informer(IPLOCK, indexers={BY_HOLDER: lock_holder})

    def attachments_of(sn: Mapping[str, Any]) -> list[Request]:
        """A Subnet validated (or not any more) changes what its attachments get."""
        key = f"{sn['metadata']['namespace']}/{sn['metadata']['name']}"
        return [Request.of(a) for a in mgr.cache.by_index(ATTACHMENT, BY_SUBNET, key)
                if not (a.get("status") or {}).get("ipv4")]

    def unaddressed(_: Mapping[str, Any]) -> list[Request]:
        """A replica came or went: the shares move."""
        return [Request.of(a) for a in mgr.cache.list(ATTACHMENT) if not (a.get("status") or {}).get("ipv4")]

    members = ipam.membership.informer
    (Builder(mgr)
     .named("ipam")
     .for_(ATTACHMENT)
     .owns(IPLOCK)
     .watches(SUBNET, attachments_of)
     .watches(LEASE, unaddressed, predicate.func(update=lambda old, new: False),
              namespace=members.namespace, label_selector=members.label_selector)
     .complete(ipam))
    return ipam
