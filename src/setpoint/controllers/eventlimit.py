"""Events from the workload controllers, written in the background and rate limited as client-go's
``EventCorrelator`` does it.

A controller scaling a thousand pods would otherwise write a thousand Events and wait for each.
:class:`LimitedRecorder` queues them (recording never blocks a sync) and applies kube's defaults:
a spam filter of 25 Events per involved object, refilled one every 5 minutes, and aggregation --
after 10 Events of one object, type and reason with different messages within 10 minutes, the
rest fold into one Event whose message starts ``(combined from similar events): ``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from setpoint.runtime.client import Client
from setpoint.runtime.events import NORMAL, WARNING, EventRecorder

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
        self._similar: OrderedDict[tuple[str, str, str], tuple[set[str], float, str]] = OrderedDict()
        self._queue: asyncio.Queue[tuple[Mapping[str, Any], str, str, str]] | None = None
        self._task: asyncio.Task[None] | None = None

    def normal(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        self.event(obj, NORMAL, reason, message)

    def warning(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        self.event(obj, WARNING, reason, message)

    def event(self, obj: Mapping[str, Any], type: str, reason: str, message: str) -> None:
        uid = str(obj["metadata"].get("uid"))
        message = self._aggregate(uid, type, reason, message)
        if not self._allow(uid):
            return
        if self._queue is None:
            self._queue = asyncio.Queue()
        self._queue.put_nowait((obj, type, reason, message))
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

    def _aggregate(self, uid: str, type: str, reason: str, message: str) -> str:
        now = time.monotonic()
        key = (uid, type, reason)
        messages, since, combined = self._similar.pop(key, (set(), now, ""))
        if now - since > AGGREGATE_INTERVAL:
            messages, since, combined = set(), now, ""
        messages.add(message)
        if len(messages) >= AGGREGATE_MAX:
            combined = combined or "(combined from similar events): " + message
        self._similar[key] = (messages, since, combined)
        if len(self._similar) > _CACHE:
            self._similar.popitem(last=False)
        return combined or message

    async def _drain(self) -> None:
        assert self._queue is not None
        while not self._queue.empty():
            obj, type, reason, message = await self._queue.get()
            try:
                await self.recorder.event(obj, type, reason, message)
            except Exception:
                log.exception("could not record event %s on %s", reason, obj["metadata"].get("name"))
            finally:
                self._queue.task_done()
