"""JSON encodings that are kept: stored values and the watch cache's served encodings.

``orjson.dumps`` returns its write buffer as the bytes object, shrunk in length but not in
allocation: every result holds 4 KiB at least (growing by doubling), however short the JSON.
A response written once and dropped does not care; an encoding kept for each of 100,000 cached
objects does (~3 KiB wasted on a 1 KiB pod). :func:`dumps_kept` copies the result to an object
of its own length (a memcpy: ~0.1 us a KiB).
"""

from __future__ import annotations

from typing import Any

import orjson


def dumps_kept(obj: Any) -> bytes:
    """``orjson.dumps(obj)`` holding only its length in memory."""
    return memoryview(orjson.dumps(obj)).tobytes()
