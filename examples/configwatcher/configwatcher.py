"""The ConfigWatcher controller: restart the pods of a ConfigWatcher when its ConfigMap changes.

Run it against any cluster: ``python configwatcher.py [--kubeconfig PATH]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import orjson

from setpoint.runtime import Builder, Config, HTTPClient, Kind, Manager, Request, Result, conditions, errors
from setpoint.runtime.events import EventRecorder
from setpoint.runtime.labels import from_label_selector
from setpoint.runtime.status import update_status

CONFIG_WATCHER = Kind("k8spatterns.io/v1", "ConfigWatcher")
CONFIG_MAP = Kind("v1", "ConfigMap")
POD = Kind("v1", "Pod")


def config_hash(cm: Mapping[str, Any]) -> str:
    """A stable hash of a ConfigMap's content (data and binaryData)."""
    content = {"data": cm.get("data") or {}, "binaryData": cm.get("binaryData") or {}}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


class ConfigWatcherReconciler:
    def __init__(self, mgr: Manager) -> None:
        self.client = mgr.client
        self.cache = mgr.cache
        self.events = EventRecorder(mgr.client, "configwatcher")

    async def reconcile(self, req: Request) -> Result | None:
        cw = self.cache.get(CONFIG_WATCHER, req.name, req.namespace)
        if cw is None:
            return None  # deleted: nothing to clean up
        status: dict[str, Any] = {**(cw.get("status") or {})}
        conds: list[dict[str, Any]] = [dict(c) for c in status.get("conditions") or ()]
        generation = cw["metadata"].get("generation")
        cm = self.cache.get(CONFIG_MAP, cw["spec"]["configMap"], req.namespace)
        if cm is None:
            conditions.set_condition(conds, "Ready", "False", "ConfigMapMissing",
                                     f"ConfigMap {cw['spec']['configMap']} not found",
                                     observed_generation=generation)
            await update_status(self.client, cw, {**status, "conditions": conds})
            return None

        current = config_hash(cm)
        recorded = status.get("configHash")
        if recorded is not None and recorded != current:
            restarted = await self.restart_pods(req.namespace, cw["spec"].get("podSelector") or {})
            status["restarts"] = int(status.get("restarts") or 0) + 1
            await self.events.normal(cw, "PodsRestarted",
                                     f"ConfigMap {cm['metadata']['name']} changed: deleted {restarted} pod(s)")
        status["configHash"] = current
        conditions.set_condition(conds, "Ready", "True", "Watching",
                                 f"watching ConfigMap {cm['metadata']['name']}", observed_generation=generation)
        await update_status(self.client, cw, {**status, "conditions": conds})
        return None

    async def restart_pods(self, namespace: str, selector: Mapping[str, str]) -> int:
        """Delete the pods matching ``selector``; a rare event, so read them from the API, not a cache."""
        label_selector = str(from_label_selector({"matchLabels": selector}))
        pods = (await self.client.list(POD, namespace, label_selector=label_selector))["items"]
        for pod in pods:
            try:
                await self.client.delete(POD, pod["metadata"]["name"], namespace)
            except errors.NotFound:
                pass
        return len(pods)


BY_CONFIGMAP = "configmap"  # an index: ConfigWatchers by the ConfigMap they watch


def watched_configmap(cw: Mapping[str, Any]) -> list[str]:
    """Index function: the ``namespace/name`` of the ConfigMap a ConfigWatcher watches."""
    return [f"{cw['metadata']['namespace']}/{cw['spec']['configMap']}"]


def setup(mgr: Manager) -> ConfigWatcherReconciler:
    """Add the ConfigWatcher controller to ``mgr``."""
    reconciler = ConfigWatcherReconciler(mgr)
    mgr.cache.informer(CONFIG_WATCHER, indexers={BY_CONFIGMAP: watched_configmap})

    def watchers_of(cm: Mapping[str, Any]) -> list[Request]:
        """Map a ConfigMap event to the ConfigWatchers that watch it (a lookup in the index)."""
        key = f"{cm['metadata']['namespace']}/{cm['metadata']['name']}"
        return [Request.of(cw) for cw in mgr.cache.by_index(CONFIG_WATCHER, BY_CONFIGMAP, key)]

    (Builder(mgr)
     .for_(CONFIG_WATCHER)              # its own changes wake a ConfigWatcher
     .watches(CONFIG_MAP, watchers_of)  # so do changes of the ConfigMap it watches
     .complete(reconciler))
    return reconciler


async def main() -> None:
    parser = argparse.ArgumentParser(description="The ConfigWatcher controller.")
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
    parser.add_argument("--health-port", type=int, default=8081, help="/healthz, /readyz and /metrics")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = Config.from_kubeconfig(args.kubeconfig) if args.kubeconfig else Config.load()
    client = HTTPClient(config)
    mgr = Manager(client, health_port=args.health_port)
    setup(mgr)
    try:
        await mgr.run(handle_signals=True)  # until Ctrl-C or SIGTERM
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
