"""The watch cache on a shared etcd: consistent reads when the revision moves outside its prefix.

Two stores on the session's cluster, as two API servers: the cache of one follows ``/registry/``
under its store's prefix; writes anywhere else (another prefix, ``compact_rev_key``, another
program) move etcd's revision without an event it could see. A consistent read waits for the
cache to reach etcd's current revision: the cache asks its watch for a progress notification
(etcd's ``RequestProgress``) to get there.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator

import pytest

from etcd_cluster import EtcdCluster, etcd_prefix
from setpoint.apiserver.encryption import EncryptedStorage
from setpoint.apiserver.encryption.config import parse
from setpoint.apiserver.registry.cacher import CacheSet
from setpoint.storage.etcd import EtcdStorage, ordered_progress

TIMEOUT = 10.0
ENCRYPTION = parse({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                    "resources": [{"resources": ["secrets"], "providers": [{"aesgcm": {"keys": [
                        {"name": "k1", "secret": base64.b64encode(b"1" * 32).decode()}]}}]}]})


@pytest.fixture
async def stores(etcd_cluster: EtcdCluster) -> AsyncIterator[tuple[EtcdStorage, EtcdStorage]]:
    """Two stores under one prefix (two servers of one cluster), and the cache set of the first."""
    prefix = etcd_prefix()
    a = await EtcdStorage.open(etcd_cluster.endpoints, prefix=prefix, compact_interval=0)
    b = await EtcdStorage.open(etcd_cluster.endpoints, prefix=prefix, compact_interval=0)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_consistent_read_after_a_write_outside_the_prefix(
        stores: tuple[EtcdStorage, EtcdStorage], etcd_cluster: EtcdCluster, encrypted: bool) -> None:
    a, b = stores
    # Encryption at rest wraps the store, and its watch: progress goes through.
    caches = CacheSet(EncryptedStorage(a, ENCRYPTION) if encrypted else a)
    await caches.start()
    try:
        things = caches.get("/registry/configmaps/")
        await asyncio.wait_for(things.wait_ready(), TIMEOUT)
        # A write through the other store, under the cache's prefix: an event brings it.
        kv = await b.create("/registry/configmaps/default/one", b'{"metadata":{"name":"one"}}')
        await asyncio.wait_for(things.wait_consistent(), TIMEOUT)
        assert [o.key for o in things.list("/registry/configmaps/")] == ["/registry/configmaps/default/one"]
        assert things.revision >= kv.mod_revision

        # Writes the cache never sees: another prefix of the same cluster, several times.
        other = await EtcdStorage.open(etcd_cluster.endpoints, prefix=etcd_prefix(), compact_interval=0)
        try:
            for i in range(3):
                moved = await other.create(f"/elsewhere/{i}", b"x")
                assert moved.mod_revision > things.revision  # the store's revision moved past the cache's
                started = time.monotonic()
                await things.wait_consistent()  # raised TimeoutError after 3 s before progress requests
                assert time.monotonic() - started < 2.0
                assert things.revision >= moved.mod_revision
        finally:
            await other.close()
        # The objects did not change meanwhile.
        assert [o.key for o in things.list("/registry/configmaps/")] == ["/registry/configmaps/default/one"]
    finally:
        await caches.stop()


def test_which_etcd_orders_requested_progress() -> None:
    """etcd 3.4.25 and 3.5.8 send a requested progress notification in order with the events."""
    assert [ordered_progress(v) for v in ("3.4.23", "3.4.25", "3.5.7", "3.5.8", "3.6.0", "3.6.0-rc.1", "4.0.0",
                                          "3.3.27", "bogus")] == [
        False, True, False, True, True, True, True, False, False]
