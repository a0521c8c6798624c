"""Which replicas of a controller are alive: one Lease each, renewed while the replica runs.

Replicas that share work need to know who is there, so that a dead replica's share moves to
the living and a busy one's does not. Each replica renews a ``coordination.k8s.io/v1`` Lease
of its own (labelled with the group's name) every ``renew_every`` seconds while its manager
runs; every replica watches the group's Leases and counts a replica alive while its
``renewTime`` has changed within ``lease_duration`` -- measured on its *own* clock from when it
saw the change, as client-go's leader election does, so clocks need not agree.

:meth:`Membership.owner` spreads keys over the live replicas by rendezvous hashing (highest
random weight): when a replica dies only its keys move, spread over the others.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from setpoint.runtime import Manager, errors
from setpoint.runtime.informer import FuncHandler, Informer
from setpoint.runtime.leader import LEASE, micro_time

log = logging.getLogger(__name__)

GROUP_LABEL = "network.setpoint.dev/replicas-of"


class Membership:
    """The live replicas of ``group``; ``identity`` is this one. See the module docstring."""

    def __init__(self, mgr: Manager, group: str, identity: str, *, namespace: str = "default",
                 lease_duration: float = 10.0, renew_every: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.mgr = mgr
        self.group, self.identity, self.namespace = group, identity, namespace
        self.lease_duration = lease_duration
        self.renew_every = renew_every if renew_every is not None else lease_duration / 4
        self.clock = clock
        self._seen: dict[str, tuple[str, float]] = {}  # identity -> (renewTime, when it changed here)
        self.informer: Informer = mgr.cache.acquire(LEASE, namespace=namespace,
                                                    label_selector=f"{GROUP_LABEL}={group}")
        self.informer.add_handler(FuncHandler(on_add=self._observe, on_update=lambda _, new: self._observe(new),
                                              on_delete=self._gone))
        self._task: asyncio.Task[None] | None = None

    @property
    def lease_name(self) -> str:
        return f"{self.group}-{self.identity}"

    def _observe(self, lease: Mapping[str, Any]) -> None:
        spec = lease.get("spec") or {}
        who, renewed = spec.get("holderIdentity"), spec.get("renewTime")
        if not who or not renewed:
            return
        before = self._seen.get(who)
        if before is None or before[0] != renewed:
            self._seen[who] = (renewed, self.clock())

    def _gone(self, lease: Mapping[str, Any]) -> None:
        self._seen.pop((lease.get("spec") or {}).get("holderIdentity") or "", None)

    def live(self) -> list[str]:
        """The replicas alive now, this one included once its own Lease has been seen."""
        now = self.clock()
        return sorted(who for who, (_, at) in self._seen.items()
                      if who == self.identity or now - at < self.lease_duration)

    @property
    def joined(self) -> bool:
        """This replica's Lease has come back through the watch: the others can see it too."""
        return self.identity in self._seen

    def owner(self, key: str) -> str | None:
        """The live replica that should handle ``key`` (None before this one has joined)."""
        live = self.live()
        if not live:
            return None
        return max(live, key=lambda who: zlib.crc32(f"{who}/{key}".encode()))

    def ensure_running(self) -> None:
        """Start renewing this replica's Lease (once; it stops when the manager stops)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._renew_loop(), name=f"lease {self.lease_name}")

    async def _renew_loop(self) -> None:
        while self.mgr.is_leader:  # the manager runs (and leads, if it elects)
            try:
                await self._renew()
            except errors.ApiError as e:
                log.info("%s: renewing lease %s failed: %s", self.group, self.lease_name, e)
            await asyncio.sleep(self.renew_every)

    async def _renew(self) -> None:
        now = micro_time()
        try:
            await self.mgr.client.patch(LEASE, self.lease_name, {"spec": {"renewTime": now,
                                                                          "holderIdentity": self.identity}},
                                        self.namespace)
        except errors.NotFound:
            await self.mgr.client.create({
                "apiVersion": LEASE.api_version, "kind": LEASE.kind,
                "metadata": {"name": self.lease_name, "namespace": self.namespace,
                             "labels": {GROUP_LABEL: self.group}},
                "spec": {"holderIdentity": self.identity, "renewTime": now, "acquireTime": now,
                         "leaseDurationSeconds": max(1, math.ceil(self.lease_duration))}})
