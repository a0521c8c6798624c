"""Remembers where a paginated list stands, so later pages skip the count.

A page of a snapshot (prefix, revision) that stops at key ``k`` knows how many
keys remain after ``k``. A snapshot never changes (a compaction past it only
makes it unreadable), so the next page, which resumes after ``k`` at the same
revision, has ``remaining = previous remaining - its own length`` without
counting the rest of the range again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from .interface import RangeResult

DEFAULT_SIZE: Final = 1024


class RemainingCache:
    """A small LRU of ``(prefix, revision, last key) -> keys remaining after it``."""

    __slots__ = ("_entries", "_size")

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, int, str], int] = OrderedDict()

    def get(self, prefix: str, revision: int, start_after: str | None) -> int | None:
        """Keys remaining after ``start_after`` in the snapshot, if known."""
        if start_after is None or not revision:
            return None
        entry = (prefix, revision, start_after)
        remaining = self._entries.get(entry)
        if remaining is not None:
            self._entries.move_to_end(entry)
        return remaining

    def put(self, prefix: str, result: RangeResult) -> None:
        """Remember where ``result`` stopped, if another page follows."""
        if result.more and result.kvs:
            self._entries[(prefix, result.revision, result.kvs[-1].key)] = result.remaining
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
