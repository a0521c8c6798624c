"""The simulated fleet's own cost: N nodes registered, then their heartbeats at rest.

A whole control plane in-process (``ControlPlane(nodes=N)``: API server, every built-in
controller, the scheduler, the node agent) on the given storage. Measured: the wall and CPU
time from start until every node has its Lease; then, over ``--seconds`` of rest (no pods),
the share of one core the process uses -- Lease renewals every 10 s per node and the node
lifecycle controller watching them -- and whether every node stayed Ready and untainted.

    .venv/bin/python benchmarks/fleet_nodes.py [--nodes 1000] [--seconds 30] [--storage memory://]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from setpoint.controlplane import ControlPlane
from setpoint.runtime.client import items
from setpoint.runtime.resource import Kind
from setpoint.testing import eventually

NODE = Kind("v1", "Node")
LEASE = Kind("coordination.k8s.io/v1", "Lease")


async def measure(nodes: int, seconds: float, storage_url: str) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="setpoint-fleet-"))
    url = storage_url or f"sqlite:///{data_dir / 'state.db'}"
    plane = ControlPlane(url, port=0, data_dir=data_dir, nodes=nodes)
    wall, cpu = time.perf_counter(), time.process_time()
    await plane.start()
    assert plane.controllers is not None
    client = plane.controllers.client

    async def all_leased() -> bool:
        return len(items(await client.list(LEASE, "kube-node-lease"))) >= nodes

    await eventually(all_leased, timeout=600, interval=0.05)
    print(f"{nodes} nodes registered, with Leases: {time.perf_counter() - wall:.2f} s wall, "
          f"{time.process_time() - cpu:.2f} s CPU ({url.split(':')[0]})")
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.sleep(seconds)
    share = (time.process_time() - cpu) / (time.perf_counter() - wall)
    listed = items(await client.list(NODE))
    ready = sum(1 for n in listed if any(c.get("type") == "Ready" and c.get("status") == "True"
                                         for c in (n.get("status") or {}).get("conditions") or []))
    tainted = sum(1 for n in listed if (n.get("spec") or {}).get("taints"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"at rest for {seconds:.0f} s: {share:.1%} of a core; {ready}/{len(listed)} Ready, {tainted} tainted; "
          f"max RSS {rss:.0f} MiB")
    await plane.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--storage", default="", help="storage URL (default: SQLite in a temporary directory)")
    args = parser.parse_args()
    asyncio.run(measure(args.nodes, args.seconds, args.storage))


if __name__ == "__main__":
    main()
