"""The notifier: an informer that keeps nothing -- the watcher's events handed on and let go.

kube-rs's watcher without a reflector: a list, then a watch, as an :class:`~setpoint.runtime.informer.Informer`
makes, but no store. Each object listed or watched is passed to the handlers and forgotten: for a
consumer that must hear of changes but never reads the objects back (the garbage collector's graph,
a controller that maps an object to its namespace) of kinds that have many objects, where a store
would hold a copy of each.

Handlers are the informer's :class:`~setpoint.runtime.informer.EventHandler` s, told:

* ``on_add(obj)`` -- an object of the first list, or an ADDED event;
* ``on_update(obj, obj)`` -- a MODIFIED event, and every object of a re-list after a broken watch:
  without a store, "changed while the watch was down" cannot be told from "unchanged", and the
  previous state is not known (``old is new`` says so, as a resync does);
* ``on_delete(obj)`` -- a DELETED event.

What was deleted while the watch was down is not announced (nothing remembers it existed); a
handler that needs it implements :class:`ListHandler` and compares what a re-list brought with
what it knows. A handler added after the first list hears only what happens next.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, runtime_checkable

from setpoint.runtime import watcher
from setpoint.runtime.informer import EventHandler, Informer

log = logging.getLogger(__name__)


@runtime_checkable
class ListHandler(Protocol):
    """What a handler implements to see where lists begin and end (beside the three callbacks)."""

    def on_list(self) -> None:
        """A (re)list begins: the objects it brings follow."""

    def on_listed(self, relist: bool) -> None:
        """The list is complete; ``relist``: not the first one (the watch had broken)."""


class Notifier(Informer):
    """One list+watch of one kind whose objects go to the handlers and nowhere else.

    The :attr:`store` stays empty (the cache never reads from a notifier)."""

    keeps_objects = False

    def add_handler(self, handler: EventHandler) -> None:
        """Register ``handler``; nothing is replayed (nothing is kept)."""
        self._handlers = (*self._handlers, handler)

    async def consume(self, events: Any) -> None:
        """Hand a stream of :mod:`~setpoint.runtime.watcher` events to the handlers."""
        async for event in events:
            if isinstance(event, watcher.Apply):
                obj = event.object
                if event.type == "ADDED":
                    self._dispatch_add(obj)
                else:
                    self._dispatch_update(obj, obj)
            elif isinstance(event, watcher.Delete):
                self._dispatch_delete(event.object)
            elif isinstance(event, watcher.Page):
                relist = self._synced.is_set()
                for obj in event.objects:
                    if relist:
                        self._dispatch_update(obj, obj)
                    else:
                        self._dispatch_add(obj)
            elif isinstance(event, watcher.Init):
                self._tell_lists(None)
            elif isinstance(event, watcher.InitDone):
                self._missing = False
                self.lists += 1
                self._tell_lists(self._synced.is_set())
                self._synced.set()
            elif isinstance(event, watcher.Failed):
                self._failed(event.error)

    def _tell_lists(self, relist: bool | None) -> None:
        """``on_list`` (``relist`` None) or ``on_listed(relist)`` to the handlers that want it."""
        for h in self._handlers:
            if not isinstance(h, ListHandler):
                continue
            try:
                if relist is None:
                    h.on_list()
                else:
                    h.on_listed(relist)
            except Exception:
                log.exception("%r: handler failed", self)

    def __repr__(self) -> str:
        return "<Notifier" + super().__repr__()[len("<Informer"):]
