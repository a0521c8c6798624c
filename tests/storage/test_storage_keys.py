"""Unit tests of the shared helpers: key ranges and the pagination memo."""

from __future__ import annotations

import pytest

from setpoint.storage import InvalidInput, KeyValue, RangeResult
from setpoint.storage.keys import check_key, prefix_end, range_bounds
from setpoint.storage.pagination import RemainingCache


@pytest.mark.parametrize(
    ("prefix", "end"),
    [
        ("", None),
        ("/a/", "/a0"),
        ("a\U0010ffff", "b"),
        ("\U0010ffff\U0010ffff", None),
        ("x\ud7ff", "x\ue000"),  # never a lone surrogate, which neither UTF-8 nor SQLite can hold
        ("\u00ff", "\u0100"),
    ],
)
def test_prefix_end(prefix: str, end: str | None) -> None:
    assert prefix_end(prefix) == end
    if end is not None:
        assert prefix < end
        assert (prefix + "\U0010ffff" * 3) < end


def test_range_bounds() -> None:
    assert range_bounds("/a/", None) == ("/a/", True, "/a0")
    assert range_bounds("/a/", "/a/x") == ("/a/x", False, "/a0")
    assert range_bounds("/a/", "/") == ("/a/", True, "/a0")  # before the prefix: no effect


def test_check_key_counts_utf8_bytes() -> None:
    assert check_key("\u00e9" * 2048) == "\u00e9" * 2048  # 4096 bytes
    with pytest.raises(InvalidInput, match="4098 bytes"):
        check_key("\u00e9" * 2049)


def test_remaining_cache() -> None:
    cache = RemainingCache(size=2)
    page = RangeResult([KeyValue("/a/1", b"", 1, 1)], 7, True, 5)
    cache.put("/a/", page)
    assert cache.get("/a/", 7, "/a/1") == 5
    assert cache.get("/a/", 8, "/a/1") is None  # another snapshot
    assert cache.get("/a/", 0, "/a/1") is None  # "latest" is not a snapshot
    assert cache.get("/b/", 7, "/a/1") is None
    cache.put(
        "/a/", RangeResult([KeyValue("/a/9", b"", 1, 1)], 7, False, 0)
    )  # last page: nothing to remember
    assert cache.get("/a/", 7, "/a/9") is None
    cache.put("/a/", RangeResult([KeyValue("/a/2", b"", 1, 1)], 7, True, 4))
    cache.put("/a/", RangeResult([KeyValue("/a/3", b"", 1, 1)], 7, True, 3))
    assert cache.get("/a/", 7, "/a/1") is None  # evicted, least recently used
    assert cache.get("/a/", 7, "/a/3") == 3
