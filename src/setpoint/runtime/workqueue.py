"""The work queue: de-duplicated keys handed to workers one at a time, with delays and retries.

Semantics are client-go's (``util/workqueue/queue.go``, ``delaying_queue.go``,
``rate_limiting_queue.go``):

* a key added while it waits is stored once (the *dirty* set);
* a key is handed to at most one worker at a time (the *processing* set);
* a key added while a worker holds it is handed out again after :meth:`WorkQueue.done`;
* :meth:`WorkQueue.add_after` holds a key back for a while; if the key is already
  held back, the earlier of the two deadlines wins;
* :meth:`WorkQueue.add_rate_limited` asks the rate limiter how long to wait
  (per-item exponential + bucket by default); :meth:`WorkQueue.forget` clears that
  key's failure count.

Shutting down: :meth:`WorkQueue.shut_down` refuses new keys, drops delayed ones and
makes :meth:`WorkQueue.get` raise :class:`ShutDown` (keys still waiting are not handed
out); :meth:`WorkQueue.shut_down_with_drain` does the same, then waits until every
key already handed out has been marked done.

Everything runs on one event loop: the queue is not thread-safe, and needs no lock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar

from setpoint.runtime import ratelimit

T = TypeVar("T", bound=Hashable)


class ShutDown(Exception):
    """Raised by :meth:`WorkQueue.get` once the queue is shutting down."""


class QueueMetrics(Protocol):
    """What a queue reports; :mod:`setpoint.runtime.metrics` has the Prometheus one."""

    def added(self) -> None: ...
    def depth(self, n: int) -> None: ...
    def waited(self, seconds: float) -> None: ...
    def worked(self, seconds: float) -> None: ...
    def retried(self) -> None: ...


class WorkQueue(Generic[T]):
    """A de-duplicating, delaying, rate-limited queue of hashable keys."""

    def __init__(self, name: str = "", *, rate_limiter: ratelimit.RateLimiter[T] | None = None,
                 metrics: QueueMetrics | None = None, clock: Callable[[], float] | None = None) -> None:
        self.name = name
        self.rate_limiter: ratelimit.RateLimiter[T] = (
            rate_limiter if rate_limiter is not None else ratelimit.default_controller_rate_limiter())
        self._metrics = metrics
        self._clock = clock
        #: The loop it last ran on (asyncio.get_running_loop() is a getpid() system call each time).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._shutting_down = False
        self._drained: asyncio.Event | None = None
        # delayed keys: deadline per key, and a heap with stale entries skipped lazily
        self._waiting: dict[T, float] = {}
        self._heap: list[tuple[float, int, T]] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = float("inf")
        # for metrics: when a key became dirty, when a worker took it
        self._added_at: dict[T, float] = {}
        self._started_at: dict[T, float] = {}

    # -- adding -------------------------------------------------------------------------------------

    def add(self, item: T) -> None:
        """Queue ``item`` unless it is already waiting; no-op once shutting down."""
        if self._shutting_down:
            return
        if self._metrics is not None:
            self._metrics.added()
        if item in self._dirty:
            return
        self._dirty.add(item)
        if self._metrics is not None:
            self._added_at[item] = self._now()
        if item in self._processing:
            return
        self._queue.append(item)
        if self._metrics is not None:
            self._metrics.depth(len(self._queue))
        self._wake_one()

    def add_after(self, item: T, delay: float) -> None:
        """Queue ``item`` after ``delay`` seconds (now if ``delay <= 0``)."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        if self._metrics is not None:
            self._metrics.retried()
        ready_at = self._now() + delay
        current = self._waiting.get(item)
        if current is not None and current <= ready_at:
            return
        self._waiting[item] = ready_at
        heapq.heappush(self._heap, (ready_at, next(self._seq), item))
        if ready_at < self._timer_at:
            self._arm_timer(ready_at)

    def add_rate_limited(self, item: T) -> None:
        """Queue ``item`` after the rate limiter's delay (counts one more failure for it)."""
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        """``item`` succeeded: its next failure starts the backoff over."""
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.rate_limiter.num_requeues(item)

    # -- taking -------------------------------------------------------------------------------------

    async def get(self) -> T:
        """Wait for a key and mark it in process; raises :class:`ShutDown` when shutting down."""
        while not self._queue or self._shutting_down:
            if self._shutting_down:
                raise ShutDown(self.name)
            getter = self._running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                try:
                    self._getters.remove(getter)
                except ValueError:
                    pass
                if self._queue and not getter.cancelled():
                    self._wake_one()
                raise
        item = self._queue.popleft()
        self._processing.add(item)
        self._dirty.discard(item)
        if self._metrics is not None:
            now = self._now()
            self._metrics.depth(len(self._queue))
            added = self._added_at.pop(item, None)
            if added is not None:
                self._metrics.waited(now - added)
            self._started_at[item] = now
        return item

    def done(self, item: T) -> None:
        """The worker is finished with ``item``; if it was added meanwhile, it is queued again."""
        self._processing.discard(item)
        if self._metrics is not None:
            started = self._started_at.pop(item, None)
            if started is not None:
                self._metrics.worked(self._now() - started)
        if item in self._dirty and not self._shutting_down:
            self._queue.append(item)
            if self._metrics is not None:
                self._metrics.depth(len(self._queue))
            self._wake_one()
        if self._drained is not None and not self._processing:
            self._drained.set()

    # -- shutting down ------------------------------------------------------------------------------

    def shut_down(self) -> None:
        """Refuse new keys, drop delayed ones, and make every :meth:`get` raise :class:`ShutDown`."""
        if self._shutting_down:
            return
        self._shutting_down = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = float("inf")
        self._waiting.clear()
        self._heap.clear()
        self._queue.clear()
        self._dirty.clear()
        self._added_at.clear()
        if self._metrics is not None:
            self._metrics.depth(0)
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)

    async def shut_down_with_drain(self) -> None:
        """Shut down, then wait until every key handed out has been marked done."""
        self.shut_down()
        if not self._processing:
            return
        if self._drained is None:
            self._drained = asyncio.Event()
        await self._drained.wait()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    # -- looking ------------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Keys waiting to be handed out (not counting delayed or in-process ones)."""
        return len(self._queue)

    def __contains__(self, item: object) -> bool:
        return item in self._dirty or item in self._processing or item in self._waiting

    @property
    def processing(self) -> frozenset[T]:
        return frozenset(self._processing)

    @property
    def delayed(self) -> int:
        """How many keys are held back by :meth:`add_after`."""
        return len(self._waiting)

    def in_flight_seconds(self) -> list[float]:
        """How long each key now in process has been held (for the unfinished-work metrics)."""
        now = self._now()
        return [now - t for t in self._started_at.values()]

    # -- internals ----------------------------------------------------------------------------------

    def _now(self) -> float:
        if self._clock is not None:
            return self._clock()
        return self._running_loop().time()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None or loop.is_closed():
            loop = self._loop = asyncio.get_running_loop()
        return loop

    def _wake_one(self) -> None:
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)
                return

    def _arm_timer(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = self._running_loop()
        # the loop's clock schedules the wake-up even when an injected clock decides readiness
        delay = max(0.0, at - self._now())
        self._timer = loop.call_at(loop.time() + delay, self._release_due)
        self._timer_at = at

    def _release_due(self) -> None:
        self._timer = None
        self._timer_at = float("inf")
        now = self._now()
        heap = self._heap
        while heap:
            ready_at, _, item = heap[0]
            if self._waiting.get(item) != ready_at:
                heapq.heappop(heap)  # superseded by an earlier deadline, or already released
                continue
            if ready_at > now:
                self._arm_timer(ready_at)
                return
            heapq.heappop(heap)
            del self._waiting[item]
            self.add(item)
