"""``setpoint.heaptrim``: memory freed inside the C heap goes back to the system."""

from __future__ import annotations

import asyncio
import os

import pytest

from setpoint import heaptrim

MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")

pytestmark = pytest.mark.skipif(not heaptrim.configure(), reason="the C library is not glibc")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


async def test_the_memory_freed_below_a_live_block_is_returned_by_the_trimmer() -> None:
    # 1 KiB blocks come from glibc's heap (Python's own arenas take 512 bytes or less), and a block
    # kept after them stops glibc from giving the space back by lowering the top of the heap.
    size = 1024  # a variable: ``b"x" * 1024`` would be one constant
    blocks = [b"x" * size for _ in range(200_000)]  # ~210 MiB
    pinned = b"y" * size
    grown = rss()
    del blocks
    assert rss() > grown - 20 * MIB  # freed, but still the process's
    trimming = asyncio.create_task(heaptrim.trim_forever(period=0.01))
    try:
        for _ in range(500):
            if rss() < grown - 150 * MIB:
                break
            await asyncio.sleep(0.01)  # polling a condition: the trimmer's next round
        assert rss() < grown - 150 * MIB
    finally:
        trimming.cancel()
    assert pinned == b"y" * size
