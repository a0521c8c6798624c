"""Keeping the C heap from holding memory the server no longer uses (``setpoint up``).

Objects of 512 bytes or less live in Python's own arenas; larger ones, and SQLite's and the event
loop's buffers, in glibc's heap, whose freed memory stays in the process:

* glibc serves a block of 128 KiB or more with its own ``mmap``, returned when freed, but raises
  that threshold to the largest such block freed so far (up to 32 MiB): after a few large
  responses, every list's buffers come from the heap and leave holes in it. :func:`configure`
  fixes the threshold at 128 KiB (``mallopt(M_MMAP_THRESHOLD)``): a large buffer is always
  mapped and unmapped.
* Requests come and go in between the objects a server keeps, and the pages they leave free
  inside the heap are never returned on their own (glibc gives back only the top of the heap).
  :func:`trim_forever` calls ``malloc_trim(0)`` every few seconds, which returns every whole free
  page (about a millisecond with 100,000 objects cached).

Where the C library is not glibc, neither does anything.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging

log = logging.getLogger(__name__)

#: Seconds between two trims.
PERIOD = 5.0
#: glibc's ``M_MMAP_THRESHOLD`` parameter of ``mallopt``, and the threshold it is fixed at.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None)  # the process's own symbols: the C library's among them
    except OSError:
        return None


def configure() -> bool:
    """Fix glibc's mmap threshold (see above); whether it was."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    if mallopt is None or getattr(libc, "malloc_trim", None) is None:  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


async def trim_forever(period: float = PERIOD) -> None:
    """``malloc_trim(0)`` every ``period`` seconds until cancelled (returns at once without it)."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is None:
        log.debug("no malloc_trim in this C library: the heap is not trimmed")
        return
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    while True:
        await asyncio.sleep(period)
        trim(0)
