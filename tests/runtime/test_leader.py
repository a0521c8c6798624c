"""Leader election on a Lease: failover after a kill, and losing the lease stops reconciling at once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from leader_child import LEASE_DURATION, RETRY_PERIOD, election, job_controller
from runtime_helpers import CM, LEASE

from setpoint.runtime import Builder, LeaderElection, LeadershipLost, Manager, Request
from setpoint.runtime.leader import micro_time
from setpoint.testing import ApiServer, eventually

CHILD = Path(__file__).with_name("leader_child.py")


async def lease_holder(api: ApiServer) -> str | None:
    try:
        lease = await api.client.get(LEASE, "jobs-leader", "default")
    except Exception:
        return None
    holder: str | None = lease["spec"].get("holderIdentity")
    return holder


async def result_by(api: ApiServer, name: str) -> str | None:
    try:
        cm = await api.client.get(CM, f"{name}-result", "default")
    except Exception:
        return None
    by: str | None = cm["data"]["by"]
    return by


async def job(api: ApiServer, name: str) -> None:
    await api.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": name, "namespace": "default", "labels": {"role": "job"}}})


async def test_standby_takes_the_lease_within_its_duration_after_the_leader_is_killed(
        setpoint_api: ApiServer) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(CHILD.parent), *sys.path]))
    child = await asyncio.create_subprocess_exec(sys.executable, str(CHILD), str(setpoint_api.kubeconfig), "first",
                                                 env=env)
    standby = Manager(setpoint_api.client, leader_election=election("second"))
    job_controller(standby, "second")
    try:
        await eventually(lambda: lease_holder(setpoint_api), timeout=30)
        assert await lease_holder(setpoint_api) == "first"
        async with standby.running():
            await job(setpoint_api, "j1")
            assert await eventually(lambda: result_by(setpoint_api, "j1"), timeout=10) == "first"
            assert not standby.is_leader

            child.send_signal(signal.SIGKILL)  # no release: the standby must wait for expiry
            await child.wait()
            killed_at = time.monotonic()
            await job(setpoint_api, "j2")
            await eventually(lambda: standby.is_leader, timeout=LEASE_DURATION * 3)
            took = time.monotonic() - killed_at
            # within the lease duration of the last renewal we saw, plus one retry period (with jitter)
            assert took <= LEASE_DURATION + RETRY_PERIOD * 2.2 + 0.5, took
            assert await lease_holder(setpoint_api) == "second"
            assert await eventually(lambda: result_by(setpoint_api, "j2"), timeout=10) == "second", \
                "the work continues on the new leader"
        assert await lease_holder(setpoint_api) == "", "a clean stop releases the lease"
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


async def test_losing_the_lease_cancels_running_reconciles_at_once(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    election = LeaderElection("stolen", identity="me", lease_duration=3.0, renew_deadline=2.0, retry_period=0.3)
    mgr = Manager(client, leader_election=election)
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def reconcile(req: Request) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    Builder(mgr).for_(CM).complete(reconcile)
    task = mgr.start()
    await eventually(lambda: mgr.is_leader, timeout=10)
    await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}})
    await asyncio.wait_for(started.wait(), 10)

    lease = await client.get(LEASE, "stolen", "default")
    lease["spec"].update(holderIdentity="thief", renewTime=micro_time(), acquireTime=micro_time())
    await client.update(lease)
    stolen_at = time.monotonic()
    await asyncio.wait_for(cancelled.wait(), 5)
    assert time.monotonic() - stolen_at <= election.retry_period + 1.0
    try:
        await asyncio.wait_for(task, 10)
    except LeadershipLost:
        pass
    else:
        raise AssertionError("run() should raise LeadershipLost")
    assert (await client.get(LEASE, "stolen", "default"))["spec"]["holderIdentity"] == "thief", \
        "a manager that lost the lease does not release somebody else's lease"
