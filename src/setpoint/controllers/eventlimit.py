"""Events from the workload controllers, written in the background and rate limited as client-go's
``EventCorrelator`` does it.

A controller scaling a thousand pods would otherwise write a thousand Events and wait for each.
:class:`LimitedRecorder` queues them (recording never blocks a sync) and applies kube's defaults:
a spam filter of 25 Events per involved object, refilled one every 5 minutes, and aggregation --
after 10 Events of one object, type and reason with different messages within 10 minutes, the
rest fold into one Event whose message starts ``(combined from similar events): `` (its count and
message updated by each, as the correlator patches it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from setpoint.apimachinery.clock import now_rfc3339
from setpoint.runtime import errors
from setpoint.runtime.client import Client
from setpoint.runtime.events import EVENT, NORMAL, WARNING, EventRecorder

log = logging.getLogger(__name__)

#: ``defaultSpamBurst``, ``defaultSpamQPS`` (one every 5 minutes).
SPAM_BURST, SPAM_QPS = 25, 1.0 / 300
#: ``defaultAggregateMaxEvents``, ``defaultAggregateIntervalInSeconds``.
AGGREGATE_MAX, AGGREGATE_INTERVAL = 10, 600.0
_CACHE = 4096


class LimitedRecorder:
    """``normal``/``warning`` queue an Event for ``obj`` and return at once."""

    def __init__(self, client: Client, component: str) -> None:
        self.recorder = EventRecorder(client, component)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # uid -> (tokens, at)
        self._similar: OrderedDict[tuple[str, str, str], tuple[set[str], float]] = OrderedDict()
        #: the combined Event of an aggregate key: (name, namespace, count)
        self._combined: OrderedDict[tuple[str, str, str], tuple[str, str, int]] = OrderedDict()
        self._queue: asyncio.Queue[tuple[Mapping[str, Any], str, str, str, bool]] | None = None
        self.client = client
        self._task: asyncio.Task[None] | None = None

    def normal(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        self.event(obj, NORMAL, reason, message)

    def warning(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        self.event(obj, WARNING, reason, message)

    def event(self, obj: Mapping[str, Any], type: str, reason: str, message: str) -> None:
        uid = str(obj["metadata"].get("uid"))
        combined = self._aggregate(uid, type, reason, message)
        if combined:
            message = "(combined from similar events): " + message
        if not self._allow(uid):
            return
        if self._queue is None:
            self._queue = asyncio.Queue()
        self._queue.put_nowait((obj, type, reason, message, combined))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="events")

    async def flush(self) -> None:
        """Wait until every queued Event is written."""
        if self._queue is not None:
            await self._queue.join()

    def _allow(self, uid: str) -> bool:
        now = time.monotonic()
        tokens, at = self._buckets.pop(uid, (float(SPAM_BURST), now))
        tokens = min(float(SPAM_BURST), tokens + (now - at) * SPAM_QPS)
        allowed = tokens >= 1.0
        self._buckets[uid] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > _CACHE:
            self._buckets.popitem(last=False)
        return allowed

    def _aggregate(self, uid: str, type: str, reason: str, message: str) -> bool:
        """Whether this Event folds into its object's, type's and reason's combined one."""
        now = time.monotonic()
        key = (uid, type, reason)
        messages, since = self._similar.pop(key, (set(), now))
        if now - since > AGGREGATE_INTERVAL:
            messages, since = set(), now
            self._combined.pop(key, None)
        messages.add(message)
        combined = len(messages) >= AGGREGATE_MAX
        if combined:
            messages.discard(message)  # kube keeps the set below its maximum
        self._similar[key] = (messages, since)
        if len(self._similar) > _CACHE:
            self._similar.popitem(last=False)
        return combined

    async def _drain(self) -> None:
        assert self._queue is not None
        while not self._queue.empty():
            obj, type, reason, message, combined = await self._queue.get()
            try:
                if combined:
                    await self._record_combined(obj, type, reason, message)
                else:
                    await self.recorder.event(obj, type, reason, message)
            except Exception:
                log.exception("could not record event %s on %s", reason, obj["metadata"].get("name"))
            finally:
                self._queue.task_done()

    async def _record_combined(self, obj: Mapping[str, Any], type: str, reason: str, message: str) -> None:
        key = (str(obj["metadata"].get("uid")), type, reason)
        known = self._combined.get(key)
        if known is not None:
            name, namespace, count = known
            try:
                await self.client.patch(EVENT, name, {"count": count + 1, "lastTimestamp": now_rfc3339(),
                                                      "message": message}, namespace)
                self._combined[key] = (name, namespace, count + 1)
                return
            except errors.NotFound:
                pass
        written = await self.recorder.event(obj, type, reason, message)
        if written is not None:
            self._combined[key] = (written, obj["metadata"].get("namespace") or "default", 1)
            if len(self._combined) > _CACHE:
                self._combined.popitem(last=False)
