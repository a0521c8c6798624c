"""Automatic compaction: keep a window of history, drop what is older.

Every ``interval`` seconds the compactor records ``(monotonic time, current
revision)`` and compacts to the newest recorded revision that is at least
``window`` seconds old, as kube-apiserver's compactor does against etcd.

Several servers on one store take turns through a ``claim`` (etcd's: a transaction on the
version of ``compact_rev_key``, as kube-apiserver's): a compactor compacts only when its claim
of the round wins; while another server's compactor keeps winning, it does not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
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

    ``interval`` <= 0 disables it. Must be started inside a running loop. ``claim(target)``, when
    given, is asked before each compaction: False means another server compacts this round.
    """

    def __init__(self, store: Compactable, *, interval: float, window: float,
                 claim: Callable[[int], Awaitable[bool]] | None = None) -> None:
        if window < 0:
            raise ValueError("compaction window must not be negative")
        self._store = store
        self._interval = interval
        self._window = window
        self._claim = claim
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

    async def tick(self) -> int:
        """Record a sample and compact to the newest one older than the window; the revision
        compacted to (0: none this time)."""
        now = time.monotonic()
        self._samples.append((now, await self._store.current_revision()))
        target = 0
        while self._samples and now - self._samples[0][0] >= self._window:
            target = self._samples.popleft()[1]
        if not target or target <= await self._store.compact_revision():
            return 0
        if self._claim is not None and not await self._claim(target):
            log.debug("compaction to revision %d left to another server", target)
            return 0
        try:
            await self._store.compact(target)
        except Compacted:
            return 0  # someone compacted further meanwhile
        log.debug("compacted to revision %d", target)
        return target

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
