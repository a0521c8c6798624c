"""How many seats a request takes: kube's ``flowcontrol/request`` work estimators.

* LIST (and WATCH with ``sendInitialEvents``): ``list_work_estimator`` with kube's default
  ``SizeBasedListCostEstimate``: the bytes the list holds in memory at once (objects the
  request reads times their average size, at most 1 MB when served from the watch cache),
  one seat per 100 kB; the object count and average size come from the resource's watch
  cache (the average from a sample of its objects, refreshed every 10 s).
* Writes: ``mutating_work_estimator``: one seat, and with ten or more watchers of the
  resource, ``ceil(watchers / 10)`` seats held 5 ms per seat after the write (the cost of
  sending the event to every watcher), reshaped to at most the level's maximum width.
* Everything else: one seat. Every estimate is at most the level's maximum seats.
"""

from __future__ import annotations

import math
import time

from setpoint.apiserver.endpoints.handlers import Call
from setpoint.apiserver.registry.objectstore import ObjectStore

MINIMUM_SEATS = 1
MAXIMUM_LIST_SEATS = 100
BYTES_PER_SEAT = 100_000
CACHE_MAX_MEMORY = 1_000_000
MAX_OBJECT_SIZE = 1_500_000
WATCHES_PER_SEAT = 10
EVENT_ADDITIONAL_SECONDS = 0.005
_SAMPLE = 16
_SIZE_TTL = 10.0
_WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


class WorkEstimate:
    """Seats while executing; ``final_seats`` held ``additional_latency`` seconds after
    (read-only once made; :attr:`max_seats`, the larger, is worked out once)."""

    __slots__ = ("additional_latency", "final_seats", "initial_seats", "max_seats")

    def __init__(self, initial_seats: int, final_seats: int = 0, additional_latency: float = 0.0) -> None:
        self.initial_seats = initial_seats
        self.final_seats = final_seats
        self.additional_latency = additional_latency
        self.max_seats = initial_seats if initial_seats >= final_seats else final_seats

    def __repr__(self) -> str:
        return f"WorkEstimate({self.initial_seats}, {self.final_seats}, {self.additional_latency})"


ONE_SEAT = WorkEstimate(1)


class WorkEstimator:
    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects
        #: Average object size per storage prefix: (bytes, when measured).
        self._sizes: dict[str, tuple[int, float]] = {}

    def estimate(self, call: Call, max_seats: int) -> WorkEstimate:
        verb = call.verb
        if verb == "list" or verb == "watch":
            return self._list(call, max_seats)
        if verb in _WRITE_VERBS:
            return self._mutating(call, max_seats)
        return ONE_SEAT

    def _list(self, call: Call, max_seats: int) -> WorkEstimate:
        max_seats = min(max_seats, MAXIMUM_LIST_SEATS) if max_seats else MAXIMUM_LIST_SEATS
        q = call.request.query
        if call.verb == "watch" and (q.get("sendInitialEvents") or [""])[0] != "true":
            return ONE_SEAT
        r = call.resource
        if r.computed:
            return ONE_SEAT  # served by no storage here (kube: an unknown count, minimum seats)
        cacher = self.objects.cacher(r)
        count = cacher.count(cacher.prefix)
        size = self._average_size(cacher.prefix, count)
        try:
            limit = int((q.get("limit") or ["0"])[0])
        except ValueError:
            return WorkEstimate(max_seats)
        rv = (q.get("resourceVersion") or [""])[0]
        rv_match = (q.get("resourceVersionMatch") or [""])[0]
        cont = (q.get("continue") or [""])[0]
        # kube's ShouldDelegateListMeta over a cache without snapshots.
        from_storage = rv_match == "Exact" or (not rv_match and ((limit > 0 and rv not in ("", "0")) or bool(cont)))
        from_cache = call.verb == "watch" or not from_storage
        limited = limit if 0 < limit < count else count
        if call.name:
            objects = 1
        elif from_cache:
            objects = limited
        elif q.get("fieldSelector") or q.get("labelSelector"):
            objects = max(limited, count // 2)
        else:
            objects = limited
        memory = objects * size
        if from_cache:
            memory = min(memory, CACHE_MAX_MEMORY)
        seats = math.ceil(memory / BYTES_PER_SEAT)
        return WorkEstimate(min(max(seats, MINIMUM_SEATS), max_seats))

    def _average_size(self, prefix: str, count: int) -> int:
        if count == 0:
            return 0
        now = time.monotonic()
        cached = self._sizes.get(prefix)
        if cached is not None and now - cached[1] < _SIZE_TTL:
            return cached[0]
        cacher = self.objects.caches.get(prefix)
        items = cacher.list(prefix)
        step = max(1, len(items) // _SAMPLE)
        sample = items[::step][:_SAMPLE]
        size = sum(len(c.json()) for c in sample) // len(sample) if sample else MAX_OBJECT_SIZE
        self._sizes[prefix] = (size, now)
        return size

    def _mutating(self, call: Call, max_seats: int) -> WorkEstimate:
        r = call.resource
        if r.computed:
            return ONE_SEAT
        watchers = self.objects.cacher(r).watcher_count()
        if watchers < WATCHES_PER_SEAT:
            return ONE_SEAT
        final = math.ceil(watchers / WATCHES_PER_SEAT)
        work = final * EVENT_ADDITIONAL_SECONDS
        if max_seats and final > max_seats:
            final = max_seats
        return WorkEstimate(1, final, work / final)
