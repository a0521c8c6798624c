"""Automatic compaction: keep a window of history, drop what is older.

Every ``interval`` seconds the compactor records ``(monotonic time, current
revision)`` and compacts to the newest recorded revision that is at least
``window`` seconds old, as kube-apiserver's compactor does against etcd.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Final, Protocol

from .interface import Compacted, StoreClosed

log = logging.getLogger(__name__)

DEFAULT_COMPACT_INTERVAL: Final = 60.0
DEFAULT_COMPACT_WINDOW: Final = 300.0


class Compactable(Protocol):
    async def current_revision(self) -> int: ...

    async def compact_revision(self) -> int: ...

    async def compact(self, revision: int) -> None: ...


class AutoCompactor:
    """Background task compacting ``store`` to keep ``window`` seconds of history.

    ``interval`` <= 0 disables it. Must be started inside a running loop.
    """

    def __init__(self, store: Compactable, *, interval: float, window: float) -> None:
        if window < 0:
            raise ValueError("compaction window must not be negative")
        self._store = store
        self._interval = interval
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="setpoint-compactor")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def tick(self) -> None:
        """Record a sample and compact to the newest one older than the window."""
        now = time.monotonic()
        self._samples.append((now, await self._store.current_revision()))
        target = 0
        while self._samples and now - self._samples[0][0] >= self._window:
            target = self._samples.popleft()[1]
        if target and target > await self._store.compact_revision():
            try:
                await self._store.compact(target)
            except Compacted:
                pass  # someone compacted further meanwhile
            else:
                log.debug("compacted to revision %d", target)

    async def _run(self) -> None:
        try:
            self._samples.append((time.monotonic(), await self._store.current_revision()))
            while True:
                await asyncio.sleep(self._interval)
                try:
                    await self.tick()
                except StoreClosed:
                    raise
                except Exception:
                    log.exception("automatic compaction failed")
        except StoreClosed:
            return
