"""Fakes of the HTTP layer (list and watch only), for unit tests of the watcher state machine."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any


def cm(name: str, rv: str, ns: str = "default") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns, "resourceVersion": rv}}


class FakeStream:
    def __init__(self, events: list[tuple[str, dict[str, Any]] | Exception]) -> None:
        self.events = deque(events)
        self.closed = False

    def __aiter__(self) -> FakeStream:
        return self

    async def __anext__(self) -> tuple[str, dict[str, Any]]:
        if not self.events:
            raise StopAsyncIteration
        ev = self.events.popleft()
        if isinstance(ev, Exception):
            raise ev
        return ev

    def close(self) -> None:
        self.closed = True


class FakeListWatch:
    """Scripted answers; records every call."""

    def __init__(self) -> None:
        self.lists: deque[Mapping[str, Any] | Exception] = deque()
        self.watches: deque[FakeStream | Exception] = deque()
        self.calls: list[tuple[str, str | None]] = []

    async def list(self, continue_token: str | None) -> Mapping[str, Any]:
        self.calls.append(("list", continue_token))
        answer = self.lists.popleft()
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def watch(self, resource_version: str) -> FakeStream:
        self.calls.append(("watch", resource_version))
        answer = self.watches.popleft()
        if isinstance(answer, Exception):
            raise answer
        return answer


def page(items: list[dict[str, Any]], rv: str = "", cont: str = "") -> dict[str, Any]:
    return {"items": items, "metadata": {"resourceVersion": rv, "continue": cont}}
