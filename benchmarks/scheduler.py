"""The scheduler's throughput: pods scheduled (and bound) per second onto N nodes, in-process.

An API server on memory storage; N Nodes (32 cpu, 128 Gi, 110 pods each, in 3 zones) and
P pending Pods (100m cpu, 128 Mi each) are created first; then the scheduler starts and the
clock runs until every pod is bound -- filters, scores, the ``pods/binding`` write and the
``Scheduled`` Event included. A second measure times the scheduling cycles alone (no
writes): ``Framework.schedule`` over the same snapshot, the chosen node assumed.

``--owned``: the pods are a ReplicaSet's (labels ``app: web``, its controller reference), as a
Deployment's are: kube's default topology spreading (by hostname and zone, over the pods
its selector matches) scores them. ``--existing N``: N such pods are already bound, spread
over the nodes, before the clock starts.

    .venv/bin/python benchmarks/scheduler.py [--nodes 100 1000] [--pods 1000] [--owned] [--existing N]
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


RS_UID = "00000000-0000-0000-0000-000000000001"


def pod(i: int, owner_uid: str | None = None, node_name: str | None = None) -> dict:
    p: dict = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"pod-{i}", "namespace": NS},
               "spec": {"containers": [{"name": "c", "image": "nginx",
                                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}
    if owner_uid is not None:
        p["metadata"]["labels"] = {"app": "web"}
        p["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                             "uid": owner_uid, "controller": True}]
    if node_name is not None:
        p["spec"]["nodeName"] = node_name
    return p


def replica_set() -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web", "namespace": NS},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


async def end_to_end(nodes: int, pods: int, owned: bool = False, existing: int = 0) -> float:
    store = await storage.open_storage("memory://", compact_interval=0)
    server = APIServer(store)
    await server.start("127.0.0.1", 0)
    client = InProcessClient(server.registry, server.objects)
    try:
        for i in range(nodes):
            created = await client.create(node(i))
            created["status"] = node(i)["status"]
            await client.update_status(created)
        uid = (await client.create(replica_set(), NS))["metadata"]["uid"] if owned or existing else None
        for i in range(existing):
            await client.create(pod(pods + i, uid, f"node-{i % nodes}"), NS)
        for i in range(pods):
            await client.create(pod(i, uid if owned else None), NS)
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


def cycles_only(nodes: int, pods: int, owned: bool = False, existing: int = 0) -> float:
    fw = Framework(selectors=lambda _: [{"matchLabels": {"app": "web"}}] if owned else [])
    try:  # the scheduler's index of pod groups by topology value, where there is one
        from setpoint.controllers.scheduler.plugins import TopologyGroups
        fw.topology = TopologyGroups()
        infos = [NodeInfo(node(i), topology=fw.topology) for i in range(nodes)]
    except ImportError:
        infos = [NodeInfo(node(i)) for i in range(nodes)]
    by_name = {n.name: n for n in infos}
    snap = Snapshot(infos)
    for i in range(existing):
        infos[i % nodes].add_pod(PodInfo.of(pod(pods + i, RS_UID)))
    start = time.perf_counter()
    for i in range(pods):
        p = PodInfo.of(pod(i, RS_UID if owned else None))
        by_name[fw.schedule(p, snap)].add_pod(p)
    return pods / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--owned", action="store_true", help="a ReplicaSet's pods (default spreading)")
    parser.add_argument("--existing", type=int, default=0, help="pods already bound before the clock starts")
    args = parser.parse_args()
    print("| nodes | pods | owned | existing | scheduled and bound, pods/s | scheduling cycles alone, pods/s |")
    print("|---:|---:|---|---:|---:|---:|")
    for n in args.nodes:
        e2e = asyncio.run(end_to_end(n, args.pods, args.owned, args.existing))
        alone = cycles_only(n, args.pods, args.owned, args.existing)
        print(f"| {n:,} | {args.pods:,} | {'yes' if args.owned else 'no'} | {args.existing:,} | {e2e:,.0f} "
              f"| {alone:,.0f} |")


if __name__ == "__main__":
    main()
