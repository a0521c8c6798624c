"""Event handlers: which requests an event on a watched object turns into.

* :class:`ForObject` -- the object itself (what ``for_`` uses);
* :class:`ForOwner` -- the owner named in ``metadata.ownerReferences`` (what ``owns`` uses);
  by default only the managing controller (``controller: true``);
* :class:`Mapped` -- any function ``obj -> requests`` (what ``watches`` uses).

On an update, owner and mapped handlers enqueue what the old *and* the new object
map to, so a child that changes owner (or a mapping input that changes) wakes both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Protocol

from setpoint.apimachinery.types import Obj
from setpoint.runtime import checks
from setpoint.runtime.client import Client
from setpoint.runtime.reconcile import Request
from setpoint.runtime.resource import Kind

MapFunc = Callable[[Obj], Iterable[Request]]

log = logging.getLogger(__name__)


class Handler(Protocol):
    both_on_update: bool

    async def prepare(self, client: Client) -> None:
        """Resolve what needs discovery (called once before events flow)."""
        ...

    def requests(self, obj: Obj) -> Iterable[Request]: ...


class ForObject:
    """Enqueue the object's own namespace/name."""

    both_on_update = False

    async def prepare(self, client: Client) -> None:
        pass

    def requests(self, obj: Obj) -> Iterable[Request]:
        meta = obj["metadata"]
        return (Request(meta.get("namespace") or "", meta["name"]),)


class ForOwner:
    """Enqueue the owner of kind ``owner`` found in the object's ownerReferences."""

    both_on_update = True

    def __init__(self, owner: Kind, *, only_controller: bool = True) -> None:
        self.owner = owner
        self.only_controller = only_controller
        self.owner_namespaced = True

    async def prepare(self, client: Client) -> None:
        self.owner_namespaced = (await client.resource(self.owner)).namespaced

    def requests(self, obj: Obj) -> Iterable[Request]:
        meta = obj["metadata"]
        refs = meta.get("ownerReferences")
        if not refs:
            return ()
        group = self.owner.group
        out = []
        for ref in refs:
            if ref.get("kind") != self.owner.kind:
                continue
            if ref.get("apiVersion", "").rpartition("/")[0] != group:
                continue
            if self.only_controller and not ref.get("controller"):
                continue
            out.append(Request((meta.get("namespace") or "") if self.owner_namespaced else "", ref["name"]))
        return out


class Mapped:
    """Enqueue whatever ``fn(obj)`` returns: a list of :class:`Request` (checked: see :mod:`~setpoint.runtime.checks`)."""

    both_on_update = True

    def __init__(self, fn: MapFunc) -> None:
        checks.check_sync_one_arg(fn, "mapping function", "def map(obj) -> list[Request]")
        self.fn = fn
        self._checked = checks.Reported(fn, checks.requests_of, log)

    async def prepare(self, client: Client) -> None:
        pass

    def requests(self, obj: Obj) -> Iterable[Request]:
        result: Iterable[Request] = self._checked(obj)
        return result
