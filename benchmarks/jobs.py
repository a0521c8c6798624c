"""Job controller throughput, in-process: a Job of N completions run to Complete.

An API server on memory storage with the job controller (no HTTP in between); the benchmark
plays the kubelet, marking each pod ``Succeeded`` as soon as it appears, and measures the time
from the Job's creation to its ``Complete`` condition: pod creates, status writes, finalizer
removals and the counting through ``uncountedTerminatedPods`` all included.

    .venv/bin/python benchmarks/jobs.py [--completions N] [--parallelism P]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time

from setpoint import storage
from setpoint.apiserver.server import APIServer
from setpoint.controllers.inprocess import InProcessClient
from setpoint.controllers.job import add_job_controller
from setpoint.runtime.manager import Manager
from setpoint.runtime.resource import Kind

POD, JOB = Kind("v1", "Pod"), Kind("batch/v1", "Job")


async def run(completions: int, parallelism: int) -> None:
    store = await storage.open_storage("memory://", compact_interval=0)
    api = APIServer(store)
    await api.start("127.0.0.1", 0)
    client = InProcessClient(api.registry, api.objects)
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
    manager = Manager(client)
    add_job_controller(manager, client)
    task = manager.start()
    await manager.wait_ready()
    finished: set[str] = set()
    start = time.perf_counter()
    await client.create({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "bench"},
                         "spec": {"completions": completions, "parallelism": parallelism, "template": {"spec": {
                             "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}})
    while True:
        for pod in (await client.list(POD, "bench"))["items"]:
            if pod["status"].get("phase") == "Pending" and pod["metadata"]["name"] not in finished:
                pod["status"]["phase"] = "Succeeded"
                await client.update_status(pod)
                finished.add(pod["metadata"]["name"])
        job = await client.get(JOB, "j", "bench")
        if any(c["type"] == "Complete" for c in job["status"].get("conditions") or ()):
            break
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - start
    print(f"completions={completions} parallelism={parallelism}: {elapsed:.2f} s to Complete, "
          f"{completions / elapsed:.0f} pods/s; succeeded={job['status']['succeeded']}, pods made={len(finished)}")
    await manager.close()
    task.cancel()
    await api.stop()
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completions", type=int, default=500)
    parser.add_argument("--parallelism", type=int, default=100)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # optimistic-concurrency retries are expected
    asyncio.run(run(args.completions, args.parallelism))


if __name__ == "__main__":
    main()
