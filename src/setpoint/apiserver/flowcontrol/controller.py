"""API Priority and Fairness: kube's ``apf_controller`` and its request filter.

:class:`FlowControl` keeps the configuration (the FlowSchemas and PriorityLevelConfigurations
in the watch cache, kube's bootstrap objects created at start) and runs every authenticated
request through it, before authorization: classify (the first matching FlowSchema by
precedence; cached per request shape, dropped when the configuration changes), estimate its
seats, then execute at once, wait in its flow's queue, or answer 429. The server's
concurrency (``--max-requests-inflight`` + ``--max-mutating-requests-inflight``) is split
among the limited levels by their nominal shares; the exempt level is never limited.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints.handlers import Call
from setpoint.apiserver.flowcontrol import bootstrap
from setpoint.apiserver.flowcontrol.estimate import ONE_SEAT, WorkEstimate, WorkEstimator
from setpoint.apiserver.flowcontrol.metrics import FlowControlMetrics, FlowStats
from setpoint.apiserver.flowcontrol.queueset import CANCELLED, TIME_OUT, QueueSet, Waiter, max_seats
from setpoint.apiserver.flowcontrol.rules import Digest, FlowSchema, flow_hash, ordered
from setpoint.apiserver.http import Response, StreamingResponse, render_headers
from setpoint.apiserver.registry.admission import UserInfo
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry, Resource

log = logging.getLogger(__name__)

GROUP = "flowcontrol.apiserver.k8s.io"
FS_UID_HEADER = "X-Kubernetes-PF-FlowSchema-UID"
PL_UID_HEADER = "X-Kubernetes-PF-PriorityLevel-UID"
#: How long a request may wait in its queue: a quarter of kube's default 60 s request timeout.
QUEUE_WAIT_SECONDS = 15.0
#: Responses larger than this keep their seats until their body is written (as a Go handler
#: holds them while it writes), sent in chunks of this size.
STREAM_ABOVE = 1 << 20
#: kube's ``http.Error`` body of a 429 from the filter.
TOO_MANY_REQUESTS = b"Too many requests, please try again later.\n"
_CACHE_MAX = 10_000

Run = Callable[[UserInfo, Call], Awaitable[Response | StreamingResponse]]


class PriorityLevel:
    """A priority level as configured: its seats and queues (none when exempt)."""

    __slots__ = ("exempt", "max_seats", "name", "nominal_limit", "queues", "shares", "spec_key", "uid")

    def __init__(self, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        self.name = str(meta.get("name", ""))
        self.uid = str(meta.get("uid", ""))
        self.exempt = spec.get("type") == "Exempt"
        section = (spec.get("exempt") if self.exempt else spec.get("limited")) or {}
        self.shares = int(section.get("nominalConcurrencyShares") or 0)
        self.spec_key = repr(spec)
        self.nominal_limit = 0
        self.max_seats = 1
        self.queues = QueueSet(0)

    def configure(self, limit: int, spec: dict[str, Any], old: PriorityLevel | None) -> None:
        self.nominal_limit = limit
        if self.exempt:
            return
        response = ((spec.get("limited") or {}).get("limitResponse")) or {}
        queuing = response.get("queuing") or {} if response.get("type") == "Queue" else {}
        queues, hand = int(queuing.get("queues") or 0), int(queuing.get("handSize") or 0)
        self.max_seats = max_seats(limit, hand)
        if old is not None and old.spec_key == self.spec_key and not old.exempt:
            self.queues = old.queues  # keep the waiting requests; only the limit may move
            self.queues.limit = limit
            self.queues.dispatch()
            return
        self.queues = QueueSet(limit, queues=queues, hand_size=min(hand, queues) if queues else 0,
                               queue_length_limit=int(queuing.get("queueLengthLimit") or 0))
        if old is not None and not old.exempt and old.queues.waiting:
            log.info("priority level %s reconfigured with %d requests waiting", self.name, old.queues.waiting)


class Classification:
    __slots__ = ("hash", "headers", "level", "rendered", "schema", "stats")

    def __init__(self, schema: FlowSchema, level: PriorityLevel, hash_value: int, stats: FlowStats) -> None:
        self.schema = schema
        self.level = level
        self.hash = hash_value
        self.headers = [(FS_UID_HEADER, schema.uid), (PL_UID_HEADER, level.uid)]
        self.rendered = render_headers(self.headers)
        self.stats = stats


class FlowControl:
    """The configuration controller and the request filter of one server."""

    def __init__(self, registry: Registry, objects: ObjectStore, metrics_registry: CollectorRegistry, *,
                 server_concurrency_limit: int = 600) -> None:
        self.registry = registry
        self.objects = objects
        self.server_concurrency_limit = server_concurrency_limit
        self.estimator = WorkEstimator(objects)
        self.levels: dict[str, PriorityLevel] = {}
        self.schemas: list[FlowSchema] = []
        self.metrics = FlowControlMetrics(metrics_registry, lambda: self.levels)
        #: Classifications by request (resource keys have 7 parts, non-resource keys 4).
        self._cache: dict[tuple[Any, ...], Classification] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._dirty = asyncio.Event()
        self._configure([], [])  # kube's mandatory objects, until the real ones are read

    def _resource(self, plural: str) -> Resource:
        r = self.registry.get(GROUP, "v1", plural)
        assert r is not None
        return r

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Create the bootstrap objects, read the configuration, follow its changes."""
        fs, pl = self._resource("flowschemas"), self._resource("prioritylevelconfigurations")
        await bootstrap.ensure(self.objects, fs, pl)
        self._reload()
        for r in (fs, pl):
            self._tasks.append(asyncio.create_task(self._follow(r), name=f"apf {r.plural}"))
        self._tasks.append(asyncio.create_task(self._run(), name="apf config"))
        self._dirty.set()

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()

    async def _follow(self, r: Resource) -> None:
        cacher = self.objects.cacher(r)
        await cacher.wait_ready()
        watcher, _ = cacher.watch(cacher.prefix, None, None, initial_events=False)
        try:
            while True:
                if await watcher.next_batch(None):
                    self._dirty.set()
        except StopAsyncIteration:
            return
        except Exception as exc:  # the cache restarted or the server stops: follow anew
            log.debug("flow control config watch of %s ended: %s", r.plural, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            watcher.close()
        self._tasks.append(asyncio.create_task(self._follow(r), name=f"apf {r.plural}"))

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                self._reload()
                await self._sync_status()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("flow control configuration failed")

    # --- configuration ------------------------------------------------------------------

    def _reload(self) -> None:
        fs_cache = self.objects.cacher(self._resource("flowschemas"))
        pl_cache = self.objects.cacher(self._resource("prioritylevelconfigurations"))
        self._configure([c.obj for c in fs_cache.list(fs_cache.prefix)],
                        [c.obj for c in pl_cache.list(pl_cache.prefix)])

    def _configure(self, schema_objs: list[Obj], level_objs: list[Obj]) -> None:
        """Digest the configuration objects (kube's ``digestConfigObjects``)."""
        levels = {pl.name: pl for pl in (PriorityLevel(o) for o in level_objs)}
        specs = {str((o.get("metadata") or {}).get("name")): o.get("spec") or {} for o in level_objs}
        for o in bootstrap.MANDATORY_LEVELS:  # kube imagines a missing mandatory level
            name = o["metadata"]["name"]
            if name not in levels:
                levels[name] = PriorityLevel(o)
                specs[name] = o["spec"]
        share_sum = sum(pl.shares for pl in levels.values())
        for name, pl in levels.items():
            limit = math.ceil(self.server_concurrency_limit * pl.shares / share_sum) if share_sum else 0
            pl.configure(limit, specs[name], self.levels.get(name))
        schemas = [FlowSchema(o) for o in schema_objs]
        names = {s.name for s in schemas}
        for o in bootstrap.MANDATORY_SCHEMAS:
            if o["metadata"]["name"] not in names:
                schemas.append(FlowSchema(o))
        self.levels = levels
        # Dangling schemas (their level is missing) match nothing.
        self.schemas = ordered([s for s in schemas if s.priority_level in levels])
        self._cache = {}

    async def _sync_status(self) -> None:
        """Keep each FlowSchema's ``Dangling`` condition as kube's config controller does."""
        r = self._resource("flowschemas")
        cacher = self.objects.cacher(r)
        for cobj in cacher.list(cacher.prefix):
            obj = cobj.obj
            name = obj["metadata"]["name"]
            pl = str(((obj.get("spec") or {}).get("priorityLevelConfiguration") or {}).get("name", ""))
            want = _dangling(pl, pl not in self.levels)
            have = next((c for c in (obj.get("status") or {}).get("conditions") or ()
                         if isinstance(c, dict) and c.get("type") == "Dangling"), None)
            if have is not None and all(have.get(k) == want[k] for k in ("status", "reason", "message")):
                continue

            async def mutate(current: Obj, want: dict[str, str] = want) -> Obj:
                conditions = [c for c in (current.get("status") or {}).get("conditions") or ()
                              if not (isinstance(c, dict) and c.get("type") == "Dangling")]
                conditions.append({**want, "lastTransitionTime": _now()})
                return {**current, "status": {**(current.get("status") or {}), "conditions": conditions}}

            try:
                await self.objects.guaranteed_update(r, None, name, mutate, subresource="status")
            except errors.StatusError as exc:
                if exc.code != 404:
                    log.warning("cannot update the status of FlowSchema %s: %s", name, exc)

    # --- the filter ---------------------------------------------------------------------

    def classify(self, user: UserInfo, call: Call) -> Classification:
        r = call.resource
        ns = call.namespace or ""
        key = (user.name, user.groups, call.verb, r.group, r.plural, call.subresource, ns)
        c = self._cache.get(key)
        if c is None:
            c = self._classify(key, Digest(user.name, user.groups, call.verb, True, r.group, r.plural,
                                           call.subresource, ns))
        return c

    def classify_path(self, user: UserInfo, verb: str, path: str) -> Classification:
        """The classification of a non-resource request (``/healthz``, ``/version``, discovery)."""
        key = (user.name, user.groups, verb, path)
        c = self._cache.get(key)
        if c is None:
            c = self._classify(key, Digest(user.name, user.groups, verb, False, path=path))
        return c

    def _classify(self, key: tuple[Any, ...], d: Digest) -> Classification:
        """The first matching schema (else ``catch-all``), its level and the flow's hash, cached
        under ``key`` until the configuration changes."""
        schema = next((s for s in self.schemas if s.matches(d)), None)
        if schema is None:
            schema = next(s for s in self.schemas if s.name == "catch-all")
        level = self.levels[schema.priority_level]
        hash_value = flow_hash(schema.name, schema.flow(d)) if len(level.queues.queues) > 1 else 0
        c = Classification(schema, level, hash_value, self.metrics.stats(schema.name, level.name))
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[key] = c
        return c

    async def handle(self, user: UserInfo, call: Call, run: Run) -> Response | StreamingResponse:
        """Run ``run(user, call)`` once the request has its seats; a 429 if it gets none."""
        c = self.classify(user, call)
        if c.level.exempt:
            return await self._exempt(c, functools.partial(run, user, call))
        estimate = self.estimator.estimate(call, c.level.max_seats)
        return await self._admit(c, estimate, functools.partial(run, user, call), call.verb != "watch")

    async def handle_path(self, user: UserInfo, verb: str, path: str,
                          run: Callable[[], Awaitable[Response | StreamingResponse]]) -> Response | StreamingResponse:
        """The same for a non-resource request: classified by its path, one seat (kube's estimate)."""
        c = self.classify_path(user, verb, path)
        if c.level.exempt:
            return await self._exempt(c, run)
        return await self._admit(c, ONE_SEAT, run, True)

    async def _exempt(self, c: Classification,
                      run: Callable[[], Awaitable[Response | StreamingResponse]]) -> Response | StreamingResponse:
        stats = c.stats
        stats.dispatched += 1
        stats.executing += 1
        try:
            response = await run()
        except errors.StatusError as exc:
            response = _error(exc)
        finally:
            stats.executing -= 1
        return _with_headers(response, c)

    async def _admit(self, c: Classification, estimate: WorkEstimate,
                     run: Callable[[], Awaitable[Response | StreamingResponse]],
                     streamable: bool) -> Response | StreamingResponse:
        """Take the request's seats (waiting in its flow's queue), run it, give them back once
        its response is written."""
        level = c.level
        stats = c.stats
        seats = estimate.max_seats
        qs = level.queues
        waiter: Waiter | None = None
        if not qs.try_take(seats):
            queued = qs.enqueue(c.hash, seats)
            if isinstance(queued, str):
                return self._reject(c, queued, 0.0)
            waiter = queued
            if not await self._wait(c, qs, waiter):
                return self._reject(c, TIME_OUT, QUEUE_WAIT_SECONDS)
        stats.dispatched += 1
        stats.executing += 1
        stats.seats += seats
        started = time.perf_counter() if waiter is not None else 0.0
        try:
            response = await run()
        except errors.StatusError as exc:
            response = _error(exc)
        except BaseException:
            _release(stats, qs, estimate, waiter, started)
            raise
        response = _with_headers(response, c)
        if streamable and isinstance(response, Response) and response.body_length() > STREAM_ABOVE:
            return StreamingResponse(
                response.status,
                _Chunks(response.body_parts(), functools.partial(_release, stats, qs, estimate, waiter, started)),
                response.content_type or "application/json", response.headers)
        _release(stats, qs, estimate, waiter, started)
        return response

    async def _wait(self, c: Classification, qs: QueueSet, waiter: Waiter) -> bool:
        """Wait for the queue to dispatch ``waiter``: False when the wait timed out."""
        stats = c.stats
        stats.inqueue += 1
        began = time.perf_counter()
        loop = asyncio.get_running_loop()

        def expire() -> None:
            if not waiter.future.done() and qs.cancel(waiter):
                waiter.future.set_result(False)

        timer = loop.call_later(QUEUE_WAIT_SECONDS, expire)
        try:
            ok = await waiter.future
        except asyncio.CancelledError:
            if not qs.cancel(waiter) and waiter.future.done() and waiter.future.result():
                qs.release(waiter.seats, waiter.queue, time.perf_counter(), 0.0)
            stats.rejected[CANCELLED] = stats.rejected.get(CANCELLED, 0) + 1
            raise
        finally:
            timer.cancel()
            stats.inqueue -= 1
        self.metrics.observe_wait(c.schema.name, c.level.name, ok, time.perf_counter() - began)
        return ok

    def _reject(self, c: Classification, reason: str, waited: float) -> Response:
        stats = c.stats
        stats.rejected[reason] = stats.rejected.get(reason, 0) + 1
        if reason != TIME_OUT:
            self.metrics.observe_wait(c.schema.name, c.level.name, False, waited)
        return Response(429, TOO_MANY_REQUESTS, "text/plain; charset=utf-8",
                        [("Retry-After", "1"), ("X-Content-Type-Options", "nosniff"), *c.headers])

    def describe(self) -> dict[str, Any]:
        return {name: pl.queues.describe() for name, pl in self.levels.items() if not pl.exempt}


def _release(stats: FlowStats, qs: QueueSet, estimate: WorkEstimate, waiter: Waiter | None, started: float) -> None:
    """A request ends: its seats go back (those for its watchers' events a little later)."""
    seats = estimate.max_seats
    stats.executing -= 1
    stats.seats -= seats
    final = estimate.final_seats if estimate.additional_latency > 0 else 0
    if waiter is None:
        qs.release(seats - final, None, 0.0, 0.0)
    else:
        qs.release(seats - final, waiter.queue, started, waiter.work)
    if final:
        asyncio.get_running_loop().call_later(estimate.additional_latency, qs.release_seats, final)


def _error(exc: errors.StatusError) -> Response:
    return Response(exc.code, exc.body(), "application/json", exc.headers or None)


def _with_headers(response: Response | StreamingResponse, c: Classification) -> Response | StreamingResponse:
    if isinstance(response, Response):
        return response.with_headers(c.headers, c.rendered)
    return StreamingResponse(response.status, response.chunks, response.content_type,
                             [*(response.headers or []), *c.headers], response.direct)


class _Chunks:
    """A large body (its pieces) sent in chunks of about ``STREAM_ABOVE`` bytes, each made when
    the connection can take it; ``done`` runs once it is written or dropped."""

    def __init__(self, parts: list[bytes], done: Callable[[], None]) -> None:
        self._parts = parts
        self._next = 0
        self._offset = 0  # into a large piece sent in slices
        self._done: Callable[[], None] | None = done

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        parts, i = self._parts, self._next
        if i >= len(parts):
            self._finish()
            raise StopAsyncIteration
        part = parts[i]
        if len(part) >= STREAM_ABOVE:  # one large piece (a table, YAML): sent in slices of it
            start = self._offset
            end = start + STREAM_ABOVE
            if end >= len(part):
                self._next, self._offset = i + 1, 0
            else:
                self._offset = end
            return part[start:end]
        size, j = 0, i
        while j < len(parts) and size < STREAM_ABOVE and len(parts[j]) < STREAM_ABOVE:
            size += len(parts[j])
            j += 1
        self._next = j
        return part if j == i + 1 else b"".join(parts[i:j])

    async def aclose(self) -> None:
        self._finish()

    def _finish(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            done()


def _dangling(pl: str, dangling: bool) -> dict[str, str]:
    if dangling:
        return {"type": "Dangling", "status": "True", "reason": "NotFound",
                "message": f'This FlowSchema references the PriorityLevelConfiguration object named "{pl}" '
                           "but there is no such object"}
    return {"type": "Dangling", "status": "False", "reason": "Found",
            "message": f'This FlowSchema references the PriorityLevelConfiguration object named "{pl}" and it exists'}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
