"""In-memory backend: the reference implementation of the contract.

Everything runs on the event loop without awaiting, so every call is atomic.
State: the latest value of each live key (a dict plus a sorted key list for
ranges), every retained version of each key (for reads at past revisions),
and the log of events since the compact revision (for watch replay).
"""

from __future__ import annotations

from bisect import bisect_right

from sortedcontainers import SortedList

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
)
from .keys import check_key, check_prefix, check_revision, check_value, prefix_end, range_bounds
from .pagination import RemainingCache
from .watch import DEFAULT_WATCH_BUFFER, WatchHub


class _Versions:
    """Retained versions of one key, oldest first; ``None`` marks a delete."""

    __slots__ = ("kvs", "revs")

    def __init__(self) -> None:
        self.revs: list[int] = []
        self.kvs: list[KeyValue | None] = []

    def at(self, revision: int) -> KeyValue | None:
        i = bisect_right(self.revs, revision)
        return self.kvs[i - 1] if i else None


class MemoryStorage(InProcessStore):
    """An in-memory :class:`~setpoint.storage.interface.Storage`.

    Construct it inside a running event loop (the automatic compactor is a
    task); ``compact_interval=0`` disables automatic compaction.
    """

    def __init__(
        self,
        *,
        watch_buffer: int = DEFAULT_WATCH_BUFFER,
        compact_interval: float = DEFAULT_COMPACT_INTERVAL,
        compact_window: float = DEFAULT_COMPACT_WINDOW,
    ) -> None:
        self._hub = WatchHub(0, watch_buffer)
        self._latest: dict[str, KeyValue] = {}
        self._live: SortedList[str] = SortedList()
        self._versions: dict[str, _Versions] = {}
        self._known: SortedList[str] = SortedList()
        # Events after the compact revision: _log[i].revision == _compact + 1 + i.
        self._log: list[Event] = []
        self._compact = 0
        self._remaining = RemainingCache()
        self._closed = False
        self._compactor = AutoCompactor(self, interval=compact_interval, window=compact_window)
        self._compactor.start()

    # --- reads --------------------------------------------------------------

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        self._check_open()
        check_key(key)
        rev = self._snapshot(revision)
        if rev == self._hub.revision:
            return self._latest.get(key)
        versions = self._versions.get(key)
        return versions.at(rev) if versions is not None else None

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
        rev = self._snapshot(revision)
        low, inclusive, high = range_bounds(prefix, start_after)
        if rev == self._hub.revision:
            live = self._live
            start = live.bisect_left(low) if inclusive else live.bisect_right(low)
            stop = len(live) if high is None else live.bisect_left(high)
            total = max(0, stop - start)
            n = total if limit == 0 else min(limit, total)
            latest = self._latest
            kvs = [latest[k] for k in live.islice(start, start + n)]
            return RangeResult(kvs, rev, n < total, total - n)
        # A past snapshot: resolve each key's version at the revision.
        known = self._remaining.get(prefix, revision, start_after) if limit else None
        kvs = []
        remaining = 0
        versions = self._versions
        for key in self._known.irange(low, high, inclusive=(inclusive, False)):
            kv = versions[key].at(rev)
            if kv is None:
                continue
            if limit and len(kvs) >= limit:
                if known is not None:
                    remaining = known - limit
                    break
                remaining += 1
            else:
                kvs.append(kv)
        result = RangeResult(kvs, rev, remaining > 0, remaining)
        self._remaining.put(prefix, result)
        return result

    async def count(self, prefix: str) -> int:
        self._check_open()
        check_prefix(prefix)
        live = self._live
        high = prefix_end(prefix)
        stop = len(live) if high is None else live.bisect_left(high)
        return max(0, stop - live.bisect_left(prefix))

    # --- writes -------------------------------------------------------------

    async def create(self, key: str, value: bytes) -> KeyValue:
        self._check_open()
        check_key(key)
        check_value(value)
        current = self._latest.get(key)
        if current is not None:
            raise KeyExists(current)
        rev = self._hub.revision + 1
        kv = KeyValue(key, value, rev, rev)
        self._commit(Event(EventType.PUT, kv, None))
        return kv

    async def update(self, key: str, value: bytes, expected_mod_revision: int) -> KeyValue:
        self._check_open()
        check_key(key)
        check_value(value)
        check_revision(expected_mod_revision, "expected_mod_revision")
        current = self._latest.get(key)
        if current is None:
            raise KeyNotFound(key)
        if expected_mod_revision and current.mod_revision != expected_mod_revision:
            raise Conflict(current)
        kv = KeyValue(key, value, current.create_revision, self._hub.revision + 1)
        self._commit(Event(EventType.PUT, kv, current))
        return kv

    async def delete(self, key: str, expected_mod_revision: int = 0) -> KeyValue:
        self._check_open()
        check_key(key)
        check_revision(expected_mod_revision, "expected_mod_revision")
        current = self._latest.get(key)
        if current is None:
            raise KeyNotFound(key)
        if expected_mod_revision and current.mod_revision != expected_mod_revision:
            raise Conflict(current)
        kv = KeyValue(key, current.value, current.create_revision, self._hub.revision + 1)
        self._commit(Event(EventType.DELETE, kv, current))
        return kv

    # --- watch, compaction, lifecycle ---------------------------------------

    async def compact(self, revision: int) -> None:
        self._check_open()
        check_revision(revision)
        current = self._hub.revision
        if revision > current:
            raise FutureRevision(revision, current)
        if revision <= self._compact:
            raise Compacted(revision, self._compact)
        dropped = revision - self._compact
        touched = {ev.kv.key for ev in self._log[:dropped]}
        del self._log[:dropped]
        self._compact = revision
        for key in touched:
            versions = self._versions[key]
            i = bisect_right(versions.revs, revision)
            # Keep the newest version at or below the revision unless it is a delete.
            keep_from = i - 1 if versions.kvs[i - 1] is not None else i
            if keep_from:
                del versions.revs[:keep_from]
                del versions.kvs[:keep_from]
            if not versions.revs:
                del self._versions[key]
                self._known.remove(key)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._compactor.stop()
        self._hub.close()

    # --- internals ----------------------------------------------------------

    def _commit(self, event: Event) -> None:
        kv = event.kv
        key = kv.key
        stored: KeyValue | None
        if event.type is EventType.PUT:
            if key not in self._latest:
                self._live.add(key)
            self._latest[key] = stored = kv
        else:
            del self._latest[key]
            self._live.remove(key)
            stored = None
        versions = self._versions.get(key)
        if versions is None:
            versions = self._versions[key] = _Versions()
            self._known.add(key)
        versions.revs.append(kv.mod_revision)
        versions.kvs.append(stored)
        self._log.append(event)
        self._hub.publish((event,))

    async def _history(self, prefix: str, after: int, upto: int, limit: int) -> tuple[list[Event], int]:
        if after < self._compact:
            raise Compacted(after, self._compact)
        base = self._compact + 1
        log = self._log
        i = after + 1 - base
        end = min(upto + 1 - base, len(log))
        if not prefix:
            chunk = log[i : min(end, i + limit)]
            return chunk, (chunk[-1].revision if len(chunk) == limit else upto)
        out: list[Event] = []
        for j in range(i, end):
            ev = log[j]
            if ev.kv.key.startswith(prefix):
                out.append(ev)
                if len(out) == limit:
                    return out, ev.revision
        return out, upto
