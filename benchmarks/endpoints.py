"""How fast a Service's Endpoints and EndpointSlices follow its pods.

An in-process control plane (memory storage, the endpoints, EndpointSlice and garbage-collector
controllers) with one Service selecting N pods: the pods get an IP and turn Ready through
``pods/status`` (as a kubelet would report them), then all turn not Ready. Measured: the time from
the last status write to the Endpoints and the slices showing every pod in its new state.

    .venv/bin/python benchmarks/endpoints.py --pods 1000
"""

from __future__ import annotations

import argparse
import asyncio
import time

from setpoint.apimachinery.types import Obj
from setpoint.controllers.endpoints import MAX_CAPACITY
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controlplane import ControlPlane
from setpoint.runtime.client import items
from setpoint.runtime.resource import Kind

POD = Kind("v1", "Pod")
ENDPOINTS = Kind("v1", "Endpoints")
SLICE = Kind("discovery.k8s.io/v1", "EndpointSlice")
NS = "default"


async def _converged(client: InProcessClient, pods: int, ready: bool) -> float:
    start = time.perf_counter()
    field = "addresses" if ready else "notReadyAddresses"
    while True:
        ep = await client.get(ENDPOINTS, "bench", NS)
        listed = sum(len(s.get(field) or ()) for s in ep.get("subsets") or ())
        slices = items(await client.list(SLICE, NS, label_selector="kubernetes.io/service-name=bench"))
        in_slices = sum(1 for s in slices for e in s.get("endpoints") or () if e["conditions"]["ready"] is ready)
        if listed == min(pods, MAX_CAPACITY) and in_slices == pods:  # Endpoints are truncated past 1000
            return time.perf_counter() - start
        await asyncio.sleep(0.005)


async def _set_status(client: InProcessClient, pod: Obj, ready: bool) -> Obj:
    n = int(pod["metadata"]["name"].rsplit("-", 1)[1])
    ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    status = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
              "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                              "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    return await client.update_status({**pod, "status": status})


async def main(pods: int) -> None:
    plane = ControlPlane("memory://", port=0, controllers=["endpoint", "endpointslice", "garbagecollector"],
                         compact_interval=0)
    await plane.start()
    assert plane.server is not None
    client = InProcessClient(plane.server.registry, plane.server.objects)
    try:
        await client.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bench", "namespace": NS},
                             "spec": {"selector": {"app": "bench"}, "ports": [{"port": 80, "targetPort": 8080}]}})
        created = [await client.create({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"bench-{i}", "namespace": NS,
                                                            "labels": {"app": "bench"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}) for i in range(pods)]
        start = time.perf_counter()
        created = [await _set_status(client, p, True) for p in created]
        written = time.perf_counter() - start
        ready = await _converged(client, pods, True)
        start = time.perf_counter()
        for p in created:
            await _set_status(client, p, False)
        written_down = time.perf_counter() - start
        down = await _converged(client, pods, False)
        slices = len(items(await client.list(SLICE, NS, label_selector="kubernetes.io/service-name=bench")))
        print(f"pods={pods} slices={slices}")
        print(f"ready:     status writes {written:.2f} s, then converged after {ready:.3f} s")
        print(f"not ready: status writes {written_down:.2f} s, then converged after {down:.3f} s")
    finally:
        await plane.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=1000)
    asyncio.run(main(parser.parse_args().pods))
