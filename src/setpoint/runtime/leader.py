"""Leader election on a ``coordination.k8s.io/v1`` Lease, as client-go's ``leaderelection`` does it.

Candidates race to write their identity into the Lease's ``holderIdentity``. The
holder renews ``renewTime`` every ``retry_period``; if it cannot renew within
``renew_deadline`` it gives up leadership. Others take the lease once its record
has not changed for ``lease_duration`` -- measured on *their own* clock from when
they last saw the record change, so clock skew between machines does not matter.
Defaults are client-go's: 15 s / 10 s / 2 s.

Losing is immediate: the elector calls ``on_lost`` as soon as a renewal deadline
passes or another holder is seen, before anything else runs, so a manager can
cancel its reconciles at once. On a clean stop the holder releases the lease (empty
holder), letting a standby take over without waiting for expiry.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from setpoint.apimachinery import clock
from setpoint.runtime import errors
from setpoint.runtime import metrics as m
from setpoint.runtime.client import Client
from setpoint.runtime.resource import Kind

log = logging.getLogger(__name__)

LEASE = Kind("coordination.k8s.io/v1", "Lease")
JITTER = 1.2  # client-go's JitterFactor for the acquire loop


def default_identity() -> str:
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def micro_time(t: float | None = None) -> str:
    """A ``metav1.MicroTime`` string for now (or the Unix time ``t``)."""
    return clock.micro_time(t)


class LeadershipLost(Exception):
    """This process held the lease and no longer does."""


@dataclass
class LeaderElection:
    """Where the lease lives and how fast it moves."""

    name: str
    namespace: str = "default"
    identity: str = field(default_factory=default_identity)
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_cancel: bool = True

    def __post_init__(self) -> None:
        if not self.lease_duration > self.renew_deadline > JITTER * self.retry_period > 0:
            raise ValueError("need lease_duration > renew_deadline > 1.2 * retry_period > 0 (as client-go)")


class LeaderElector:
    """Acquire, hold and release one lease for one identity."""

    def __init__(self, client: Client, config: LeaderElection, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.config = config
        self._clock = clock
        self._observed: Mapping[str, Any] | None = None   # the lease spec last seen
        self._observed_at = 0.0                            # when it last changed (our clock)
        self._resource_version: str | None = None
        self.is_leader = False
        self.transitions_seen = 0
        self._status = m.leader_status.labels(config.name)

    @property
    def holder(self) -> str | None:
        return (self._observed or {}).get("holderIdentity") or None

    async def acquire(self) -> None:
        """Return once this identity holds the lease (retrying every ``retry_period`` with jitter)."""
        cfg = self.config
        while True:
            if await self._try(cfg.renew_deadline):
                self._became_leader()
                return
            await asyncio.sleep(cfg.retry_period * (1.0 + random.random() * JITTER))

    async def hold(self, on_lost: Callable[[], None]) -> None:
        """Renew until a renewal fails for ``renew_deadline`` or another holder appears; then call
        ``on_lost()`` at once and raise :class:`LeadershipLost`."""
        cfg = self.config
        while True:
            await asyncio.sleep(cfg.retry_period)
            deadline = self._clock() + cfg.renew_deadline
            renewed = False
            while not renewed:
                left = deadline - self._clock()
                if left <= 0:
                    break
                renewed = await self._try(left)
                if renewed:
                    break
                if self.holder not in (None, cfg.identity):
                    break  # someone else holds it: we have lost already
                await asyncio.sleep(min(cfg.retry_period, max(0.0, deadline - self._clock())))
            if not renewed:
                self._lost(on_lost)
                raise LeadershipLost(f"{cfg.identity} lost lease {cfg.namespace}/{cfg.name} "
                                     f"(holder now {self.holder or 'unknown'})")

    async def run(self, on_started: Callable[[], None], on_lost: Callable[[], None]) -> None:
        """Acquire, call ``on_started``, hold; raises :class:`LeadershipLost` when lost."""
        await self.acquire()
        on_started()
        await self.hold(on_lost)

    async def release(self) -> None:
        """Give the lease up (empty holder) if held, so a standby need not wait for expiry."""
        if not self.is_leader:
            return
        self.is_leader = False
        self._status.set(0)
        spec = dict(self._observed or {})
        spec.update({"holderIdentity": "", "leaseDurationSeconds": 1, "renewTime": micro_time(),
                     "acquireTime": micro_time()})
        try:
            await asyncio.wait_for(self._write(spec, create=False), self.config.renew_deadline)
        except (errors.ApiError, TimeoutError) as e:
            log.info("lease %s: release failed: %s", self.config.name, e)

    # -- one attempt ---------------------------------------------------------------------------------

    async def _try(self, limit: float) -> bool:
        try:
            return await asyncio.wait_for(self._try_acquire_or_renew(), limit)
        except (errors.ApiError, TimeoutError) as e:
            log.debug("lease %s: attempt failed: %s", self.config.name, e)
            return False

    async def _try_acquire_or_renew(self) -> bool:
        cfg = self.config
        now = micro_time()
        desired: dict[str, Any] = {"holderIdentity": cfg.identity,
                                   "leaseDurationSeconds": max(1, round(cfg.lease_duration)),
                                   "acquireTime": now, "renewTime": now, "leaseTransitions": 0}
        try:
            lease = await self.client.get(LEASE, cfg.name, cfg.namespace)
        except errors.NotFound:
            try:
                await self._write(desired, create=True)
            except errors.ApiError:
                return False
            return True
        spec = lease.get("spec") or {}
        self._resource_version = lease["metadata"].get("resourceVersion")
        if spec != self._observed:
            self._observed = spec
            self._observed_at = self._clock()
        holder = spec.get("holderIdentity")
        if holder and holder != cfg.identity and self._observed_at + cfg.lease_duration > self._clock():
            return False  # somebody else's, and not expired
        transitions = int(spec.get("leaseTransitions") or 0)
        if holder == cfg.identity:
            desired["acquireTime"] = spec.get("acquireTime") or now
            desired["leaseTransitions"] = transitions
        else:
            desired["leaseTransitions"] = transitions + 1
        try:
            await self._write(desired, create=False)
        except errors.ApiError:
            return False
        return True

    async def _write(self, spec: dict[str, Any], *, create: bool) -> None:
        cfg = self.config
        body: dict[str, Any] = {"apiVersion": LEASE.api_version, "kind": LEASE.kind,
                                "metadata": {"name": cfg.name, "namespace": cfg.namespace}, "spec": spec}
        if create:
            written = await self.client.create(body)
        else:
            body["metadata"]["resourceVersion"] = self._resource_version
            written = await self.client.update(body)
        self._resource_version = written["metadata"].get("resourceVersion")
        self._observed = written.get("spec") or spec
        self._observed_at = self._clock()

    # -- transitions ---------------------------------------------------------------------------------

    def _became_leader(self) -> None:
        self.is_leader = True
        self.transitions_seen += 1
        self._status.set(1)
        log.info("%s acquired lease %s/%s", self.config.identity, self.config.namespace, self.config.name)

    def _lost(self, on_lost: Callable[[], None]) -> None:
        self.is_leader = False
        self._status.set(0)
        log.warning("%s lost lease %s/%s", self.config.identity, self.config.namespace, self.config.name)
        on_lost()
