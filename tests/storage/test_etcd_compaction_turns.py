"""Several servers on one etcd: one automatic compactor compacts, the others stand by.

As kube-apiserver's: a compactor's round is a transaction on the version of ``compact_rev_key``;
the one that last won keeps winning, the others learn the version and leave the round; when the
winner is gone, the next round of another one wins.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from etcd_cluster import EtcdCluster, etcd_prefix
from setpoint.storage import Compacted
from setpoint.storage.compactor import AutoCompactor
from setpoint.storage.etcd import COMPACT_REV_KEY, EtcdStorage

Opener = Callable[[], Awaitable[EtcdStorage]]


@pytest.fixture
async def open_etcd(etcd_cluster: EtcdCluster) -> AsyncIterator[Opener]:
    """Stores of one prefix on the session's cluster (servers of one control plane)."""
    prefix = etcd_prefix()
    opened: list[EtcdStorage] = []

    async def make() -> EtcdStorage:
        store = await EtcdStorage.open(etcd_cluster.endpoints, prefix=prefix, compact_interval=0)
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


def _compact_rev_key(cluster: EtcdCluster) -> tuple[int, int]:
    """``compact_rev_key``'s (version, value) as etcdctl reads it."""
    (kv,) = json.loads(cluster.etcdctl("get", COMPACT_REV_KEY, "-w", "json"))["kvs"]
    return int(kv["version"]), int(base64.b64decode(kv["value"]))


async def test_one_compactor_compacts_and_another_takes_over(open_etcd: Opener, etcd_cluster: EtcdCluster) -> None:
    a, b = await open_etcd(), await open_etcd()
    # Window 0: each round compacts to the revision of its own start; no background task (ticks by hand).
    first = AutoCompactor(a, interval=0, window=0, claim=a.claim_compaction)
    second = AutoCompactor(b, interval=0, window=0, claim=b.claim_compaction)

    # The first round of each learns the key's version (left by earlier runs on this cluster) or wins.
    await a.create("/registry/configmaps/default/x", b"1")
    if not await first.tick():
        assert await first.tick()
    version, _ = _compact_rev_key(etcd_cluster)

    for _ in range(3):
        await b.create("/registry/configmaps/default/y" + str(version), b"2")
        assert await second.tick() == 0  # the other server's round: no compaction here
        kv = await a.create("/registry/configmaps/default/z" + str(version), b"3")
        compacted = await first.tick()
        assert compacted >= kv.mod_revision
        version, value = _compact_rev_key(etcd_cluster)
        assert value == compacted  # the winner wrote the revision it compacted to
        # etcd compacted there: a read below it is refused, the compact revision is known to both.
        with pytest.raises(Compacted):
            await b.get("/registry/configmaps/default/x", revision=compacted - 1)
        assert await b.compact_revision() == compacted
    assert _compact_rev_key(etcd_cluster)[0] == version  # the loser's rounds wrote nothing

    # The compacting server goes away: the other one's first round learns the version the last
    # win left (kube's: a failover takes one to two intervals), its second wins, and so on.
    await a.close()
    kv = await b.create("/registry/configmaps/default/after", b"4")
    assert await second.tick() == 0
    compacted = await second.tick()
    assert compacted >= kv.mod_revision
    assert _compact_rev_key(etcd_cluster) == (version + 1, compacted)
    await b.create("/registry/configmaps/default/after2", b"5")
    assert await second.tick() > compacted
