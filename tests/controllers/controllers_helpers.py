"""Test helpers shared by the built-in controllers' tests."""

from __future__ import annotations

import time

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.registry.admission import Attributes


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
