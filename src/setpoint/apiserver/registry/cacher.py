"""The watch cache: one storage watch per resource, shared by every reader.

A :class:`Cacher` lists a storage prefix once, then follows one storage
watch. It keeps the current objects (for lists and gets), a window of recent
events (for watches resumed from a resourceVersion) and the set of live
watchers. Each object and each event is encoded to JSON at most once, however
many clients read it: N watchers of a resource cost one storage watch and one
encoding per event.

Cached objects are read-only (every reader shares them), so equal parts of different
objects are shared too (:class:`Interner`): the pods of one ReplicaSet carry the same
spec, owner references and managedFields field sets, a third of a decoded pod's memory
when held once.
"""

from __future__ import annotations

import asyncio
import builtins
import collections
import contextlib
import heapq
import itertools
import logging
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from sortedcontainers import SortedDict

from setpoint import storage
from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding.jsonbytes import dumps_kept
from setpoint.apiserver.registry.sharedfields import Shared, SharedParts
from setpoint.storage.base import InProcessStore

log = logging.getLogger(__name__)

#: A watcher's filter over objects (selectors); None means everything.
Filter = Callable[[Obj], bool] | None

#: Objects a cache's initial list reads from storage at a time: each page is held decoded until its
#: objects are cached, so a small page keeps the start-up's peak (and the holes it leaves) small.
LOAD_PAGE = 1000
#: How many of the views last made a new one is compared with (:class:`JsonView`).
RECENT_VIEWS = 8
#: Seconds between two progress requests to the storage watch while a consistent read waits.
PROGRESS_PERIOD = 0.1

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"


def decode_object(kv: storage.KeyValue, revision: int | None = None) -> Obj:
    """Decode a stored value and stamp its resourceVersion."""
    obj: Obj = orjson.loads(kv.value)
    meta = obj.get("metadata")
    if meta is None:
        meta = obj["metadata"] = {}
    meta["resourceVersion"] = str(kv.mod_revision if revision is None else revision)
    return obj


class Interner:
    """One shared copy of equal JSON subtrees of the cached (read-only) objects.

    For each object: its managedFields' field sets, its owner references, labels,
    annotations and finalizers, and every list or object one level under its other
    top-level fields (``spec.containers``, ``spec.tolerations``, ``status.conditions``, an
    Event's ``source``...) -- found by the hash of their JSON, confirmed equal. Entries
    nothing else holds any more are dropped whenever the table has doubled."""

    def __init__(self) -> None:
        self._table: dict[int, object] = {}
        self._purge_at = 4096

    def share(self, value: Any) -> Any:
        key = hash(orjson.dumps(value))
        found = self._table.get(key)
        if found is None:
            self._table[key] = value
            if len(self._table) >= self._purge_at:
                self._purge()
            return value
        return found if found == value else value

    def _purge(self) -> None:
        table = self._table
        for key in list(table):
            if sys.getrefcount(table[key]) <= 2:  # the table's reference and the call's
                del table[key]
        self._purge_at = max(4096, 2 * len(table))

    def shared(self, obj: Obj) -> Obj:
        """``obj`` with its parts replaced by their shared copies (in place)."""
        share = self.share
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            for entry in meta.get("managedFields") or ():
                if isinstance(entry, dict) and entry.get("fieldsV1"):
                    entry["fieldsV1"] = share(entry["fieldsV1"])
            for k in ("ownerReferences", "labels", "annotations", "finalizers"):
                v = meta.get(k)
                if v:
                    meta[k] = share(v)
        for k, v in obj.items():
            if k == "metadata":
                continue
            if isinstance(v, dict):
                for k2, v2 in v.items():
                    if v2 and isinstance(v2, dict | list):
                        v[k2] = share(v2)
            elif v and isinstance(v, list):
                obj[k] = share(v)
        return obj


class JsonView:
    """What selectors read of an object held as JSON, kept as one flat tuple: its apiVersion,
    kind, namespace and labels, and the values at ``paths`` (dotted, e.g.
    ``involvedObject.name``); the name is the last segment of the object's key (not held twice).
    :meth:`expand` rebuilds them as an object with only those fields, which selectors (and a
    conversion of the served version) read as they read the whole. Equal tuples of objects applied
    close together (a namespace's ConfigMaps with the same labels, listed in key order or created
    in a burst) are one tuple: the last :data:`RECENT_VIEWS` made are looked at first."""

    __slots__ = ("_paths", "_recent", "_share")

    def __init__(self, paths: tuple[str, ...], share: Callable[[Any], Any]) -> None:
        self._paths = tuple(tuple(p.split(".")) for p in paths)
        self._share = share
        self._recent: collections.deque[tuple[Any, ...]] = collections.deque(maxlen=RECENT_VIEWS)

    def values(self, obj: Obj, shared: Shared | None = None) -> tuple[Any, ...]:
        """The view's tuple of ``obj``, ending with ``shared`` (the object's shared encoding parts,
        :class:`SplicedObject`: objects with equal views and equal parts hold one tuple)."""
        meta = obj.get("metadata") or {}
        labels = meta.get("labels")
        out: list[Any] = [self, _interned(obj.get("apiVersion")), _interned(obj.get("kind")),
                          _interned(meta.get("namespace")), self._share(labels) if labels else None]
        for path in self._paths:
            cur: Any = obj
            for p in path:
                cur = cur.get(p) if isinstance(cur, dict) else None
            out.append(_interned(cur) if isinstance(cur, str)
                       else self._share(cur) if cur and isinstance(cur, dict | list) else cur)
        out.append(shared)
        values = tuple(out)
        recent = self._recent
        for seen in recent:
            if seen == values:
                return seen
        recent.append(values)
        return values

    def expand(self, values: tuple[Any, ...], key: str) -> Obj:
        meta: Obj = {"name": key[key.rfind("/") + 1:]}
        if values[3] is not None:
            meta["namespace"] = values[3]
        if values[4]:
            meta["labels"] = values[4]
        obj: Obj = {"apiVersion": values[1], "kind": values[2], "metadata": meta}
        for i, path in enumerate(self._paths, 5):
            value = values[i]
            if value is None:
                continue
            cur = obj
            for p in path[:-1]:
                nxt = cur.get(p)
                if nxt is None:
                    nxt = cur[p] = {}
                cur = nxt
            cur[path[-1]] = value
        return obj


def _interned(value: Any) -> Any:
    # What the Events of one object share (its name, uid, kind, the reason...) is held once.
    return sys.intern(value) if isinstance(value, str) and len(value) <= 64 else value


class CachedObject:
    """An object at one revision with its JSON encoding made once, on demand.

    An object of a resource held as JSON (:meth:`held_as_json`: Events, many and rarely read
    whole) keeps only its encoding and the values its selectors read (a :class:`JsonView`);
    :attr:`obj` then decodes a fresh copy at each read."""

    __slots__ = ("_json", "_obj", "_view", "key", "revision")

    def __init__(self, key: str, obj: Obj, revision: int) -> None:
        self.key = key
        self._obj: Obj | None = obj
        self._view: tuple[Any, ...] | None = None
        self.revision = revision
        self._json: bytes | None = None

    @classmethod
    def held_as_json(cls, key: str, obj: Obj, revision: int, view: JsonView,
                     parts: SharedParts | None = None) -> CachedObject:
        """``obj`` held as its encoding, with what ``view`` selects of it; with ``parts``, what its
        encoding has alike with other objects' is held once (:class:`SplicedObject`)."""
        if parts is None:
            encoded, shared = dumps_kept(obj), None
        else:
            name, shared, encoded = parts.split(obj)
        if shared is None:
            held = cls.__new__(cls)
        else:
            held = spliced = SplicedObject.__new__(SplicedObject)
            spliced._name = name
        held.key = key
        held._obj = None
        held._view = view.values(obj, shared)
        held.revision = revision
        held._json = encoded
        return held

    @property
    def obj(self) -> Obj:
        """The decoded object (read-only: shared by every reader)."""
        obj = self._obj
        if obj is None:
            assert self._json is not None
            return orjson.loads(self._json)  # type: ignore[no-any-return]
        return obj

    @property
    def view(self) -> Obj:
        """What selectors read: the object, or the fields of its view when held as JSON."""
        values = self._view
        if values is None:
            return self.obj
        view: JsonView = values[0]
        return view.expand(values, self.key)

    @property
    def api_version(self) -> Any:
        obj = self._obj
        return obj.get("apiVersion") if obj is not None else self._view[1]  # type: ignore[index]

    def json(self) -> bytes:
        if self._json is None:
            self._json = dumps_kept(self._obj)  # kept as long as the object is cached
        return self._json

    def copy(self) -> Obj:
        """A decoded copy of the object, the caller's to change (an encoding made for it is not
        kept: most objects are never served whole)."""
        obj = self._obj
        if obj is None:
            return self.obj  # decoded afresh
        return orjson.loads(self._json if self._json is not None else orjson.dumps(obj))  # type: ignore[no-any-return]


class SplicedObject(CachedObject):
    """An object held as JSON whose encoding is in parts, some shared with other objects
    (:mod:`.sharedfields`): the shared part before its name, its name's value, the shared part
    around its managedFields, and the rest (its own, in ``_json``). The shared parts end its view's
    tuple (no slot of their own)."""

    __slots__ = ("_name",)

    _name: bytes

    @property
    def _shared(self) -> Shared:
        return self._view[-1]  # type: ignore[index,no-any-return]

    @property
    def obj(self) -> Obj:
        return orjson.loads(self.json())  # type: ignore[no-any-return]

    def json(self) -> bytes:
        shared = self._shared
        return b"".join((shared[0], self._name, shared[1], self._json))  # type: ignore[arg-type]


def append_encodings(parts: builtins.list[bytes], items: Iterable[CachedObject], api_version: str,
                     other: Callable[[CachedObject], bytes]) -> None:
    """Append to ``parts`` the encodings of ``items`` (each of ``api_version``, else ``other(item)``),
    a comma before each but the first, in pieces never joined: a :class:`SplicedObject` comes as its
    parts, the comma in the shared one."""
    append, spliced, comma = parts.append, SplicedObject, b","
    first = len(parts)
    for c in items:
        if c.api_version != api_version:
            append(comma)
            append(other(c))
        elif type(c) is spliced:
            shared = c._view[-1]  # type: ignore[index]
            append(shared[2])
            append(c._name)
            append(shared[1])
            append(c._json)  # type: ignore[arg-type]
        else:
            append(comma)
            append(c.json())
    if len(parts) > first:  # no comma before the first
        parts[first] = b"" if parts[first] is comma else parts[first][1:]


def _let_go(events: list[CacheEvent]) -> None:
    for event in events:
        event.decoded = None


class CacheEvent:
    """A change as watchers see it, with its wire lines made once per type (on first use: the
    history holds every event of its window, most never sent)."""

    __slots__ = ("_lines", "decoded", "obj", "prev", "revision", "type")

    def __init__(self, type: str, obj: CachedObject, prev: CachedObject | None, revision: int) -> None:
        self.type = type  # ADDED, MODIFIED or DELETED
        self.obj = obj
        self.prev = prev
        self.revision = revision
        #: For an object held as JSON: the cache's own decoding of it, while the watchers woken by
        #: its batch read it (:attr:`object`); then let go, as the cache holds JSON to be small.
        self.decoded: Obj | None = None
        self._lines: dict[str, bytes] | None = None

    @property
    def object(self) -> Obj:
        """The decoded object (read-only: shared by every reader)."""
        decoded = self.decoded
        return decoded if decoded is not None else self.obj.obj

    def line(self, type: str) -> bytes:
        """``{"type":..,"object":..}\\n`` for this event's object."""
        lines = self._lines
        if lines is None:
            lines = self._lines = {}
        out = lines.get(type)
        if out is None:
            out = b'{"type":"' + type.encode() + b'","object":' + self.obj.json() + b"}\n"
            lines[type] = out
        return out


#: Batches of ``(type, event, revision)`` as a watcher hands them out; ``event`` None is a bookmark.
Batch = list[tuple[str, CacheEvent | None, int]]
#: What a watcher's writer (:meth:`CacheWatcher.next_batch`) did with a batch: wrote it and takes
#: more, wrote it but takes no more for now, or did not write it (the reader gets it).
WRITTEN, WRITTEN_STOP, NOT_WRITTEN = 0, 1, 2
Writer = Callable[[Batch], int]


class WatcherGone(Exception):
    """The watcher was ended by the cache (fell behind, or the cache restarted)."""


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class CacheWatcher:
    """One client's watch: a bounded buffer fed by the cacher.

    Iterating yields ``(type, event)`` pairs; ``event`` is None for bookmarks.
    """

    def __init__(self, cacher: Cacher, prefix: str, matches: Filter, capacity: int) -> None:
        self._cacher = cacher
        self.prefix = prefix
        self.matches = matches
        self._capacity = capacity
        self._buffer: collections.deque[tuple[str, CacheEvent | None, int]] = collections.deque()
        #: The future a waiting reader sleeps on (cheaper than Event + wait_for).
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._closed = False
        #: Revision of the last event handed to the client.
        self.revision = 0
        #: Events at or below this revision are not for this watcher.
        self.min_revision = 0
        #: While the reader waits with nothing buffered: where the events go instead of waking it.
        self._writer: Writer | None = None

    def push(self, type: str, event: CacheEvent | None, revision: int) -> None:
        if self._closed:
            return
        if len(self._buffer) >= self._capacity:
            self.fail(WatcherGone("watcher fell behind"))
            return
        buffer = self._buffer
        buffer.append((type, event, revision))
        if self._writer is None:
            self._wake()
        elif len(buffer) == 1:
            self._cacher._to_flush.append(self)

    def flush(self) -> None:
        """Hand what is buffered to the writer (the cache calls this once per applied batch)."""
        writer = self._writer
        buffer = self._buffer
        if writer is None or not buffer or self._closed:
            return
        batch = list(buffer)
        done = writer(batch)
        if done != NOT_WRITTEN:
            buffer.clear()
            self.revision = batch[-1][2]
        if done != WRITTEN:
            self._writer = None
            self._wake()

    def offer(self, event: CacheEvent) -> None:
        """Translate a cache event for this watcher's filter and queue it."""
        key = event.obj.key
        if event.revision <= self.min_revision or not key.startswith(self.prefix):
            return
        matches = self.matches
        if matches is None:
            self.push(event.type, event, event.revision)
            return
        if event.type == DELETED:
            if event.prev is not None and matches(event.prev.view):
                self.push(DELETED, event, event.revision)
            return
        cur = matches(event.obj.view)
        old = event.prev is not None and matches(event.prev.view)
        if cur and old:
            self.push(MODIFIED, event, event.revision)
        elif cur:
            self.push(ADDED, event, event.revision)
        elif old:
            # Left the selected set: a DELETED of the previous state at this revision.
            assert event.prev is not None
            gone_obj = dict(event.prev.obj)
            gone_obj["metadata"] = {**gone_obj["metadata"], "resourceVersion": str(event.revision)}
            gone = CacheEvent(DELETED, CachedObject(key, gone_obj, event.revision), None, event.revision)
            self.push(DELETED, gone, event.revision)

    def fail(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._closed = True
        self._wake()
        self._cacher._watchers.discard(self)

    def close(self) -> None:
        self._closed = True
        self._wake()
        self._cacher._watchers.discard(self)

    @property
    def pending(self) -> bool:
        """Whether events are buffered, waiting to be read."""
        return bool(self._buffer)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def next_batch(self, timeout: float | None, writer: Writer | None = None) -> Batch:
        """Wait for events; returns [] on timeout, raises when ended by the cache.

        With ``writer``, events that arrive while this waits go to ``writer`` as the cache applies
        them (one call per applied batch), and the wait goes on: the reader is woken only by the
        timeout, the end of the watch, or the writer declining (:data:`WRITTEN_STOP`,
        :data:`NOT_WRITTEN`). Fan-out to many watchers then costs no task switch per event."""
        if not self._buffer:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise StopAsyncIteration
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = None if timeout is None else loop.call_later(timeout, _expire, waiter)
            self._writer = writer
            try:
                await waiter
            finally:
                self._writer = None
                self._waiter = None
                if timer is not None:
                    timer.cancel()
            if not self._buffer:
                if self._error is not None:
                    raise self._error
                if self._closed:
                    raise StopAsyncIteration
                return []
        out = list(self._buffer)
        self._buffer.clear()
        self.revision = out[-1][2]
        return out


class Cacher:
    """The cache of one storage prefix, fed by a :class:`CacheSet`."""

    def __init__(
        self,
        owner: CacheSet,
        prefix: str,
        *,
        history_seconds: float = 150.0,
        history_max: int = 100_000,
        watcher_capacity: int = 100_000,
        json_fields: tuple[str, ...] | None = None,
    ) -> None:
        """``json_fields``: hold the objects as JSON with the values at these paths (:class:`JsonView`)."""
        self._owner = owner
        self._storage = owner.storage
        #: The storage, when it tells its current revision without an await (in-process stores).
        self._in_process = owner.storage if isinstance(owner.storage, InProcessStore) else None
        self.prefix = prefix
        self._objects: SortedDict[str, CachedObject] = SortedDict()
        #: The changes of the window, oldest first: an object added is held as itself (its event is
        #: made for the watchers there are, and again for a watcher that replays it), any other
        #: change as its event.
        self._history: collections.deque[CacheEvent | CachedObject] = collections.deque()
        #: ``(when, revision)`` for each applied batch: the changes up to ``revision`` were applied at
        #: ``when`` (``time.monotonic``), which the window is trimmed by.
        self._marks: collections.deque[tuple[float, int]] = collections.deque()
        self._history_seconds = history_seconds
        self._history_max = history_max
        self._watcher_capacity = watcher_capacity
        self._watchers: set[CacheWatcher] = set()
        #: Revision of the list the cache started from; events at or below it are in it.
        self._list_revision = 0
        #: Events with revision > this are in the history window.
        self.history_start = 0
        self._ready = asyncio.Event()
        #: Events that arrived while the initial list was being read.
        self._pending: list[storage.Event] | None = []
        self._interner = owner.interner
        #: The revision of the newest write to this prefix made through this server.
        self.own_write = 0
        #: Watchers with a writer and events buffered in the batch being applied.
        self._to_flush: list[CacheWatcher] = []
        #: Held as JSON with a view of these fields (see :meth:`CachedObject.held_as_json`).
        self._view = None if json_fields is None else JsonView(json_fields, owner.interner.share)
        self._task: asyncio.Task[None] | None = None
        #: The event loop, once known (each ``asyncio.get_running_loop()`` is a getpid() system call).
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def revision(self) -> int:
        """Revision the cache reflects: every change up to it is applied."""
        return max(self._list_revision, self._owner.revision)

    @property
    def last_change(self) -> int:
        """The revision of the newest change applied under this prefix: it moves on every
        change, so a reader can tell cheaply whether what it derived from the cache is stale."""
        return self._history[-1].revision if self._history else self.history_start

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._load(), name=f"cacher {self.prefix}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.fail_watchers("the watch cache stopped")

    def fail_watchers(self, reason: str) -> None:
        for w in list(self._watchers):
            w.fail(WatcherGone(reason))

    async def wait_ready(self) -> None:
        await self._ready.wait()

    @property
    def ready(self) -> bool:
        """Whether the cache holds a consistent list (told without an await)."""
        return self._ready.is_set()

    async def _load(self) -> None:
        """Read every object at one revision, then apply what arrived meanwhile."""
        backoff = 0.1
        while True:
            try:
                objects: SortedDict[str, CachedObject] = SortedDict()
                start_after: str | None = None
                revision = 0
                while True:
                    page = await self._storage.range(self.prefix, limit=LOAD_PAGE, start_after=start_after,
                                                     revision=revision)
                    revision = page.revision
                    for kv in page.kvs:
                        objects[kv.key] = self._cached(kv.key, decode_object(kv), kv.mod_revision)
                    if not page.more or not page.kvs:
                        break
                    start_after = page.kvs[-1].key
                break
            except asyncio.CancelledError:
                raise
            except storage.StoreClosed:
                return
            except Exception as exc:
                log.warning("watch cache %s: list failed: %s", self.prefix, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        # A watcher registered while the list was read (a controller re-watching at once
        # after a restart) started from the old or an empty snapshot: end it to start over.
        self.fail_watchers("the watch cache restarted")
        self._objects = objects
        self._history.clear()
        self._marks.clear()
        self._list_revision = revision
        self.history_start = revision
        pending, self._pending = self._pending or [], None
        later = [ev for ev in pending if ev.kv.mod_revision > revision]
        if later:
            self.apply(later)
        self._ready.set()

    def reset(self) -> None:
        """Start over from a fresh list (the shared storage watch restarted)."""
        self.fail_watchers("the watch cache restarted")
        self._ready.clear()
        self._pending = []
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.create_task(self._load(), name=f"cacher {self.prefix}")

    def apply(self, batch: list[storage.Event]) -> None:
        """Apply events of this prefix, in revision order."""
        if self._pending is not None:
            self._pending.extend(batch)
            return
        now = time.monotonic()
        history = self._history
        objects = self._objects
        watchers = self._watchers
        # Objects held as JSON are decoded here anyway: their events carry that decoding to the
        # watchers this batch wakes, which read it before the loop runs the callback letting it go.
        warm: list[CacheEvent] | None = [] if watchers and self._view is not None else None
        floor = last = self._list_revision
        for ev in batch:
            kv = ev.kv
            rev = kv.mod_revision
            if rev <= floor:
                continue
            last = rev
            prev = objects.get(kv.key)
            if ev.type is storage.EventType.DELETE:
                decoded = decode_object(kv, rev)
                obj = self._cached(kv.key, decoded, rev)
                if prev is None:
                    prev = obj
                objects.pop(kv.key, None)
                cev = CacheEvent(DELETED, obj, prev, rev)
                history.append(cev)
            else:
                decoded = decode_object(kv)
                obj = self._cached(kv.key, decoded, rev)
                objects[kv.key] = obj
                if prev is None:
                    history.append(obj)
                    if not watchers:
                        continue
                    cev = CacheEvent(ADDED, obj, None, rev)
                else:
                    cev = CacheEvent(MODIFIED, obj, prev, rev)
                    history.append(cev)
            if warm is not None:
                cev.decoded = decoded
                warm.append(cev)
            if watchers:
                for w in tuple(watchers):
                    w.offer(cev)
        if warm:
            loop = self._loop
            if loop is None:
                loop = self._loop = asyncio.get_running_loop()
            loop.call_soon(_let_go, warm)
        if last > floor:
            self._marks.append((now, last))
        to_flush = self._to_flush
        if to_flush:
            for w in to_flush:
                w.flush()
            to_flush.clear()
        self.trim(now)

    def _cached(self, key: str, obj: Obj, revision: int) -> CachedObject:
        view = self._view
        if view is None:
            return CachedObject(key, self._interner.shared(obj), revision)
        return CachedObject.held_as_json(key, obj, revision, view, self._owner.shared_parts)

    def trim(self, now: float) -> None:
        """Drop the history older than the window (and beyond its size), with the old
        versions of objects only it still holds."""
        history, marks = self._history, self._marks
        horizon = now - self._history_seconds
        while marks and marks[0][0] < horizon:
            upto = marks.popleft()[1]
            while history and history[0].revision <= upto:
                self.history_start = history.popleft().revision
        while len(history) > self._history_max:
            self.history_start = history.popleft().revision

    # --- reads ---------------------------------------------------------------

    async def wait_fresh(self, revision: int, timeout: float = 3.0) -> None:
        """Wait until the cache reflects ``revision``."""
        await self._ready.wait()
        if self.revision < revision:
            await self._owner.wait_revision(revision, timeout)
            # The feed may have restarted meanwhile: wait for the re-list, not the stale objects.
            await self._ready.wait()

    def note_write(self, revision: int) -> None:
        """A write to this prefix through this server committed at ``revision``."""
        if revision > self.own_write:
            self.own_write = revision

    @property
    def holds_own_writes(self) -> bool:
        """Whether the cache is loaded and holds every write made to it through this server (what
        :meth:`wait_own_writes` waits for), told without an await."""
        return self._ready.is_set() and self.revision >= self.own_write

    async def wait_own_writes(self) -> None:
        """Wait until the cache holds every write made to it through this server: what a
        reader of configuration (webhooks, policies) needs to act on a change it was just sent,
        without waiting for the store's newest revision on every request."""
        await self._ready.wait()
        if self.revision < self.own_write:
            await self.wait_fresh(self.own_write)

    async def wait_consistent(self) -> None:
        """Wait until the cache has caught up with storage's current revision."""
        store = self._in_process
        if store is None:
            await self.wait_fresh(await self._storage.current_revision())
            return
        revision = store.revision
        if not (self._ready.is_set() and self.revision >= revision):  # (most reads: caught up, no await)
            await self.wait_fresh(revision)

    def get(self, key: str) -> CachedObject | None:
        return self._objects.get(key)

    def list(self, prefix: str) -> list[CachedObject]:
        """Objects under ``prefix`` in key order, at :attr:`revision`."""
        if prefix == self.prefix:
            return list(self._objects.values())
        objects = self._objects
        return [objects[k] for k in objects.irange(prefix, prefix + "\uffff", inclusive=(True, False))]

    def unchanged_since(self, revision: int) -> bool:
        """Whether what the cache holds is the prefix's state at ``revision``: it has seen every
        change up to it and none after it (so a page of a list at that revision can be read here)."""
        return self._ready.is_set() and self.last_change <= revision <= self.revision

    def page(self, prefix: str, start_after: str | None, limit: int,
             matches: Filter) -> tuple[builtins.list[CachedObject], bool, int | None]:
        """Up to ``limit`` objects under ``prefix`` after the key ``start_after`` (matching
        ``matches``), whether more follow, and how many follow when nothing is filtered."""
        objects = self._objects
        lo = objects.bisect_right(start_after) if start_after else objects.bisect_left(prefix)
        hi = objects.bisect_left(prefix + "\uffff")
        if matches is None:
            stop = min(hi, lo + limit)
            keys = objects.islice(lo, stop)
            return [objects[k] for k in keys], stop < hi, hi - stop
        items: builtins.list[CachedObject] = []
        for key in objects.islice(lo, hi):
            cobj = objects[key]
            if matches(cobj.view):
                if len(items) == limit:
                    return items, True, None
                items.append(cobj)
        return items, False, None

    def count(self, prefix: str) -> int:
        if prefix == self.prefix:
            return len(self._objects)
        return sum(1 for _ in self._objects.irange(prefix, prefix + "\uffff", inclusive=(True, False)))

    # --- watches -------------------------------------------------------------

    def watch(
        self,
        prefix: str,
        start_revision: int | None,
        matches: Filter,
        *,
        initial_events: bool,
    ) -> tuple[CacheWatcher, int]:
        """Start a watcher; returns it and the revision its initial state is at.

        ``initial_events`` sends a synthetic ADDED for every current object
        first. Without it, events after ``start_revision`` (0: now) follow; a
        revision older than the history window raises
        :class:`storage.Compacted`, which the handler answers as 410 Expired.
        """
        w = CacheWatcher(self, prefix, matches, self._watcher_capacity)
        current = self.revision
        if initial_events:
            for cobj in self.list(prefix):
                if matches is None or matches(cobj.view):
                    w._buffer.append((ADDED, CacheEvent(ADDED, cobj, None, cobj.revision), cobj.revision))
            start = current
            w.min_revision = current
        else:
            start = start_revision if start_revision else current
            w.min_revision = start
            if start < self.history_start:
                raise storage.Compacted(start, self.history_start)
            if start < current:
                for change in self._history:
                    if change.revision > start:
                        w.offer(change if type(change) is CacheEvent
                                else CacheEvent(ADDED, change, None, change.revision))  # type: ignore[arg-type]
        if not w._closed:  # not ended already by a replay larger than its buffer
            self._watchers.add(w)
        return w, start

    def watcher_count(self) -> int:
        return len(self._watchers)


class CacheSet:
    """Every watch cache of one server, fed by one storage watch of the whole keyspace.

    One watch (not one per prefix) means every cache knows how far the store
    has progressed, even when its own prefix is quiet: a consistent read
    waits until this set has seen the store's current revision.
    """

    def __init__(self, store: storage.Storage, root: str = "/registry/") -> None:
        self.storage = store
        #: The running storage watch (None between two).
        self._watch: storage.Watch | None = None
        #: Readers waiting for a revision, and the task asking the watch for progress meanwhile.
        self._waiting = 0
        self._requester: asyncio.Task[None] | None = None
        #: Equal parts of the cached objects of every resource, held once.
        self.interner = Interner()
        #: What the encodings of objects held as JSON have alike, held once.
        self.shared_parts = SharedParts()
        self.root = root
        self._cachers: dict[str, Cacher] = {}
        #: Every change up to this revision has been routed to its cache.
        self.revision = 0
        #: Readers waiting for a revision: a heap of (revision, sequence, future), woken when the
        #: feed reaches their revision (only those: one wake-up per reader, not one per event).
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._waiter_seq = itertools.count()
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()

    async def start(self) -> None:
        if self._task is None:
            self.revision = await self.storage.current_revision()
            self._task = asyncio.create_task(self._run(), name="watch cache feed")
            self._started.set()

    def get(self, prefix: str, json_fields: tuple[str, ...] | None = None) -> Cacher:
        """The cache of ``prefix``, started on first use; ``json_fields``: hold its objects as
        JSON with the values at these paths (given by whoever starts it)."""
        c = self._cachers.get(prefix)
        if c is None:
            c = Cacher(self, prefix, json_fields=json_fields)
            self._cachers[prefix] = c
            c.start()
        return c

    def existing(self, prefix: str) -> Cacher | None:
        """The cache of ``prefix`` if it is running (none is started)."""
        return self._cachers.get(prefix)

    async def drop(self, prefix: str) -> None:
        c = self._cachers.pop(prefix, None)
        if c is not None:
            await c.stop()

    async def stop(self) -> None:
        for task in (self._task, self._requester):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for c in list(self._cachers.values()):
            await c.stop()
        self._cachers.clear()

    def fail_watchers(self, reason: str) -> None:
        for c in self._cachers.values():
            c.fail_watchers(reason)

    async def wait_revision(self, revision: int, timeout: float) -> None:
        """Wait until every change up to ``revision`` has been routed (TimeoutError after ``timeout``).

        Writes outside :attr:`root` (another prefix, another program on a shared etcd) move the
        store's revision without an event here: while readers wait, the storage watch is asked for
        a progress notification every :data:`PROGRESS_PERIOD` (etcd's ``RequestProgress``, as
        kube-apiserver's cacher asks), which brings :attr:`revision` to the store's.
        """
        if self.revision >= revision:
            return
        self._waiting += 1
        if (self._requester is None or self._requester.done()) \
                and getattr(self._watch, "request_progress", None) is not None:
            self._requester = asyncio.create_task(self._request_progress(), name="watch cache progress")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (revision, next(self._waiter_seq), waiter))
        try:
            await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiting -= 1

    def _wake(self) -> None:
        """Wake the readers whose revision the feed has reached."""
        waiters = self._waiters
        while waiters and waiters[0][0] <= self.revision:
            waiter = heapq.heappop(waiters)[2]
            if not waiter.done():
                waiter.set_result(None)

    async def _request_progress(self) -> None:
        """Ask the storage watch for progress every period while readers wait."""
        while self._waiting:
            request = getattr(self._watch, "request_progress", None)
            if request is not None:
                request()
            await asyncio.sleep(PROGRESS_PERIOD)

    def _route(self, key: str) -> Cacher | None:
        # Keys are <root><resource>/... or <root><group>/<resource>/...
        cachers = self._cachers
        i = key.find("/", len(self.root))
        if i < 0:
            return None
        c = cachers.get(key[: i + 1])
        if c is not None:
            return c
        j = key.find("/", i + 1)
        return cachers.get(key[: j + 1]) if j >= 0 else None

    async def _run(self) -> None:
        backoff = 0.1
        trimmed = time.monotonic()
        while True:
            try:
                watch = self._watch = self.storage.watch(self.root, self.revision)
                try:
                    async for batch in watch:
                        routed: dict[Cacher, list[storage.Event]] = {}
                        for ev in batch:
                            c = self._route(ev.kv.key)
                            if c is not None:
                                routed.setdefault(c, []).append(ev)
                        for c, events in routed.items():
                            c.apply(events)
                        now = time.monotonic()
                        if now - trimmed >= 1.0:
                            # A resource with no changes of its own still lets its old history go.
                            trimmed = now
                            for c in self._cachers.values():
                                c.trim(now)
                        # An empty batch is a progress notification: every change up to the
                        # watch's revision has been delivered.
                        revision = batch[-1].kv.mod_revision if batch else getattr(watch, "revision", 0)
                        if revision > self.revision:
                            self.revision = revision
                        self._wake()
                        backoff = 0.1
                finally:
                    self._watch = None
                    await watch.close()
                return
            except asyncio.CancelledError:
                raise
            except storage.StoreClosed:
                return
            except Exception as exc:  # fell behind or compacted: every cache starts over
                log.warning("watch cache feed restarting: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                with contextlib.suppress(Exception):
                    self.revision = await self.storage.current_revision()
                for c in self._cachers.values():
                    c.reset()
                # Wake consistent reads waiting for revisions the failed watch will never deliver.
                self._wake()
