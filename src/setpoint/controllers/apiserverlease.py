"""Every API server in the ``kubernetes`` Service's endpoints, however many share the storage.

As kube-apiserver: each server keeps an identity Lease in ``kube-system``
(``pkg/controlplane/apiserver``: named ``apiserver-<hash>``, labelled
``apiserver.kubernetes.io/identity: kube-apiserver`` and ``kubernetes.io/hostname``, its address
``ip:port`` in the ``kubernetes.io/peer-advertise-address`` annotation, renewed every 10 s, 3,600 s
long, and deleted by the other servers once that has passed), and its endpoints reconciler
(``pkg/controlplane/reconcilers/lease.go``) writes the Endpoints ``default/kubernetes`` -- and the
EndpointSlice of the same name -- from the servers whose lease was renewed within the last 15 s
(kube's master-lease TTL), sorted: a server that stops cleanly removes itself at once, one that dies
drops out 15 s later. kube keeps those master leases as raw storage keys with a TTL; here the
identity Lease carries them, so ``kubectl get leases -n kube-system`` shows the servers.

Servers on one port (kube's case: replicas behind a load balancer) make one subset; servers on
different ports (several on one host) one subset a port.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import uuid
from typing import Any, NamedTuple

from setpoint.apimachinery.clock import Clock, format_micro_time, parse_time
from setpoint.apimachinery.types import Obj
from setpoint.controllers.bootstrap import ENDPOINT_SLICE, ENDPOINTS, NAME, NAMESPACE, SKIP_MIRROR_LABEL
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.manager import Manager
from setpoint.runtime.predicate import Funcs
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

LEASE = Kind("coordination.k8s.io/v1", "Lease")
LEASE_NAMESPACE = "kube-system"
#: ``IdentityLeaseComponentLabelKey`` and kube-apiserver's value of it.
IDENTITY_LABEL, IDENTITY = "apiserver.kubernetes.io/identity", "kube-apiserver"
HOSTNAME_LABEL = "kubernetes.io/hostname"
#: ``AnnotationPeerAdvertiseAddress``: where the server is, ``ip:port``.
PEER_ADDRESS = "kubernetes.io/peer-advertise-address"
#: ``IdentityLeaseRenewIntervalPeriod``, ``IdentityLeaseDurationSeconds``.
RENEW_INTERVAL, LEASE_DURATION = 10.0, 3600
#: ``MasterEndpointReconcileTTL``: how long a server stays listed after its last renewal.
ENDPOINT_TTL = 15.0


def lease_name(hostname: str, address: str | None, port: int) -> str:
    """``apiserver-<hash>``: one name a server (host, address and port: several may share a host)."""
    return "apiserver-" + hashlib.sha256(f"{hostname}/{address}:{port}".encode()).hexdigest()[:26]


def _order(peer: tuple[str, int]) -> tuple[int, str]:
    """By port, then by address as a string (``RepackSubsets``: byte order, so 192.0.2.10 < 192.0.2.9)."""
    return peer[1], peer[0]


def _peer(lease: Obj) -> tuple[str, int] | None:
    value = (lease["metadata"].get("annotations") or {}).get(PEER_ADDRESS) or ""
    ip, _, port = value.rpartition(":")
    return (ip.strip("[]"), int(port)) if ip and port.isdigit() else None


class Peers(NamedTuple):
    """The servers renewed within :data:`ENDPOINT_TTL` (``(ip, port)``, sorted), the seconds until
    the first of the others expires, and the identity Leases past their whole duration."""

    peers: list[tuple[str, int]]
    soonest: float | None
    expired: list[Obj]


class APIServerLeases:
    """Renews this server's identity Lease and writes the ``kubernetes`` endpoints from all of them."""

    def __init__(self, manager: Manager, client: InProcessClient, *, address: str | None, port: int,
                 clock: Clock) -> None:
        self.cache = manager.cache
        self.client = client
        self.address = address
        self.port = port
        self.clock = clock
        self.hostname = socket.gethostname()
        self.name = lease_name(self.hostname, address, port)
        self.holder = f"{self.name}_{uuid.uuid4()}"
        self.removed = False

    # -- this server's Lease -----------------------------------------------------------------------

    async def renew(self) -> None:
        """Create or renew this server's identity Lease."""
        now = format_micro_time(self.clock.now())
        labels = {IDENTITY_LABEL: IDENTITY, HOSTNAME_LABEL: self.hostname}
        annotations = {PEER_ADDRESS: f"{self.address}:{self.port}"} if self.address else {}
        current = self.cache.get(LEASE, self.name, LEASE_NAMESPACE)
        if current is None:
            with contextlib.suppress(errors.AlreadyExists):
                await self.client.create({
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": LEASE_NAMESPACE, "labels": labels,
                                 "annotations": annotations},
                    "spec": {"holderIdentity": self.holder, "leaseDurationSeconds": LEASE_DURATION,
                             "acquireTime": now, "renewTime": now}})
                return
            current = await self.client.get(LEASE, self.name, LEASE_NAMESPACE)
        meta = current["metadata"]
        body = {**current,
                "metadata": {**meta, "labels": {**(meta.get("labels") or {}), **labels},
                             "annotations": {**(meta.get("annotations") or {}), **annotations}},
                "spec": {**(current.get("spec") or {}), "holderIdentity": self.holder,
                         "leaseDurationSeconds": LEASE_DURATION, "renewTime": now}}
        try:
            await self.client.update(body)
        except errors.Conflict:
            # read fresh and try once more (kube's lease controller retries too)
            fresh = await self.client.get(LEASE, self.name, LEASE_NAMESPACE)
            await self.client.update({**body, "metadata": {**body["metadata"],
                                                            "resourceVersion": fresh["metadata"]["resourceVersion"]}})

    async def remove(self) -> None:
        """On a clean stop (kube's ``RemoveEndpoints``): drop this server's Lease, then its endpoints."""
        self.removed = True  # and renew it no more
        with contextlib.suppress(errors.NotFound):
            await self.client.delete(LEASE, self.name, LEASE_NAMESPACE)
        live = [p for p in self.live_peers().peers if p != (self.address, self.port)]
        if self.address is not None and live:
            with contextlib.suppress(errors.ApiError):
                await self.write_endpoints(live)

    # -- everyone's Leases -------------------------------------------------------------------------

    def live_peers(self) -> Peers:
        """What the identity Leases in the cache say (see :class:`Peers`)."""
        now = self.clock.now()
        peers: set[tuple[str, int]] = set()
        soonest: float | None = None
        expired: list[Obj] = []
        for lease in self.cache.list(LEASE, LEASE_NAMESPACE):
            meta = lease["metadata"]
            if not _identity(lease):
                continue
            spec = lease.get("spec") or {}
            renewed = parse_time(str(spec.get("renewTime") or ""))
            if renewed is None:
                continue
            age = (now - renewed).total_seconds()
            if meta["name"] != self.name and age > float(spec.get("leaseDurationSeconds") or LEASE_DURATION):
                expired.append(lease)
            peer = _peer(lease)
            if peer is None or (age > ENDPOINT_TTL and meta["name"] != self.name):
                continue
            peers.add(peer)
            if meta["name"] != self.name:
                left = ENDPOINT_TTL - age
                soonest = left if soonest is None else min(soonest, left)
        return Peers(sorted(peers, key=_order), soonest, expired)

    def renewal_due(self) -> float:
        """Seconds until this server's Lease should be renewed (0: now; also when it is missing)."""
        lease = self.cache.get(LEASE, self.name, LEASE_NAMESPACE)
        spec = (lease or {}).get("spec") or {}
        renewed = parse_time(str(spec.get("renewTime") or ""))
        if lease is None or renewed is None or spec.get("holderIdentity") != self.holder:
            return 0.0
        return max(RENEW_INTERVAL - (self.clock.now() - renewed).total_seconds(), 0.0)

    async def reconcile(self, request: Request) -> Result | None:
        if self.removed:
            return None
        # Woken by every server's renewal (its own too): renew only when due.
        if self.renewal_due() <= 0.0:
            await self.renew()
        peers, soonest, expired = self.live_peers()
        for lease in expired:  # (kube's apiserverleasegc)
            with contextlib.suppress(errors.NotFound, errors.Conflict):
                await self.client.delete(LEASE, lease["metadata"]["name"], LEASE_NAMESPACE,
                                         preconditions={"resourceVersion": lease["metadata"]["resourceVersion"]})
        if self.address is not None:
            if (self.address, self.port) not in peers:
                peers = sorted({*peers, (self.address, self.port)}, key=_order)
            await self.write_endpoints(peers)
        after = self.renewal_due() or RENEW_INTERVAL  # (0: our write is not yet in the cache)
        if soonest is not None:
            after = min(after, soonest + 0.1)
        return Result(requeue_after=max(after, 0.1))

    # -- the endpoints -----------------------------------------------------------------------------

    async def write_endpoints(self, peers: list[tuple[str, int]]) -> None:
        """The Endpoints and EndpointSlice ``default/kubernetes`` listing ``peers`` (``doReconcile``)."""
        subsets: list[dict[str, Any]] = []
        for ip, port in peers:
            if not subsets or subsets[-1]["ports"][0]["port"] != port:
                subsets.append({"addresses": [], "ports": [{"name": "https", "port": port, "protocol": "TCP"}]})
            subsets[-1]["addresses"].append({"ip": ip})
        await self._endpoints(subsets)
        await self._slice(subsets[0])

    async def _endpoints(self, subsets: list[dict[str, Any]]) -> None:
        current = self.cache.get(ENDPOINTS, NAME, NAMESPACE)
        if current is None:
            with contextlib.suppress(errors.AlreadyExists):
                await self.client.create({"apiVersion": "v1", "kind": "Endpoints",
                                          "metadata": {"name": NAME, "namespace": NAMESPACE,
                                                       "labels": {SKIP_MIRROR_LABEL: "true"}},
                                          "subsets": subsets})
            return
        labels = current["metadata"].get("labels") or {}
        if current.get("subsets") == subsets and labels.get(SKIP_MIRROR_LABEL) == "true":
            return
        meta = {**current["metadata"], "labels": {**labels, SKIP_MIRROR_LABEL: "true"}}
        with contextlib.suppress(errors.Conflict):  # another server wrote it: its next look settles it
            await self.client.update({**current, "metadata": meta, "subsets": subsets})

    async def _slice(self, subset: dict[str, Any]) -> None:
        """``EnsureEndpointSliceFromEndpoints``: the first subset, as kube's adapter does."""
        wanted: Obj = {
            "addressType": "IPv4",
            "endpoints": [{"addresses": [a["ip"]], "conditions": {"ready": True}} for a in subset["addresses"]],
            "ports": subset["ports"],
        }
        labels = {"kubernetes.io/service-name": NAME}
        current = self.cache.get(ENDPOINT_SLICE, NAME, NAMESPACE)
        if current is None:
            with contextlib.suppress(errors.AlreadyExists):
                await self.client.create({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                                          "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": labels},
                                          **wanted})
            return
        if all(current.get(k) == v for k, v in wanted.items()) and current["metadata"].get("labels") == labels:
            return
        with contextlib.suppress(errors.Conflict):
            await self.client.update({**current, "metadata": {**current["metadata"], "labels": labels}, **wanted})


def _identity(lease: Obj) -> bool:
    return bool((lease["metadata"].get("labels") or {}).get(IDENTITY_LABEL) == IDENTITY)


def _ours(obj: Obj) -> bool:
    meta = obj["metadata"]
    return bool(meta.get("name") == NAME and meta.get("namespace") == NAMESPACE)


def add_apiserver_leases(manager: Manager, client: InProcessClient, *, address: str | None, port: int,
                         clock: Clock) -> APIServerLeases:
    """Run this server's identity Lease and the ``kubernetes`` endpoints on ``manager``."""
    leases = APIServerLeases(manager, client, address=address, port=port, clock=clock)
    request = Request(LEASE_NAMESPACE, leases.name)
    ours = Funcs(create=_ours, update=lambda _o, new: _ours(new), delete=_ours, generic=_ours, name="kubernetes")
    identity = Funcs(create=_identity, update=lambda _o, new: _identity(new), delete=_identity, generic=_identity,
                     name="apiserver-identity")
    (Builder(manager)
     .named("apiserver-leases")
     # (all of kube-system's Leases, not those of the label alone: a cache of a label selection
     # cannot answer a get by name -- our own Lease is read before it exists)
     .watches(LEASE, lambda _: [request], identity, namespace=LEASE_NAMESPACE)
     .watches(ENDPOINTS, lambda _: [request], ours)
     .watches(ENDPOINT_SLICE, lambda _: [request], ours)
     .watches(Kind("v1", "Namespace"), lambda _: [request],
              Funcs(create=lambda ns: ns["metadata"]["name"] == LEASE_NAMESPACE, update=lambda _o, _n: False,
                    delete=lambda _: False, name="kube-system"))
     .complete(leases))
    return leases

