"""The node agent: one per node; a dynamic set of informers, one per VNI with a guest here.

An agent watches the NetworkAttachments bound to its node (a field selector on
``spec.node``). For every VNI that has a local attachment it runs one more informer, on that
VNI's attachments only (the label selector ``network.setpoint.dev/vni=<vni>``, in the VNI's
namespace): started when the first local attachment of the VNI appears, stopped when the
last one goes. From those informers it keeps the guest -> host table of each VNI in its
:class:`~examples.sdn.dataplane.DataPlane`; for its own guests it programs the local
interface and writes ``status.hostIP`` and ``status.ifname``.

So a host hears only about the virtual networks it takes part in -- with tenants placed on a
few hosts each, a small share of all attachments -- where one cluster-wide informer per host
would deliver every attachment's every change to every host. The informers come from the
manager's shared :class:`~setpoint.runtime.cache.Cache`: ``acquire`` starts one,
``release`` stops it when its last user lets go.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from setpoint.runtime import Builder, Manager, Request, Result
from setpoint.runtime.controller import Controller
from setpoint.runtime.informer import FuncHandler, Informer
from setpoint.runtime.status import update_status

from .api import ATTACHMENT, VNI_LABEL, vni_of
from .dataplane import DataPlane, MemoryDataPlane


def host_ip_of(node: Mapping[str, Any]) -> str | None:
    """A Node object's ``InternalIP`` (else its first address): where its guests are reached."""
    addresses = (node.get("status") or {}).get("addresses") or []
    for a in addresses:
        if a.get("type") == "InternalIP":
            return str(a["address"])
    return str(addresses[0]["address"]) if addresses else None


def ifname_for(uid: str) -> str:
    """The guest's interface name on the host (Linux allows 15 characters)."""
    return "sp" + uid.replace("-", "")[:12]


@dataclass
class VNIWatch:
    """The informer of one VNI's attachments, and the handler feeding the tables from it."""

    vni: int
    namespace: str
    informer: Informer
    handler: FuncHandler
    remote: dict[str, str]  # attachment (namespace/name) -> the address programmed for it


class NodeAgent:
    """The agent of one node; see the module docstring."""

    def __init__(self, mgr: Manager, node: str, host_ip: str, dataplane: DataPlane | None = None) -> None:
        self.mgr = mgr
        self.client = mgr.client
        self.node = node
        self.host_ip = host_ip
        self.dataplane: DataPlane = dataplane if dataplane is not None else MemoryDataPlane()
        self.local: dict[str, tuple[int, str | None]] = {}    # local attachment -> (vni, address programmed)
        self.local_by_vni: dict[int, set[str]] = {}
        self.vnis: dict[int, VNIWatch] = {}
        self.events = 0  # attachment events received by the VNI informers' handlers
        self.controller: Controller | None = None
        self.informers_started = 0
        self.informers_stopped = 0
        self.joined: dict[int, float] = {}  # when each VNI's informer was started (time.monotonic)

    @property
    def local_informer(self) -> Informer:
        assert self.controller is not None and self.controller.sources[0].informer is not None
        return self.controller.sources[0].informer

    # -- local attachments --------------------------------------------------------------------------

    async def reconcile(self, req: Request) -> Result | None:
        key = str(req)
        att = self.local_informer.store.get_by_name(req.name, req.namespace or None)
        if att is None or att["metadata"].get("deletionTimestamp"):
            await self._forget(key)
            return None
        vni = vni_of(att)
        if vni is None:
            return None  # IPAM has not labelled it yet: its next change brings it back
        before = self.local.get(key)
        if before is not None and before[0] != vni:
            await self._forget(key)
            before = None
        if before is None:
            self._use_vni(vni, req.namespace, key)
        status = att.get("status") or {}
        ip = status.get("ipv4")
        if before is not None and before[1] and before[1] != ip:
            self.dataplane.remove_local(vni, before[1])
        self.local[key] = (vni, ip)
        if not ip:
            return None
        ifname = ifname_for(att["metadata"]["uid"])
        self.dataplane.add_local(vni, ip, status.get("mac") or "", ifname)
        if status.get("hostIP") != self.host_ip or status.get("ifname") != ifname:
            await update_status(self.client, att, {**status, "hostIP": self.host_ip, "ifname": ifname})
        return None

    async def _forget(self, key: str) -> None:
        """A local attachment is gone: its interface, and the VNI's informer if it was the last."""
        entry = self.local.pop(key, None)
        if entry is None:
            return
        vni, ip = entry
        if ip:
            self.dataplane.remove_local(vni, ip)
        users = self.local_by_vni.get(vni)
        if users is None:
            return
        users.discard(key)
        if not users:
            del self.local_by_vni[vni]
            await self._stop_vni(vni)

    # -- the dynamic set of informers ---------------------------------------------------------------

    def _use_vni(self, vni: int, namespace: str, key: str) -> None:
        users = self.local_by_vni.setdefault(vni, set())
        users.add(key)
        if vni in self.vnis:
            return
        remote: dict[str, str] = {}
        handler = FuncHandler(on_add=lambda obj: self._remote_changed(vni, remote, obj),
                              on_update=lambda old, new: self._remote_changed(vni, remote, new),
                              on_delete=lambda obj: self._remote_gone(vni, remote, obj))
        informer = self.mgr.cache.acquire(ATTACHMENT, namespace=namespace, label_selector=f"{VNI_LABEL}={vni}")
        informer.add_handler(handler)
        self.vnis[vni] = VNIWatch(vni, namespace, informer, handler, remote)
        self.informers_started += 1
        self.joined[vni] = time.monotonic()

    async def _stop_vni(self, vni: int) -> None:
        watch = self.vnis.pop(vni, None)
        if watch is None:
            return
        watch.informer.remove_handler(watch.handler)
        self.joined.pop(vni, None)
        self.dataplane.drop_vni(vni)
        self.informers_stopped += 1
        await self.mgr.cache.release(watch.informer)

    def _remote_changed(self, vni: int, remote: dict[str, str], obj: Mapping[str, Any]) -> None:
        self.events += 1
        if obj["spec"]["node"] == self.node:
            return  # a local guest: its interface is programmed by reconcile
        key = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
        status = obj.get("status") or {}
        ip, host = status.get("ipv4"), status.get("hostIP")
        old = remote.get(key)
        if old is not None and old != ip:
            self.dataplane.remove_remote(vni, old)
            del remote[key]
        if ip and host:
            self.dataplane.add_remote(vni, ip, status.get("mac") or "", host)
            remote[key] = ip

    def _remote_gone(self, vni: int, remote: dict[str, str], obj: Mapping[str, Any]) -> None:
        self.events += 1
        old = remote.pop(f"{obj['metadata']['namespace']}/{obj['metadata']['name']}", None)
        if old is not None:
            self.dataplane.remove_remote(vni, old)

    @property
    def running_vni_informers(self) -> dict[int, Informer]:
        """The VNI informers running now (the local one aside)."""
        return {vni: w.informer for vni, w in self.vnis.items() if w.informer.running}

    async def stop(self) -> None:
        """Stop every VNI informer (the manager stops the local one)."""
        for vni in list(self.vnis):
            await self._stop_vni(vni)


def setup(mgr: Manager, node: str, host_ip: str, dataplane: DataPlane | None = None) -> NodeAgent:
    """Add the agent of ``node`` (whose address is ``host_ip``) to ``mgr``."""
    agent = NodeAgent(mgr, node, host_ip, dataplane)

    def itself(att: Mapping[str, Any]) -> list[Request]:
        return [Request.of(att)]

    agent.controller = (Builder(mgr).named("sdn-agent")
                        .watches(ATTACHMENT, itself, field_selector=f"spec.node={node}")
                        .complete(agent))
    return agent
