"""SQLite backend: a kine-style revision log in one file, with group commit.

Layout: table ``kine`` holds one row per revision (``id`` = revision): the
key, whether the row creates or deletes it, its create revision, the
revision it replaces (``prev_revision``), the new value and the old one.
Table ``meta`` holds the compact revision.

Writes: every write request goes through a queue to one writer thread. The
writer takes all pending requests, checks each against an in-memory map of
``key -> (create_revision, mod_revision, deleted)``, inserts the rows of the
ones that pass in ONE transaction and commits once (one fsync for the whole
batch), then hands the results and the events back to the event loop in one
``call_soon_threadsafe`` callback, which publishes the events to watchers and
resolves the callers' futures. A caller's write has therefore been committed
before its call returns. A request that fails its check gets its own error
and consumes no revision; if the commit fails, the whole batch fails and the
revision counter and the key map are rolled back.

Reads: the snapshot revision is the last revision published on the loop;
queries select rows with ``id <= revision``. Point reads run inline on the
loop's own connection (an indexed lookup, microseconds); ranges, counts and
watch replays run on reader threads, each with its own connection, beside
the writer (WAL mode).

Compaction is logical at once (reads below the revision fail with
:class:`Compacted` as soon as ``compact`` is called) and physical in short
writer transactions of at most :data:`COMPACT_CHUNK` revisions that delete
superseded rows and tombstones and record the compact revision, so a
compaction never stalls writes for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any, Final, TypeVar

from .base import InProcessStore
from .compactor import DEFAULT_COMPACT_INTERVAL, DEFAULT_COMPACT_WINDOW, AutoCompactor
from .interface import (
    Compacted,
    Conflict,
    Event,
    EventType,
    FutureRevision,
    InvalidInput,
    KeyExists,
    KeyNotFound,
    KeyValue,
    RangeResult,
    StorageError,
)
from .keys import check_key, check_prefix, check_revision, check_value, range_bounds
from .pagination import RemainingCache
from .watch import DEFAULT_WATCH_BUFFER, WatchHub

T = TypeVar("T")

_REV_MASK: Final = (1 << 63) - 1


def _pack_state(create_rev: int, mod_rev: int, deleted: bool) -> int:
    """A key's state in the writer's key map as one int (a third of a tuple's memory a key). A live
    key never updated (most, in a large store) is its revision itself, the very int its event and
    the watch cache hold (no memory of its own); any other state a negative int, in which the
    create revision is kept as its distance from the mod revision."""
    if create_rev == mod_rev and not deleted:
        return mod_rev
    return -1 - (((mod_rev - create_rev) << 64) | (mod_rev << 1) | deleted)


def _unpack_state(packed: int) -> tuple[int, int, bool]:
    """``(create_rev, mod_rev, deleted)`` of :func:`_pack_state`."""
    if packed >= 0:
        return packed, packed, False
    packed = -1 - packed
    mod_rev = (packed >> 1) & _REV_MASK
    return mod_rev - (packed >> 64), mod_rev, bool(packed & 1)


def _live_revision(packed: int | None) -> int | None:
    """The mod revision of a packed state if its key is live, else None."""
    if packed is None or packed >= 0:
        return packed
    packed = -1 - packed
    return None if packed & 1 else (packed >> 1) & _REV_MASK

#: Most write requests committed in one transaction.
MAX_BATCH: Final = 4096
#: Most rows in one INSERT statement (also bounded by SQLite's parameter limit).
ROWS_PER_INSERT: Final = 1000
#: The page cache of each connection (KiB), process memory: the writer's holds the pages writes touch
#: most (the key index, the table's newest pages), a reader's a list's working set (SQLite's default).
#: Pages read once stay in the OS page cache, which counts against no process; with 64 MiB a
#: connection, the caches grew to the whole file (a full list of 20,000 ConfigMaps: +67 MiB RSS for
#: no faster creates or scans, docs/benchmarks.md).
WRITER_CACHE_KIB: Final = 4096
READER_CACHE_KIB: Final = 2048
#: Most revisions one compaction transaction covers.
COMPACT_CHUNK: Final = 10_000

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS kine (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        create_revision INTEGER NOT NULL,
        prev_revision INTEGER NOT NULL,
        value BLOB,
        old_value BLOB,
        UNIQUE (name, prev_revision)
    )""",
    # (name, id) finds a key's row at a revision; `deleted` makes the
    # latest-row-per-key scans of range and count index-only.
    "CREATE INDEX IF NOT EXISTS kine_name_id ON kine (name, id, deleted)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('compact_revision', 0)",
)
_INSERT: Final = (
    "INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, value, old_value) VALUES "
)
_ROW_PARAMS: Final = "(?, ?, ?, ?, ?, ?, ?, ?)"
_VALUE_AT: Final = "SELECT value FROM kine WHERE id = ?"
_VALUES_AT: Final = "SELECT id, value FROM kine WHERE id IN ({})"
_COMPACT_REV: Final = "SELECT value FROM meta WHERE key = 'compact_revision'"
_GET: Final = (
    "SELECT create_revision, id, deleted, value FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1"
)
_HISTORY_COLUMNS: Final = "id, name, created, deleted, create_revision, prev_revision, value, old_value"

_CREATE: Final = 0
_UPDATE: Final = 1
_DELETE: Final = 2

_SYNCHRONOUS: Final = ("FULL", "NORMAL")


class StoreLocked(StorageError):
    """Another process has the store file open."""


class _Write:
    __slots__ = ("expected", "future", "key", "kind", "value")

    def __init__(
        self, kind: int, key: str, value: bytes, expected: int, future: asyncio.Future[KeyValue]
    ) -> None:
        self.kind = kind
        self.key = key
        self.value = value
        self.expected = expected
        self.future = future


class _Compact:
    __slots__ = ("future", "high", "low")

    def __init__(self, low: int, high: int, future: asyncio.Future[None]) -> None:
        self.low = low
        self.high = high
        self.future = future


class _Stop:
    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future


_Request = list[_Write] | _Compact | _Stop
_Outcome = tuple[asyncio.Future[KeyValue], KeyValue | BaseException]


def _settle(future: asyncio.Future[T], outcome: T | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _row_event(row: tuple[Any, ...]) -> Event:
    rev, name, created, deleted, create_rev, prev_rev, value, old_value = row
    if deleted:
        return Event(
            EventType.DELETE,
            KeyValue(name, old_value, create_rev, rev),
            KeyValue(name, old_value, create_rev, prev_rev),
        )
    if created:
        return Event(EventType.PUT, KeyValue(name, value, rev, rev), None)
    return Event(
        EventType.PUT,
        KeyValue(name, value, create_rev, rev),
        KeyValue(name, old_value, create_rev, prev_rev),
    )


def _key_conditions(prefix: str, start_after: str | None) -> tuple[str, list[Any]]:
    """SQL conditions on ``name`` for a range, and their parameters."""
    low, inclusive, high = range_bounds(prefix, start_after)
    parts: list[str] = []
    params: list[Any] = []
    if low or not inclusive:
        parts.append("name >= ?" if inclusive else "name > ?")
        params.append(low)
    if high is not None:
        parts.append("name < ?")
        params.append(high)
    return " AND ".join(parts), params


# A range: the newest row per key (index-only, in key order), then each live
# row's value by primary key. CROSS JOIN keeps the key-ordered scan outermost,
# so no ORDER BY is needed (a sort would read every value before LIMIT).
_RANGE: Final = (
    "SELECT m.name, kv.value, kv.create_revision, m.mid"
    " FROM ({latest}) AS m CROSS JOIN kine AS kv ON kv.id = m.mid"
    " WHERE m.deleted = 0{order} LIMIT ?"
)
_ORDER: Final = " ORDER BY m.name"


def _ordered(rows: list[Any]) -> bool:
    return all(a[0] < b[0] for a, b in pairwise(rows))


def _latest_rows(conditions: str) -> str:
    """Subquery: per key, its newest row at or below a revision (last parameter)."""
    where = f"{conditions} AND id <= ?" if conditions else "id <= ?"
    return f"SELECT name, MAX(id) AS mid, deleted FROM kine WHERE {where} GROUP BY name"


class SQLiteStorage(InProcessStore):
    """A :class:`~setpoint.storage.interface.Storage` in one SQLite file.

    Construct it inside a running event loop; opening recovers the current
    and compact revisions from the file. Only one process may have the file
    open (:class:`StoreLocked` otherwise). ``synchronous`` is SQLite's
    durability level: ``"FULL"`` (fsync every commit) or ``"NORMAL"``
    (survives a process crash, may lose the last commits on power loss).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        watch_buffer: int = DEFAULT_WATCH_BUFFER,
        compact_interval: float = DEFAULT_COMPACT_INTERVAL,
        compact_window: float = DEFAULT_COMPACT_WINDOW,
        readers: int = 2,
    ) -> None:
        sync = synchronous.upper()
        if sync not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {_SYNCHRONOUS}, not {synchronous!r}")
        if readers < 1:
            raise ValueError("readers must be at least 1")
        self._loop = asyncio.get_running_loop()
        self.path = os.fspath(path)
        self._synchronous = sync
        self._lock_fd = self._take_lock(self.path + ".lock")
        wconn: sqlite3.Connection | None = None
        try:
            wconn = self._connect(check_same_thread=False, cache_kib=WRITER_CACHE_KIB)
            wconn.execute(f"PRAGMA synchronous = {sync}")
            for statement in _SCHEMA:
                wconn.execute(statement)
            compact: int = wconn.execute(_COMPACT_REV).fetchone()[0]
            last: int = wconn.execute("SELECT MAX(id) FROM kine").fetchone()[0] or 0
            # Compaction may have removed the newest row (a delete); the
            # revision never goes below the compact revision.
            current = max(last, compact)
            # Writer state, touched only by the writer thread once it runs.
            self._keys: dict[str, int] = {
                name: _pack_state(create_rev, mod_rev, bool(deleted))
                for name, create_rev, mod_rev, deleted in wconn.execute(
                    "SELECT name, create_revision, id, deleted FROM kine"
                    " WHERE id IN (SELECT MAX(id) FROM kine GROUP BY name)"
                )
            }
            self._lconn = self._connect(check_same_thread=True)
        except BaseException:
            if wconn is not None:
                wconn.close()
            self._release_lock()
            raise
        self._wconn = wconn
        self._wrev = current
        # Loop state.
        self._hub = WatchHub(current, watch_buffer)
        self._compact = compact
        self._physical_compact = compact
        self._compact_lock = asyncio.Lock()
        self._remaining = RemainingCache()
        self._closed = False
        # Reader threads, each with its own connection.
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_conns_lock = threading.Lock()
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="setpoint-sqlite-reader")
        # The writer thread.
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._pending: list[_Write] = []  # writes of this loop iteration, handed over together
        self._insert_sql: dict[int, str] = {}
        max_params = self._wconn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._rows_per_insert = max(1, min(ROWS_PER_INSERT, max_params // 8))
        self._ids_per_select = max(1, min(ROWS_PER_INSERT, max_params))
        self._writer = threading.Thread(target=self._writer_main, name="setpoint-sqlite-writer", daemon=True)
        self._writer.start()
        self._compactor = AutoCompactor(self, interval=compact_interval, window=compact_window)
        self._compactor.start()

    # --- reads --------------------------------------------------------------

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        self._check_open()
        check_key(key)
        rev = self._snapshot(revision)
        # Inline: an indexed lookup. Safe against a concurrent physical
        # compaction because the logical compact revision (checked above)
        # is raised before any row goes, and nothing runs on the loop between
        # the check and this statement.
        row = self._lconn.execute(_GET, (key, rev)).fetchone()
        if row is None or row[2]:
            return None
        return KeyValue(key, row[3], row[0], row[1])

    async def range(
        self,
        prefix: str,
        *,
        limit: int = 0,
        start_after: str | None = None,
        revision: int = 0,
    ) -> RangeResult:
        self._check_open()
        check_prefix(prefix)
        check_revision(limit, "limit")
        if start_after is not None and not isinstance(start_after, str):
            raise InvalidInput("start_after must be str or None")
        if revision:
            self._snapshot(revision)
        known = self._remaining.get(prefix, revision, start_after) if limit else None
        result = await self._read(self._range_sync, prefix, limit, start_after, revision, known)
        self._remaining.put(prefix, result)
        return result

    async def count(self, prefix: str) -> int:
        self._check_open()
        check_prefix(prefix)
        return await self._read(self._count_sync, prefix)

    # --- writes -------------------------------------------------------------

    async def create(self, key: str, value: bytes) -> KeyValue:
        self._check_open()
        check_key(key)
        check_value(value)
        future: asyncio.Future[KeyValue] = self._loop.create_future()
        self._submit(_Write(_CREATE, key, value, 0, future))
        return await future

    async def update(self, key: str, value: bytes, expected_mod_revision: int) -> KeyValue:
        self._check_open()
        check_key(key)
        check_value(value)
        check_revision(expected_mod_revision, "expected_mod_revision")
        future: asyncio.Future[KeyValue] = self._loop.create_future()
        self._submit(_Write(_UPDATE, key, value, expected_mod_revision, future))
        return await future

    async def delete(self, key: str, expected_mod_revision: int = 0) -> KeyValue:
        self._check_open()
        check_key(key)
        check_revision(expected_mod_revision, "expected_mod_revision")
        future: asyncio.Future[KeyValue] = self._loop.create_future()
        self._submit(_Write(_DELETE, key, b"", expected_mod_revision, future))
        return await future

    # --- watch, compaction, lifecycle ---------------------------------------

    async def compact(self, revision: int) -> None:
        self._check_open()
        check_revision(revision)
        current = self._hub.revision
        if revision > current:
            raise FutureRevision(revision, current)
        if revision <= self._compact:
            raise Compacted(revision, self._compact)
        self._compact = revision
        async with self._compact_lock:
            low = self._physical_compact
            while low < revision:
                self._check_open()
                high = min(low + COMPACT_CHUNK, revision)
                future: asyncio.Future[None] = self._loop.create_future()
                self._queue.put(_Compact(low, high, future))
                await future
                self._physical_compact = low = high

    async def close(self) -> None:
        """Finish pending writes, end every watch, release the file."""
        if self._closed:
            return
        self._closed = True
        await self._compactor.stop()
        self._hub.close()
        self._flush()
        stopped: asyncio.Future[None] = self._loop.create_future()
        self._queue.put(_Stop(stopped))
        await stopped
        self._writer.join()
        await asyncio.to_thread(self._readers.shutdown, wait=True)
        self._lconn.close()
        with self._reader_conns_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()
        self._release_lock()

    # --- loop-side helpers ----------------------------------------------------

    def _submit(self, write: _Write) -> None:
        # Hand the writer all writes of one loop iteration at once: one
        # cross-thread wake-up per batch instead of one per write.
        self._pending.append(write)
        if len(self._pending) == 1:
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        if self._pending:
            self._queue.put(self._pending)
            self._pending = []

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._loop.run_in_executor(self._readers, fn, *args)

    async def _history(self, prefix: str, after: int, upto: int, limit: int) -> tuple[list[Event], int]:
        return await self._read(self._history_sync, prefix, after, upto, limit)

    def _deliver(self, outcomes: list[_Outcome], events: list[Event]) -> None:
        """On the loop: publish a committed batch, then resolve its callers."""
        if events:
            self._hub.publish(events)
        for future, outcome in outcomes:
            _settle(future, outcome)

    # --- reader threads -------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect(check_same_thread=False)
            conn.execute("PRAGMA query_only = 1")
            self._local.conn = conn
            with self._reader_conns_lock:
                self._reader_conns.append(conn)
        return conn

    def _snapshot_txn(self, conn: sqlite3.Connection, revision: int) -> int:
        """Begin a read transaction and return its revision: ``revision``, or
        the latest published one when 0. Raises :class:`Compacted` (and ends
        the transaction) if the file is compacted past it."""
        while True:
            rev = revision or self._hub.revision
            conn.execute("BEGIN")
            try:
                compact: int = conn.execute(_COMPACT_REV).fetchone()[0]
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if rev >= compact:
                return rev
            conn.execute("COMMIT")
            if revision:
                raise Compacted(revision, compact)
            # A compaction overtook the published revision we read: retry.

    def _range_sync(
        self, prefix: str, limit: int, start_after: str | None, revision: int, known_remaining: int | None
    ) -> RangeResult:
        """A page at ``revision`` (0: latest). ``known_remaining``: how many keys
        follow ``start_after`` in that snapshot, when an earlier page told."""
        conn = self._reader()
        conditions, params = _key_conditions(prefix, start_after)
        rev = self._snapshot_txn(conn, revision)
        try:
            args = (*params, rev, limit + 1 if limit else -1)
            rows = conn.execute(_RANGE.format(latest=_latest_rows(conditions), order=""), args).fetchall()
            if not _ordered(rows):  # not expected: SQLite emits the groups in index order
                rows = conn.execute(
                    _RANGE.format(latest=_latest_rows(conditions), order=_ORDER), args
                ).fetchall()
            remaining = 0
            if limit and len(rows) > limit:
                del rows[limit:]
                if known_remaining is not None:
                    remaining = known_remaining - limit
                else:
                    conditions, params = _key_conditions(prefix, rows[-1][0])
                    remaining = conn.execute(
                        f"SELECT COUNT(*) FROM ({_latest_rows(conditions)}) WHERE deleted = 0",
                        (*params, rev),
                    ).fetchone()[0]
        finally:
            conn.execute("COMMIT")
        return RangeResult([KeyValue(*row) for row in rows], rev, remaining > 0, remaining)

    def _count_sync(self, prefix: str) -> int:
        conn = self._reader()
        conditions, params = _key_conditions(prefix, None)
        rev = self._snapshot_txn(conn, 0)
        try:
            count: int = conn.execute(
                f"SELECT COUNT(*) FROM ({_latest_rows(conditions)}) WHERE deleted = 0",
                (*params, rev),
            ).fetchone()[0]
        finally:
            conn.execute("COMMIT")
        return count

    def _history_sync(self, prefix: str, after: int, upto: int, limit: int) -> tuple[list[Event], int]:
        conn = self._reader()
        conditions, params = _key_conditions(prefix, None)
        where = f"id > ? AND id <= ? AND {conditions}" if conditions else "id > ? AND id <= ?"
        conn.execute("BEGIN")
        try:
            compact = conn.execute(_COMPACT_REV).fetchone()[0]
            if after < compact:
                raise Compacted(after, compact)
            rows = conn.execute(
                f"SELECT {_HISTORY_COLUMNS} FROM kine WHERE {where} ORDER BY id LIMIT ?",
                (after, upto, *params, limit),
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        events = [_row_event(row) for row in rows]
        return events, (events[-1].revision if len(events) == limit else upto)

    # --- the writer thread ------------------------------------------------------

    def _writer_main(self) -> None:
        get, get_nowait = self._queue.get, self._queue.get_nowait
        try:
            while True:
                batch = [get()]
                while True:
                    try:
                        batch.append(get_nowait())
                    except queue.Empty:
                        break
                writes: list[_Write] = []
                for request in batch:
                    if isinstance(request, list):
                        writes.extend(request)
                        if len(writes) >= MAX_BATCH:
                            self._write_batch(writes)
                            writes = []
                        continue
                    if writes:
                        self._write_batch(writes)
                        writes = []
                    if isinstance(request, _Compact):
                        self._compact_chunk(request)
                    else:
                        try:
                            self._wconn.close()
                        finally:
                            self._call_soon(_settle, request.future, None)
                        return
                if writes:
                    self._write_batch(writes)
        except RuntimeError:
            return  # the event loop is gone: nobody is left to answer

    def _call_soon(self, fn: Any, *args: Any) -> None:
        self._loop.call_soon_threadsafe(fn, *args)

    def _commit(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` in one transaction and commit (the fsync)."""
        conn = self._wconn
        step = self._rows_per_insert
        if len(rows) <= step:
            # One statement in autocommit mode is one transaction, and one
            # sqlite3_step: the writer gives up the GIL once, not per row.
            conn.execute(self._insert(len(rows)), [v for row in rows for v in row])
            return
        conn.execute("BEGIN")
        try:
            for i in range(0, len(rows), step):
                chunk = rows[i : i + step]
                conn.execute(self._insert(len(chunk)), [v for row in chunk for v in row])
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    def _insert(self, rows: int) -> str:
        sql = self._insert_sql.get(rows)
        if sql is None:
            sql = self._insert_sql[rows] = _INSERT + ", ".join([_ROW_PARAMS] * rows)
        return sql

    def _values(self, ids: list[int]) -> dict[int, bytes]:
        """The values of the rows ``ids``, in as few statements as possible."""
        found: dict[int, bytes] = {}
        step = self._ids_per_select
        for i in range(0, len(ids), step):
            chunk = ids[i : i + step]
            sql = _VALUES_AT.format(", ".join("?" * len(chunk)))
            found.update(self._wconn.execute(sql, chunk).fetchall())
        return found

    def _current(
        self, key: str, state: tuple[int, int, bool], written: dict[str, bytes], values: dict[int, bytes]
    ) -> KeyValue:
        """The live state of ``key`` as of the writes applied so far."""
        create_rev, mod_rev, _ = state
        if key in written:
            value = written[key]
        elif mod_rev in values:
            value = values[mod_rev]
        else:
            value = self._wconn.execute(_VALUE_AT, (mod_rev,)).fetchone()[0]
        return KeyValue(key, value, create_rev, mod_rev)

    def _write_batch(self, writes: list[_Write]) -> None:
        """Check and commit ``writes`` as one transaction, then hand the
        outcomes and events to the loop. On any failure the key map is
        restored and every write that passed its check fails."""
        undo: list[tuple[str, int | None]] = []
        outcomes: list[_Outcome] = []
        events: list[Event] = []
        try:
            rows, rev = self._apply(writes, undo, outcomes, events)
            if rows:
                self._commit(rows)
        except Exception as exc:
            keys = self._keys
            for key, packed in reversed(undo):
                if packed is None:
                    del keys[key]
                else:
                    keys[key] = packed
            own_errors = {
                id(future): outcome for future, outcome in outcomes if isinstance(outcome, BaseException)
            }
            outcomes = [
                (w.future, own_errors.get(id(w.future)) or _commit_failed(exc, len(writes))) for w in writes
            ]
            events = []
        else:
            self._wrev = rev
        self._call_soon(self._deliver, outcomes, events)

    def _apply(
        self,
        writes: list[_Write],
        undo: list[tuple[str, int | None]],
        outcomes: list[_Outcome],
        events: list[Event],
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Check each write against the key map and update it (recording
        ``undo``); return the rows to insert and the new revision."""
        keys = self._keys
        # Values of the keys this batch finds live, fetched in one query.
        live_ids = {live for w in writes if (live := _live_revision(keys.get(w.key))) is not None}
        values = self._values(sorted(live_ids)) if live_ids else {}
        rev = self._wrev
        rows: list[tuple[Any, ...]] = []
        written: dict[str, bytes] = {}  # values written earlier in this batch
        for w in writes:
            key = w.key
            packed = keys.get(key)
            state = None if packed is None else _unpack_state(packed)
            live = state is not None and not state[2]
            kv: KeyValue
            new: tuple[int, int, bool]
            if w.kind == _CREATE:
                if live:
                    assert state is not None
                    outcomes.append((w.future, KeyExists(self._current(key, state, written, values))))
                    continue
                rev += 1
                rows.append((rev, key, 1, 0, rev, state[1] if state else 0, w.value, None))
                kv = KeyValue(key, w.value, rev, rev)
                events.append(Event(EventType.PUT, kv, None))
                written[key] = w.value
                new = (rev, rev, False)
            else:
                if not live:
                    outcomes.append((w.future, KeyNotFound(key)))
                    continue
                assert state is not None
                prev = self._current(key, state, written, values)
                create_rev, mod_rev, _ = state
                if w.expected and w.expected != mod_rev:
                    outcomes.append((w.future, Conflict(prev)))
                    continue
                rev += 1
                if w.kind == _UPDATE:
                    rows.append((rev, key, 0, 0, create_rev, mod_rev, w.value, prev.value))
                    kv = KeyValue(key, w.value, create_rev, rev)
                    events.append(Event(EventType.PUT, kv, prev))
                    written[key] = w.value
                    new = (create_rev, rev, False)
                else:
                    rows.append((rev, key, 0, 1, create_rev, mod_rev, None, prev.value))
                    kv = KeyValue(key, prev.value, create_rev, rev)
                    events.append(Event(EventType.DELETE, kv, prev))
                    new = (create_rev, rev, True)
            undo.append((key, packed))
            keys[key] = _pack_state(*new)
            outcomes.append((w.future, kv))
        return rows, rev

    def _compact_chunk(self, request: _Compact) -> None:
        conn = self._wconn
        try:
            conn.execute("BEGIN")
            # Rows replaced at or below the target first (deletes replace too),
            # then the deletes themselves.
            conn.execute(
                "DELETE FROM kine WHERE id IN (SELECT prev_revision FROM kine"
                " WHERE id > ? AND id <= ? AND prev_revision != 0)",
                (request.low, request.high),
            )
            gone = conn.execute(
                "DELETE FROM kine WHERE id > ? AND id <= ? AND deleted = 1 RETURNING name, id",
                (request.low, request.high),
            ).fetchall()
            conn.execute("UPDATE meta SET value = ? WHERE key = 'compact_revision'", (request.high,))
            conn.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            self._call_soon(_settle, request.future, exc)
            return
        keys = self._keys
        for name, rev in gone:
            packed = keys.get(name)
            if packed is not None and _unpack_state(packed)[1] == rev:
                del keys[name]
        self._call_soon(_settle, request.future, None)

    # --- files ----------------------------------------------------------------------

    def _connect(self, *, check_same_thread: bool, cache_kib: int = READER_CACHE_KIB) -> sqlite3.Connection:
        """A connection in WAL mode whose page cache holds up to ``cache_kib`` KiB (process memory)."""
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=check_same_thread, timeout=30.0
        )
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            conn.close()
            raise StorageError(f"cannot use write-ahead logging on {self.path}")
        conn.execute(f"PRAGMA cache_size = -{cache_kib}")
        return conn

    @staticmethod
    def _take_lock(lock_path: str) -> int:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreLocked(f"{lock_path} is locked: another process has this store open") from None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _release_lock(self) -> None:
        fd, self._lock_fd = self._lock_fd, -1
        if fd >= 0:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _commit_failed(exc: Exception, writes: int) -> StorageError:
    error = StorageError(f"commit of a batch of {writes} writes failed: {exc}")
    error.__cause__ = exc
    return error
