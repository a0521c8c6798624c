"""Test helpers shared by the built-in controllers' tests."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes
from setpoint.controllers.inprocess import InProcessClient
from setpoint.runtime.manager import Manager


class RefuseDeletes:
    """A validating admission plugin refusing deletes of the objects named in :attr:`names`;
    it notes the time of every delete it sees (to check the retries' backoff)."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.attempts: dict[str, list[float]] = {}

    async def admit(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        return None

    async def validate(self, attrs: Attributes, obj: Obj | None, old: Obj | None) -> None:
        if attrs.verb != "delete":
            return
        self.attempts.setdefault(attrs.name, []).append(time.monotonic())
        if attrs.name in self.names:
            raise errors.StatusError(403, "Forbidden", f'{attrs.resource} "{attrs.name}" is forbidden: not yet')


@asynccontextmanager
async def running(client: InProcessClient, namespace: str, *add: Callable[[Manager], object]) -> AsyncIterator[Manager]:
    """A Manager over ``client`` with the controllers ``add`` put on it, started (caches synced)
    once ``namespace`` exists; closed afterwards."""
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    manager = Manager(client)
    for a in add:
        a(manager)
    task = manager.start()
    await manager.wait_ready()
    try:
        yield manager
    finally:
        await manager.close()
        task.cancel()
