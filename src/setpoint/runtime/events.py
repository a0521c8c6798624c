"""The event recorder: ``core/v1`` Events about your objects, repeated ones folded into a count.

``await recorder.normal(obj, "Restarted", "deleted 3 pods")`` creates an Event whose
``involvedObject`` is ``obj``. Recording the same (object, type, reason, message)
again patches the existing Event -- ``count`` + 1 and a new ``lastTimestamp`` --
instead of creating another, as client-go's recorder aggregates. Recording never
raises: an event that cannot be written is logged and dropped. Events of different
keys are written concurrently; only the same key waits for the one before it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from setpoint.apimachinery.clock import now_rfc3339
from setpoint.runtime import errors
from setpoint.runtime.client import Client
from setpoint.runtime.resource import Kind

log = logging.getLogger(__name__)

EVENT = Kind("v1", "Event")
NORMAL, WARNING = "Normal", "Warning"


@dataclass
class _KeyLock:
    """One key's lock and how many recordings hold or wait for it."""

    lock: asyncio.Lock
    users: int = 0


@dataclass
class _Seen:
    name: str
    namespace: str
    count: int


class EventRecorder:
    """Records Events for one component (the ``source.component`` of each Event)."""

    def __init__(self, client: Client, component: str, *, host: str | None = None, cache_size: int = 4096) -> None:
        self.client = client
        self.component = component
        self.host = host or socket.gethostname()
        self._seen: OrderedDict[tuple[str, ...], _Seen] = OrderedDict()
        self._cache_size = cache_size
        self._locks: dict[tuple[str, ...], _KeyLock] = {}

    async def normal(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        await self.event(obj, NORMAL, reason, message)

    async def warning(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        await self.event(obj, WARNING, reason, message)

    async def event(self, obj: Mapping[str, Any], type: str, reason: str, message: str) -> str | None:
        """Record (or count again) an event about ``obj``; returns the Event's name (None if not written)."""
        if type not in (NORMAL, WARNING):
            raise ValueError(f"event type must be Normal or Warning, not {type!r}")
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        involved = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "name": meta["name"],
                    "namespace": meta.get("namespace"), "uid": meta.get("uid"),
                    "resourceVersion": meta.get("resourceVersion")}
        key = (str(involved["kind"]), namespace, meta["name"], str(meta.get("uid")), type, reason, message)
        held = self._locks.get(key)
        if held is None:
            held = self._locks[key] = _KeyLock(asyncio.Lock())
        held.users += 1
        try:
            async with held.lock:
                seen = self._seen.get(key)
                if seen is not None:
                    self._seen.move_to_end(key)
                    try:
                        await self.client.patch(EVENT, seen.name, {"count": seen.count + 1,
                                                                   "lastTimestamp": now_rfc3339()}, seen.namespace)
                        seen.count += 1
                        return seen.name
                    except errors.NotFound:
                        del self._seen[key]
                now = now_rfc3339()
                body = {"apiVersion": "v1", "kind": "Event",
                        "metadata": {"name": f"{meta['name']}.{time.time_ns():x}", "namespace": namespace},
                        "involvedObject": {k: v for k, v in involved.items() if v is not None},
                        "reason": reason, "message": message, "type": type,
                        "source": {"component": self.component, "host": self.host},
                        "firstTimestamp": now, "lastTimestamp": now, "count": 1,
                        "reportingComponent": self.component, "reportingInstance": self.host}
                created = await self.client.create(body)
                self._seen[key] = _Seen(created["metadata"]["name"], namespace, 1)
                while len(self._seen) > self._cache_size:
                    self._seen.popitem(last=False)
                return str(created["metadata"]["name"])
        except errors.ApiError as e:
            log.warning("could not record event %s/%s on %s: %s", type, reason, meta.get("name"), e)
            return None
        finally:
            held.users -= 1
            if not held.users:
                del self._locks[key]
