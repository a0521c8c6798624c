"""Watch semantics on every backend: replay, live, ordering, overflow, close."""

from __future__ import annotations

import asyncio

import pytest
from storage_helpers import StoreFactory, collect, first_batch, next_batch, wait_until

from setpoint.storage import (
    Compacted,
    Event,
    EventType,
    KeyValue,
    Storage,
    StoreClosed,
    WatchExpired,
)


async def test_watch_replays_exactly_the_missed_events(store: Storage) -> None:
    a1 = await store.create("/w/a", b"1")  # 1
    await store.create("/x/other", b"o")  # 2
    a2 = await store.update("/w/a", b"2", 1)  # 3
    b = await store.create("/w/b", b"b")  # 4
    b_del = await store.delete("/w/b")  # 5
    watch = store.watch("/w/", 1)
    events = await collect(watch, 3)
    assert events == [
        Event(EventType.PUT, a2, a1),
        Event(EventType.PUT, b, None),
        Event(EventType.DELETE, b_del, b),
    ]
    # Then it continues live, without a gap or a duplicate.
    a3 = await store.update("/w/a", b"3", a2.mod_revision)
    assert await collect(watch, 1) == [Event(EventType.PUT, a3, a2)]
    await watch.close()


async def test_watch_from_zero_replays_everything(store: Storage) -> None:
    for i in range(5):
        await store.create(f"/k{i}", b"")
    watch = store.watch("", 0)
    events = await collect(watch, 5)
    assert [ev.revision for ev in events] == [1, 2, 3, 4, 5]
    await watch.close()


async def test_watch_from_current_sees_only_later_events(store: Storage) -> None:
    await store.create("/w/a", b"1")
    await store.create("/w/b", b"1")
    watch = store.watch("/w/", await store.current_revision())
    c = await store.create("/w/c", b"1")
    assert await next_batch(watch) == [Event(EventType.PUT, c, None)]
    await watch.close()


async def test_watch_from_future_revision(store: Storage) -> None:
    await store.create("/w/a", b"1")  # 1
    watch = store.watch("/w/", 3)
    await store.create("/w/b", b"1")  # 2
    await store.create("/w/c", b"1")  # 3
    d = await store.create("/w/d", b"1")  # 4
    assert await next_batch(watch) == [Event(EventType.PUT, d, None)]
    await watch.close()


async def test_events_carry_prev_values(store: Storage) -> None:
    watch = store.watch("/", 0)
    v1 = await store.create("/k", b"one")
    v2 = await store.update("/k", b"two", v1.mod_revision)
    gone = await store.delete("/k", v2.mod_revision)
    v3 = await store.create("/k", b"three")
    events = await collect(watch, 4)
    assert events == [
        Event(EventType.PUT, v1, None),
        Event(EventType.PUT, v2, v1),
        Event(EventType.DELETE, KeyValue("/k", b"two", 1, 3), v2),
        Event(EventType.PUT, v3, None),
    ]
    assert gone == events[2].kv
    await watch.close()


async def test_watch_prefix_filters(store: Storage) -> None:
    watch = store.watch("/a/", 0)
    await store.create("/a", b"")
    await store.create("/ab", b"")
    await store.create("/b/x", b"")
    wanted = await store.create("/a/x", b"")
    assert await next_batch(watch) == [Event(EventType.PUT, wanted, None)]
    await watch.close()


async def test_many_watchers_see_the_same_stream(store: Storage) -> None:
    watches = [store.watch("/s/" if i % 2 else "", 0) for i in range(20)]
    for i in range(30):
        await store.create(f"/s/{i}", b"")
        await store.create(f"/t/{i}", b"")
    for i, watch in enumerate(watches):
        events = await collect(watch, 30 if i % 2 else 60)
        revisions = [ev.revision for ev in events]
        assert revisions == sorted(set(revisions))
        await watch.close()


async def test_close_ends_iteration_normally(store: Storage) -> None:
    watch = store.watch("/", 0)
    received: list[Event] = []

    async def drain() -> None:
        async for batch in watch:
            received.extend(batch)

    task = asyncio.create_task(drain())
    kv = await store.create("/k", b"")

    async def got_it() -> bool:
        return len(received) == 1

    await wait_until(got_it)
    await watch.close()
    await asyncio.wait_for(task, 5)  # the loop ended without an error
    assert received == [Event(EventType.PUT, kv, None)]
    with pytest.raises(StopAsyncIteration):
        await anext(aiter(watch))
    await watch.close()  # idempotent


async def test_close_of_idle_watch_wakes_reader(store: Storage) -> None:
    watch = store.watch("/", 0)
    reader = asyncio.create_task(first_batch(watch))
    await asyncio.sleep(0)  # let the reader start waiting
    await watch.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(reader, 5)


async def test_store_close_ends_watches_with_store_closed(store_factory: StoreFactory) -> None:
    store = await store_factory()
    await store.create("/k", b"")
    waiting = store.watch("/", 1)
    reader = asyncio.create_task(first_batch(waiting))
    idle = store.watch("/", 0)
    await store.close()
    with pytest.raises(StoreClosed):
        await asyncio.wait_for(reader, 5)
    with pytest.raises(StoreClosed):
        await anext(aiter(idle))


async def test_watch_below_compact_revision_raises_at_once(store: Storage) -> None:
    for i in range(4):
        await store.create(f"/k{i}", b"")
    await store.compact(3)
    with pytest.raises(Compacted) as info:
        store.watch("/", 2)
    assert (info.value.requested, info.value.compact_revision) == (2, 3)
    watch = store.watch("/", 3)
    assert [ev.revision for ev in await collect(watch, 1)] == [4]
    await watch.close()


async def test_compaction_overtaking_a_replay_expires_the_watch(store: Storage, backend: str) -> None:
    await asyncio.gather(*(store.create(f"/k{i}", b"") for i in range(3000)))
    watch = store.watch("/", 0)
    first = await next_batch(watch)  # one replay chunk
    assert first[0].revision == 1 and len(first) < 3000
    await store.compact(2500)
    delivered = [ev.revision for ev in first]

    async def rest() -> None:
        async for batch in watch:
            delivered.extend(ev.revision for ev in batch)
            if delivered[-1] == 3000 and backend == "etcd":
                return

    if backend == "etcd":
        # etcd cancels a watch only for history it has not sent yet: when its replay had already
        # gone out (into the stream's buffers) before the compaction, the watch goes on, whole.
        try:
            await asyncio.wait_for(rest(), 30)
        except WatchExpired as exc:
            assert exc.revision == delivered[-1]
        else:
            assert delivered == list(range(1, 3001))
        return
    with pytest.raises(WatchExpired) as info:
        await asyncio.wait_for(rest(), 30)
    assert info.value.revision == first[-1].revision


async def test_slow_watcher_expires_without_slowing_writers(store_factory: StoreFactory) -> None:
    store = await store_factory(watch_buffer=100)
    watch = store.watch("/", 0)  # never read until the end
    # Writers never wait for watchers: 500 concurrent writes complete although
    # the watcher's buffer holds only 100 events.
    await asyncio.wait_for(asyncio.gather(*(store.create(f"/k{i}", b"x") for i in range(500))), 30)
    assert await store.current_revision() == 500
    with pytest.raises(WatchExpired) as info:
        await next_batch(watch)
    # It was never given anything: it may resume after revision 0 (not compacted).
    assert info.value.revision == 0
    with pytest.raises(WatchExpired):
        await next_batch(watch)
    assert len(store._hub) == 0  # type: ignore[attr-defined]  # the expired watcher is unregistered
    resumed = store.watch("/", info.value.revision)
    assert [ev.revision for ev in await collect(resumed, 500)] == list(range(1, 501))
    await resumed.close()


async def test_expired_watch_reports_last_delivered_revision(store_factory: StoreFactory) -> None:
    store = await store_factory(watch_buffer=10)
    watch = store.watch("/", 0)
    await store.create("/first", b"")
    assert [ev.revision for ev in await next_batch(watch)] == [1]
    for i in range(20):
        await store.create(f"/k{i}", b"")
    with pytest.raises(WatchExpired) as info:
        await next_batch(watch)
    assert info.value.revision == 1
    # Resuming from there replays everything that was missed.
    resumed = store.watch("/", info.value.revision)
    assert [ev.revision for ev in await collect(resumed, 20)] == list(range(2, 22))
    await resumed.close()


async def test_100_writers_x_100_writes(store: Storage) -> None:
    watch = store.watch("/load/", await store.current_revision())
    received: list[Event] = []

    async def consume() -> None:
        async for batch in watch:
            received.extend(batch)
            if len(received) >= 10_000:
                return

    consumer = asyncio.create_task(consume())

    async def writer(w: int) -> list[int]:
        revisions = []
        for i in range(100):
            if i % 3 == 2:
                kv = await store.update(f"/load/{w}/{i - 1}", b"u" * 64, 0)
            else:
                kv = await store.create(f"/load/{w}/{i}", b"c" * 64)
            revisions.append(kv.mod_revision)
        return revisions

    results = await asyncio.wait_for(asyncio.gather(*(writer(w) for w in range(100))), 60)
    revisions = sorted(r for rs in results for r in rs)
    assert revisions == list(range(1, 10_001))
    assert await store.current_revision() == 10_000
    await asyncio.wait_for(consumer, 30)
    assert [ev.revision for ev in received] == list(range(1, 10_001))
    # Each writer's own writes appear in the order it made them.
    for w, rs in enumerate(results):
        assert rs == sorted(rs), w
    await watch.close()
