"""The scheduler's throughput: pods scheduled (and bound) per second onto N nodes, in-process.

An API server on memory storage; N Nodes (32 cpu, 128 Gi, 110 pods each, in 3 zones) and
P pending Pods (100m cpu, 128 Mi each) are created first; then the scheduler starts and the
clock runs until every pod is bound -- filters, scores, the ``pods/binding`` write and the
``Scheduled`` Event included. A second measure times the scheduling cycles alone (no
writes): ``Framework.schedule`` over the same snapshot, the chosen node assumed.

    .venv/bin/python benchmarks/scheduler.py [--nodes 100 1000] [--pods 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from setpoint import storage
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.options import ControllerOptions
from setpoint.controllers.scheduler import add_scheduler
from setpoint.controllers.scheduler.framework import Framework, Snapshot
from setpoint.controllers.scheduler.plugins import NodeInfo, PodInfo
from setpoint.runtime.manager import Manager
from setpoint.testing import eventually

NS = "default"


def node(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": f"node-{i}", "labels": {"kubernetes.io/hostname": f"node-{i}",
                                                         "topology.kubernetes.io/zone": f"zone-{i % 3}"}},
            "status": {"allocatable": {"cpu": "32", "memory": "128Gi", "pods": "110"}}}


def pod(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"pod-{i}", "namespace": NS},
            "spec": {"containers": [{"name": "c", "image": "nginx",
                                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}


async def end_to_end(nodes: int, pods: int) -> float:
    store = await storage.open_storage("memory://", compact_interval=0)
    server = APIServer(store)
    await server.start("127.0.0.1", 0)
    client = InProcessClient(server.registry, server.objects)
    try:
        for i in range(nodes):
            created = await client.create(node(i))
            created["status"] = node(i)["status"]
            await client.update_status(created)
        for i in range(pods):
            await client.create(pod(i), NS)
        mgr = Manager(client)
        sched = add_scheduler(mgr, client, ControllerOptions(), seed=1)
        async with mgr.running():
            start = time.perf_counter()
            await eventually(lambda: sched.scheduled >= pods, timeout=600, interval=0.005)
            elapsed = time.perf_counter() - start
        return pods / elapsed
    finally:
        await server.stop()
        await store.close()


def cycles_only(nodes: int, pods: int) -> float:
    infos = [NodeInfo(node(i)) for i in range(nodes)]
    by_name = {n.name: n for n in infos}
    fw = Framework()
    snap = Snapshot(infos)
    start = time.perf_counter()
    for i in range(pods):
        p = PodInfo.of(pod(i))
        by_name[fw.schedule(p, snap)].add_pod(p)
    return pods / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--pods", type=int, default=1000)
    args = parser.parse_args()
    print("| nodes | pods | scheduled and bound, pods/s | scheduling cycles alone, pods/s |")
    print("|---:|---:|---:|---:|")
    for n in args.nodes:
        e2e = asyncio.run(end_to_end(n, args.pods))
        alone = cycles_only(n, args.pods)
        print(f"| {n:,} | {args.pods:,} | {e2e:,.0f} | {alone:,.0f} |")


if __name__ == "__main__":
    main()
