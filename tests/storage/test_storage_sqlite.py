"""SQLite-only behaviour: the file, recovery, locking, group commit, failures."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import collect

from setpoint.storage import (
    Conflict,
    KeyExists,
    KeyValue,
    MemoryStorage,
    SQLiteStorage,
    StorageError,
    StoreLocked,
    open_storage,
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


def rows(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT id, name, created, deleted, create_revision, prev_revision, value, old_value"
            " FROM kine ORDER BY id"
        ).fetchall()


async def test_rows_follow_the_kine_layout(db: Path) -> None:
    store = SQLiteStorage(db, compact_interval=0)
    await store.create("/k", b"1")
    await store.update("/k", b"2", 1)
    await store.delete("/k")
    await store.create("/k", b"3")
    await store.close()
    assert rows(db) == [
        (1, "/k", 1, 0, 1, 0, b"1", None),
        (2, "/k", 0, 0, 1, 1, b"2", b"1"),
        (3, "/k", 0, 1, 1, 2, None, b"2"),
        (4, "/k", 1, 0, 4, 3, b"3", None),
    ]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_reopen_recovers_everything(db: Path) -> None:
    store = SQLiteStorage(db, compact_interval=0)
    await store.create("/a", b"a1")  # 1
    await store.update("/a", b"a2", 1)  # 2
    await store.create("/b", b"b1")  # 3
    await store.delete("/b")  # 4
    await store.create("/c", b"c1")  # 5
    await store.compact(2)
    await store.close()

    store = SQLiteStorage(db, compact_interval=0)
    try:
        assert await store.current_revision() == 5
        assert await store.compact_revision() == 2
        assert (await store.range("/")).kvs == [KeyValue("/a", b"a2", 1, 2), KeyValue("/c", b"c1", 5, 5)]
        assert (await store.range("/", revision=3)).kvs[1] == KeyValue("/b", b"b1", 3, 3)
        # The writer's key map is rebuilt: CAS and existence checks work.
        with pytest.raises(KeyExists):
            await store.create("/a", b"x")
        with pytest.raises(Conflict):
            await store.update("/a", b"x", 1)
        assert await store.create("/b", b"b2") == KeyValue("/b", b"b2", 6, 6)
        assert (await store.update("/a", b"a3", 2)).mod_revision == 7
    finally:
        await store.close()


async def test_revision_survives_compaction_of_the_newest_row(db: Path) -> None:
    store = SQLiteStorage(db, compact_interval=0)
    await store.create("/a", b"")
    await store.create("/b", b"")
    await store.delete("/b")  # 3, the newest row, a tombstone
    await store.compact(3)
    await store.close()
    assert [row[0] for row in rows(db)] == [1]
    store = SQLiteStorage(db, compact_interval=0)
    try:
        assert await store.current_revision() == 3
        assert await store.compact_revision() == 3
        assert (await store.create("/b", b"")).mod_revision == 4
    finally:
        await store.close()


async def test_physical_compaction_removes_replaced_rows_and_tombstones(db: Path) -> None:
    store = SQLiteStorage(db, compact_interval=0)
    await store.create("/a", b"1")  # 1
    await store.update("/a", b"2", 1)  # 2
    await store.update("/a", b"3", 2)  # 3
    await store.create("/b", b"1")  # 4
    await store.delete("/b")  # 5
    await store.create("/c", b"1")  # 6
    await store.update("/c", b"2", 6)  # 7
    await store.compact(6)
    assert [row[0] for row in rows(db)] == [3, 6, 7]
    await store.close()


async def test_compaction_runs_in_chunks(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("setpoint.storage.sqlite.COMPACT_CHUNK", 7)
    store = SQLiteStorage(db, compact_interval=0)
    await asyncio.gather(*(store.create(f"/k{i}", b"") for i in range(50)))
    for i in range(50):
        await store.delete(f"/k{i}", i + 1)
    await store.compact(95)
    # Creates 46..50 are replaced only by deletes after 95: they stay.
    assert [row[0] for row in rows(db)] == [*range(46, 51), *range(96, 101)]
    assert [kv.mod_revision for kv in (await store.range("/", revision=95)).kvs] == [46, 47, 48, 49, 50]
    assert await store.count("/") == 0
    await store.close()


async def test_second_open_is_refused(db: Path) -> None:
    store = SQLiteStorage(db, compact_interval=0)
    with pytest.raises(StoreLocked):
        SQLiteStorage(db, compact_interval=0)
    await store.close()
    again = SQLiteStorage(db, compact_interval=0)
    await again.close()


async def test_group_commit_batches_concurrent_writes(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SQLiteStorage(db, compact_interval=0)
    commits = 0
    real_commit = store._commit

    def counting_commit(rows: list[tuple[Any, ...]]) -> None:
        nonlocal commits
        commits += 1
        real_commit(rows)

    monkeypatch.setattr(store, "_commit", counting_commit)
    await asyncio.gather(*(store.create(f"/k{i}", b"v") for i in range(500)))
    assert await store.current_revision() == 500
    assert commits < 250, commits
    await store.close()


async def test_failed_check_in_a_batch_consumes_no_revision(db: Path) -> None:
    store = SQLiteStorage(db, compact_interval=0)
    results = await asyncio.gather(
        store.create("/a", b"1"),
        store.create("/a", b"2"),
        store.update("/missing", b"", 0),
        store.create("/b", b"1"),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["KeyValue", "KeyExists", "KeyNotFound", "KeyValue"]
    assert [r.mod_revision for r in results if isinstance(r, KeyValue)] == [1, 2]
    assert await store.current_revision() == 2
    await store.close()


async def test_writes_in_one_batch_see_each_other(db: Path) -> None:
    store = SQLiteStorage(db, compact_interval=0)
    results = await asyncio.gather(
        store.create("/a", b"1"),
        store.update("/a", b"2", 1),
        store.update("/a", b"3", 1),
        store.delete("/a", 2),
        store.create("/a", b"4"),
        return_exceptions=True,
    )
    assert results[0] == KeyValue("/a", b"1", 1, 1)
    assert results[1] == KeyValue("/a", b"2", 1, 2)
    assert isinstance(results[2], Conflict) and results[2].current == results[1]
    assert results[3] == KeyValue("/a", b"2", 1, 3)
    assert results[4] == KeyValue("/a", b"4", 4, 4)
    await store.close()


async def test_failed_commit_fails_the_batch_and_rolls_back(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteStorage(db, compact_interval=0)
    await store.create("/existing", b"0")  # 1
    real_commit = store._commit
    fail = True

    def flaky_commit(rows: list[tuple[Any, ...]]) -> None:
        nonlocal fail
        if fail:
            fail = False
            raise sqlite3.OperationalError("disk I/O error")
        real_commit(rows)

    monkeypatch.setattr(store, "_commit", flaky_commit)
    watch = store.watch("/", 1)
    results = await asyncio.gather(
        store.create("/new", b"1"),
        store.update("/existing", b"1", 1),
        store.create("/existing", b"dup"),
        return_exceptions=True,
    )
    assert isinstance(results[0], StorageError) and "disk I/O error" in str(results[0])
    assert isinstance(results[1], StorageError)
    assert isinstance(results[2], KeyExists)
    assert await store.current_revision() == 1
    assert await store.get("/new") is None
    # Nothing of the batch is left behind: the same writes succeed with the same revisions.
    assert await store.create("/new", b"1") == KeyValue("/new", b"1", 2, 2)
    assert await store.update("/existing", b"1", 1) == KeyValue("/existing", b"1", 1, 3)
    assert [ev.revision for ev in await collect(watch, 2)] == [2, 3]
    await watch.close()
    await store.close()
    assert [row[0] for row in rows(db)] == [1, 2, 3]


async def test_options_are_checked(db: Path) -> None:
    with pytest.raises(ValueError):
        SQLiteStorage(db, synchronous="OFF")
    store = SQLiteStorage(db, synchronous="normal", compact_interval=0)
    assert (await store.create("/k", b"")).mod_revision == 1
    await store.close()


async def test_open_storage_urls(tmp_path: Path) -> None:
    memory = await open_storage("memory://", compact_interval=0)
    assert isinstance(memory, MemoryStorage)
    await memory.close()
    for url in (f"sqlite://{tmp_path}/a.db", str(tmp_path / "b.db")):
        store = await open_storage(url, compact_interval=0)
        assert isinstance(store, SQLiteStorage)
        await store.create("/k", b"")
        await store.close()
    assert (tmp_path / "a.db").exists() and (tmp_path / "b.db").exists()
    for bad in ("etcd://", "etcd://localhost", "memory://x", "sqlite://", "ftp://x", ""):
        with pytest.raises(ValueError):
            await open_storage(bad)


async def test_two_stores_in_one_process_are_independent(tmp_path: Path) -> None:
    a = SQLiteStorage(tmp_path / "a.db", compact_interval=0)
    b = SQLiteStorage(tmp_path / "b.db", compact_interval=0)
    await a.create("/k", b"a")
    assert await b.get("/k") is None
    assert await b.current_revision() == 0
    await a.close()
    await b.close()
