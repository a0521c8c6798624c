"""StatefulSet and DaemonSet controllers against a real ``setpoint up``.

``statefulset``: a Parallel StatefulSet of N replicas (default 200): the time until every pod
exists and the status counts them; every pod is then made Running and Ready (as a kubelet
reports it, through ``pods/status``) and the time until ``readyReplicas`` is N; then a
rolling update with ``maxUnavailable`` 10%, the test playing the kubelet for each new pod,
until every pod is at the update revision and Ready.

``daemonset``: N Nodes (default 200) and one DaemonSet: the time until a pod is pinned to
every node and the status counts them.

Each prints the server process's CPU seconds over the span and its peak RSS.

    .venv/bin/python benchmarks/workload_sets.py [statefulset|daemonset] [-n N]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from cluster import cpu_seconds

from apiserver import free_port, peak_rss_mib, request, start_server

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"
MERGE = {"Content-Type": "application/merge-patch+json"}
READY = {"status": {"phase": "Running", "conditions": [
    {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}


def workload(kind: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "bench"},
            "spec": {"selector": {"matchLabels": {"app": "bench"}},
                     "template": {"metadata": {"labels": {"app": "bench"}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}, **spec}}


def wait_for(check: Any, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.02)


def status(port: int, plural: str) -> dict[str, Any]:
    out = request(port, "GET", f"{APPS}/{plural}/bench")
    return out.get("status") or {}  # type: ignore[return-value]


async def ready_pods(port: int, image: str | None = None) -> int:
    """Mark every pod not yet Running (of ``image``, if given) Running and Ready; how many were."""
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
        async with session.get(f"{NS}/pods?labelSelector=app%3Dbench") as r:
            pods = (await r.json())["items"]
        todo = [p["metadata"]["name"] for p in pods if (p.get("status") or {}).get("phase") != "Running"
                and (image is None or p["spec"]["containers"][0]["image"] == image)]

        async def mark(name: str) -> None:
            async with session.patch(f"{NS}/pods/{name}/status", json=READY, headers=MERGE) as r:
                await r.read()

        await asyncio.gather(*(mark(n) for n in todo))
        return len(todo)


def report(what: str, took: float, port_pid: int, cpu0: float) -> None:
    print(f"{what}: {took:.2f} s; server+controllers CPU {cpu_seconds(port_pid) - cpu0:.2f} s")


def bench_statefulset(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_server(Path(tmp) / "data", port, None)
        try:
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            request(port, "POST", f"{APPS}/statefulsets", workload(
                "StatefulSet", replicas=n, podManagementPolicy="Parallel",
                updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}}))
            wait_for(lambda: status(port, "statefulsets").get("replicas") == n)
            report(f"statefulset: {n} pods created and counted", time.monotonic() - t0, proc.pid, cpu0)
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            asyncio.run(ready_pods(port))
            wait_for(lambda: status(port, "statefulsets").get("readyReplicas") == n)
            report(f"statefulset: {n} pods marked Ready and counted", time.monotonic() - t0, proc.pid, cpu0)
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}}
            _merge(port, f"{APPS}/statefulsets/bench", patch)

            def rolled() -> bool:
                asyncio.run(ready_pods(port, "nginx:1.28"))
                s = status(port, "statefulsets")
                return bool(s.get("observedGeneration") == 2 and s.get("updatedReplicas") == n
                            and s.get("readyReplicas") == n
                            and s.get("currentRevision") == s.get("updateRevision"))

            wait_for(rolled)
            report(f"statefulset: rolling update of {n} pods, maxUnavailable 10%", time.monotonic() - t0,
                   proc.pid, cpu0)
            print(f"statefulset: server peak RSS {peak_rss_mib(proc.pid):.0f} MiB")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _merge(port: int, path: str, body: object) -> None:
    async def run() -> None:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session, \
                session.patch(path, json=body, headers=MERGE) as r:
            if r.status != 200:
                raise SystemExit(f"patch failed: {r.status} {await r.text()}")

    asyncio.run(run())


def bench_daemonset(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_server(Path(tmp) / "data", port, None)
        try:
            for i in range(n):
                request(port, "POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node",
                                                        "metadata": {"name": f"node-{i}"}})
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            request(port, "POST", f"{APPS}/daemonsets", workload("DaemonSet"))
            wait_for(lambda: status(port, "daemonsets").get("currentNumberScheduled") == n)
            report(f"daemonset: a pod on each of {n} nodes, counted", time.monotonic() - t0, proc.pid, cpu0)
            print(f"daemonset: server peak RSS {peak_rss_mib(proc.pid):.0f} MiB")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("section", nargs="?", default="statefulset", choices=["statefulset", "daemonset"])
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    if args.section == "statefulset":
        bench_statefulset(args.n)
    else:
        bench_daemonset(args.n)


if __name__ == "__main__":
    main()
