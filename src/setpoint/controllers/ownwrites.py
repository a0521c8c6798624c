"""A controller's own status writes, so that their echo does not wake it again.

A controller that writes an object's status gets that write back from its watch a moment later.
The echo carries nothing the controller did not already know -- it computed that status from the
cache it syncs from -- yet, let through, it costs one more sync. For a controller whose sync counts
thousands of pods (the ReplicaSet controller) those echoes were half of its syncs. The echo is
recognised exactly: its ``resourceVersion`` is the one the write answered with; a change made by
anyone else (or by the controller's other writes) has another and still passes.
"""

from __future__ import annotations

from setpoint.apimachinery.types import Obj
from setpoint.runtime.predicate import Funcs, Predicate


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace") or "", meta["name"]


class OwnWrites:
    """The ``resourceVersion`` of the last own write of each object."""

    def __init__(self) -> None:
        self._versions: dict[tuple[str, str], str] = {}

    def wrote(self, obj: Obj) -> None:
        """Remember ``obj``, the answer to a write of ours."""
        self._versions[_key(obj)] = obj["metadata"]["resourceVersion"]

    def is_echo(self, obj: Obj) -> bool:
        """Whether ``obj`` is exactly what our last write of it answered (that write is then
        forgotten: its echo comes once, so a controller of many objects holds only the writes
        whose echo is still on its way)."""
        key = _key(obj)
        version = self._versions.get(key)
        if version is None or version != obj["metadata"].get("resourceVersion"):
            return False
        del self._versions[key]
        return True

    def _deleted(self, obj: Obj) -> bool:
        self._versions.pop(_key(obj), None)
        return True

    def not_echo(self) -> Predicate:
        """A predicate dropping the update events that echo our own writes."""
        return Funcs(update=lambda _old, new: not self.is_echo(new), delete=self._deleted, name="not-own-write")
