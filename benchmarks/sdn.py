"""The software-defined network example at scale: 100 nodes, 50 VNIs, 10,000 attachments.

    .venv/bin/python benchmarks/sdn.py [--nodes 100] [--vnis 50] [--attachments 10000]
                                       [--nodes-per-vni 10] [--ipam-replicas 2] [--svg sdn.svg] [--embedded]
                                       [--timeout 600]

Spawns ``setpoint up --storage memory://`` on a free port (``--embedded``: setpoint's embedded
server in this process instead) and runs :func:`examples.sdn.demo.run` against it from this
process: the subnet validator, the IPAM replicas and one agent per node, each in a manager of its
own, the agents sharing one HTTP client. It creates every attachment at once and prints: the time
until all are addressed and until every host of each VNI has each guest in its table; the
dissemination latency (attachment addressed, as a cluster-wide watch sees it -> in the table of
every other host running a guest of its VNI) p50/p99; and the watches, events and cached objects
of the agents, against the naive design of one cluster-wide informer per agent (whose events
and objects are counted once, by one such informer, and are the same for every agent).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examples.sdn import demo  # noqa: E402

from setpoint.runtime import Kind, errors  # noqa: E402
from setpoint.runtime.http_client import HTTPClient  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_setpoint_up(data: Path) -> subprocess.Popen[bytes]:
    """``setpoint up`` on memory storage and a free port, its log in ``data/server.log``."""
    exe = shutil.which("setpoint") or str(Path(sys.executable).parent / "setpoint")
    with (data / "server.log").open("w") as log:
        return subprocess.Popen([exe, "up", "--data-dir", str(data), "--port", str(free_port()),
                                 "--storage", "memory://", "--log-level", "warning"],
                                stdout=log, stderr=subprocess.STDOUT)


async def against(proc: subprocess.Popen[bytes], data: Path, scenario: demo.Scenario,
                  timeout: float | None) -> demo.Outcome:
    """Wait for the spawned server to answer, then run the scenario against it."""
    kubeconfig = data / "kubeconfig"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"setpoint up exited: see {data / 'server.log'}")
        if kubeconfig.exists():
            client = HTTPClient.from_kubeconfig(kubeconfig)
            try:
                await client.get(Kind("v1", "Namespace"), "default")
                break
            except (errors.ApiError, OSError):
                await client.close()
        if time.monotonic() > deadline:
            raise RuntimeError("setpoint up did not get ready in 60 s")
        await asyncio.sleep(0.2)
    agents = HTTPClient.from_kubeconfig(kubeconfig)
    try:
        return await demo.run(client, scenario, agent_client=agents, progress=print, interval=2.0,
                              timeout=timeout)
    finally:
        await agents.close()
        await client.close()


async def embedded(scenario: demo.Scenario, timeout: float | None) -> demo.Outcome:
    from setpoint.testing import start_api_server

    async with start_api_server() as server:
        agents = server.new_client()
        try:
            return await demo.run(server.client, scenario, agent_client=agents, progress=print, interval=2.0,
                                  timeout=timeout)
        finally:
            await agents.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--vnis", type=int, default=50)
    parser.add_argument("--attachments", type=int, default=10_000)
    parser.add_argument("--nodes-per-vni", type=int, default=10)
    parser.add_argument("--ipam-replicas", type=int, default=2)
    parser.add_argument("--svg", help="write the timeline to this SVG file")
    parser.add_argument("--embedded", action="store_true", help="the API server in this process")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up (saying what is missing) after this")
    args = parser.parse_args()
    scenario = demo.Scenario(nodes=args.nodes, vnis=args.vnis, attachments=args.attachments,
                             nodes_per_vni=args.nodes_per_vni, ipam_replicas=args.ipam_replicas)
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    if args.embedded:
        out = asyncio.run(embedded(scenario, args.timeout))
    else:
        with tempfile.TemporaryDirectory(prefix="sdn-bench-") as tmp:
            proc = spawn_setpoint_up(Path(tmp))
            try:
                out = asyncio.run(against(proc, Path(tmp), scenario, args.timeout))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    print()
    print("\n".join(out.summary()))
    print(f"locks: {out.locks}; load average at the end: {os.getloadavg()[0]:.1f}")
    if args.svg:
        Path(args.svg).write_text(demo.svg(out, "setpoint SDN benchmark"))
        print(f"plot: {args.svg}")


if __name__ == "__main__":
    main()
