"""Compaction on every backend: explicit and automatic."""

from __future__ import annotations

import pytest
from storage_helpers import StoreFactory, collect, wait_until

from setpoint.storage import Compacted, FutureRevision, KeyValue, Storage


async def test_compact_bounds(store: Storage) -> None:
    await store.create("/a", b"")
    await store.create("/b", b"")
    with pytest.raises(FutureRevision):
        await store.compact(3)
    with pytest.raises(Compacted):  # etcd: compacting to <= the compact revision is ErrCompacted
        await store.compact(0)
    await store.compact(1)
    with pytest.raises(Compacted) as info:
        await store.compact(1)
    assert (info.value.requested, info.value.compact_revision) == (1, 1)
    await store.compact(2)
    assert await store.compact_revision() == 2
    assert await store.current_revision() == 2  # compaction is not a write


async def test_compaction_keeps_latest_values_and_drops_tombstones(store: Storage) -> None:
    await store.create("/live", b"1")  # 1
    await store.update("/live", b"2", 1)  # 2
    await store.create("/dead", b"x")  # 3
    await store.delete("/dead")  # 4
    await store.create("/late", b"l")  # 5
    await store.delete("/late")  # 6
    await store.compact(5)
    assert (await store.range("/", revision=5)).kvs == [
        KeyValue("/late", b"l", 5, 5),
        KeyValue("/live", b"2", 1, 2),
    ]
    assert (await store.range("/")).kvs == [KeyValue("/live", b"2", 1, 2)]
    assert await store.get("/dead", revision=5) is None
    # History after the compact revision is whole: a watch from it sees the delete.
    watch = store.watch("/", 5)
    (event,) = await collect(watch, 1)
    assert event.kv == KeyValue("/late", b"l", 5, 6) and event.prev == KeyValue("/late", b"l", 5, 5)
    await watch.close()
    await store.compact(6)
    assert (await store.range("/", revision=6)).kvs == [KeyValue("/live", b"2", 1, 2)]
    # Recreating a key whose tombstone was compacted away works as a fresh create.
    again = await store.create("/dead", b"y")
    assert again == KeyValue("/dead", b"y", 7, 7)
    assert (await store.update("/dead", b"z", 7)).mod_revision == 8


async def test_compaction_in_many_steps_matches_one_step(store_factory: StoreFactory) -> None:
    a = await store_factory()
    b = await store_factory()
    for store in (a, b):
        for i in range(60):
            key = f"/k{i % 7}"
            current = await store.get(key)
            if current is None:
                await store.create(key, str(i).encode())
            elif i % 5 == 0:
                await store.delete(key)
            else:
                await store.update(key, str(i).encode(), current.mod_revision)
    for rev in range(5, 50, 5):
        await a.compact(rev)
    await b.compact(45)
    for rev in (45, 50, 60):
        assert await a.range("/", revision=rev) == await b.range("/", revision=rev)


async def test_automatic_compaction_keeps_a_window(store_factory: StoreFactory) -> None:
    store = await store_factory(compact_interval=0.02, compact_window=0.05)
    await store.create("/k", b"1")
    await store.update("/k", b"2", 1)

    async def compacted() -> bool:
        return await store.compact_revision() >= 2

    await wait_until(compacted)
    with pytest.raises(Compacted):
        await store.get("/k", revision=1)
    assert await store.get("/k") == KeyValue("/k", b"2", 1, 2)
    # It keeps going as writes continue.
    await store.update("/k", b"3", 2)

    async def compacted_again() -> bool:
        # At least there (etcd's compactors write compact_rev_key each round: revisions move on).
        return await store.compact_revision() >= 3

    await wait_until(compacted_again)


async def test_automatic_compaction_respects_the_window(store_factory: StoreFactory) -> None:
    store = await store_factory(compact_interval=0.01, compact_window=3600)
    await store.create("/k", b"1")
    await store.update("/k", b"2", 1)
    # Samples are taken (the compactor runs) but none is old enough to compact to.
    compactor = store._compactor  # type: ignore[attr-defined]

    async def sampled() -> bool:
        return len(compactor._samples) >= 3

    await wait_until(sampled)
    assert await store.compact_revision() == 0
