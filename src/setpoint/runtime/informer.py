"""The informer: a watcher feeding a store, telling registered handlers what changed.

``watcher -> store -> handlers``: the informer is the store's only writer. During a
(re)list it buffers the pages and swaps the whole list in at once when complete, then
tells handlers the difference (adds, updates whose resourceVersion moved, and
deletes for objects that vanished while it was not watching). After that, each
watch event updates the store and is passed on.

Handlers are plain synchronous callbacks run on the informer's task: keep them
short (a controller's handler runs predicates and adds keys to its queue). A
handler added after the first sync is first told about every cached object, as
client-go does. With ``resync``, every cached object is re-announced as an
update (old is new) every ``resync`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from setpoint.apimachinery.types import Obj
from setpoint.runtime import watcher
from setpoint.runtime.backoff import Backoff
from setpoint.runtime.client import Client
from setpoint.runtime.errors import NotFound
from setpoint.runtime.resource import Kind, Resource, key_of
from setpoint.runtime.store import IndexFunc, Store

log = logging.getLogger(__name__)



def _describe(kind: Kind) -> str:
    """``k8spatterns.io/v1 ConfigWatcher``: how a user writes it in a manifest."""
    return f"{kind.api_version} {kind.kind}"


def _hint(kind: Kind) -> str:
    if kind.group:
        return ("is its CRD installed? If it is, check the group, version and kind "
                "(`kubectl api-resources` lists what the server serves)")
    return "check the version and kind (`kubectl api-resources` lists what the server serves)"


class EventHandler(Protocol):
    def on_add(self, obj: Obj) -> None: ...
    def on_update(self, old: Obj, new: Obj) -> None: ...
    def on_delete(self, obj: Obj) -> None: ...


class FuncHandler:
    """An :class:`EventHandler` from up to three functions."""

    def __init__(self, on_add: Callable[[Obj], None] | None = None,
                 on_update: Callable[[Obj, Obj], None] | None = None,
                 on_delete: Callable[[Obj], None] | None = None) -> None:
        self._add, self._update, self._delete = on_add, on_update, on_delete

    def on_add(self, obj: Obj) -> None:
        if self._add is not None:
            self._add(obj)

    def on_update(self, old: Obj, new: Obj) -> None:
        if self._update is not None:
            self._update(old, new)

    def on_delete(self, obj: Obj) -> None:
        if self._delete is not None:
            self._delete(obj)


class Informer:
    """One list+watch of one kind (in one namespace, with one selector), cached in :attr:`store`."""

    #: Whether :attr:`store` holds the objects (a :class:`~setpoint.runtime.notifier.Notifier` keeps none).
    keeps_objects = True

    def __init__(self, client: Client, kind: Kind | Resource, *, namespace: str | None = None,
                 label_selector: str | None = None, field_selector: str | None = None,
                 resync: float | None = None, indexers: Mapping[str, IndexFunc] | None = None,
                 page_size: int = 500, timeout_seconds: int | None = None,
                 backoff: Callable[[], Backoff] = Backoff) -> None:
        self.client = client
        self.kind = kind if isinstance(kind, Kind) else kind.kind_key
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync = resync
        self.store = Store(indexers)
        self.resource: Resource | None = kind if isinstance(kind, Resource) else None
        self.lists = 0          # how many times a full list was swapped in
        self.failures = 0
        self.last_error: Exception | None = None
        self._page_size = page_size
        self._timeout_seconds = timeout_seconds
        self._backoff = backoff
        self._handlers: tuple[EventHandler, ...] = ()  # copy-on-write: safe to change while dispatching
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._missing = False  # the kind was reported as not served (and has not appeared since)

    def __repr__(self) -> str:
        where = f" ns={self.namespace}" if self.namespace else ""
        sel = f" labels={self.label_selector}" if self.label_selector else ""
        return f"<Informer {self.kind}{where}{sel}>"

    # -- handlers ---------------------------------------------------------------------------------

    def add_handler(self, handler: EventHandler) -> None:
        """Register ``handler``; if already synced, it is told about every cached object first."""
        self._handlers = (*self._handlers, handler)
        if self._synced.is_set():
            for obj in self.store:
                self._call(handler.on_add, obj)

    def remove_handler(self, handler: EventHandler) -> None:
        self._handlers = tuple(h for h in self._handlers if h is not handler)

    @property
    def handlers(self) -> int:
        return len(self._handlers)

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def has_synced(self) -> bool:
        """True once the first full list is in the store."""
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> asyncio.Task[None]:
        """Run in a background task (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=f"informer {self.kind}")
        return self._task

    async def stop(self) -> None:
        for task in (self._resync_task, self._task):
            if task is not None and not task.done():
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        self._task = self._resync_task = None

    async def run(self) -> None:
        """List and watch until cancelled."""
        backoff = self._backoff()
        while self.resource is None:
            try:
                self.resource = await self.client.resource(self.kind)
            except Exception as e:  # discovery failed or the kind is not served (yet)
                self._failed(e)
                await asyncio.sleep(next(backoff))
        if self._missing:
            self._missing = False
            log.info("%s is now served: watching it", _describe(self.kind))
        lw = watcher.ClientListWatch(self.client, self.resource, namespace=self.namespace,
                                     label_selector=self.label_selector, field_selector=self.field_selector,
                                     page_size=self._page_size, timeout_seconds=self._timeout_seconds)
        try:
            await self.consume(watcher.watch(lw, backoff=backoff, kind=self.kind.kind,
                                             api_version=self.kind.api_version))
        finally:
            if self._resync_task is not None:
                self._resync_task.cancel()

    async def consume(self, events: Any) -> None:
        """Apply a stream of :mod:`~setpoint.runtime.watcher` events to the store and the handlers."""
        pending: dict[str, Obj] | None = None
        async for event in events:
            if isinstance(event, watcher.Apply):
                obj = event.object
                old = self.store.upsert(obj)
                if old is None:
                    self._dispatch_add(obj)
                else:
                    self._dispatch_update(old, obj)
            elif isinstance(event, watcher.Delete):
                obj = event.object
                self.store.delete(key_of(obj))
                self._dispatch_delete(obj)
            elif isinstance(event, watcher.Page):
                if pending is None:
                    pending = {}
                for obj in event.objects:
                    pending[key_of(obj)] = obj
            elif isinstance(event, watcher.Init):
                pending = {}
            elif isinstance(event, watcher.InitDone):
                if self._missing:
                    self._missing = False
                    log.info("%s is now served: watching it", _describe(self.kind))
                self._swap_in(pending or {})
                pending = None
            elif isinstance(event, watcher.Failed):
                self._failed(event.error)

    def _swap_in(self, fresh: dict[str, Obj]) -> None:
        old = self.store.replace(fresh)
        self.lists += 1
        for key, obj in fresh.items():
            before = old.get(key)
            if before is None:
                self._dispatch_add(obj)
            elif before["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._dispatch_update(before, obj)
        for key, before in old.items():
            if key not in fresh:
                self._dispatch_delete(before)
        if not self._synced.is_set():
            self._synced.set()
            if self.resync:
                self._resync_task = asyncio.create_task(self._resync_loop(self.resync),
                                                        name=f"resync {self.kind}")

    def _failed(self, error: Exception) -> None:
        self.failures += 1
        self.last_error = error
        if isinstance(error, NotFound):
            # a kind the server does not serve (a typo, or a CRD not installed yet): said once,
            # clearly; the retries go on quietly and a line says when it appears
            if not self._missing:
                self._missing = True
                log.warning("no resource %s on this server: %s; waiting for it to appear",
                            _describe(self.kind), _hint(self.kind))
            else:
                log.debug("%r: %s", self, error)
            return
        if self._missing:
            self._missing = False
            log.info("%s is now served: watching it", _describe(self.kind))
        log.info("%r: %s", self, error)

    async def _resync_loop(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            for obj in self.store:
                self._dispatch_update(obj, obj)

    # -- dispatch ---------------------------------------------------------------------------------

    def _dispatch_add(self, obj: Obj) -> None:
        for h in self._handlers:
            self._call(h.on_add, obj)

    def _dispatch_update(self, old: Obj, new: Obj) -> None:
        for h in self._handlers:
            try:
                h.on_update(old, new)
            except Exception:
                log.exception("%r: handler failed", self)

    def _dispatch_delete(self, obj: Obj) -> None:
        for h in self._handlers:
            self._call(h.on_delete, obj)

    def _call(self, fn: Callable[[Obj], None], obj: Obj) -> None:
        try:
            fn(obj)
        except Exception:
            log.exception("%r: handler failed", self)
