"""The watch cache (``apiserver/cacher.py``) over in-memory storage, in-process.

Every wait is on a condition with a timeout; ``asyncio.sleep(0)`` only yields to
let the one storage watch deliver in batches of varied sizes.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from setpoint import storage
from setpoint.apiserver.registry.cacher import (
    ADDED,
    DELETED,
    MODIFIED,
    CacheEvent,
    Cacher,
    CacheSet,
    CacheWatcher,
    WatcherGone,
)
from setpoint.storage import MemoryStorage, RangeResult

TIMEOUT = 5.0
PREFIX = "/registry/things/"
OTHER = "/registry/others/"
CRD_PREFIX = "/registry/example.com/widgets/"

Obj = dict[str, Any]
Entry = tuple[str, CacheEvent | None, int]


class GatedStorage(MemoryStorage):
    """Memory storage whose ``range`` of one prefix can be held after it read its snapshot,
    so that writes land while a cache is listing."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.hold_prefix = ""
        self.release = asyncio.Event()
        self.listed = asyncio.Event()
        self.list_revisions: list[int] = []
        #: (prefix, revision) of every range read.
        self.ranges: list[tuple[str, int]] = []

    def hold(self, prefix: str) -> None:
        self.hold_prefix = prefix
        self.release.clear()
        self.listed.clear()

    async def range(
        self, prefix: str, *, limit: int = 0, start_after: str | None = None, revision: int = 0
    ) -> RangeResult:
        result = await super().range(prefix, limit=limit, start_after=start_after, revision=revision)
        self.ranges.append((prefix, result.revision))
        if prefix == self.hold_prefix and not self.release.is_set():
            self.list_revisions.append(result.revision)
            self.listed.set()
            await self.release.wait()
        return result


@pytest.fixture
async def store() -> AsyncIterator[GatedStorage]:
    s = GatedStorage(compact_interval=0)
    yield s
    await s.close()


@pytest.fixture
async def caches(store: GatedStorage) -> AsyncIterator[CacheSet]:
    cs = CacheSet(store)
    await cs.start()
    yield cs
    await cs.stop()


def add_cacher(cs: CacheSet, prefix: str, **options: Any) -> Cacher:
    """A cacher with non-default limits, fed by ``cs`` like the ones ``cs.get`` makes."""
    c = Cacher(cs, prefix, **options)
    cs._cachers[prefix] = c
    c.start()
    return c


def doc(name: str, data: str = "", **labels: str) -> bytes:
    return orjson.dumps({"metadata": {"name": name, "labels": labels}, "data": data})


async def put(s: storage.Storage, key: str, data: str = "", **labels: str) -> int:
    """Create or (unconditionally) update ``key``; its new revision."""
    value = doc(key.rsplit("/", 1)[-1], data, **labels)
    if await s.get(key) is None:
        return (await s.create(key, value)).mod_revision
    return (await s.update(key, value, 0)).mod_revision


async def drain(w: CacheWatcher) -> list[Entry]:
    """Everything buffered in ``w`` now, without waiting for more."""
    out: list[Entry] = []
    while batch := await w.next_batch(0):
        out.extend(batch)
    return out


def summary(entries: list[Entry]) -> list[tuple[str, str, int]]:
    out = []
    for type_, ev, rev in entries:
        assert ev is not None
        out.append((type_, ev.obj.key, rev))
    return out


async def storage_state(s: storage.Storage, prefix: str, matches: Callable[[Obj], bool] | None = None) -> dict[str, tuple[int, Obj]]:
    page = await s.range(prefix)
    out = {}
    for kv in page.kvs:
        obj = orjson.loads(kv.value)
        if matches is None or matches(obj):
            out[kv.key] = (kv.mod_revision, obj)
    return out


def cache_state(c: Cacher, prefix: str) -> dict[str, tuple[int, Obj]]:
    return {o.key: (o.revision, _without_rv(o.obj)) for o in c.list(prefix)}


def _without_rv(obj: Obj) -> Obj:
    meta = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}


async def ready(*cachers: Cacher) -> None:
    for c in cachers:
        await asyncio.wait_for(c.wait_ready(), TIMEOUT)


# --- fan-out -------------------------------------------------------------------------


async def test_every_watcher_gets_every_event_once_in_order(store: GatedStorage, caches: CacheSet) -> None:
    c = caches.get(PREFIX)
    await ready(c)
    watchers = [c.watch(PREFIX, 0, None, initial_events=False)[0] for _ in range(6)]
    rng = random.Random(7)
    expected: list[tuple[str, str, int]] = []
    live: set[str] = set()
    for i in range(80):
        key = f"{PREFIX}ns/o{rng.randrange(8)}"
        if key in live and rng.random() < 0.3:
            expected.append((DELETED, key, (await store.delete(key)).mod_revision))
            live.discard(key)
        else:
            expected.append((MODIFIED if key in live else ADDED, key, await put(store, key, str(i))))
            live.add(key)
        if rng.random() < 0.2:
            await put(store, f"{OTHER}x{i}")  # another prefix: none of these watchers' business
        if rng.random() < 0.3:
            await asyncio.sleep(0)  # let the feed deliver a batch of whatever size it has
    await asyncio.wait_for(c.wait_consistent(), TIMEOUT)
    seen = [await drain(w) for w in watchers]
    for entries in seen:
        assert summary(entries) == expected
    # One cache event (one encoding) shared by every watcher.
    for entries in seen[1:]:
        assert all(a[1] is b[1] for a, b in zip(entries, seen[0], strict=True))
    for (_, ev, rev) in seen[0]:
        assert ev is not None
        line = orjson.loads(ev.line(ev.type))
        assert line["object"]["metadata"]["resourceVersion"] == str(rev)


async def test_watchers_woken_by_a_batch_read_the_caches_decoding_of_objects_held_as_json(
        store: GatedStorage, caches: CacheSet) -> None:
    """An object held as JSON is decoded once, by the cache, for the watchers its batch wakes; the
    event lets that decoding go once the loop has run them, and decodes afresh after."""
    c = caches.get(PREFIX, ("metadata.labels",))
    await ready(c)
    w = c.watch(PREFIX, 0, None, initial_events=False)[0]
    key = f"{PREFIX}ns/a"
    rev = await put(store, key, "one", app="web")
    batch = await w.next_batch(TIMEOUT)  # (in this task, as an in-process watch reads: no wait_for's task)
    ((type_, ev, at),) = batch
    assert ev is not None and (type_, at) == (ADDED, rev)
    first = ev.object
    assert ev.decoded is first and ev.object is first  # the cache's own, not a decoding per read
    assert first["data"] == "one" and first["metadata"]["resourceVersion"] == str(rev)
    await asyncio.sleep(0)  # the loop runs the callback queued behind the woken watchers
    assert ev.decoded is None
    again = ev.object
    assert again == first and again is not first


# --- selectors -----------------------------------------------------------------------


def is_web(obj: Obj) -> bool:
    return bool((obj.get("metadata") or {}).get("labels", {}).get("app") == "web")


async def test_label_selector_watch_translates_events(store: GatedStorage, caches: CacheSet) -> None:
    c = caches.get(PREFIX)
    await ready(c)
    w, _ = c.watch(PREFIX, 0, is_web, initial_events=False)
    a = PREFIX + "ns/a"
    b = PREFIX + "ns/b"

    await put(store, a, "1")  # not matching: nothing
    r_added = await put(store, a, "1", app="web")  # starts matching: ADDED
    r_modified = await put(store, a, "2", app="web")  # still matching: MODIFIED
    r_left = await put(store, a, "2", app="db")  # stops matching: DELETED at this revision
    await put(store, a, "3", app="db")  # not matching: nothing
    r_back = await put(store, a, "3", app="web")  # matches again: ADDED
    r_deleted = (await store.delete(a)).mod_revision  # deleted while matching: DELETED
    await put(store, b, "x")  # never matching: nothing
    await put(store, b, "y", app="api")
    await store.delete(b)
    await asyncio.wait_for(c.wait_consistent(), TIMEOUT)

    entries = await drain(w)
    assert summary(entries) == [
        (ADDED, a, r_added),
        (MODIFIED, a, r_modified),
        (DELETED, a, r_left),
        (ADDED, a, r_back),
        (DELETED, a, r_deleted),
    ]
    objects = []
    for type_, ev, _ in entries:
        assert ev is not None
        objects.append(orjson.loads(ev.line(type_))["object"])
    assert [o["metadata"]["resourceVersion"] for o in objects] == [
        str(r) for r in (r_added, r_modified, r_left, r_back, r_deleted)]
    # The DELETED of an object leaving the selection shows its last matching state.
    assert objects[2]["metadata"]["labels"] == {"app": "web"} and objects[2]["data"] == "2"
    assert objects[4]["data"] == "3"


# --- history -----------------------------------------------------------------------


async def test_watch_resumed_from_past_revision_replays_exactly_the_later_events(
    store: GatedStorage, caches: CacheSet
) -> None:
    c = caches.get(PREFIX)
    await ready(c)
    events: list[tuple[str, str, int]] = []
    for i in range(10):
        key = f"{PREFIX}ns/o{i % 4}"
        events.append((MODIFIED if i >= 4 else ADDED, key, await put(store, key, str(i))))
    events.append((DELETED, f"{PREFIX}ns/o1", (await store.delete(f"{PREFIX}ns/o1")).mod_revision))
    await asyncio.wait_for(c.wait_consistent(), TIMEOUT)

    for cut in (0, 3, 10, len(events) - 1):
        since = events[cut][2]
        w, start = c.watch(PREFIX, since, None, initial_events=False)
        assert start == since
        assert summary(await drain(w)) == events[cut + 1:]
        w.close()

    # A resumed watcher goes on with live events, each once.
    w, _ = c.watch(PREFIX, events[5][2], None, initial_events=False)
    rev = await put(store, f"{PREFIX}ns/o9")
    await asyncio.wait_for(c.wait_consistent(), TIMEOUT)
    assert summary(await drain(w)) == [*events[6:], (ADDED, f"{PREFIX}ns/o9", rev)]


async def test_revision_older_than_the_history_window_is_compacted(store: GatedStorage, caches: CacheSet) -> None:
    c = add_cacher(caches, PREFIX, history_max=3)
    await ready(c)
    revs = [await put(store, f"{PREFIX}ns/o{i}") for i in range(10)]
    await asyncio.wait_for(c.wait_consistent(), TIMEOUT)

    assert c.history_start == revs[6]
    for too_old in (revs[0], revs[5]):
        with pytest.raises(storage.Compacted):
            c.watch(PREFIX, too_old, None, initial_events=False)
    w, _ = c.watch(PREFIX, revs[6], None, initial_events=False)
    assert [rev for _, _, rev in await drain(w)] == revs[7:]
    # A list-and-watch from now is always possible.
    w2, start = c.watch(PREFIX, 0, None, initial_events=True)
    assert start == revs[-1] and len(await drain(w2)) == 10


async def test_replay_larger_than_the_watcher_buffer_ends_the_watcher(store: GatedStorage, caches: CacheSet) -> None:
    c = add_cacher(caches, PREFIX, watcher_capacity=3)
    await ready(c)
    first = await put(store, f"{PREFIX}ns/o0")
    for i in range(1, 6):
        await put(store, f"{PREFIX}ns/o{i}")
    await asyncio.wait_for(c.wait_consistent(), TIMEOUT)

    w, _ = c.watch(PREFIX, first, None, initial_events=False)
    assert len(await w.next_batch(0)) == 3
    with pytest.raises(WatcherGone):
        await w.next_batch(0)
    # An ended watcher is not left registered (fed, counted) by the cache.
    assert c.watcher_count() == 0


# --- initial events under concurrent writes --------------------------------------------------


def is_red(obj: Obj) -> bool:
    return bool((obj.get("metadata") or {}).get("labels", {}).get("color") == "red")


_op = st.tuples(
    st.integers(0, 2),  # writer
    st.integers(0, 4),  # object
    st.sampled_from(["put", "put", "delete"]),
    st.sampled_from(["red", "blue"]),
    st.integers(0, 2),  # yields before the write
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["red", "blue"])), max_size=5),
    ops=st.lists(_op, min_size=1, max_size=40),
    followers=st.lists(st.tuples(st.integers(0, 40), st.booleans()), min_size=1, max_size=4),
)
async def test_initial_events_then_live_events_have_no_gap_and_no_duplicate(
    seed: list[tuple[int, str]], ops: list[tuple[int, int, str, str, int]], followers: list[tuple[int, bool]]
) -> None:
    store = MemoryStorage(compact_interval=0)
    cs = CacheSet(store)
    try:
        await cs.start()
        c = cs.get(PREFIX)
        await ready(c)
        for i, color in seed:
            await put(store, f"{PREFIX}ns/o{i}", "seed", color=color)

        async def writer(mine: list[tuple[int, int, str, str, int]]) -> None:
            for n, (_, i, action, color, yields) in enumerate(mine):
                for _ in range(yields):
                    await asyncio.sleep(0)
                key = f"{PREFIX}ns/o{i}"
                if action == "delete":
                    if await store.get(key) is not None:
                        await store.delete(key)
                else:
                    await put(store, key, str(n), color=color)

        started: list[asyncio.Event] = [asyncio.Event() for _ in followers]
        watchers: list[CacheWatcher | None] = [None] * len(followers)

        async def follower(index: int, delay: int, selective: bool) -> dict[str, tuple[int, Obj]]:
            for _ in range(delay):
                await asyncio.sleep(0)
            w, start = c.watch(PREFIX, 0, is_red if selective else None, initial_events=True)
            watchers[index] = w
            started[index].set()
            initial = len(w._buffer)
            state: dict[str, tuple[int, Obj]] = {}
            seen = 0
            last = start
            while True:
                try:
                    batch = await w.next_batch(None)
                except StopAsyncIteration:
                    return state
                for type_, ev, rev in batch:
                    assert ev is not None
                    key = ev.obj.key
                    obj = ev.obj.obj
                    assert obj["metadata"]["resourceVersion"] == str(rev)
                    if seen < initial:
                        assert type_ == ADDED and rev <= start
                    else:
                        assert rev > last, "a live event out of order, replayed or older than the snapshot"
                        last = rev
                    if type_ == ADDED:
                        assert key not in state, f"ADDED twice: {key}"
                        state[key] = (rev, _without_rv(obj))
                    elif type_ == MODIFIED:
                        assert key in state and state[key][0] < rev
                        state[key] = (rev, _without_rv(obj))
                    else:
                        assert type_ == DELETED and key in state
                        del state[key]
                    seen += 1

        by_writer: list[list[tuple[int, int, str, str, int]]] = [[], [], []]
        for op in ops:
            by_writer[op[0]].append(op)
        follow_tasks = [asyncio.create_task(follower(n, d, s)) for n, (d, s) in enumerate(followers)]
        await asyncio.wait_for(asyncio.gather(*(writer(m) for m in by_writer)), TIMEOUT)
        for ev in started:
            await asyncio.wait_for(ev.wait(), TIMEOUT)
        await asyncio.wait_for(c.wait_consistent(), TIMEOUT)
        for w in watchers:
            assert w is not None
            w.close()  # the follower reads what is buffered, then ends
        states = await asyncio.wait_for(asyncio.gather(*follow_tasks), TIMEOUT)
        everything = await storage_state(store, PREFIX)
        red = await storage_state(store, PREFIX, is_red)
        for (_, selective), state in zip(followers, states, strict=True):
            assert state == (red if selective else everything)
        assert cache_state(c, PREFIX) == everything
    finally:
        await cs.stop()
        await store.close()


# --- slow watchers -------------------------------------------------------------------------


async def test_watcher_that_never_reads_is_ended_and_does_not_block_writers(
    store: GatedStorage, caches: CacheSet
) -> None:
    c = add_cacher(caches, PREFIX, watcher_capacity=5)
    await ready(c)
    lazy, _ = c.watch(PREFIX, 0, None, initial_events=False)
    keen, _ = c.watch(PREFIX, 0, None, initial_events=False)
    revs = []
    got: list[int] = []
    for i in range(20):
        revs.append(await put(store, f"{PREFIX}ns/o{i}"))
        await asyncio.wait_for(c.wait_consistent(), 1.0)
        got.extend(rev for _, _, rev in await drain(keen))
    assert got == revs
    assert c.watcher_count() == 1
    # The lazy one still gets what it had buffered, then learns it was ended.
    assert [rev for _, _, rev in await lazy.next_batch(0)] == revs[:5]
    with pytest.raises(WatcherGone):
        await lazy.next_batch(None)


# --- consistent reads ----------------------------------------------------------------------


async def test_consistent_read_of_a_quiet_prefix_after_writes_elsewhere_is_prompt(
    store: GatedStorage, caches: CacheSet
) -> None:
    busy = caches.get(PREFIX)
    quiet = caches.get(OTHER)
    await ready(busy, quiet)
    await put(store, f"{OTHER}ns/q")
    for i in range(20):
        await put(store, f"{PREFIX}ns/o{i}")
        # Well under the cache's own 3 s wait: the quiet cache must not wait for its own prefix.
        await asyncio.wait_for(quiet.wait_consistent(), 1.0)
        assert quiet.revision >= await store.current_revision()
    # A write under a prefix no cache follows moves every cache's revision on, too.
    await put(store, "/registry/nobody/x")
    await asyncio.wait_for(quiet.wait_consistent(), 1.0)
    await asyncio.wait_for(busy.wait_consistent(), 1.0)
    assert list(cache_state(quiet, OTHER)) == [f"{OTHER}ns/q"]


# --- a cache created late ---------------------------------------------------------------------


async def test_new_cacher_lists_and_applies_events_from_during_its_list_once(
    store: GatedStorage, caches: CacheSet
) -> None:
    for i in range(6):
        await put(store, f"{CRD_PREFIX}ns/w{i}", "before")
    await asyncio.wait_for(caches.wait_revision(await store.current_revision(), TIMEOUT), TIMEOUT)
    store.hold(CRD_PREFIX)
    # Written just before the cache exists: the shared feed routes it to the new cache's
    # pending events, and the list holds it too; it must count once.
    await put(store, f"{CRD_PREFIX}ns/w0", "racing")
    c = caches.get(CRD_PREFIX)
    await asyncio.wait_for(store.listed.wait(), TIMEOUT)
    listed_at = store.list_revisions[-1]

    during: list[tuple[str, str, int]] = []
    during.append((MODIFIED, f"{CRD_PREFIX}ns/w1", await put(store, f"{CRD_PREFIX}ns/w1", "during")))
    during.append((ADDED, f"{CRD_PREFIX}ns/w9", await put(store, f"{CRD_PREFIX}ns/w9", "during")))
    during.append((DELETED, f"{CRD_PREFIX}ns/w2", (await store.delete(f"{CRD_PREFIX}ns/w2")).mod_revision))
    await asyncio.sleep(0)
    during.append((MODIFIED, f"{CRD_PREFIX}ns/w9", await put(store, f"{CRD_PREFIX}ns/w9", "again")))
    during.append((DELETED, f"{CRD_PREFIX}ns/w0", (await store.delete(f"{CRD_PREFIX}ns/w0")).mod_revision))
    # The feed has handed all of them to the (still listing) cache.
    await asyncio.wait_for(caches.wait_revision(await store.current_revision(), TIMEOUT), TIMEOUT)
    assert not c._ready.is_set()
    store.release.set()
    await asyncio.wait_for(c.wait_consistent(), TIMEOUT)

    assert cache_state(c, CRD_PREFIX) == await storage_state(store, CRD_PREFIX)
    w, _ = c.watch(CRD_PREFIX, listed_at, None, initial_events=False)
    assert summary(await drain(w)) == during
    # And it follows live events from then on.
    rev = await put(store, f"{CRD_PREFIX}ns/w3", "after")
    await asyncio.wait_for(c.wait_consistent(), TIMEOUT)
    assert summary(await drain(w)) == [(MODIFIED, f"{CRD_PREFIX}ns/w3", rev)]


async def test_a_quiet_resource_lets_its_old_history_go_as_other_resources_change(
        store: GatedStorage, caches: CacheSet) -> None:
    quiet = add_cacher(caches, PREFIX, history_seconds=0.2)
    busy = caches.get(CRD_PREFIX)
    await ready(quiet)
    await ready(busy)
    last = [await put(store, f"{PREFIX}ns/o{i}") for i in range(3)][-1]
    await asyncio.wait_for(quiet.wait_consistent(), TIMEOUT)
    assert len(quiet._history) == 3
    await asyncio.sleep(1.1)  # past the window, and past the feed's once-a-second trim
    await put(store, f"{CRD_PREFIX}ns/w", "1")
    await asyncio.wait_for(busy.wait_consistent(), TIMEOUT)
    assert len(quiet._history) == 0 and quiet.history_start == last


async def test_new_cacher_skips_events_its_list_already_holds(store: GatedStorage, caches: CacheSet) -> None:
    c = caches.get(CRD_PREFIX)  # it lists at the next yield, before the feed hands it these writes
    await put(store, f"{CRD_PREFIX}ns/a", "1")
    await put(store, f"{CRD_PREFIX}ns/b", "1")
    last = (await store.delete(f"{CRD_PREFIX}ns/b")).mod_revision
    await asyncio.wait_for(c.wait_consistent(), TIMEOUT)
    assert (CRD_PREFIX, last) in store.ranges  # the list read them all
    assert cache_state(c, CRD_PREFIX) == await storage_state(store, CRD_PREFIX)
    # Delivered after the list, they were not applied (nor kept as history) a second time.
    assert [cev.revision for cev in c._history] == []
    assert c.history_start == last


# --- the shared storage watch restarting -----------------------------------------------------


async def _burst_past_the_feed(store: GatedStorage) -> None:
    """More writes than the storage watch buffers, without yielding: the feed's watch expires."""
    for i in range(12):
        await put(store, f"{PREFIX}ns/burst{i}", str(i))
    await put(store, f"{PREFIX}ns/pre0", "changed")
    await store.delete(f"{PREFIX}ns/pre1")
    await put(store, f"{OTHER}ns/burst", "x")


async def test_cacheset_restarts_after_the_storage_watch_expires() -> None:
    store = GatedStorage(compact_interval=0, watch_buffer=4)
    cs = CacheSet(store)
    try:
        await cs.start()
        a = cs.get(PREFIX)
        b = cs.get(OTHER)
        await ready(a, b)
        for i in range(3):
            await put(store, f"{PREFIX}ns/pre{i}")
        await asyncio.wait_for(a.wait_consistent(), TIMEOUT)
        w, _ = a.watch(PREFIX, 0, None, initial_events=False)
        store.hold(PREFIX)  # hold the re-list, to look at the restart window

        await _burst_past_the_feed(store)

        async def consistent_list() -> dict[str, tuple[int, Obj]]:
            await a.wait_consistent()
            return cache_state(a, PREFIX)

        reader = asyncio.create_task(consistent_list())  # a consistent read from before the restart
        with pytest.raises(WatcherGone):
            await asyncio.wait_for(w.next_batch(None), TIMEOUT)
        await asyncio.wait_for(store.listed.wait(), TIMEOUT)
        store.release.set()
        # The read neither times out nor answers from the cache as it was before the restart.
        assert await asyncio.wait_for(reader, 2.0) == await storage_state(store, PREFIX)
        await asyncio.wait_for(b.wait_consistent(), TIMEOUT)
        assert cache_state(b, OTHER) == await storage_state(store, OTHER)

        # The restarted feed follows new writes.
        w2, _ = a.watch(PREFIX, 0, None, initial_events=False)
        rev = await put(store, f"{PREFIX}ns/after")
        await asyncio.wait_for(a.wait_consistent(), TIMEOUT)
        assert cache_state(a, PREFIX) == await storage_state(store, PREFIX)
        assert summary(await drain(w2)) == [(ADDED, f"{PREFIX}ns/after", rev)]
    finally:
        await cs.stop()
        await store.close()


async def test_rewatch_right_after_a_restart_sees_the_relisted_state() -> None:
    """The controllers' pattern: on WatcherGone, watch again at once (the cache may be re-listing)."""
    store = GatedStorage(compact_interval=0, watch_buffer=4)
    cs = CacheSet(store)
    try:
        await cs.start()
        c = cs.get(PREFIX)
        await ready(c)
        for i in range(3):
            await put(store, f"{PREFIX}ns/pre{i}")
        await asyncio.wait_for(c.wait_consistent(), TIMEOUT)

        state: dict[str, int] = {}
        changed = asyncio.Event()
        restarts = 0

        async def follow() -> None:
            nonlocal restarts
            while True:
                w, _ = c.watch(PREFIX, 0, None, initial_events=True)
                state.clear()
                try:
                    while True:
                        for type_, ev, _ in await w.next_batch(None):
                            assert ev is not None
                            if type_ == DELETED:
                                state.pop(ev.obj.key, None)
                            else:
                                state[ev.obj.key] = ev.obj.revision
                        changed.set()
                except WatcherGone:
                    restarts += 1
                    continue

        follower = asyncio.create_task(follow())
        try:
            store.hold(PREFIX)
            await _burst_past_the_feed(store)
            await asyncio.wait_for(store.listed.wait(), TIMEOUT)
            store.release.set()
            await asyncio.wait_for(c.wait_consistent(), TIMEOUT)
            expected = {k: rev for k, (rev, _) in (await storage_state(store, PREFIX)).items()}

            async def converge() -> None:
                while state != expected:
                    changed.clear()
                    await changed.wait()

            await asyncio.wait_for(converge(), 2.0)
            assert restarts >= 1
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
    finally:
        await cs.stop()
        await store.close()


def test_a_cached_encoding_holds_its_length_not_orjsons_buffer() -> None:
    """orjson's result keeps its 4 KiB write buffer; the cache's encodings must not (100,000
    pods would hold 300 MB more)."""
    import tracemalloc

    from setpoint.apiserver.registry.cacher import CachedObject

    objs = [CachedObject(f"/registry/configmaps/default/c{i}", {"kind": "ConfigMap", "data": {"k": str(i)}}, 1)
            for i in range(1000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        encodings = [o.json() for o in objs]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert all(e.startswith(b'{"kind":"ConfigMap"') for e in encodings)
    assert held < 1000 * 200, held  # ~60 bytes of JSON and a bytes header each, not 4 KiB


def test_an_object_held_as_json_costs_less_than_half_of_it_decoded() -> None:
    """Events are held as their encoding and a view of what selectors read: 100,000 pods'
    400,000 Events must fit beside the pods."""
    import sys

    from setpoint.apiserver.builtin.events import EventStrategy
    from setpoint.apiserver.registry.cacher import CachedObject, Interner, JsonView

    def event(i: int) -> dict[str, Any]:  # as the simulated kubelet writes them: four a pod
        pod = f"web-7d9f8c6b5-x{i // 4:05d}"
        fields = {f"f:{f}": {} for f in ("count", "firstTimestamp", "involvedObject", "lastTimestamp", "message",
                                          "reason", "reportingComponent", "reportingInstance", "type")}
        return orjson.loads(orjson.dumps({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{pod}.18a2b3c4d5e6f7{i % 4}", "namespace": "default",
                         "uid": f"1f2e3d4c-5b6a-4789-8abc-{i:012d}", "resourceVersion": str(100000 + i),
                         "creationTimestamp": "2026-12-06T10:00:00Z",
                         "managedFields": [{"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                                            "time": "2026-12-06T10:00:00Z", "fieldsType": "FieldsV1",
                                            "fieldsV1": {**fields, "f:source": {"f:component": {}, "f:host": {}}}}]},
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": pod, "uid": f"9f2e-{i // 4:032d}",
                               "apiVersion": "v1", "resourceVersion": str(90000 + i // 4),
                               "fieldPath": "spec.containers{app}"},
            "reason": "Started", "message": "Started container app", "type": "Normal", "count": 1,
            "source": {"component": "kubelet", "host": f"node-{i % 100}"},
            "firstTimestamp": "2026-12-06T10:00:00Z", "lastTimestamp": "2026-12-06T10:00:00Z",
            "reportingComponent": "kubelet", "reportingInstance": f"node-{i % 100}"}))

    def held_bytes(make: Callable[[int], CachedObject]) -> int:
        """The bytes of everything 2,000 cached objects hold, each shared part counted once."""
        todo: list[Any] = [make(i) for i in range(2000)]
        seen: set[int] = set()
        size = 0
        while todo:
            o = todo.pop()
            if id(o) in seen or isinstance(o, JsonView):
                continue
            seen.add(id(o))
            size += sys.getsizeof(o)
            if isinstance(o, CachedObject):
                todo += [o.key, o._json, o._obj, o._view]
            elif isinstance(o, dict):
                todo += [*o.keys(), *o.values()]
            elif isinstance(o, list | tuple):
                todo += o
        return size

    interner = Interner()
    view = JsonView(EventStrategy.cache_json_fields or (), interner.share)
    decoded = held_bytes(lambda i: CachedObject(f"/registry/events/default/e{i}", interner.shared(event(i)), i))
    as_json = held_bytes(lambda i: CachedObject.held_as_json(f"/registry/events/default/e{i}", event(i), i, view))
    assert as_json < decoded / 2, (as_json, decoded)


def test_objects_held_as_json_with_equal_views_share_one() -> None:
    """A namespace's ConfigMaps with the same labels, applied one after another, hold one view tuple;
    each still reads as its own object (the name comes from its key)."""
    from setpoint.apiserver.registry.cacher import CachedObject, Interner, JsonView

    interner = Interner()
    view = JsonView((), interner.share)

    def held(name: str, labels: dict[str, str] | None, namespace: str = "a") -> CachedObject:
        meta: dict[str, Any] = {"name": name, "namespace": namespace}
        if labels:
            meta["labels"] = labels
        obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": name}}
        return CachedObject.held_as_json(f"/registry/configmaps/{namespace}/{name}", orjson.loads(orjson.dumps(obj)),
                                         1, view)

    x, y = held("x", {"app": "web"}), held("y", {"app": "web"})
    other_labels, other_ns, bare = held("z", {"app": "db"}), held("x", {"app": "web"}, "b"), held("w", None)
    assert x._view is y._view, "equal views: one tuple"
    assert other_labels._view is not x._view and other_ns._view is not x._view and bare._view is not x._view
    assert y.view == {"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "y", "namespace": "a", "labels": {"app": "web"}}}
    assert other_ns.view["metadata"] == {"name": "x", "namespace": "b", "labels": {"app": "web"}}
    assert bare.view["metadata"] == {"name": "w", "namespace": "a"} and y.obj["data"] == {"k": "y"}
