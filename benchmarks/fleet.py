"""Fleet benchmark: one controller process managing N member clusters from kubeconfig Secrets.

One run:

1. starts, in a child process, a host API server and N member API servers (in-process, memory
   storage, no built-in controllers: the members are what the fleet talks to, not what is measured);
2. in this process, starts a :class:`~setpoint.runtime.fleet.Fleet` over the host with one
   ConfigMap controller per member, creates the N kubeconfig Secrets and times until every
   member's manager has synced (*start all*); resident memory before and after, divided by N,
   is the *memory per member* (client, manager, informer, cache, queue and workers);
3. times a ConfigMap created on a member until its reconcile, on 10 members (*steady latency*);
4. rotates one member's Secret (a new endpoint) and at once creates a ConfigMap on that member and
   on another one: times the re-created manager's sync and both reconciles (*rotation latency*),
   and checks that no other member's informer listed again.

    .venv/bin/python benchmarks/fleet.py [--members 50] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from setpoint.runtime import Builder, Config, HTTPClient, Kind, Request
from setpoint.runtime.fleet import Fleet, Member
from setpoint.testing import eventually

CM = Kind("v1", "ConfigMap")
SECRET = Kind("v1", "Secret")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the child: the servers ---------------------------------------------------------------------


async def serve(n: int, out: Path) -> None:
    from setpoint.apiserver import pki
    from setpoint.controlplane import ControlPlane

    cluster = pki.load_or_create(None)
    planes = []
    with tempfile.TemporaryDirectory(prefix="setpoint-fleet-bench-") as tmp:
        for i in range(n + 1):
            d = Path(tmp) / str(i)
            d.mkdir()
            cp = ControlPlane("memory://", port=0, data_dir=d, cluster_pki=cluster, controllers=())
            await cp.start()
            planes.append(cp)
        tmp_out = out.with_suffix(".tmp")
        tmp_out.write_text(json.dumps([cp.kubeconfig for cp in planes]))
        tmp_out.rename(out)
        await asyncio.Event().wait()


# -- the parent: the fleet ----------------------------------------------------------------------


async def measure(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "kubeconfigs.json"
        child = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve", str(n), "--out", str(out),
                                                     env={**os.environ})
        try:
            started = time.monotonic()

            def ready() -> bool:
                if child.returncode is not None:
                    raise SystemExit("the servers' process died")
                return out.exists()

            await eventually(ready, timeout=600, interval=0.1)
            print(f"{n + 1} servers up in {time.monotonic() - started:.1f} s (child process)", flush=True)
            kubeconfigs = json.loads(out.read_text())
            return await _run(n, kubeconfigs)
        finally:
            child.terminate()
            await child.wait()


async def _run(n: int, kubeconfigs: list[dict[str, Any]]) -> dict[str, Any]:
    host = HTTPClient(Config.from_kubeconfig_dict(kubeconfigs[0]))
    members_cfg = kubeconfigs[1:]
    clients = [HTTPClient(Config.from_kubeconfig_dict(k)) for k in members_cfg]  # the harness's own
    try:
        return await _measure_fleet(n, host, members_cfg, clients)
    finally:
        for c in clients:
            await c.close()
        await host.close()


async def _measure_fleet(n: int, host: HTTPClient, members_cfg: list[dict[str, Any]],
                         clients: list[HTTPClient]) -> dict[str, Any]:
    await host.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fleet"}})
    cm = CM
    for c in clients[:1]:
        await c.resource(cm)  # warm the imports and TLS of this process before the baseline
    reconciled: dict[tuple[str, int, str], float] = {}  # (member, its manager's generation, name): when
    seen: defaultdict[tuple[str, int, str], asyncio.Event] = defaultdict(asyncio.Event)
    fleet = Fleet(host, namespace="fleet", workers=16)

    def setup(member: Member) -> None:
        generation = fleet.generations.get(member.name, 0) + 1

        async def reconcile(req: Request) -> None:
            key = (member.name, generation, req.name)
            reconciled.setdefault(key, time.monotonic())
            seen[key].set()

        Builder(member.manager).named(f"cm-{member.name}").for_(cm, namespace="bench").complete(reconcile)

    fleet.for_members(setup)

    def secret(i: int, kubeconfig: dict[str, Any]) -> dict[str, Any]:
        data = base64.b64encode(yaml.safe_dump(kubeconfig).encode()).decode()
        return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"m{i}", "namespace": "fleet"},
                "data": {"kubeconfig": data}}

    import gc
    gc.collect()
    before = rss_mib()
    async with fleet.running():
        t0 = time.monotonic()
        await asyncio.gather(*(host.create(secret(i, k)) for i, k in enumerate(members_cfg)))
        await asyncio.gather(*(fleet.wait_member(f"m{i}", timeout=300) for i in range(n)))
        start_all = time.monotonic() - t0
        gc.collect()
        after = rss_mib()
        print(f"start all {n}: {start_all:.2f} s; RSS {before:.0f} -> {after:.0f} MiB "
              f"({(after - before) / n:.2f} MiB a member)", flush=True)

        async def create_and_time(i: int, name: str, *, generation: int = 1, since: float | None = None) -> float:
            t = time.monotonic() if since is None else since
            await clients[i].create({"apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": {"name": name, "namespace": "bench"}})
            await seen[(f"m{i}", generation, name)].wait()
            return reconciled[(f"m{i}", generation, name)] - t

        for i in range(n):  # the namespace on every member
            await clients[i].create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
        steady = [await create_and_time(i, "steady") for i in range(min(10, n))]
        print(f"steady reconcile latency: median {statistics.median(steady) * 1000:.1f} ms, "
              f"max {max(steady) * 1000:.1f} ms", flush=True)

        rotated, other = 0, min(1, n - 1)
        lists_before = {name: [inf.lists for inf in m.cache.informers] for name, m in fleet.members.items()}
        current = await host.get(SECRET, "m0", "fleet")
        moved = dict(members_cfg[rotated])
        moved["clusters"] = [{**c, "cluster": {**c["cluster"],
                                               "server": c["cluster"]["server"].replace("127.0.0.1", "localhost")}}
                             for c in moved["clusters"]]
        current["data"] = secret(0, moved)["data"]
        t_rot = time.monotonic()
        await host.update(current)
        # the object made on the rotated member as its Secret changes: reconciled by the new manager
        latency_rotated, latency_other = await asyncio.gather(
            create_and_time(rotated, "during-rotation", generation=2, since=t_rot),
            create_and_time(other, "during-rotation"))
        await eventually(lambda: fleet.generations.get("m0") == 2, interval=0.001)
        member = await fleet.wait_member("m0")
        recreated = time.monotonic() - t_rot
        relisted = [name for name, m in fleet.members.items() if name != "m0"
                    and [inf.lists for inf in m.cache.informers] != lists_before[name]]
        print(f"rotation: new manager synced {recreated * 1000:.0f} ms after the Secret update; a ConfigMap "
              f"created then: reconciled by the new manager {latency_rotated * 1000:.0f} ms after the update; "
              f"one created on another member meanwhile: {latency_other * 1000:.1f} ms; members listing again: "
              f"{relisted or 'none'}", flush=True)
        assert member.manager.ready
    return {"members": n, "start_all_s": start_all, "rss_before_mib": before, "rss_after_mib": after,
            "mib_per_member": (after - before) / n, "steady_median_ms": statistics.median(steady) * 1000,
            "rotation_resync_ms": recreated * 1000, "rotated_member_reconcile_ms": latency_rotated * 1000,
            "other_member_reconcile_ms": latency_other * 1000, "relisted": relisted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(serve(args.serve, args.out))
        return
    result = asyncio.run(measure(args.members))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
