"""Helpers for the storage tests (imported by module name: tests/storage is on sys.path)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from setpoint.storage import Event, Storage, Watch

#: ``await store_factory(**options)``: the type of the ``store_factory`` fixture.
StoreFactory = Callable[..., Awaitable[Storage]]


async def wait_until(condition: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait until ``condition()`` is true, checking every few milliseconds."""
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        await asyncio.sleep(0.005)


async def collect(watch: Watch, count: int, seconds: float = 10.0) -> list[Event]:
    """Read exactly ``count`` events from ``watch`` (fails on more or on timeout)."""
    events: list[Event] = []

    async def run() -> None:
        async for batch in watch:
            events.extend(batch)
            if len(events) >= count:
                return

    await asyncio.wait_for(run(), seconds)
    assert len(events) == count, f"expected {count} events, got {len(events)}"
    return events


async def first_batch(watch: Watch) -> list[Event]:
    """The next batch of ``watch``, as a coroutine (for tasks)."""
    return await anext(aiter(watch))


async def next_batch(watch: Watch, seconds: float = 10.0) -> list[Event]:
    """The next batch of ``watch``."""
    return await asyncio.wait_for(first_batch(watch), seconds)
