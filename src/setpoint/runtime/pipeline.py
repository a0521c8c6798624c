"""The event pipeline: explicit stages between a controller's sources and its work queue.

::

    Builder(mgr).for_(KIND).with_pipeline(
        Filter(lambda req, priority: not req.namespace.startswith("kube-")),
        Buffer(window=0.5),                  # 1,000 updates of one key within the window: one request
        Schedule(qps=50, max_waiting=16),    # user-facing changes before the initial list and resyncs
        retry=Retry(base=0.005, maximum=1000),
    ).complete(reconciler)

A request mapped from a watched event enters the first stage with a :class:`Priority`:
``NORMAL`` for a change seen on a watch, ``LOW`` for the objects of a controller's initial list
and for periodic resyncs (as controller-runtime's priority queue ranks them). Each stage passes
it on, holds it, merges it with one already held for the same key, or drops it; the last stage
adds it to the controller's :class:`~setpoint.runtime.workqueue.WorkQueue`, which still
de-duplicates keys and hands each to one worker at a time.

* :class:`Filter` -- drops requests a predicate of ``(request, priority)`` refuses;
* :class:`Buffer` -- coalesces requests of one key arriving within ``window`` seconds of each other
  (held at most ``max_delay``) into one;
* :class:`Schedule` -- releases requests at most ``qps`` a second (burst ``burst``), highest priority
  first, and only while the work queue holds fewer than ``max_waiting``: a backlog waits here, in
  priority order, not in the queue's FIFO;
* :class:`Retry` -- the failure path: per-request exponential back-off and an overall bucket
  (client-go's default controller rate limiter unless told otherwise), counted.

Every stage reports ``setpoint_pipeline_depth``, ``setpoint_pipeline_latency_seconds`` (time a
request spent in the stage), ``setpoint_pipeline_passed_total``, ``setpoint_pipeline_dropped_total``
and ``setpoint_pipeline_coalesced_total`` labelled ``{controller, stage}``; :class:`Retry` reports
``setpoint_pipeline_retries_total`` and ``setpoint_pipeline_backoff_seconds``. All live in the
runtime's registry (:mod:`setpoint.runtime.metrics`), served on the manager's ``/metrics``.

A controller without a pipeline (the default) adds to its queue directly, as before.
Everything runs on the event loop; no stage needs a lock.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import itertools
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from setpoint.runtime import metrics as m
from setpoint.runtime import ratelimit
from setpoint.runtime.workqueue import WorkQueue

T = TypeVar("T", bound=Hashable)

#: a stage's output: the next stage's input (an item and its priority)
Emit = Callable[[T, int], None]


class Priority(enum.IntEnum):
    """How urgent a request is; higher runs first where a :class:`Schedule` orders them."""

    LOW = -100      # a controller's initial list, periodic resyncs
    NORMAL = 0      # a change seen on a watch
    HIGH = 100      # yours to use (a Filter cannot raise priorities; a source's handler can)


class Stage(Generic[T]):
    """One step of a :class:`Pipeline`: :meth:`push` in, ``self.emit`` out."""

    #: the ``stage`` label of the metrics (unique within a pipeline)
    name = "stage"

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            self.name = name
        self.emit: Emit[T] = _unbound
        self._metrics: m.StageMetrics | None = None

    def bind(self, emit: Emit[T], metrics: m.StageMetrics) -> None:
        """Connect the stage's output (the manager's controller does, through its pipeline)."""
        self.emit = emit
        self._metrics = metrics

    def push(self, item: T, priority: int) -> None:
        """Take one item in."""
        raise NotImplementedError

    def kick(self) -> None:
        """The work queue took an item: room may have opened downstream."""

    def close(self) -> None:
        """Drop whatever is held; cancel timers (a subclass holding items calls this after)."""
        if self._metrics is not None:
            self._metrics.depth.set(0)

    @property
    def depth(self) -> int:
        """Items held in the stage."""
        return 0

    @property
    def metrics(self) -> m.StageMetrics:
        if self._metrics is None:
            raise RuntimeError(f"stage {self.name!r} is not part of a running controller's pipeline")
        return self._metrics


def _unbound(item: Any, priority: int) -> None:
    raise RuntimeError("stage not bound: add its pipeline to a controller first")


class Filter(Stage[T]):
    """Passes the items ``keep(item, priority)`` accepts; counts the others as dropped."""

    name = "filter"

    def __init__(self, keep: Callable[[T, int], bool], *, name: str | None = None) -> None:
        super().__init__(name)
        self.keep = keep

    def push(self, item: T, priority: int) -> None:
        if self.keep(item, priority):
            self.metrics.passed.inc()
            self.emit(item, priority)
        else:
            self.metrics.dropped.inc()


def drop_low_priority(item: Hashable, priority: int) -> bool:
    """A :class:`Filter` predicate: no resyncs (nor initial-list items) get through."""
    return priority > Priority.LOW


class Buffer(Stage[T]):
    """Coalesces the items of one key pushed within ``window`` seconds of each other into one.

    An item is held until no more of its key has arrived for ``window`` seconds, but never longer
    than ``max_delay`` (10 windows unless told) after the first: a key updated without pause
    is still reconciled. The merged item keeps the highest priority pushed.
    """

    name = "buffer"

    def __init__(self, window: float = 0.1, *, max_delay: float | None = None, name: str | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        if window <= 0:
            raise ValueError("window must be positive")
        super().__init__(name)
        self.window = window
        self.max_delay = max_delay if max_delay is not None else 10 * window
        if self.max_delay < window:
            raise ValueError("max_delay must be at least window")
        self._clock = clock
        # key -> [first push, last push, priority, timer]
        self._held: dict[T, list[Any]] = {}

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def push(self, item: T, priority: int) -> None:
        now = self._now()
        held = self._held.get(item)
        if held is not None:
            held[1] = now
            if priority > held[2]:
                held[2] = priority
            self.metrics.coalesced.inc()
            return
        timer = asyncio.get_running_loop().call_later(self.window, self._due, item)
        self._held[item] = [now, now, priority, timer]
        self.metrics.depth.set(len(self._held))

    def _due(self, item: T) -> None:
        held = self._held.get(item)
        if held is None:
            return
        first, last, priority, _ = held
        now = self._now()
        release_at = min(last + self.window, first + self.max_delay)
        if release_at > now + 1e-4:
            held[3] = asyncio.get_running_loop().call_later(release_at - now, self._due, item)
            return
        del self._held[item]
        mt = self.metrics
        mt.depth.set(len(self._held))
        mt.latency.observe(now - first)
        mt.passed.inc()
        self.emit(item, priority)

    def close(self) -> None:
        for held in self._held.values():
            held[3].cancel()
        self._held.clear()
        super().close()

    @property
    def depth(self) -> int:
        return len(self._held)


class Schedule(Stage[T]):
    """Releases items highest priority first, at most ``qps`` a second (``None``: no rate limit)
    and only while the work queue has fewer than ``max_waiting`` items waiting (``None``: no bound).

    An item pushed again while it waits here is held once (counted as coalesced) and keeps the
    higher priority. With neither limit set, items pass through at once, in push order.
    """

    name = "schedule"

    def __init__(self, qps: float | None = None, *, burst: int = 1, max_waiting: int | None = None,
                 name: str | None = None, clock: ratelimit.Clock = time.monotonic) -> None:
        if max_waiting is not None and max_waiting < 1:
            raise ValueError("max_waiting must be at least 1")
        super().__init__(name)
        self.qps = qps
        self.max_waiting = max_waiting
        self._bucket = ratelimit.TokenBucket(qps, burst, clock=clock) if qps else None
        self._room: Callable[[], int] = lambda: 0  # items waiting downstream
        self._heap: list[tuple[int, int, T]] = []
        self._held: dict[T, tuple[int, float]] = {}  # item -> (priority, pushed at)
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def watch_queue(self, waiting: Callable[[], int]) -> None:
        """How the stage learns how many items wait in the work queue (its pipeline sets it)."""
        self._room = waiting

    def push(self, item: T, priority: int) -> None:
        held = self._held.get(item)
        if held is not None:
            self.metrics.coalesced.inc()
            if priority <= held[0]:
                return
            self._held[item] = (priority, held[1])  # the older heap entry is skipped when popped
        else:
            self._held[item] = (priority, time.monotonic())
        heapq.heappush(self._heap, (-priority, next(self._seq), item))
        self.metrics.depth.set(len(self._held))
        self._release()

    def kick(self) -> None:
        if self._held and self._timer is None:
            self._release()

    def _release(self) -> None:
        mt = self.metrics
        heap = self._heap
        while heap:
            if self.max_waiting is not None and self._room() >= self.max_waiting:
                return  # kick() resumes once a worker takes an item
            neg, _, item = heap[0]
            held = self._held.get(item)
            if held is None or held[0] != -neg:
                heapq.heappop(heap)  # superseded by a higher-priority push of the same item
                continue
            if self._bucket is not None:
                if self._timer is not None:
                    return
                wait = self._bucket.delay()
                if wait > 0:
                    self._timer = asyncio.get_running_loop().call_later(wait, self._tick)
                    return
                self._bucket.reserve()
            heapq.heappop(heap)
            del self._held[item]
            mt.depth.set(len(self._held))
            mt.latency.observe(time.monotonic() - held[1])
            mt.passed.inc()
            self.emit(item, held[0])

    def _tick(self) -> None:
        self._timer = None
        self._release()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._heap.clear()
        self._held.clear()
        super().close()

    @property
    def depth(self) -> int:
        return len(self._held)


class Retry(Generic[T]):
    """The failure path's rate limiter, counted: per-item exponential back-off (``base`` doubling
    up to ``maximum``) and, unless ``qps`` is None, one bucket for all items -- client-go's
    default controller rate limiter with the defaults."""

    def __init__(self, base: float = 0.005, maximum: float = 1000.0, *, qps: float | None = 10.0,
                 burst: int = 100, clock: ratelimit.Clock = time.monotonic) -> None:
        limiters: list[ratelimit.RateLimiter[Hashable]] = [ratelimit.ItemExponential(base, maximum)]
        if qps:
            limiters.append(ratelimit.Bucket(qps, burst, clock=clock))
        self.limiter = ratelimit.MaxOf(*limiters)
        self._metrics: m.RetryMetrics | None = None

    def bind(self, controller: str) -> None:
        self._metrics = m.RetryMetrics(controller)

    def when(self, item: T) -> float:
        delay = self.limiter.when(item)
        if self._metrics is not None:
            self._metrics.retries.inc()
            self._metrics.backoff.observe(delay)
        return delay

    def forget(self, item: T) -> None:
        self.limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.limiter.num_requeues(item)


class Pipeline(Generic[T]):
    """Stages in order, ending in a work queue; :meth:`add` is the entry."""

    def __init__(self, *stages: Stage[T], retry: Retry[T] | None = None) -> None:
        names: set[str] = set()
        for stage in stages:
            if stage.name in names:
                raise ValueError(f"two stages named {stage.name!r}: name them apart (they label the metrics)")
            names.add(stage.name)
        self.stages = stages
        self.retry = retry
        self.add: Emit[T] = _unbound
        self._kicks = tuple(s for s in stages if type(s).kick is not Stage.kick)

    def bind(self, controller: str, queue: WorkQueue[T]) -> None:
        """Connect the stages to ``queue`` (again after the controller made a new queue)."""
        def into_queue(item: T, priority: int) -> None:
            queue.add(item)

        emit: Emit[T] = into_queue
        for stage in reversed(self.stages):
            stage.close()
            stage.bind(emit, m.StageMetrics(controller, stage.name))
            if isinstance(stage, Schedule):
                stage.watch_queue(queue.__len__)
            emit = stage.push
        self.add = emit
        if self.retry is not None:
            self.retry.bind(controller)

    def kick(self) -> None:
        """A worker took an item from the queue (stages waiting for room may release one)."""
        for stage in self._kicks:
            stage.kick()

    def close(self) -> None:
        """Drop everything held (the controller stops)."""
        for stage in self.stages:
            stage.close()

    @property
    def depth(self) -> int:
        return sum(s.depth for s in self.stages)


__all__ = ["Buffer", "Filter", "Pipeline", "Priority", "Retry", "Schedule", "Stage", "drop_low_priority"]
