"""The TTL-after-finished controller: deletes finished Jobs once ``ttlSecondsAfterFinished`` has passed.

As kube's (``pkg/controller/ttlafterfinished``): a Job with ``spec.ttlSecondsAfterFinished``
and a True ``Complete`` or ``Failed`` condition expires that many seconds after the
condition's ``lastTransitionTime``; before deleting, the Job is read again from the server
(the TTL may have changed), then deleted with ``propagationPolicy: Foreground`` and its uid
as precondition. A Job not yet expired is looked at again when it will be. The clock is
injectable; a :class:`~setpoint.apimachinery.clock.FakeClock` that moves wakes every Job.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from setpoint.apimachinery.clock import REAL_CLOCK, Clock, parse_time
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime import errors
from setpoint.runtime.builder import Builder
from setpoint.runtime.manager import Manager
from setpoint.runtime.reconcile import Request, Result
from setpoint.runtime.resource import Kind

JOB: Final = Kind("batch/v1", "Job")


def expires_at(job: dict[str, Any]) -> datetime | None:
    """When a finished Job with a TTL expires (``getFinishAndExpireTime``), None when it never does."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    if ttl is None or job["metadata"].get("deletionTimestamp"):
        return None
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            finished = parse_time(str(c.get("lastTransitionTime") or ""))
            return None if finished is None else finished + timedelta(seconds=int(ttl))
    return None


class TTLAfterFinishedReconciler:
    """kube's ``processJob``."""

    def __init__(self, manager: Manager, client: InProcessClient, *, clock: Clock = REAL_CLOCK) -> None:
        self.cache = manager.cache
        self.client = client
        self.clock = clock

    def _left(self, job: dict[str, Any]) -> float | None:
        expiry = expires_at(job)
        return None if expiry is None else (expiry - self.clock.now()).total_seconds()

    async def reconcile(self, request: Request) -> Result | None:
        job = self.cache.get(JOB, request.name, request.namespace)
        if job is None:
            return None
        left = self._left(job)
        if left is None:
            return None
        if left > 0:
            return Result(requeue_after=left)
        try:
            fresh = await self.client.get(JOB, request.name, request.namespace)
        except errors.NotFound:
            return None
        left = self._left(fresh)
        if left is None:
            return None
        if left > 0:
            return Result(requeue_after=left)
        try:
            await self.client.delete(JOB, request.name, request.namespace, propagation_policy="Foreground",
                                     preconditions={"uid": fresh["metadata"]["uid"]})
        except errors.NotFound:
            pass
        return None


def add_ttl_after_finished_controller(manager: Manager, client: InProcessClient, *,
                                      clock: Clock = REAL_CLOCK) -> None:
    """The TTL-after-finished controller on ``manager``; ``clock`` is injectable."""
    controller = (Builder(manager)
                  .named("ttlafterfinished")
                  .for_(JOB)
                  .complete(TTLAfterFinishedReconciler(manager, client, clock=clock)))

    def wake() -> None:
        for job in manager.cache.list(JOB):
            if expires_at(job) is not None:
                controller.queue.add(Request.of(job))
    clock.subscribe(wake)


__all__ = ["TTLAfterFinishedReconciler", "add_ttl_after_finished_controller", "expires_at"]
