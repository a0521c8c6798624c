"""Watch fan-out shared by every backend.

A backend owns one :class:`WatchHub`. After each commit it calls
:meth:`WatchHub.publish` on the event loop with the commit's events in
revision order; the hub appends them to the bounded buffer of every watcher
whose prefix matches. :meth:`WatchHub.watch` registers a watcher at the hub's
published revision ``R`` first (so nothing after ``R`` can be missed), and the
watcher then replays ``(start_revision, R]`` from the backend's history before
it hands out its buffered live events: no gap, no duplicate, no polling.

A watcher whose buffer would overflow is ended with :class:`WatchExpired` and
dropped, so a slow reader never holds writers back and never silently loses
events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from .interface import Compacted, Event, StoreClosed, WatchExpired

#: ``history(prefix, after, upto, limit) -> (events, covered)``: at most
#: ``limit`` events with ``after < revision <= upto`` whose key starts with
#: ``prefix``, in revision order, and the revision up to which the read looked
#: (``upto`` unless it stopped at ``limit``). Raises :class:`Compacted` when
#: ``after`` is older than the compact revision.
HistoryReader = Callable[[str, int, int, int], Awaitable[tuple[list[Event], int]]]

#: Live events a watcher may hold before it is expired.
DEFAULT_WATCH_BUFFER: Final = 10_000
#: Events read from history per replay step.
REPLAY_CHUNK: Final = 1_000


class WatchHub:
    """The registry of a store's watchers and the live fan-out."""

    __slots__ = ("_by_prefix", "_closed", "_max_buffer", "revision")

    def __init__(self, revision: int = 0, max_buffer: int = DEFAULT_WATCH_BUFFER) -> None:
        if max_buffer < 1:
            raise ValueError("watch buffer must hold at least one event")
        #: The newest published revision: every event up to it was handed to
        #: the watchers registered at the time.
        self.revision = revision
        self._max_buffer = max_buffer
        self._by_prefix: dict[str, set[Watcher]] = {}
        self._closed = False

    def __len__(self) -> int:
        return sum(len(ws) for ws in self._by_prefix.values())

    def watch(self, prefix: str, after: int, history: HistoryReader) -> Watcher:
        """Register a watcher for events after ``after``; it replays what it
        missed up to the current published revision from ``history``."""
        if self._closed:
            raise StoreClosed("store is closed")
        watcher = Watcher(self, prefix, after, self.revision, history, self._max_buffer)
        self._by_prefix.setdefault(prefix, set()).add(watcher)
        return watcher

    def publish(self, events: Sequence[Event]) -> None:
        """Hand one commit's events (revision order) to the watchers."""
        if not events:
            return
        self.revision = events[-1].revision
        expired: list[Watcher] = []
        for prefix, watchers in self._by_prefix.items():
            if prefix:
                matched = [ev for ev in events if ev.kv.key.startswith(prefix)]
                if not matched:
                    continue
            else:
                matched = list(events)
            for watcher in watchers:
                if not watcher._push(matched):
                    expired.append(watcher)
        for watcher in expired:
            self._discard(watcher)

    def close(self) -> None:
        """End every watcher with :class:`StoreClosed`; refuse new ones."""
        self._closed = True
        by_prefix, self._by_prefix = self._by_prefix, {}
        for watchers in by_prefix.values():
            for watcher in watchers:
                watcher._end(StoreClosed("store is closed"))

    def _discard(self, watcher: Watcher) -> None:
        watchers = self._by_prefix.get(watcher.prefix)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self._by_prefix[watcher.prefix]


class Watcher:
    """One running watch (implements :class:`~setpoint.storage.interface.Watch`).

    Iterating yields batches of events in revision order; only one task
    should iterate a watcher. ``revision`` is the watcher's progress: every
    matching event up to it has been handed out.
    """

    __slots__ = (
        "_buffer",
        "_closed",
        "_error",
        "_floor",
        "_history",
        "_hub",
        "_max_buffer",
        "_replay_upto",
        "_waiter",
        "prefix",
        "revision",
    )

    def __init__(
        self,
        hub: WatchHub,
        prefix: str,
        after: int,
        replay_upto: int,
        history: HistoryReader,
        max_buffer: int,
    ) -> None:
        self._hub = hub
        self.prefix = prefix
        self.revision = after
        self._replay_upto = replay_upto
        # A watch may start beyond the published revision: drop live events up to it.
        self._floor = after if after > replay_upto else 0
        self._history = history
        self._max_buffer = max_buffer
        self._buffer: list[Event] = []
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._closed = False

    def __aiter__(self) -> Watcher:
        return self

    async def __anext__(self) -> list[Event]:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._error is not None:
                raise self._error
            if self.revision < self._replay_upto:
                events = await self._replay()
                if events:
                    return events
                continue
            if self._buffer:
                events, self._buffer = self._buffer, []
                self.revision = events[-1].revision
                return events
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    async def close(self) -> None:
        """Stop the watch; a pending or later ``__anext__`` ends iteration."""
        if not self._closed:
            self._closed = True
            self._buffer = []
            self._hub._discard(self)
            self._wake()

    async def _replay(self) -> list[Event]:
        after = self.revision
        try:
            events, covered = await self._history(self.prefix, after, self._replay_upto, REPLAY_CHUNK)
        except Compacted as exc:
            if not self._closed and self._error is None:
                self._end(WatchExpired(after, f"history after revision {after} was compacted ({exc})"))
                self._hub._discard(self)
            return []
        if self._closed or self._error is not None:
            return []
        self.revision = covered
        return events

    def _push(self, events: list[Event]) -> bool:
        """Buffer live events; False if that overflowed and ended the watcher."""
        if self._floor:
            if events[-1].revision <= self._floor:
                return True
            events = [ev for ev in events if ev.revision > self._floor]
            self._floor = 0
        if len(self._buffer) + len(events) > self._max_buffer:
            self._end(
                WatchExpired(
                    self.revision,
                    f"watcher fell behind: more than {self._max_buffer} events waiting",
                )
            )
            return False
        self._buffer.extend(events)
        self._wake()
        return True

    def _end(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._buffer = []
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
