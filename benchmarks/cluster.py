"""Cluster-behaviour benchmarks against a real ``setpoint up`` (its built-in controllers included).

``gc``: one owner ConfigMap with N dependent ConfigMaps (default 10,000); the owner is
deleted (background) and the time until the garbage collector has deleted every
dependent is measured, with the server process's CPU seconds over that span (the
controllers run inside it, so this is controller plus API work) and its peak RSS.

``rollout``: a Deployment of N replicas (default 1,000; maxSurge and maxUnavailable 25%) rolled
to a new pod template. A stand-in kubelet here watches the pods and marks each new one Running and
Ready (``pods/status``) as soon as it appears; the time from the template change until the
Deployment reports the rollout complete (every replica updated and available, the old ReplicaSet
at zero) is measured, with the server's CPU seconds (API server plus the ReplicaSet and
Deployment controllers) and its peak RSS.

    .venv/bin/python benchmarks/cluster.py [gc|rollout] [--dependents N] [--replicas N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from apiserver import free_port, peak_rss_mib, request, start_server

NS_PATH = "/api/v1/namespaces/default/configmaps"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def create_dependents(port: int, owner: dict[str, Any], n: int, concurrency: int = 32) -> None:
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
           "uid": owner["metadata"]["uid"]}
    names = iter(range(n))
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
        async def worker() -> None:
            for i in names:
                body = {"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": f"dep-{i}", "ownerReferences": [ref]}, "data": {"i": str(i)}}
                async with session.post(NS_PATH, json=body) as r:
                    if r.status != 201:
                        raise SystemExit(f"create failed: {r.status} {await r.text()}")
        await asyncio.gather(*(worker() for _ in range(concurrency)))


def remaining(port: int) -> int:
    # (not the namespace's kube-root-ca.crt, the root-CA publisher's, nor the owner)
    out = request(port, "GET", NS_PATH + "?limit=1&fieldSelector=metadata.name%21%3Dkube-root-ca.crt")
    meta = out.get("metadata") or {}
    assert isinstance(meta, dict)
    return len(out.get("items") or []) + int(meta.get("remainingItemCount") or 0)  # type: ignore[arg-type]


def bench_gc(dependents: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_server(Path(tmp) / "data", port, None)
        try:
            owner = request(port, "POST", NS_PATH, {"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"name": "owner"}})
            t0 = time.monotonic()
            asyncio.run(create_dependents(port, owner, dependents))
            print(f"gc: created {dependents} dependents in {time.monotonic() - t0:.1f} s")
            cpu0 = cpu_seconds(proc.pid)
            t0 = time.monotonic()
            request(port, "DELETE", NS_PATH + "/owner")
            while remaining(port):
                time.sleep(0.05)
            took = time.monotonic() - t0
            cpu = cpu_seconds(proc.pid) - cpu0
            print(f"gc: {dependents} dependents collected in {took:.2f} s; server+controllers CPU {cpu:.2f} s; "
                  f"server peak RSS {peak_rss_mib(proc.pid):.0f} MiB")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


DEPLOY_PATH = "/apis/apps/v1/namespaces/default/deployments"
PODS_PATH = "/api/v1/namespaces/default/pods"


async def kubelet(port: int, stop: asyncio.Event, workers: int = 16) -> None:
    """Marks every pod that appears Running and Ready, until ``stop``."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    status = {"status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True", "lastTransitionTime": now}]}}
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
        async def watch() -> None:
            async with session.get(PODS_PATH, params={"watch": "1"}, timeout=aiohttp.ClientTimeout(total=None)) as r:
                async for line in r.content:
                    event = json.loads(line)
                    if event["type"] == "ADDED":
                        queue.put_nowait(event["object"]["metadata"]["name"])

        async def worker() -> None:
            while True:
                name = await queue.get()
                async with session.patch(f"{PODS_PATH}/{name}/status", json=status,
                                         headers={"Content-Type": "application/merge-patch+json"}) as r:
                    if r.status not in (200, 404):
                        raise SystemExit(f"pod status failed: {r.status} {await r.text()}")

        tasks = [asyncio.create_task(watch()), *(asyncio.create_task(worker()) for _ in range(workers))]
        await stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def rolled_out(port: int, replicas: int) -> bool:
    d = request(port, "GET", DEPLOY_PATH + "/web")
    meta, st = d["metadata"], d.get("status") or {}
    assert isinstance(meta, dict) and isinstance(st, dict)
    conds = {c["type"]: c for c in st.get("conditions") or ()}
    return (st.get("observedGeneration") == meta["generation"] and st.get("updatedReplicas") == replicas
            and st.get("replicas") == replicas and st.get("availableReplicas") == replicas
            and conds.get("Progressing", {}).get("reason") == "NewReplicaSetAvailable")


async def _until(check: Any, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(0.1)


def deployment(replicas: int, image: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}}}


async def _rollout(port: int, pid: int, replicas: int) -> None:
    stop = asyncio.Event()
    kube = asyncio.create_task(kubelet(port, stop))
    t0 = time.monotonic()
    await asyncio.to_thread(request, port, "POST", DEPLOY_PATH, deployment(replicas, "nginx:1"))
    await _until(lambda: rolled_out(port, replicas))
    print(f"rollout: {replicas} replicas created and ready in {time.monotonic() - t0:.1f} s")
    cpu0 = cpu_seconds(pid)
    t0 = time.monotonic()
    await asyncio.to_thread(request, port, "PUT", DEPLOY_PATH + "/web", deployment(replicas, "nginx:2"))
    await _until(lambda: rolled_out(port, replicas))
    took = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0
    stop.set()
    await kube
    pods = request(port, "GET", PODS_PATH)["items"]
    assert isinstance(pods, list)
    new = sum(1 for p in pods if p["spec"]["containers"][0]["image"] == "nginx:2")
    if (len(pods), new) != (replicas, replicas):
        raise SystemExit(f"rollout: {len(pods)} pods, {new} of the new template")
    print(f"rollout: {replicas} replicas rolled to a new template in {took:.2f} s; server+controllers CPU "
          f"{cpu:.2f} s; server peak RSS {peak_rss_mib(pid):.0f} MiB")


def bench_rollout(replicas: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_server(Path(tmp) / "data", port, None)
        try:
            asyncio.run(_rollout(port, proc.pid, replicas))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("section", nargs="?", default="gc", choices=["gc", "rollout"])
    parser.add_argument("--dependents", type=int, default=10_000)
    parser.add_argument("--replicas", type=int, default=1_000)
    args = parser.parse_args()
    if args.section == "gc":
        bench_gc(args.dependents)
    elif args.section == "rollout":
        bench_rollout(args.replicas)


if __name__ == "__main__":
    main()
