"""The Storage contract, checked on every backend: reads, writes, CAS, ranges."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from storage_helpers import StoreFactory

from setpoint.storage import (
    MAX_KEY_BYTES,
    MAX_VALUE_BYTES,
    Compacted,
    Conflict,
    FutureRevision,
    InvalidInput,
    KeyExists,
    KeyNotFound,
    KeyValue,
    Storage,
    StoreClosed,
)


async def test_empty_store(store: Storage) -> None:
    assert isinstance(store, Storage)
    assert await store.current_revision() == 0
    assert await store.compact_revision() == 0
    assert await store.get("/a") is None
    result = await store.range("")
    assert (result.kvs, result.revision, result.more, result.remaining) == ([], 0, False, 0)
    assert await store.count("") == 0


async def test_create_get_update_delete(store: Storage) -> None:
    created = await store.create("/registry/pods/default/a", b"v1")
    assert created == KeyValue("/registry/pods/default/a", b"v1", 1, 1)
    assert await store.get("/registry/pods/default/a") == created
    assert await store.current_revision() == 1

    updated = await store.update("/registry/pods/default/a", b"v2", 1)
    assert updated == KeyValue("/registry/pods/default/a", b"v2", 1, 2)
    assert await store.get("/registry/pods/default/a") == updated

    unconditional = await store.update("/registry/pods/default/a", b"v3", 0)
    assert unconditional == KeyValue("/registry/pods/default/a", b"v3", 1, 3)

    deleted = await store.delete("/registry/pods/default/a")
    # The deleted key: last value, create revision kept, mod revision = the delete.
    assert deleted == KeyValue("/registry/pods/default/a", b"v3", 1, 4)
    assert await store.get("/registry/pods/default/a") is None
    assert await store.current_revision() == 4


async def test_recreate_gets_new_create_revision(store: Storage) -> None:
    await store.create("/k", b"1")
    await store.delete("/k")
    again = await store.create("/k", b"2")
    assert again == KeyValue("/k", b"2", 3, 3)
    assert (await store.update("/k", b"3", 3)).create_revision == 3


async def test_empty_value_is_a_value(store: Storage) -> None:
    kv = await store.create("/k", b"")
    assert await store.get("/k") == kv
    assert (await store.delete("/k")).value == b""


async def test_create_existing_raises_key_exists_with_current(store: Storage) -> None:
    await store.create("/k", b"1")
    current = await store.update("/k", b"2", 0)
    with pytest.raises(KeyExists) as info:
        await store.create("/k", b"3")
    assert info.value.current == current
    assert await store.current_revision() == 2


async def test_update_and_delete_missing_raise_key_not_found(store: Storage) -> None:
    with pytest.raises(KeyNotFound) as info:
        await store.update("/missing", b"x", 0)
    assert info.value.key == "/missing"
    with pytest.raises(KeyNotFound):
        await store.update("/missing", b"x", 5)
    with pytest.raises(KeyNotFound):
        await store.delete("/missing")
    await store.create("/gone", b"x")
    await store.delete("/gone")
    with pytest.raises(KeyNotFound):
        await store.delete("/gone")
    with pytest.raises(KeyNotFound):
        await store.update("/gone", b"y", 2)
    assert await store.current_revision() == 2


async def test_cas_conflicts_carry_current_state(store: Storage) -> None:
    first = await store.create("/k", b"1")
    second = await store.update("/k", b"2", first.mod_revision)
    with pytest.raises(Conflict) as info:
        await store.update("/k", b"3", first.mod_revision)
    assert info.value.current == second
    with pytest.raises(Conflict) as info:
        await store.delete("/k", first.mod_revision)
    assert info.value.current == second
    assert await store.get("/k") == second
    assert await store.current_revision() == 2
    assert (await store.delete("/k", second.mod_revision)).mod_revision == 3


async def test_revisions_are_global_and_monotonic(store: Storage) -> None:
    a = await store.create("/a", b"a")
    b = await store.create("/b", b"b")
    a2 = await store.update("/a", b"a2", a.mod_revision)
    b_del = await store.delete("/b")
    c = await store.create("/c", b"c")
    assert [a.mod_revision, b.mod_revision, a2.mod_revision, b_del.mod_revision, c.mod_revision] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert (a2.create_revision, c.create_revision) == (1, 5)
    assert await store.current_revision() == 5


async def test_get_at_past_revision(store: Storage) -> None:
    await store.create("/k", b"1")  # 1
    await store.update("/k", b"2", 1)  # 2
    await store.create("/other", b"o")  # 3
    await store.delete("/k")  # 4
    await store.create("/k", b"5")  # 5
    assert await store.get("/k", revision=1) == KeyValue("/k", b"1", 1, 1)
    assert await store.get("/k", revision=3) == KeyValue("/k", b"2", 1, 2)
    assert await store.get("/k", revision=4) is None
    assert await store.get("/k", revision=5) == KeyValue("/k", b"5", 5, 5)
    assert await store.get("/other", revision=2) is None
    with pytest.raises(FutureRevision) as info:
        await store.get("/k", revision=6)
    assert (info.value.requested, info.value.current) == (6, 5)


async def test_range_prefix_limit_start_after(store: Storage) -> None:
    for name in ["a/1", "a/2", "a/3", "a0", "ab/1", "b/1"]:
        await store.create(name, name.encode())
    result = await store.range("a/")
    assert [kv.key for kv in result.kvs] == ["a/1", "a/2", "a/3"]
    assert (result.revision, result.more, result.remaining) == (6, False, 0)

    page = await store.range("a", limit=2)
    assert [kv.key for kv in page.kvs] == ["a/1", "a/2"]
    assert (page.more, page.remaining) == (True, 3)

    page = await store.range("a", limit=2, start_after="a/2")
    assert [kv.key for kv in page.kvs] == ["a/3", "a0"]
    assert (page.more, page.remaining) == (True, 1)

    page = await store.range("a", limit=2, start_after="a0")
    assert [kv.key for kv in page.kvs] == ["ab/1"]
    assert (page.more, page.remaining) == (False, 0)

    # start_after before the prefix does not widen it; limit exactly the rest.
    page = await store.range("a/", start_after="0", limit=3)
    assert [kv.key for kv in page.kvs] == ["a/1", "a/2", "a/3"]
    assert (page.more, page.remaining) == (False, 0)
    assert [kv.key for kv in (await store.range("")).kvs] == ["a/1", "a/2", "a/3", "a0", "ab/1", "b/1"]
    assert (await store.range("zzz")).kvs == []


async def test_range_order_is_code_point_order(store: Storage) -> None:
    keys = ["/k/\u00e9", "/k/z", "/k/\U0001f600", "/k/\uffff", "/k/A", "/k/\u0100"]
    for key in keys:
        await store.create(key, b"")
    assert [kv.key for kv in (await store.range("/k/")).kvs] == sorted(keys)
    page = await store.range("/k/", limit=2, start_after="/k/z")
    assert [kv.key for kv in page.kvs] == sorted(keys)[2:4]
    assert page.remaining == 2
    await store.create("/k\U0010ffff/x", b"")
    await store.create("/k\U0010ffff\U0010ffff", b"")
    assert [kv.key for kv in (await store.range("/k\U0010ffff")).kvs] == [
        "/k\U0010ffff/x",
        "/k\U0010ffff\U0010ffff",
    ]


async def test_range_at_past_revision(store: Storage) -> None:
    await store.create("/p/a", b"a1")  # 1
    await store.create("/p/b", b"b1")  # 2
    await store.update("/p/a", b"a2", 1)  # 3
    await store.delete("/p/b")  # 4
    await store.create("/p/c", b"c1")  # 5
    at2 = await store.range("/p/", revision=2)
    assert at2.kvs == [KeyValue("/p/a", b"a1", 1, 1), KeyValue("/p/b", b"b1", 2, 2)]
    assert at2.revision == 2
    at4 = await store.range("/p/", revision=4)
    assert at4.kvs == [KeyValue("/p/a", b"a2", 1, 3)]
    latest = await store.range("/p/")
    assert [kv.key for kv in latest.kvs] == ["/p/a", "/p/c"]
    assert latest.revision == 5
    page = await store.range("/p/", revision=3, limit=1)
    assert page.kvs == [KeyValue("/p/a", b"a2", 1, 3)]
    assert (page.more, page.remaining) == (True, 1)
    with pytest.raises(FutureRevision):
        await store.range("/p/", revision=6)


async def test_pagination_is_consistent_across_writes(store: Storage) -> None:
    keys = [f"/registry/configmaps/ns/cm-{i:03d}" for i in range(25)]
    for key in keys:
        await store.create(key, key.encode())
    page = await store.range("/registry/configmaps/", limit=10)
    snapshot = page.revision
    seen = [kv.key for kv in page.kvs]
    # Writes between pages: deletes of keys not yet read, updates, new keys.
    await store.delete(keys[15])
    await store.update(keys[12], b"changed", 0)
    await store.create("/registry/configmaps/ns/cm-0125", b"new")
    await store.create("/registry/configmaps/ns/cm-999", b"new")
    while page.more:
        page = await store.range("/registry/configmaps/", limit=10, start_after=seen[-1], revision=snapshot)
        assert page.revision == snapshot
        seen.extend(kv.key for kv in page.kvs)
        if page.more:
            assert page.remaining == 25 - len(seen)
    assert seen == keys
    value_12 = await store.range("/registry/configmaps/", start_after=keys[11], limit=1, revision=snapshot)
    assert value_12.kvs[0].value == keys[12].encode()


async def test_count(store: Storage) -> None:
    for i in range(5):
        await store.create(f"/a/{i}", b"")
    await store.create("/b/0", b"")
    await store.delete("/a/3")
    assert await store.count("/a/") == 4
    assert await store.count("/b/") == 1
    assert await store.count("") == 5
    assert await store.count("/c") == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("", b"v"),
        (b"/k", b"v"),
        (None, b"v"),
        ("k" * (MAX_KEY_BYTES + 1), b"v"),
        ("\u00e9" * (MAX_KEY_BYTES // 2 + 1), b"v"),
        ("/bad-\ud800", b"v"),
        ("/k", "text"),
        ("/k", bytearray(b"v")),
        ("/k", None),
        ("/k", b"x" * (MAX_VALUE_BYTES + 1)),
    ],
)
async def test_invalid_input_changes_nothing(store: Storage, key: Any, value: Any) -> None:
    await store.create("/k", b"v")
    with pytest.raises(InvalidInput):
        await store.create(key, value)
    with pytest.raises(InvalidInput):
        await store.update(key, value, 0)
    if not isinstance(key, str) or key in ("", "/bad-\ud800") or len(key) > MAX_KEY_BYTES // 2:
        with pytest.raises(InvalidInput):
            await store.delete(key)
        with pytest.raises(InvalidInput):
            await store.get(key)
    assert await store.current_revision() == 1
    assert await store.get("/k") == KeyValue("/k", b"v", 1, 1)


async def test_limits_are_inclusive(store: Storage) -> None:
    key = "k" * MAX_KEY_BYTES
    kv = await store.create(key, b"x" * MAX_VALUE_BYTES)
    assert await store.get(key) == kv


async def test_invalid_arguments(store: Storage) -> None:
    await store.create("/k", b"v")
    with pytest.raises(InvalidInput):
        await store.update("/k", b"v", -1)
    with pytest.raises(InvalidInput):
        await store.range("/", limit=-1)
    with pytest.raises(InvalidInput):
        await store.range("/", revision=-1)
    with pytest.raises(InvalidInput):
        await store.get("/k", revision=-1)
    with pytest.raises(InvalidInput):
        store.watch("/", -1)
    assert await store.current_revision() == 1


async def test_concurrent_creates_of_one_key_exactly_one_wins(store: Storage) -> None:
    results = await asyncio.gather(
        *(store.create("/race", str(i).encode()) for i in range(50)), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, KeyValue)]
    losers = [r for r in results if isinstance(r, KeyExists)]
    assert len(winners) == 1 and len(losers) == 49
    assert all(loser.current == winners[0] for loser in losers)
    assert await store.current_revision() == 1


async def test_concurrent_cas_updates_exactly_one_wins_per_round(store: Storage) -> None:
    kv = await store.create("/counter", b"0")
    for _ in range(5):
        results = await asyncio.gather(
            *(store.update("/counter", b"x", kv.mod_revision) for _ in range(10)), return_exceptions=True
        )
        winners = [r for r in results if isinstance(r, KeyValue)]
        assert len(winners) == 1
        assert all(
            isinstance(r, Conflict) and r.current == winners[0] for r in results if r is not winners[0]
        )
        kv = winners[0]
    assert await store.current_revision() == 6


async def test_closed_store_refuses_calls(store_factory: StoreFactory) -> None:
    store = await store_factory()
    await store.create("/k", b"v")
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(StoreClosed):
        await store.get("/k")
    with pytest.raises(StoreClosed):
        await store.create("/j", b"v")
    with pytest.raises(StoreClosed):
        await store.range("/")
    with pytest.raises(StoreClosed):
        store.watch("/", 0)


async def test_compacted_reads(store: Storage) -> None:
    await store.create("/k", b"1")  # 1
    await store.update("/k", b"2", 1)  # 2
    await store.create("/j", b"1")  # 3
    await store.delete("/j")  # 4
    await store.update("/k", b"5", 2)  # 5
    await store.compact(4)
    assert await store.compact_revision() == 4
    with pytest.raises(Compacted) as info:
        await store.range("/", revision=3)
    assert (info.value.requested, info.value.compact_revision) == (3, 4)
    with pytest.raises(Compacted):
        await store.get("/k", revision=1)
    # The compact revision itself is still readable, and the latest state is intact.
    at4 = await store.range("/", revision=4)
    assert at4.kvs == [KeyValue("/k", b"2", 1, 2)]
    assert await store.get("/j", revision=4) is None
    assert (await store.range("/")).kvs == [KeyValue("/k", b"5", 1, 5)]
    assert await store.get("/k", revision=4) == KeyValue("/k", b"2", 1, 2)
