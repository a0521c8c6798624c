"""The TTL-after-finished controller deletes finished Jobs when their TTL passes (injected clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from controllers_helpers import running

from setpoint.apimachinery.clock import FakeClock, format_time
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.server import APIServer
from setpoint.controllers.garbagecollector import add_garbage_collector
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.ttlafterfinished import add_ttl_after_finished_controller
from setpoint.runtime import errors
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

JOB = Kind("batch/v1", "Job")
CONFIG_MAP = Kind("v1", "ConfigMap")
NS = "ttl"
TIMEOUT = 10.0


@pytest.fixture
async def ttl(api: APIServer, client: InProcessClient, clock: FakeClock) -> AsyncIterator[Manager]:
    async with running(client, NS, lambda m: add_ttl_after_finished_controller(m, client, clock=clock),
                       lambda m: add_garbage_collector(m, client)) as manager:
        yield manager


async def finished_job(client: InProcessClient, name: str, ttl: int | None, at: datetime) -> Obj:
    spec: Obj = {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}}
    if ttl is not None:
        spec["ttlSecondsAfterFinished"] = ttl
    job = await client.create({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": NS},
                               "spec": spec})
    t = format_time(at)
    job["status"] = {"startTime": t, "completionTime": t, "succeeded": 1, "conditions": [
        {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": t, "lastTransitionTime": t},
        {"type": "Complete", "status": "True", "lastProbeTime": t, "lastTransitionTime": t}]}
    return await client.update_status(job)


async def exists(client: InProcessClient, name: str) -> bool:
    try:
        await client.get(JOB, name, NS)
    except errors.NotFound:
        return False
    return True


async def test_a_finished_job_is_deleted_after_its_ttl(client: InProcessClient, ttl: Manager,
                                                       clock: FakeClock) -> None:
    job = await finished_job(client, "short", 60, clock.now())
    await finished_job(client, "forever", None, clock.now())
    # A dependent of the Job: Foreground deletion removes it before the Job.
    await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "output", "namespace": NS, "ownerReferences": [{
            "apiVersion": "batch/v1", "kind": "Job", "name": "short", "uid": job["metadata"]["uid"],
            "blockOwnerDeletion": True}]}})
    clock.step(30)
    assert await exists(client, "short")
    clock.step(31)

    async def gone() -> bool:
        assert not await exists(client, "short")
        return True
    await eventually(gone, timeout=TIMEOUT)
    with pytest.raises(errors.NotFound):
        await client.get(CONFIG_MAP, "output", NS)
    assert await exists(client, "forever")


async def test_an_unfinished_job_stays(client: InProcessClient, ttl: Manager, clock: FakeClock) -> None:
    await client.create({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "running", "namespace": NS},
                         "spec": {"ttlSecondsAfterFinished": 0, "template": {"spec": {
                             "containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}}})
    clock.step(3600)
    await finished_job(client, "done", 0, clock.now())

    async def done_gone() -> bool:
        assert not await exists(client, "done")
        return True
    await eventually(done_gone, timeout=TIMEOUT)
    assert await exists(client, "running")
