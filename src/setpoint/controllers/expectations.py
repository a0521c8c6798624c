"""Controller expectations (kube's ``UIDTrackingControllerExpectations``): how many creations
and which deletions a controller still waits to see in its cache before it acts again."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

#: ``ExpectationsTimeout``: expectations older than this are considered satisfied.
EXPECTATIONS_TIMEOUT = 5 * 60.0

@dataclass(slots=True)
class _Expectation:
    add: int = 0
    deletes: set[str] = field(default_factory=set)
    timestamp: float = field(default_factory=time.monotonic)


class Expectations:
    """Per controller key: creations not yet seen in the cache, and the pods (keys) whose
    deletion is not yet seen. A key with none outstanding (or none recorded, or recorded
    more than five minutes ago) is satisfied: its controller may act on what the cache says."""

    def __init__(self) -> None:
        self._items: dict[str, _Expectation] = {}

    def satisfied(self, key: str) -> bool:
        e = self._items.get(key)
        if e is None:
            return True
        if e.add <= 0 and not e.deletes:
            return True
        return time.monotonic() - e.timestamp > EXPECTATIONS_TIMEOUT

    def expect_creations(self, key: str, n: int) -> None:
        self._items[key] = _Expectation(add=n)

    def expect_deletions(self, key: str, pod_keys: Iterable[str]) -> None:
        self._items[key] = _Expectation(deletes=set(pod_keys))

    def creation_observed(self, key: str) -> None:
        e = self._items.get(key)
        if e is not None:
            e.add -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        e = self._items.get(key)
        if e is not None:
            e.deletes.discard(pod_key)

    def forget(self, key: str) -> None:
        self._items.pop(key, None)
