"""A manager with leader election, run as a separate process by test_leader.py (which kills it)."""

from __future__ import annotations

import asyncio
import sys

from setpoint.runtime import Builder, HTTPClient, Kind, LeaderElection, Manager, Request
from setpoint.runtime import objects as objs

CM = Kind("v1", "ConfigMap")
LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = 3.0, 2.0, 0.5


def election(identity: str) -> LeaderElection:
    return LeaderElection("jobs-leader", identity=identity, lease_duration=LEASE_DURATION,
                          renew_deadline=RENEW_DEADLINE, retry_period=RETRY_PERIOD)


def job_controller(mgr: Manager, identity: str) -> None:
    """For each ConfigMap labelled role=job, write ``<name>-result`` saying who handled it."""
    client = mgr.client

    async def reconcile(req: Request) -> None:
        def mutate(cm: dict[str, object]) -> None:
            cm["data"] = {"by": identity}
        await objs.create_or_patch(client, CM, f"{req.name}-result", req.namespace, mutate)

    Builder(mgr).named("jobs").for_(CM, label_selector="role=job").complete(reconcile)


async def main(kubeconfig: str, identity: str) -> None:
    client = HTTPClient.from_kubeconfig(kubeconfig)
    mgr = Manager(client, leader_election=election(identity))
    job_controller(mgr, identity)
    await mgr.run(handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
