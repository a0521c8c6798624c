"""A clean start: a controller's handlers and mapping functions run only once all its sources have
synced, so what they read from the cache is there -- also with hundreds of objects to list."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from runtime_helpers import CM, install_crd

from setpoint.runtime import Builder, Manager, Request
from setpoint.runtime.controller import DEFAULT_MAX_CONCURRENT_RECONCILES
from setpoint.testing import ApiServer, eventually

BY_CONFIGMAP = "configmap"
WATCHERS = 1200  # three pages of the watchers' list, against one page of ConfigMaps
CONFIGMAPS = 20


async def test_mapping_functions_reading_the_cache_at_start_up_see_it_synced(
        setpoint_api: ApiServer, caplog: pytest.LogCaptureFixture) -> None:
    client = setpoint_api.client
    kind = await install_crd(client, "k8spatterns.io", "ConfigWatcher", "configwatchers")
    sem = asyncio.Semaphore(32)

    async def create(obj: dict[str, Any]) -> None:
        async with sem:
            await client.create(obj)

    await asyncio.gather(*(create({"apiVersion": "v1", "kind": "ConfigMap", "data": {"v": "1"},
                                   "metadata": {"name": f"cm-{i}", "namespace": "default"}})
                           for i in range(CONFIGMAPS)))
    await asyncio.gather(*(create({"apiVersion": kind.api_version, "kind": kind.kind,
                                   "metadata": {"name": f"cw-{i}", "namespace": "default"},
                                   "spec": {"configMap": f"cm-{i % CONFIGMAPS}"}})
                           for i in range(WATCHERS)))

    mgr = Manager(client)
    mapped: list[str] = []
    reconciled: set[str] = set()

    def watched(cw: Any) -> list[str]:
        return [f"{cw['metadata']['namespace']}/{cw['spec']['configMap']}"]

    def watchers_of(cm: Any) -> list[Request]:
        key = f"{cm['metadata']['namespace']}/{cm['metadata']['name']}"
        found = [Request.of(cw) for cw in mgr.cache.by_index(kind, BY_CONFIGMAP, key)]
        mapped.append(key)
        return found

    async def reconcile(req: Request) -> None:
        assert mgr.cache.get(kind, req.name, req.namespace) is not None
        reconciled.add(req.name)

    mgr.cache.informer(kind, indexers={BY_CONFIGMAP: watched})
    ctrl = Builder(mgr).for_(kind).watches(CM, watchers_of).complete(reconcile)
    assert ctrl.max_concurrent_reconciles == DEFAULT_MAX_CONCURRENT_RECONCILES > 1
    caplog.set_level(logging.INFO, logger="setpoint")
    async with mgr.running():
        await eventually(lambda: len(reconciled) == WATCHERS, timeout=60)
        assert len(mapped) >= CONFIGMAPS  # every ConfigMap was mapped, once its watchers were cached
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_reads_of_another_controllers_cache_at_start_up_wait_for_its_sync(
        setpoint_api: ApiServer, caplog: pytest.LogCaptureFixture) -> None:
    client = setpoint_api.client
    kind = await install_crd(client)
    sem = asyncio.Semaphore(32)

    async def create(obj: dict[str, Any]) -> None:
        async with sem:
            await client.create(obj)

    await asyncio.gather(*(create({"apiVersion": kind.api_version, "kind": kind.kind, "spec": {},
                                   "metadata": {"name": f"w-{i}", "namespace": "default"}})
                           for i in range(WATCHERS)))
    await asyncio.gather(*(create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": f"counted-{i}", "namespace": "default", "labels": {"counted": "yes"}}}) for i in range(CONFIGMAPS)))

    mgr = Manager(client)
    seen_by_map: list[int] = []
    seen_by_reconcile: dict[str, int] = {}

    def count_widgets(cm: Any) -> list[Request]:
        seen_by_map.append(len(mgr.cache.list(kind, "default")))  # a cache this controller does not watch
        return [Request.of(cm)]

    async def reconcile(req: Request) -> None:
        seen_by_reconcile[req.name] = len(mgr.cache.list(kind, "default"))

    async def noop(req: Request) -> None:
        return None

    Builder(mgr).for_(kind).complete(noop)  # the widgets' informer is this controller's
    (Builder(mgr).named("counter").watches(CM, count_widgets, namespace="default", label_selector="counted=yes")
     .complete(reconcile))
    caplog.set_level(logging.INFO, logger="setpoint")
    async with mgr.running():
        await eventually(lambda: len(seen_by_reconcile) == CONFIGMAPS, timeout=60)
    assert set(seen_by_map) == {WATCHERS} and len(seen_by_map) >= CONFIGMAPS
    assert set(seen_by_reconcile.values()) == {WATCHERS}
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
