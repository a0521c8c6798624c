"""Informers and the shared cache against the real embedded server (restarts, 410s, sharing)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from runtime_helpers import CM

from setpoint.runtime.cache import Cache, NotCached
from setpoint.runtime.client import Client
from setpoint.runtime.informer import Informer
from setpoint.testing import ApiServer, eventually, start_api_server


def configmap(name: str, ns: str = "default", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


#: The root-CA publisher's ConfigMap, in every namespace, written whenever a server starts.
ROOT_CA = "kube-root-ca.crt"


async def server_state(client: Client, ns: str = "default") -> dict[str, str]:
    """name -> resourceVersion of every ConfigMap the server has (but the root-CA publisher's)."""
    listing = await client.list(CM, ns)
    return {i["metadata"]["name"]: i["metadata"]["resourceVersion"] for i in listing["items"]
            if i["metadata"]["name"] != ROOT_CA}


def cache_state(informer: Informer, ns: str = "default") -> dict[str, str]:
    return {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in informer.store.list(ns)
            if o["metadata"]["name"] != ROOT_CA}


async def test_cache_follows_random_changes(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    informer = Informer(client, CM, namespace="default")
    informer.start()
    try:
        await informer.wait_synced()
        rng = random.Random(7)
        names = [f"cm{i}" for i in range(8)]
        for step in range(60):
            name = rng.choice(names)
            if name in cache_state(informer) and rng.random() < 0.3:
                await client.delete(CM, name, "default")
            elif name in await server_state(client):
                await client.patch(CM, name, {"data": {"step": str(step)}}, "default")
            else:
                await client.create(configmap(name, step=str(step)))
        expected = await server_state(client)
        await eventually(lambda: cache_state(informer) == expected)
        obj = informer.store.get_by_name(next(iter(expected)), "default")
        assert obj is not None and obj["kind"] == "ConfigMap"
    finally:
        await informer.stop()


async def test_informer_survives_server_restart_and_relists_after_410(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    async with start_api_server(f"sqlite://{db}", data_dir=tmp_path) as api:
        client = api.client
        for name in ("a", "b", "c"):
            await client.create(configmap(name))
        informer = Informer(client, CM, namespace="default")
        informer.start()
        try:
            await informer.wait_synced()
            assert set(cache_state(informer)) == {"a", "b", "c"}
            assert informer.lists == 1

            # The server goes away; while it is away, the same storage is changed through another
            # server on another port (the informer cannot see it). When the server comes back, its
            # watch cache starts past the informer's resourceVersion, so resuming answers 410.
            await api.stop()
            offline_dir = tmp_path / "offline"
            offline_dir.mkdir()
            async with start_api_server(f"sqlite://{db}", data_dir=offline_dir) as offline:
                await offline.client.delete(CM, "a", "default")
                await offline.client.patch(CM, "b", {"data": {"changed": "yes"}}, "default")
                await offline.client.create(configmap("d"))
            await api.start()

            expected = await server_state(client)
            assert set(expected) == {"b", "c", "d"}
            await eventually(lambda: cache_state(informer) == expected, timeout=20)
            assert informer.lists >= 2, "the 410 made the informer list again"
            assert informer.failures >= 1
            b = informer.store.get_by_name("b", "default")
            assert b is not None and b["data"] == {"changed": "yes"}

            # and it is watching again: a new change arrives without another list
            lists = informer.lists
            await client.create(configmap("e"))
            await eventually(lambda: "e" in cache_state(informer), timeout=20)
            assert informer.lists == lists
        finally:
            await informer.stop()


async def test_shared_cache_uses_one_watch_per_key_and_counts_references(setpoint_api: ApiServer) -> None:
    client = setpoint_api.client
    cache = Cache(client)
    await cache.start()
    try:
        first = cache.acquire(CM, namespace="default")
        second = cache.acquire(CM, namespace="default")
        other = cache.acquire(CM, namespace="kube-system")
        assert first is second and first is not other
        await cache.wait_synced()

        async def watches() -> int:
            return await setpoint_api.request_count(verb="WATCH", resource="configmaps")

        await eventually(lambda: watches_are(watches, 2))

        await client.create(configmap("shared"))
        await eventually(lambda: cache.get(CM, "shared", "default") is not None)
        obj = cache.get(CM, "shared", "default")
        assert obj is first.store.get_by_name("shared", "default"), "reads hand out the cached object: no copy"
        assert [o["metadata"]["name"] for o in cache.list(CM, "default") if o["metadata"]["name"] != ROOT_CA] == [
            "shared"]
        assert await watches() == 2, "one watch per (kind, namespace, selector), however many users"

        await cache.release(first)
        assert first.running, "still referenced once"
        await cache.release(second)
        assert not first.running, "the last release stops the informer"
        assert other.running
    finally:
        await cache.stop()


async def watches_are(count: Any, n: int) -> bool:
    return bool(await count() == n)


async def test_a_cache_of_one_selection_answers_reads_with_what_it_selected(setpoint_api: ApiServer) -> None:
    # controller-runtime's cache restricted by a selector: reads of that kind see the selection.
    client = setpoint_api.client
    cache = Cache(client)
    await cache.start()
    try:
        selected = cache.acquire(CM, namespace="default", label_selector="team=a")
        await cache.wait_synced()
        await client.create({**configmap("mine"), "metadata": {"name": "mine", "namespace": "default",
                                                              "labels": {"team": "a"}}})
        await client.create(configmap("theirs"))
        await eventually(lambda: cache.get(CM, "mine", "default") is not None)
        assert cache.get(CM, "theirs", "default") is None
        assert [o["metadata"]["name"] for o in cache.list(CM, "default")] == ["mine"]
        # Two selections of one kind: neither answers for the kind as a whole.
        cache.acquire(CM, namespace="default", label_selector="team=b")
        with pytest.raises(NotCached):
            cache.get(CM, "mine", "default")
        await cache.release(selected)
        everything = cache.acquire(CM)  # the kind as a whole answers for every object
        await cache.wait_synced()
        assert cache.get(CM, "theirs", "default") is not None
        await cache.release(everything)  # dropped: the selection left (team=b) answers again
        assert cache.get(CM, "theirs", "default") is None
    finally:
        await cache.stop()
