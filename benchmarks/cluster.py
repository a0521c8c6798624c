"""Cluster-behaviour benchmarks against a real ``setpoint up`` (its built-in controllers included).

``gc``: one owner ConfigMap with N dependent ConfigMaps (default 10,000); the owner is
deleted (background) and the time until the garbage collector has deleted every
dependent is measured, with the server process's CPU seconds over that span (the
controllers run inside it, so this is controller plus API work) and its peak RSS.

    .venv/bin/python benchmarks/cluster.py [gc] [--dependents N]
"""

from __future__ import annotations

import argparse
import asyncio
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
    out = request(port, "GET", NS_PATH + "?limit=1")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("section", nargs="?", default="gc", choices=["gc"])
    parser.add_argument("--dependents", type=int, default=10_000)
    args = parser.parse_args()
    if args.section == "gc":
        bench_gc(args.dependents)


if __name__ == "__main__":
    main()
