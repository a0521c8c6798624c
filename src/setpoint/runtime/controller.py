"""The controller: watched events -> a work queue of requests -> workers calling the reconciler.

A :class:`Controller` owns one :class:`~setpoint.runtime.workqueue.WorkQueue` of
:class:`~setpoint.runtime.reconcile.Request` and ``max_concurrent_reconciles``
workers. Its :class:`Source` entries say which informers feed the queue, through
which :mod:`~setpoint.runtime.handler` and :mod:`~setpoint.runtime.predicate`.
Informers come from the shared :class:`~setpoint.runtime.cache.Cache`.

Life cycle (driven by the manager): :meth:`Controller.prepare` acquires the informers
(warming the cache, also on a standby replica); :meth:`Controller.start` connects the
sources, waits for the caches to sync, and starts the workers; :meth:`Controller.stop`
shuts the queue down, lets running reconciles finish (or cancels them when told to,
as when leadership is lost) and releases the informers.

:meth:`Controller.reconcile_handler` is controller-runtime's ``reconcileHandler``: one
request in, one outcome out, every branch counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.runtime import metrics as m
from setpoint.runtime import ratelimit
from setpoint.runtime.cache import Cache, NotSynced
from setpoint.runtime.client import Client
from setpoint.runtime.errors import Conflict
from setpoint.runtime.handler import Handler
from setpoint.runtime.informer import Informer
from setpoint.runtime.pipeline import Pipeline, Priority
from setpoint.runtime.predicate import Predicate
from setpoint.runtime.reconcile import ReconcileFunc, Request, Result, TerminalError
from setpoint.runtime.resource import Kind
from setpoint.runtime.workqueue import ShutDown, WorkQueue

log = logging.getLogger(__name__)

#: workers per controller unless told otherwise (``Manager(max_concurrent_reconciles=...)`` or
#: ``Builder.with_options``). A worker waits on one request at a time, so one worker leaves a
#: controller bound by the server's latency; 16 keep a server busy and still bound the load
#: (controller-runtime defaults to 1, kube-controller-manager mostly to 5, kube-rs sets no bound;
#: see docs/benchmarks.md).
DEFAULT_MAX_CONCURRENT_RECONCILES = 16


@dataclass
class Source:
    """Events of ``kind`` (optionally in one namespace, matching label and field selectors) mapped by ``handler``."""

    kind: Kind
    handler: Handler
    predicates: Sequence[Predicate] = ()
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    informer: Informer | None = field(default=None, repr=False)
    #: False: events only, from a :class:`~setpoint.runtime.notifier.Notifier` (nothing cached).
    store: bool = True


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a cancelled gather's outcome as seen (no "exception was never retrieved")."""
    if not future.cancelled():
        future.exception()


class _Feed:
    """The informer event handler that filters events and queues their requests.

    A mapping function that reads a cache still listing (:class:`~setpoint.runtime.cache.NotSynced`)
    does not fail: the event is handed to ``defer`` and delivered again once that cache has synced.
    With an event pipeline, requests enter its first stage with a priority: ``LOW`` for the initial
    list (``initial`` is set while the informer replays its cache) and for resyncs, else ``NORMAL``.
    """

    __slots__ = ("defer", "handler", "initial", "pipeline", "predicates", "queue")

    def __init__(self, queue: WorkQueue[Request], handler: Handler, predicates: Sequence[Predicate],
                 defer: Callable[[Informer, Callable[[], None]], None],
                 pipeline: Pipeline[Request] | None = None) -> None:
        self.queue = queue
        self.handler = handler
        self.predicates = tuple(predicates)
        self.defer = defer
        self.pipeline = pipeline
        self.initial = False

    def on_add(self, obj: Obj) -> None:
        for p in self.predicates:
            if not p.create(obj):
                return
        try:
            requests = self.handler.requests(obj)
        except NotSynced as e:
            self.defer(e.informer, lambda: self.on_add(obj))
            return
        self._enqueue(requests, Priority.LOW if self.initial else Priority.NORMAL)

    def on_update(self, old: Obj, new: Obj) -> None:
        for p in self.predicates:
            if not p.update(old, new):
                return
        try:
            requests = self.handler.requests(new)
            before = self.handler.requests(old) if self.handler.both_on_update else ()
        except NotSynced as e:
            self.defer(e.informer, lambda: self.on_update(old, new))
            return
        priority = Priority.LOW if old is new else Priority.NORMAL  # a resync re-announces the same object
        self._enqueue(requests, priority)
        if before:
            self._enqueue(before, priority)

    def on_delete(self, obj: Obj) -> None:
        for p in self.predicates:
            if not p.delete(obj):
                return
        try:
            requests = self.handler.requests(obj)
        except NotSynced as e:
            self.defer(e.informer, lambda: self.on_delete(obj))
            return
        self._enqueue(requests, Priority.NORMAL)

    def _enqueue(self, requests: Iterable[Request], priority: Priority) -> None:
        """Into the pipeline's first stage with ``priority``, or (without one) straight into the queue."""
        pipeline = self.pipeline
        if pipeline is not None:
            for req in requests:
                pipeline.add(req, priority)
            return
        add = self.queue.add
        for req in requests:
            add(req)


class Controller:
    """Reconciles requests from its sources with ``max_concurrent_reconciles`` workers."""

    def __init__(self, name: str, reconcile: ReconcileFunc, *, sources: Sequence[Source] = (),
                 max_concurrent_reconciles: int = DEFAULT_MAX_CONCURRENT_RECONCILES,
                 rate_limiter: ratelimit.RateLimiter[Request] | None = None,
                 cache_sync_timeout: float = 120.0, pipeline: Pipeline[Request] | None = None) -> None:
        if max_concurrent_reconciles < 1:
            raise ValueError("max_concurrent_reconciles must be at least 1")
        self.name = name
        self.reconcile = reconcile
        self.sources = list(sources)
        self.max_concurrent_reconciles = max_concurrent_reconciles
        self.cache_sync_timeout = cache_sync_timeout
        if pipeline is not None and pipeline.retry is not None:
            if rate_limiter is not None:
                raise ValueError("give either a rate_limiter or a pipeline with retry=, not both")
            rate_limiter = pipeline.retry
        self._rate_limiter = rate_limiter
        #: the stages between the sources and the queue (None: straight into the queue)
        self.pipeline = pipeline
        self.queue: WorkQueue[Request] = self._new_queue()
        self._metrics = m.ControllerMetrics(name, max_concurrent_reconciles)
        self._cache: Cache | None = None
        self._client: Client | None = None
        self._feeds: list[tuple[Informer, _Feed]] = []
        self._workers: list[asyncio.Task[None]] = []
        self._deferred: set[asyncio.Task[None]] = set()
        self._waiting: dict[Informer, list[Callable[[], None]]] = {}
        self._draining: list[asyncio.Task[None]] = []
        self.started = False

    def __repr__(self) -> str:
        return f"<Controller {self.name}>"

    def _new_queue(self) -> WorkQueue[Request]:
        limiter = self._rate_limiter if self._rate_limiter is not None else ratelimit.default_controller_rate_limiter()
        queue: WorkQueue[Request] = WorkQueue(self.name, rate_limiter=limiter, metrics=m.QueueMetrics(self.name))
        m.track_queue(queue)
        if self.pipeline is not None:
            self.pipeline.bind(self.name, queue)
        return queue

    # -- life cycle ---------------------------------------------------------------------------------

    def prepare(self, cache: Cache) -> None:
        """Acquire the sources' informers from the shared cache (they start with the cache)."""
        if self._cache is not None:
            return
        self._cache = cache
        self._client = cache.client
        for src in self.sources:
            src.informer = cache.acquire(src.kind, namespace=src.namespace, label_selector=src.label_selector,
                                         field_selector=src.field_selector, store=src.store)

    async def start(self) -> None:
        """Wait for every source's cache to sync, then connect the sources and start the workers.

        As controller-runtime's workers, and more: no event handler or mapping function runs before
        *all* of the controller's sources have synced, so what they read from the cache is there (a
        handler connected after the sync is first told about every cached object).
        """
        if self._cache is None:
            raise RuntimeError(f"{self!r}: prepare(cache) first (the manager does)")
        if self.started:
            return
        self.started = True
        if self.queue.shutting_down:
            self.queue = self._new_queue()
        assert self._client is not None
        await self._wait_synced()
        for src in self.sources:
            await src.handler.prepare(self._client)
        for src in self.sources:
            assert src.informer is not None
            feed = _Feed(self.queue, src.handler, src.predicates, self._defer, self.pipeline)
            feed.initial = True  # what the informer replays now is the initial list
            src.informer.add_handler(feed)
            feed.initial = False
            self._feeds.append((src.informer, feed))
        self._workers = [asyncio.create_task(self._worker(), name=f"{self.name} worker {i}")
                         for i in range(self.max_concurrent_reconciles)]
        log.info("controller %s started with %d workers", self.name, len(self._workers))

    async def _wait_synced(self) -> None:
        """Wait until every source has synced; after ``cache_sync_timeout`` say which have not (once),
        and keep waiting: a kind that is not served yet (a CRD still to be installed) starts later."""
        synced = asyncio.gather(*(s.informer.wait_synced() for s in self.sources if s.informer is not None))
        try:
            await asyncio.wait_for(asyncio.shield(synced), self.cache_sync_timeout)
        except TimeoutError:
            waiting = [f"{s.informer!r}" + (f" ({s.informer.last_error})" if s.informer.last_error else "")
                       for s in self.sources if s.informer is not None and not s.informer.has_synced]
            log.warning("controller %s: caches not synced after %g s, still waiting for %s", self.name,
                        self.cache_sync_timeout, ", ".join(waiting))
            await synced
        except asyncio.CancelledError:
            synced.cancel()
            synced.add_done_callback(_retrieve)
            raise

    async def stop(self, *, cancel: bool = False, grace: float = 30.0) -> None:
        """Stop reconciling: no new requests; running reconciles get ``grace`` seconds to finish
        (``cancel=True``: are cancelled at once)."""
        self._disconnect()
        workers, self._workers = self._workers, []
        self._draining = workers  # halt() may still cancel them while they finish
        self.queue.shut_down()
        if self.pipeline is not None:
            self.pipeline.close()
        try:
            if workers:
                if cancel:
                    for w in workers:
                        w.cancel()
                _, pending = await asyncio.wait(workers, timeout=grace)
                for w in pending:
                    w.cancel()
                if pending:
                    await asyncio.wait(pending)
        finally:
            self._draining = []
        self.started = False

    def halt(self) -> None:
        """Stop at once, synchronously: cancel running reconciles (leadership lost, or a second
        signal while they were being given time to finish)."""
        self._disconnect()
        self.queue.shut_down()
        for w in (*self._workers, *self._draining):
            w.cancel()
        self.started = False

    async def release(self) -> None:
        """Give the informers back to the cache (the last user stops them)."""
        self._disconnect()
        if self._cache is not None:
            for src in self.sources:
                if src.informer is not None:
                    await self._cache.release(src.informer)
                    src.informer = None
        self._cache = None

    def _disconnect(self) -> None:
        for informer, feed in self._feeds:
            informer.remove_handler(feed)
        self._feeds.clear()
        for task in self._deferred:
            task.cancel()
        self._deferred.clear()
        self._waiting.clear()

    def _defer(self, informer: Informer, retry: Callable[[], None]) -> None:
        """Call ``retry`` once ``informer`` has synced (an event or request that read it too early);
        one task per informer waits, however many events do."""
        waiting = self._waiting.get(informer)
        if waiting is not None:
            waiting.append(retry)
            return
        self._waiting[informer] = [retry]

        async def after_sync() -> None:
            await informer.wait_synced()
            for again in self._waiting.pop(informer, ()):
                try:
                    again()
                except Exception:
                    log.exception("controller %s: handling an event again after %r synced failed", self.name,
                                  informer)

        task = asyncio.create_task(after_sync(), name=f"{self.name} waits for {informer!r}")
        self._deferred.add(task)
        task.add_done_callback(self._deferred.discard)

    @property
    def has_synced(self) -> bool:
        return all(s.informer is not None and s.informer.has_synced for s in self.sources)

    # -- the work loop ------------------------------------------------------------------------------

    async def _worker(self) -> None:
        queue = self.queue
        pipeline = self.pipeline
        while True:
            try:
                req = await queue.get()
            except ShutDown:
                return
            if pipeline is not None:
                pipeline.kick()
            try:
                await self.reconcile_handler(req)
            finally:
                queue.done(req)

    async def reconcile_handler(self, req: Request) -> None:
        """Reconcile one request and act on the outcome (retry, requeue, or forget)."""
        mt = self._metrics
        mt.active.inc()
        started = time.perf_counter()
        try:
            result = await self.reconcile(req)
        except asyncio.CancelledError:
            raise
        except NotSynced as e:
            # read a cache still listing (one the controller does not watch itself): run again once
            # it has synced, as controller-runtime's reads wait for the sync; not an error
            self.queue.forget(req)
            self._defer(e.informer, lambda: self.queue.add(req))
            mt.requeue.inc()
            log.debug("controller %s: %s waits for %r to sync", self.name, req, e.informer)
        except Conflict as e:
            # The object changed under the reconcile (a write with a stale resourceVersion): the
            # next one reads it again. Expected in any busy cluster: one line, no traceback.
            self.queue.add_rate_limited(req)
            mt.errors.inc()
            mt.error.inc()
            log.info("controller %s: reconcile %s met a conflict, retrying: %s", self.name, req, e)
        except TerminalError as e:
            mt.terminal.inc()
            mt.errors.inc()
            mt.error.inc()
            self.queue.forget(req)
            log.error("controller %s: %s failed for good: %s", self.name, req, e)
        except Exception as e:
            self.queue.add_rate_limited(req)
            mt.errors.inc()
            mt.error.inc()
            retries = self.queue.num_requeues(req)
            # the traceback once per failure streak (and always at DEBUG); then one line per retry
            log.error("controller %s: reconcile %s failed (retry %d): %s", self.name, req, retries, e,
                      exc_info=retries <= 1 or log.isEnabledFor(logging.DEBUG))
        else:
            self.queue.forget(req)
            if result is not None and result.requeue_after:
                self.queue.add_after(req, result.requeue_after)
                mt.requeue_after.inc()
            else:
                mt.success.inc()
        finally:
            mt.time.observe(time.perf_counter() - started)
            mt.active.dec()


__all__ = ["Controller", "Result", "Source"]
