"""``python -m examples.sdn demo``: the simulated network against an embedded server (or ``--kubeconfig``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from . import demo


async def linux(args: argparse.Namespace) -> None:
    from setpoint.testing import start_api_server

    from . import linuxdemo

    async with start_api_server() as server:
        await linuxdemo.run(server.client, keep=args.keep)


async def main(args: argparse.Namespace) -> demo.Outcome:
    scenario = demo.Scenario(nodes=args.nodes, vnis=args.vnis, attachments=args.attachments,
                             nodes_per_vni=args.nodes_per_vni, ipam_replicas=args.ipam_replicas,
                             use_nodes=args.use_nodes)
    if args.kubeconfig:
        from setpoint.runtime import HTTPClient

        client = HTTPClient.from_kubeconfig(args.kubeconfig)
        try:
            out = await demo.run(client, scenario, progress=print)
        finally:
            await client.close()
    else:
        from setpoint.testing import start_api_server  # the embedded server, as the tests use it

        async with start_api_server() as server:
            print(f"embedded API server at {server.url} (kubeconfig {server.kubeconfig})")
            out = await demo.run(server.client, scenario, progress=print)
    print("\n".join(out.summary()))
    return out


def cli() -> None:
    parser = argparse.ArgumentParser(prog=__spec__.parent if __spec__ else "setpoint-sdn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("demo", help="simulate nodes, subnets and guests; print progress and figures")
    run.add_argument("--kubeconfig", help="run against this cluster (default: an embedded server)")
    run.add_argument("--nodes", type=int, default=10)
    run.add_argument("--vnis", type=int, default=5)
    run.add_argument("--attachments", type=int, default=200)
    run.add_argument("--nodes-per-vni", type=int, default=3)
    run.add_argument("--ipam-replicas", type=int, default=2)
    run.add_argument("--use-nodes", action="store_true",
                     help="one agent per Node object of the cluster (e.g. setpoint up's simulated nodes)")
    run.add_argument("--svg", help="write the timeline to this SVG file")
    real = sub.add_parser("linux", help="two hosts and three guests in network namespaces, VXLAN between them (root)")
    real.add_argument("--keep", action="store_true", help="keep them until Ctrl-C")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.command == "linux":
        asyncio.run(linux(args))
        return
    out = asyncio.run(main(args))
    if args.svg:
        Path(args.svg).write_text(demo.svg(out))
        print(f"plot: {args.svg}")


if __name__ == "__main__":
    cli()
