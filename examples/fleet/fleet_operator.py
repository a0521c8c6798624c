"""A fleet operator: one manager per member cluster, from kubeconfig Secrets on a host cluster.

Each member runs a controller that mirrors ConfigMaps labelled ``fleet.setpoint.dev/mirror=true``
to every other member (a reconciler reading its own cache and writing to the others by name),
behind an event pipeline that coalesces bursts; every member also gets the cross-cluster
disruption budget's eviction webhook (:mod:`xpdb`).

Run it against a host cluster holding the Secrets::

    python fleet_operator.py --kubeconfig host.kubeconfig --namespace fleet \\
        --selector setpoint.dev/fleet-member=true --webhook-port 9443

(the API servers of the members must reach ``https://127.0.0.1:<webhook-port>``; in a cluster you
would serve the webhook behind a Service instead).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from xpdb import XPDBWebhook

from setpoint.runtime import Builder, Config, HTTPClient, Kind, Request, errors, predicate
from setpoint.runtime.fleet import Fleet, Member
from setpoint.runtime.objects import create_or_patch
from setpoint.runtime.pipeline import Buffer, Schedule

CONFIG_MAP = Kind("v1", "ConfigMap")
MIRROR = "fleet.setpoint.dev/mirror"
ORIGIN = "fleet.setpoint.dev/origin"


def mirror_controller(fleet: Fleet, member: Member) -> None:
    """On ``member``: copy each mirrored ConfigMap to every other member; delete the copies with it."""
    async def reconcile(req: Request) -> None:
        source = member.cache.get(CONFIG_MAP, req.name, req.namespace)
        if source is not None and (source["metadata"].get("annotations") or {}).get(ORIGIN):
            return  # a copy: mirrored from elsewhere
        for name, other in fleet.members.items():
            if name == member.name:
                continue
            if source is None:  # gone here: remove the copies that came from here
                try:
                    copy = await other.client.get(CONFIG_MAP, req.name, req.namespace)
                    if (copy["metadata"].get("annotations") or {}).get(ORIGIN) == member.name:
                        await other.client.delete(CONFIG_MAP, req.name, req.namespace)
                except errors.NotFound:
                    pass
                continue

            def mutate(copy: dict[str, Any], src: dict[str, Any] = source) -> None:
                copy["metadata"].setdefault("annotations", {})[ORIGIN] = member.name
                copy["data"] = dict(src.get("data") or {})

            await create_or_patch(other.client, CONFIG_MAP, req.name, req.namespace, mutate)

    Builder(member.manager).named(f"mirror-{member.name}") \
        .for_(CONFIG_MAP, predicate.has_label(MIRROR, "true")) \
        .with_pipeline(Buffer(window=0.2), Schedule(max_waiting=32)) \
        .complete(reconcile)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", help="the host cluster's kubeconfig (default: as kubectl finds it)")
    parser.add_argument("--namespace", default="fleet", help="where the kubeconfig Secrets are")
    parser.add_argument("--selector", default=None, help="a label selector for those Secrets")
    parser.add_argument("--webhook-port", type=int, default=9443)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = HTTPClient(Config.from_kubeconfig(args.kubeconfig) if args.kubeconfig else Config.load())
    fleet = Fleet(host, namespace=args.namespace, label_selector=args.selector)
    webhook = await XPDBWebhook(fleet).start(port=args.webhook_port)
    fleet.for_members(lambda member: mirror_controller(fleet, member))
    fleet.for_members(webhook.install)
    try:
        await fleet.run()
    finally:
        await webhook.stop()
        await host.close()


if __name__ == "__main__":
    asyncio.run(main())
