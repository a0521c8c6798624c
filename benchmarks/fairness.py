"""Fairness benchmark: a LIST storm from one user against a quiet user and leader election.

A server process (the API server on memory storage, users named by an ``X-User`` header as
a token file would name them) holds N Secrets of 10 KiB. A separate process runs the storm:
one user (``noisy``) keeps C LISTs of all of them in flight (at the lowest CPU priority: it
stands for clients on other machines). Meanwhile this process, as
another user (``quiet``), GETs one ConfigMap every 20 ms and, as
``system:kube-controller-manager``, renews a Lease every 200 ms (GET + PUT). Printed: the
quiet user's p50/p99 latency and the renewals that failed, with API Priority and Fairness on
and off (``--enable-priority-and-fairness=false``: the plain in-flight limits), side by side.

    .venv/bin/python benchmarks/fairness.py [--secrets 5000] [--concurrency 50] [--seconds 10] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

import aiohttp

HEADERS_KCM = {"X-User": "system:kube-controller-manager"}
HEADERS_QUIET = {"X-User": "quiet"}
HEADERS_NOISY = {"X-User": "noisy"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the server process -------------------------------------------------------------------


async def serve(port: int, apf: bool) -> None:
    from setpoint import storage
    from setpoint.apiserver.http import Request, install_event_loop_policy  # noqa: F401
    from setpoint.apiserver.registry.admission import UserInfo
    from setpoint.apiserver.server import APIServer

    class HeaderAuthenticator:
        def authenticate(self, request: Request) -> UserInfo | None:
            name = request.headers.get("x-user")
            if not name:
                return UserInfo("system:admin", ("system:masters", "system:authenticated"))
            return UserInfo(name, ("system:authenticated",))

    store = await storage.open_storage("memory://")
    api = APIServer(store, authenticator=HeaderAuthenticator(), enable_priority_and_fairness=apf)
    await api.start("127.0.0.1", port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await api.stop()


def start_server(port: int, apf: bool) -> subprocess.Popen[bytes]:
    from setpoint.apiserver.http import install_event_loop_policy  # noqa: F401
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--apf", "1" if apf else "0"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


# --- the storm process --------------------------------------------------------------------


async def storm(port: int, concurrency: int) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    counts = {"ok": 0, "429": 0}
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", connector=aiohttp.TCPConnector(limit=0)) as http:

        async def one() -> None:
            while not stop.is_set():
                async with http.get("/api/v1/namespaces/default/secrets", headers=HEADERS_NOISY) as r:
                    await r.read()
                    counts["ok" if r.status == 200 else str(r.status)] = counts.get(
                        "ok" if r.status == 200 else str(r.status), 0) + 1

        tasks = [asyncio.create_task(one()) for _ in range(concurrency)]
        await stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(f"storm: {counts}", file=sys.stderr)


# --- the measurement ----------------------------------------------------------------------


async def fill(port: int, secrets: int) -> None:
    blob = base64.b64encode(os.urandom(10 * 1024)).decode()[: 10 * 1024]
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", connector=aiohttp.TCPConnector(limit=64)) as http:
        sem = asyncio.Semaphore(64)

        async def one(i: int) -> None:
            async with sem, http.post("/api/v1/namespaces/default/secrets",
                                      json={"metadata": {"name": f"s{i}"}, "data": {"blob": blob}}) as r:
                assert r.status == 201, await r.text()

        await asyncio.gather(*(one(i) for i in range(secrets)))
        async with http.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": "quiet"}}) as r:
            assert r.status == 201
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "kcm"},
                 "spec": {"holderIdentity": "kcm-1", "leaseDurationSeconds": 15}}
        async with http.post("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", json=lease) as r:
            assert r.status == 201


async def measure(port: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    quiet_failed = 0
    renewals = renewals_failed = 0
    lease_path = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kcm"
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
        end = time.monotonic() + seconds

        async def quiet() -> None:
            nonlocal quiet_failed
            while time.monotonic() < end:
                t0 = time.perf_counter()
                async with http.get("/api/v1/namespaces/default/configmaps/quiet", headers=HEADERS_QUIET) as r:
                    await r.read()
                    latencies.append(time.perf_counter() - t0)
                    quiet_failed += r.status != 200
                await asyncio.sleep(0.02)

        async def renew() -> None:
            nonlocal renewals, renewals_failed
            i = 0
            while time.monotonic() < end:
                i += 1
                try:
                    async with http.get(lease_path, headers=HEADERS_KCM) as r:
                        lease = await r.json()
                        ok = r.status == 200
                    if ok:
                        lease["spec"]["renewTime"] = f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}.000000Z"
                        async with http.put(lease_path, json=lease, headers=HEADERS_KCM,
                                            timeout=aiohttp.ClientTimeout(total=10)) as r:
                            ok = r.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                renewals += 1
                renewals_failed += not ok
                await asyncio.sleep(0.2)

        await asyncio.gather(quiet(), renew())
    latencies.sort()
    return {"p50 ms": statistics.median(latencies) * 1000,
            "p99 ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            "quiet GETs": len(latencies), "quiet failed": quiet_failed,
            "renewals": renewals, "renewals failed": renewals_failed}


def run(apf: bool, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    server = start_server(port, apf)
    noisy: subprocess.Popen[bytes] | None = None
    try:
        asyncio.run(fill(port, args.secrets))
        noisy = subprocess.Popen([sys.executable, __file__, "--storm", str(port), "--concurrency",
                                  str(args.concurrency)])
        time.sleep(1.0)  # let the storm build up
        return asyncio.run(measure(port, args.seconds))
    finally:
        if noisy is not None:
            noisy.send_signal(signal.SIGTERM)
            noisy.wait(30)
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secrets", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1, help="repeat, print medians")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--apf", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--storm", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        from setpoint.apiserver.http import install_event_loop_policy
        install_event_loop_policy()
        asyncio.run(serve(args.serve, bool(args.apf)))
        return
    if args.storm:
        os.nice(19)  # the storm stands for other machines: its own CPU use must not slow the measurement
        asyncio.run(storm(args.storm, args.concurrency))
        return
    print(f"{args.secrets} Secrets of 10 KiB; {args.concurrency} concurrent LISTs of them by one user; "
          f"{args.seconds:g} s measured")
    rounds: dict[str, list[dict[str, Any]]] = {"APF on": [], "APF off": []}
    for _ in range(args.rounds):
        rounds["APF on"].append(run(True, args))
        rounds["APF off"].append(run(False, args))
    results = {mode: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for mode, runs in rounds.items()}
    if args.rounds > 1:
        print(f"medians of {args.rounds} rounds")
    keys = list(results["APF on"])
    print(f"{'':18}" + "".join(f"{k:>14}" for k in results))
    for key in keys:
        print(f"{key:18}" + "".join(
            f"{v[key]:>14.1f}" if isinstance(v[key], float) else f"{v[key]:>14}" for v in results.values()))


if __name__ == "__main__":
    main()
