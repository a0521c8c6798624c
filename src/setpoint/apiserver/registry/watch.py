"""A watch on one resource as the registry serves it.

:meth:`ObjectStore.watch <setpoint.apiserver.registry.objectstore.ObjectStore.watch>`
returns a :class:`Watch`: the watch cache's watcher behind the few operations a
reader needs (wait for a batch of events, close). A watch that cannot start
because its resourceVersion is older than the cache's history carries the
``410 Expired`` Status instead, as kube-apiserver's cacher hands out an error
watcher that sends one ``ERROR`` event: storage errors end here, not in the
HTTP handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from setpoint.apiserver.registry.cacher import (
    NOT_WRITTEN,
    WRITTEN,
    WRITTEN_STOP,
    Batch,
    CacheWatcher,
    WatcherGone,
    Writer,
)

__all__ = ["NOT_WRITTEN", "WRITTEN", "WRITTEN_STOP", "Batch", "Watch", "Writer"]


@dataclass(slots=True)
class Watch:
    """Events of one resource after revision :attr:`start`, or the :attr:`error` that ended it."""

    #: The revision the watch starts after (its initial state's revision).
    start: int
    _watcher: CacheWatcher | None = None
    #: A ``metav1.Status`` when the watch could not start (410 Expired).
    error: dict[str, Any] | None = None

    async def next_batch(self, timeout: float | None, writer: Writer | None = None) -> Batch | None:
        """Wait up to ``timeout`` seconds: the events ([] on timeout), None once the watch ended.
        With ``writer``, events arriving meanwhile go to it instead (see
        :meth:`CacheWatcher.next_batch`)."""
        if self._watcher is None:
            return None
        try:
            return await self._watcher.next_batch(timeout, writer)
        except WatcherGone:
            return None

    @property
    def pending(self) -> bool:
        """Whether events are buffered, waiting to be read."""
        return self._watcher is not None and self._watcher.pending

    @property
    def revision(self) -> int:
        """The revision of the last event handed to the reader."""
        return self._watcher.revision if self._watcher is not None else self.start

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
