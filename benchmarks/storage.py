"""Storage benchmark: SQLite group commit against the raw SQLite ceiling.

Run: ``.venv/bin/python benchmarks/storage.py`` (``--help`` for options).

Measures, for the SQLite backend (and the memory backend for reference):

* writes/s with 1, 16 and 64 concurrent writers (creates of 1 KiB values
  under configmap-like keys);
* a full range over 10,000 such keys, and the same list read in pages of 500;
* watch delivery latency (commit to receipt by a watcher) under 1 and 64 writers;

and, on the same kind of file with the same durability settings, the raw
ceiling: plain inserts of the same rows from one thread, one transaction per
insert (and batched transactions, for reference). Each figure is the median
of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from setpoint.storage import Event, MemoryStorage, SQLiteStorage, Storage
from setpoint.storage import sqlite as sqlite_backend

VALUE = os.urandom(1024)
WRITERS = (1, 16, 64)
RANGE_KEYS = 10_000


def key(writer: int, i: int) -> str:
    return f"/registry/configmaps/bench-{writer:03d}/config-{i:06d}"


class TimedSQLite(SQLiteStorage):
    """Records when each batch committed, to time watch delivery from the commit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commits: deque[float] = deque()
        self.committed_at: dict[int, float] = {}

    def _commit(self, rows: list[tuple[Any, ...]]) -> None:
        super()._commit(rows)
        self.commits.append(time.perf_counter())

    def _deliver(self, outcomes: Any, events: list[Event]) -> None:
        if events:
            at = self.commits.popleft()
            for event in events:
                self.committed_at[event.revision] = at
        super()._deliver(outcomes, events)


class TimedMemory(MemoryStorage):
    """Memory commits synchronously: the commit time is the time of the write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.committed_at: dict[int, float] = {}

    def _commit(self, event: Event) -> None:
        self.committed_at[event.revision] = time.perf_counter()
        super()._commit(event)


# --- measurements ----------------------------------------------------------------


async def write_rate(store: Storage, writers: int, total: int) -> float:
    """Writes/s of ``writers`` tasks creating ``total`` keys between them."""
    per_writer = total // writers

    async def writer(w: int) -> None:
        for i in range(per_writer):
            await store.create(key(w, i), VALUE)

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return per_writer * writers / (time.perf_counter() - started)


async def watch_latency(
    store: Storage, committed_at: dict[int, float], writers: int, total: int
) -> list[float]:
    """Commit-to-receipt latencies (s) of a watcher while ``writers`` write."""
    start = await store.current_revision()
    watch = store.watch("/registry/configmaps/", start)
    latencies: list[float] = []
    expected = (total // writers) * writers

    async def consume() -> None:
        async for batch in watch:
            now = time.perf_counter()
            latencies.extend(now - committed_at[ev.revision] for ev in batch)
            if len(latencies) >= expected:
                return

    consumer = asyncio.create_task(consume())

    async def writer(w: int) -> None:
        for i in range(total // writers):
            await store.create(key(1000 + w, start + i), VALUE)
            # Yield as a request handler would (the memory backend's writes never do).
            await asyncio.sleep(0)

    await asyncio.gather(*(writer(w) for w in range(writers)))
    await asyncio.wait_for(consumer, 60)
    await watch.close()
    return latencies


async def range_times(store: Storage, repeats: int) -> tuple[float, float]:
    """(full range ms, paginated-by-500 ms) over the 10,000 keys under the bench prefix."""
    prefix = "/registry/configmaps/bench-range/"
    full: list[float] = []
    paged: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = await store.range(prefix)
        full.append(time.perf_counter() - started)
        assert len(result.kvs) == RANGE_KEYS, len(result.kvs)
        started = time.perf_counter()
        page = await store.range(prefix, limit=500)
        count = len(page.kvs)
        while page.more:
            page = await store.range(prefix, limit=500, start_after=page.kvs[-1].key, revision=page.revision)
            count += len(page.kvs)
        paged.append(time.perf_counter() - started)
        assert count == RANGE_KEYS
    return statistics.median(full) * 1000, statistics.median(paged) * 1000


async def fill_range_keys(store: Storage) -> None:
    async def writer(w: int) -> None:
        for i in range(w, RANGE_KEYS, 64):
            await store.create(f"/registry/configmaps/bench-range/config-{i:06d}", VALUE)

    await asyncio.gather(*(writer(w) for w in range(64)))


def raw_inserts(path: Path, synchronous: str, total: int, per_txn: int) -> float:
    """Inserts/s of the same rows into the same schema from one thread."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    for statement in sqlite_backend._SCHEMA:
        conn.execute(statement)
    insert = sqlite_backend._INSERT + sqlite_backend._ROW_PARAMS
    started = time.perf_counter()
    rev = 0
    for _ in range(total // per_txn):
        conn.execute("BEGIN")
        for _ in range(per_txn):
            # The keys 64 writers produce: interleaved over 64 prefixes.
            conn.execute(insert, (rev + 1, key(rev % 64, rev // 64), 1, 0, rev + 1, 0, VALUE, None))
            rev += 1
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return rev / elapsed


# --- one run ----------------------------------------------------------------------


async def sqlite_run(workdir: Path, args: argparse.Namespace) -> dict[str, float]:
    out: dict[str, float] = {}
    for writers in WRITERS:
        db = workdir / f"writes-{writers}.db"
        store = TimedSQLite(db, synchronous=args.synchronous, compact_interval=0)
        total = args.writes_single if writers == 1 else args.writes
        out[f"writes/s, {writers} writers"] = await write_rate(store, writers, total)
        await store.close()
    store = TimedSQLite(workdir / "latency.db", synchronous=args.synchronous, compact_interval=0)
    for writers in (1, 64):
        lat = sorted(await watch_latency(store, store.committed_at, writers, args.latency_writes))
        out[f"watch p50 ms, {writers} writers"] = lat[len(lat) // 2] * 1000
        out[f"watch p99 ms, {writers} writers"] = lat[int(len(lat) * 0.99)] * 1000
    await fill_range_keys(store)
    full, paged = await range_times(store, 5)
    out["range 10k keys ms"] = full
    out["range 10k keys in pages of 500 ms"] = paged
    await store.close()
    raw_total = args.writes_single
    out["raw: 1 insert/txn, inserts/s"] = raw_inserts(workdir / "raw-1.db", args.synchronous, raw_total, 1)
    out["raw: 64 inserts/txn, inserts/s"] = raw_inserts(
        workdir / "raw-64.db", args.synchronous, args.writes, 64
    )
    out["ratio ours(64 writers) / raw(1/txn)"] = (
        out["writes/s, 64 writers"] / out["raw: 1 insert/txn, inserts/s"]
    )
    return out


async def memory_run(args: argparse.Namespace) -> dict[str, float]:
    out: dict[str, float] = {}
    for writers in WRITERS:
        store = TimedMemory(compact_interval=0)
        out[f"writes/s, {writers} writers"] = await write_rate(store, writers, args.writes)
        await store.close()
    store = TimedMemory(compact_interval=0)
    for writers in (1, 64):
        lat = sorted(await watch_latency(store, store.committed_at, writers, args.latency_writes))
        out[f"watch p50 ms, {writers} writers"] = lat[len(lat) // 2] * 1000
        out[f"watch p99 ms, {writers} writers"] = lat[int(len(lat) * 0.99)] * 1000
    await fill_range_keys(store)
    full, paged = await range_times(store, 5)
    out["range 10k keys ms"] = full
    out["range 10k keys in pages of 500 ms"] = paged
    await store.close()
    return out


# --- main -------------------------------------------------------------------------


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def fmt(name: str, value: float) -> str:
    if name.startswith("ratio"):
        return f"{value:.2f}"
    if "/s" in name:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def run_loop(coro: Coroutine[Any, Any, dict[str, float]], loop_name: str) -> dict[str, float]:
    if loop_name == "uvloop":
        import uvloop

        return uvloop.run(coro)
    return asyncio.run(coro)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is printed (3)")
    parser.add_argument(
        "--writes", type=int, default=20_000, help="writes per multi-writer measurement (20000)"
    )
    parser.add_argument(
        "--writes-single",
        type=int,
        default=3_000,
        help="writes for 1 writer and the raw 1/txn ceiling (3000)",
    )
    parser.add_argument(
        "--latency-writes", type=int, default=2_000, help="writes per latency measurement (2000)"
    )
    parser.add_argument(
        "--synchronous", default="FULL", choices=["FULL", "NORMAL"], help="SQLite durability (FULL)"
    )
    parser.add_argument(
        "--loop", default="asyncio", choices=["asyncio", "uvloop"], help="event loop (asyncio)"
    )
    parser.add_argument("--dir", default=None, help="directory for the database files (a temporary one)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory backend")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="setpoint-bench-", dir=args.dir))
    try:
        sqlite_runs = []
        memory_runs = []
        for run in range(args.runs):
            workdir = base / f"run-{run}"
            workdir.mkdir()
            sqlite_runs.append(run_loop(sqlite_run(workdir, args), args.loop))
            if not args.no_memory:
                memory_runs.append(run_loop(memory_run(args), args.loop))
            shutil.rmtree(workdir)
            print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    print(
        f"# setpoint storage benchmark: python {platform.python_version()}, sqlite {sqlite3.sqlite_version},"
        f" {os.cpu_count()} CPUs, loop={args.loop}, synchronous={args.synchronous},"
        f" median of {args.runs} run(s), files in {args.dir or tempfile.gettempdir()}"
    )
    sqlite_fig = median_of(sqlite_runs)
    memory_fig = median_of(memory_runs) if memory_runs else {}
    width = max(len(name) for name in sqlite_fig)
    print(f"{'metric':<{width}}  {'sqlite':>12}  {'memory':>12}")
    for name, value in sqlite_fig.items():
        mem = fmt(name, memory_fig[name]) if name in memory_fig else "-"
        print(f"{name:<{width}}  {fmt(name, value):>12}  {mem:>12}")


if __name__ == "__main__":
    main()
