"""Running an object's ``run()`` in the background: :meth:`start`, :meth:`close` and ``async with
obj.running():`` for tests and embedding, shared by :class:`~setpoint.runtime.manager.Manager` and
:class:`~setpoint.runtime.fleet.Fleet`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Self


class Background:
    """``start``/``close``/``running`` over a subclass's ``run()``, which returns once ``_stop`` is set."""

    #: The name of the background task.
    task_name = "background"
    _task: asyncio.Task[None] | None
    _stop: asyncio.Event

    async def run(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Ask :meth:`run` to shut down gracefully (returns at once)."""
        self._stop.set()

    def start(self) -> asyncio.Task[None]:
        """Run in a background task; see :meth:`close`."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=self.task_name)
        return self._task

    async def close(self) -> None:
        """Stop what :meth:`start` started and wait for it (re-raising its error)."""
        self.stop()
        if self._task is not None:
            task, self._task = self._task, None
            await task

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Self]:
        """``async with obj.running():`` -- started on entry, stopped gracefully on exit."""
        self.start()
        try:
            yield self
        finally:
            await self.close()
