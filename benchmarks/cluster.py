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

With ``--nodes N`` (N > 0) the server is a ``setpoint up --nodes N``: pods are scheduled
for real, and the kubelet marks them Ready. When the server's own node agent registers no
Nodes (no simulated fleet in this build), the benchmark registers the N Nodes itself, keeps
their Leases renewed, and plays the kubelet for the pods bound to them (``pods/status``
Running and Ready as soon as the pod is bound); ``--stand-in`` forces that.

``hold`` (goal: 1,000 nodes and 100,000 pods held under 4 GiB): ``--deployments`` Deployments
of ``--replicas`` each (default 100 x 1,000) are created at once; the time until every pod
is Ready, the server's CPU seconds over it, its RSS once they all are, again ``--settle``
seconds later (past the watch cache's history window) with the CPU it spends meanwhile
(heartbeats), and its peak.

``throughput`` (goal: >= 500 pods/s from Deployment create to Ready): one Deployment of
``--replicas`` (default 5,000) on a fresh server; pods/s from its create until it reports
every replica available.

``rollout`` with ``--nodes``: as above, with real scheduling (goal: 1,000 replicas in < 30 s).

Each phase runs ``--runs`` times (a fresh server each) and prints each run and the medians.

    .venv/bin/python benchmarks/cluster.py [gc|rollout|throughput|hold] [--dependents N] [--replicas N]
        [--deployments N] [--nodes N] [--runs N] [--stand-in]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from apiserver import free_port, peak_rss_mib, request, rss_mib, start_server

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
NODES_PATH = "/api/v1/nodes"
LEASES_PATH = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"


# -- the server and its fleet ---------------------------------------------------------------------


@dataclass
class Cluster:
    """A running ``setpoint up`` and whether the benchmark plays its fleet."""

    port: int
    proc: subprocess.Popen[bytes]
    nodes: int
    stand_in: bool

    @property
    def pid(self) -> int:
        return self.proc.pid


@contextlib.contextmanager
def cluster(nodes: int, *, stand_in: bool = False) -> Iterator[Cluster]:
    """A fresh ``setpoint up --nodes N`` (SQLite in a temporary dir), its log in a file (a full
    stderr pipe would block the server)."""
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        log = Path(tmp) / "server.log"
        cmd = [sys.executable, "-c", SERVER_CODE, "up", "--data-dir",
               str(Path(tmp) / "data"), "--port", str(port), "--log-level", "warning", "--nodes", str(nodes),
               # Plain HTTP: the load generators here present no client certificates.
               "--insecure-http", *SERVER_FLAGS]
        with log.open("wb") as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError), \
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"setpoint up did not start:\n{log.read_text()[-4000:]}")
                time.sleep(0.05)
            if nodes and not stand_in:
                # The server's node agent registers its nodes; without a fleet in this build, none come.
                deadline = time.monotonic() + 10
                while count_nodes(port) < nodes and time.monotonic() < deadline:
                    time.sleep(0.2)
                stand_in = count_nodes(port) < nodes
            yield Cluster(port, proc, nodes, stand_in)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            tail = log.read_text()[-2000:]
            if os.environ.get("BENCH_LOG"):
                Path(os.environ["BENCH_LOG"]).write_text(log.read_text())
            if "Traceback" in tail:
                print(f"server log (tail):\n{tail}")


def count_nodes(port: int) -> int:
    return len(request(port, "GET", NODES_PATH)["items"])  # type: ignore[arg-type]


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def node_object(i: int) -> dict[str, Any]:
    name = f"node-{i}"
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                                  "topology.kubernetes.io/zone": f"zone-{i % 3}"}}}


def node_status(i: int) -> dict[str, Any]:
    t = now()
    room = {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return {"status": {"capacity": room, "allocatable": room, "addresses": [
        {"type": "InternalIP", "address": f"10.1.{i // 250}.{i % 250 + 1}"}], "conditions": [
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
         "lastHeartbeatTime": t, "lastTransitionTime": t}]}}


def lease(name: str) -> dict[str, Any]:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                     "renewTime": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())}}


async def _each(items: range, fn: Any, concurrency: int = 32) -> None:
    it = iter(items)

    async def worker() -> None:
        for i in it:
            await fn(i)
    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _ok(r: aiohttp.ClientResponse, *codes: int) -> None:
    if r.status not in codes:
        raise SystemExit(f"{r.method} {r.url.path}: {r.status} {await r.text()}")


async def register_nodes(session: aiohttp.ClientSession, n: int) -> None:
    """What a fleet's node agent does first: each Node, its Ready status, its Lease."""
    async def one(i: int) -> None:
        async with session.post(NODES_PATH, json=node_object(i)) as r:
            await _ok(r, 201, 409)
        async with session.patch(f"{NODES_PATH}/node-{i}/status", json=node_status(i),
                                 headers={"Content-Type": "application/strategic-merge-patch+json"}) as r:
            await _ok(r, 200)
        async with session.post(LEASES_PATH, json=lease(f"node-{i}")) as r:
            await _ok(r, 201, 409)
    await _each(range(n), one)


async def renew_leases(session: aiohttp.ClientSession, n: int, period: float = 10.0) -> None:
    """The node heartbeats (Leases every 10 s, as a kubelet), so that no node goes unreachable."""
    while True:
        await asyncio.sleep(period)
        t0 = time.monotonic()

        async def one(i: int) -> None:
            body = {"spec": {"renewTime": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())}}
            async with session.patch(f"{LEASES_PATH}/node-{i}", json=body,
                                     headers={"Content-Type": "application/merge-patch+json"}) as r:
                await _ok(r, 200)
        await _each(range(n), one, concurrency=8)
        period = max(0.0, 10.0 - (time.monotonic() - t0))


def ready_status(node: str | None) -> dict[str, Any]:
    t = now()
    conds = [{"type": c, "status": "True", "lastProbeTime": None, "lastTransitionTime": t}
             for c in ("Initialized", "ContainersReady", "Ready")]
    status: dict[str, Any] = {"phase": "Running", "conditions": conds, "startTime": t}
    if node is not None:
        status["hostIP"] = "10.1.0.1"
        status["podIP"] = "10.244.0.1"
    return {"status": status}


async def kubelet(port: int, stop: asyncio.Event, *, bound_only: bool = False, workers: int = 32,
                  namespace: str | None = "default") -> None:
    """A stand-in kubelet: marks each pod Running and Ready (``pods/status``, a strategic merge
    patch) as soon as it appears -- or, with ``bound_only``, once it is bound to a node --
    until ``stop``."""
    queue: asyncio.Queue[tuple[str, str, str | None]] = asyncio.Queue()
    done: set[str] = set()
    path = f"/api/v1/namespaces/{namespace}/pods" if namespace else "/api/v1/pods"
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}",
                                     connector=aiohttp.TCPConnector(limit=workers + 4)) as session:
        async def watch() -> None:
            rv = ""
            while True:
                params = {"watch": "1", "allowWatchBookmarks": "true", "timeoutSeconds": "3600"}
                if rv:
                    params["resourceVersion"] = rv
                async with session.get(path, params=params, timeout=aiohttp.ClientTimeout(total=None)) as r:
                    async for line in r.content:
                        event = orjson.loads(line)
                        obj = event["object"]
                        if event["type"] == "ERROR":
                            rv = ""
                            break
                        meta = obj["metadata"]
                        rv = meta.get("resourceVersion") or rv
                        if event["type"] not in ("ADDED", "MODIFIED") or meta["uid"] in done \
                                or meta.get("deletionTimestamp"):
                            continue
                        node = obj["spec"].get("nodeName")
                        if bound_only and not node:
                            continue
                        done.add(meta["uid"])
                        queue.put_nowait((meta["namespace"], meta["name"], node))

        async def worker() -> None:
            while True:
                ns, name, node = await queue.get()
                async with session.patch(f"/api/v1/namespaces/{ns}/pods/{name}/status", data=orjson.dumps(
                        ready_status(node)), headers={"Content-Type": "application/strategic-merge-patch+json"}) as r:
                    await _ok(r, 200, 404, 409)

        tasks = [asyncio.create_task(watch()), *(asyncio.create_task(worker()) for _ in range(workers))]
        await stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def fleet(c: Cluster, *, namespace: str | None = "default") -> Any:
    """The stand-in fleet while the block runs (nothing when the server simulates its own)."""
    if not c.stand_in:
        yield
        return
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(f"http://127.0.0.1:{c.port}") as session:
        if c.nodes:
            t0 = time.monotonic()
            await register_nodes(session, c.nodes)
            print(f"  (stand-in fleet: {c.nodes} nodes registered in {time.monotonic() - t0:.1f} s)")
            tasks.append(asyncio.create_task(renew_leases(session, c.nodes)))
        tasks.append(asyncio.create_task(kubelet(c.port, stop, bound_only=c.nodes > 0, namespace=namespace)))
        try:
            yield
        finally:
            stop.set()
            for t in tasks[:-1]:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


# -- measures ---------------------------------------------------------------------------------------


def deployment_status(port: int, name: str) -> dict[str, Any]:
    d = request(port, "GET", f"{DEPLOY_PATH}/{name}")
    return d


def rolled_out(port: int, replicas: int, name: str = "web") -> bool:
    d = deployment_status(port, name)
    meta, st = d["metadata"], d.get("status") or {}
    conds = {c["type"]: c for c in st.get("conditions") or ()}
    return bool(st.get("observedGeneration") == meta["generation"] and st.get("updatedReplicas") == replicas
                and st.get("replicas") == replicas and st.get("availableReplicas") == replicas
                and conds.get("Progressing", {}).get("reason") == "NewReplicaSetAvailable")


async def _until(check: Any, timeout: float = 1800.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(interval)


def deployment(replicas: int, image: str, name: str = "web") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": image, "resources": {
                                      "requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}}


@dataclass
class Span:
    """Wall seconds, the server's CPU seconds over them, and its peak RSS at the end."""

    wall: float
    cpu: float
    peak_rss: float


#: What the server process runs (``setpoint up``'s entry point).
SERVER_CODE = "from setpoint.cli import main; main()"
#: ``--server-flag``: more flags for ``setpoint up`` (e.g. ``--sync=normal``).
SERVER_FLAGS: list[str] = []
#: ``--py-spy FILE``: record the server's stacks over each measured span (py-spy's raw format).
PY_SPY: list[str] = []


@contextlib.contextmanager
def measured(pid: int) -> Iterator[list[Span]]:
    out: list[Span] = []
    spy = None
    if PY_SPY:
        spy = subprocess.Popen(["py-spy", "record", "--format", "raw", "--rate", "200", "--nonblocking",
                                "-o", PY_SPY[0], "-p", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    yield out
    out.append(Span(time.monotonic() - t0, cpu_seconds(pid) - cpu0, peak_rss_mib(pid)))
    if spy is not None:
        spy.send_signal(2)
        spy.wait(timeout=60)


def report(name: str, rows: list[dict[str, float]]) -> None:
    """Each run, then the median of each figure."""
    for i, row in enumerate(rows, 1):
        print(f"{name} run {i}: " + ", ".join(f"{k} {v:,.2f}" for k, v in row.items()))
    if len(rows) > 1:
        print(f"{name} median of {len(rows)}: " + ", ".join(
            f"{k} {statistics.median(r[k] for r in rows):,.2f}" for k in rows[0]))


# -- rollout -----------------------------------------------------------------------------------------


async def _rollout(c: Cluster, replicas: int) -> dict[str, float]:
    port, pid = c.port, c.pid
    async with fleet(c):
        t0 = time.monotonic()
        await asyncio.to_thread(request, port, "POST", DEPLOY_PATH, deployment(replicas, "nginx:1"))
        await _until(lambda: rolled_out(port, replicas))
        created = time.monotonic() - t0
        with measured(pid) as span:
            await asyncio.to_thread(request, port, "PUT", DEPLOY_PATH + "/web", deployment(replicas, "nginx:2"))
            await _until(lambda: rolled_out(port, replicas))
    items = request(port, "GET", PODS_PATH)["items"]
    assert isinstance(items, list)
    # (old pods a kubelet is still stopping, gracefully, may linger: not counted)
    pods = [p for p in items if not p["metadata"].get("deletionTimestamp")]
    new = sum(1 for p in pods if p["spec"]["containers"][0]["image"] == "nginx:2")
    if (len(pods), new) != (replicas, replicas):
        raise SystemExit(f"rollout: {len(pods)} pods, {new} of the new template")
    if c.nodes and any(not p["spec"].get("nodeName") for p in pods):
        raise SystemExit("rollout: pods left unscheduled")
    s = span[0]
    return {"create to ready s": created, "rollout s": s.wall, "server CPU s": s.cpu, "peak RSS MiB": s.peak_rss}


def bench_rollout(replicas: int, nodes: int, runs: int, stand_in: bool) -> None:
    rows = []
    for _ in range(runs):
        with cluster(nodes, stand_in=stand_in) as c:
            rows.append(asyncio.run(_rollout(c, replicas)))
    report(f"rollout ({replicas:,} replicas, {nodes:,} nodes)", rows)


# -- throughput ---------------------------------------------------------------------------------------


async def _throughput(c: Cluster, replicas: int) -> dict[str, float]:
    async with fleet(c):
        with measured(c.pid) as span:
            await asyncio.to_thread(request, c.port, "POST", DEPLOY_PATH, deployment(replicas, "nginx:1"))
            await _until(lambda: rolled_out(c.port, replicas), interval=0.05)
    s = span[0]
    return {"pods/s": replicas / s.wall, "wall s": s.wall, "server CPU s": s.cpu,
            "server CPU ms/pod": 1000 * s.cpu / replicas, "peak RSS MiB": s.peak_rss}


def bench_throughput(replicas: int, nodes: int, runs: int, stand_in: bool) -> None:
    rows = []
    for _ in range(runs):
        with cluster(nodes, stand_in=stand_in) as c:
            rows.append(asyncio.run(_throughput(c, replicas)))
    report(f"throughput ({replicas:,} replicas, {nodes:,} nodes)", rows)


# -- hold -----------------------------------------------------------------------------------------------


def all_ready(port: int, deployments: int, replicas: int) -> bool:
    items = request(port, "GET", "/apis/apps/v1/namespaces/default/deployments")["items"]
    assert isinstance(items, list)
    ready = sum((d.get("status") or {}).get("availableReplicas") or 0 for d in items)
    return len(items) == deployments and ready == deployments * replicas


async def _hold(c: Cluster, deployments: int, replicas: int, settle: float) -> dict[str, float]:
    async with fleet(c):
        idle = rss_mib(c.pid)
        with measured(c.pid) as span:
            async with aiohttp.ClientSession(f"http://127.0.0.1:{c.port}") as session:
                async def create(i: int) -> None:
                    async with session.post(DEPLOY_PATH, json=deployment(replicas, "nginx:1", f"app-{i}")) as r:
                        await _ok(r, 201)
                await _each(range(deployments), create, concurrency=8)
            await _until(lambda: all_ready(c.port, deployments, replicas), timeout=3600.0, interval=1.0)
        held = rss_mib(c.pid)
        cpu0 = cpu_seconds(c.pid)
        await asyncio.sleep(settle)  # the watch cache's history window passes; heartbeats go on
        settled = rss_mib(c.pid)
        idle_cpu = (cpu_seconds(c.pid) - cpu0) / settle if settle else 0.0
    s = span[0]
    pods = deployments * replicas
    return {"wall s": s.wall, "pods/s": pods / s.wall, "server CPU s": s.cpu, "RSS idle MiB": idle,
            "RSS held MiB": held, "RSS settled MiB": settled, "peak RSS MiB": peak_rss_mib(c.pid),
            "KiB/pod": (settled - idle) * 1024 / pods, "CPU held (cores)": idle_cpu}


def bench_hold(deployments: int, replicas: int, nodes: int, runs: int, stand_in: bool, settle: float) -> None:
    rows = []
    for _ in range(runs):
        with cluster(nodes, stand_in=stand_in) as c:
            rows.append(asyncio.run(_hold(c, deployments, replicas, settle)))
    report(f"hold ({deployments * replicas:,} pods, {nodes:,} nodes)", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("section", nargs="?", default="gc", choices=["gc", "rollout", "throughput", "hold"])
    parser.add_argument("--dependents", type=int, default=10_000)
    parser.add_argument("--replicas", type=int, default=None,
                        help="per Deployment (rollout: 1,000; throughput: 5,000; hold: 1,000)")
    parser.add_argument("--deployments", type=int, default=100, help="hold: how many Deployments")
    parser.add_argument("--nodes", type=int, default=None, help="rollout: 0 (bare); throughput, hold: 1,000")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--settle", type=float, default=160.0,
                        help="hold: seconds to wait once all are Ready before the settled RSS (the watch "
                             "cache keeps 150 s of history)")
    parser.add_argument("--stand-in", action="store_true", help="play the fleet even if the server has one")
    parser.add_argument("--py-spy", metavar="FILE", help="record the server's stacks over the measured spans")
    parser.add_argument("--server-flag", action="append", default=[], metavar="FLAG",
                        help="a flag for setpoint up, e.g. --server-flag=--sync=normal")
    args = parser.parse_args()
    SERVER_FLAGS.extend(args.server_flag)
    if args.py_spy:
        PY_SPY.append(args.py_spy)
    if args.section == "gc":
        bench_gc(args.dependents)
    elif args.section == "rollout":
        bench_rollout(args.replicas or 1_000, args.nodes or 0, args.runs, args.stand_in)
    elif args.section == "throughput":
        bench_throughput(args.replicas or 5_000, 1_000 if args.nodes is None else args.nodes, args.runs,
                         args.stand_in)
    else:
        bench_hold(args.deployments, args.replicas or 1_000, 1_000 if args.nodes is None else args.nodes,
                   args.runs, args.stand_in, args.settle)


if __name__ == "__main__":
    main()
