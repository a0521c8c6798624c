"""The cache: informers shared by every controller in the process, and reads served from them.

One informer per ``(kind, namespace, label selector, field selector)``: two controllers
asking for the same key share one watch and one store. Informers are reference
counted: :meth:`Cache.acquire` starts one if needed (once the cache runs),
:meth:`Cache.release` stops it when its last user lets go -- this is what lets
controllers be added and removed while the process runs.

Reads (:meth:`Cache.get`, :meth:`Cache.list`) are synchronous dictionary lookups in
the shared stores: no API call, no copy. The objects returned are shared and must be
treated as read-only (see :mod:`setpoint.runtime.store`). They are answered by the informer of
every object of the kind (cluster-wide or of the namespace); when there is none and one informer
of a selection (a label or field selector) is the only one of the kind, by that one -- reads then
see only what it selected, as controller-runtime's cache restricted by ``ByObject`` selectors.

An informer asked for with ``store=False`` is a :class:`~setpoint.runtime.notifier.Notifier`
(events only, nothing kept): shared as the others are, never a reader's answer.

A read of a kind whose informer runs but has not listed yet raises :class:`NotSynced`
(a :class:`NotCached`); a controller's handlers and reconcilers never see it -- they run once
their own sources have synced, and what read another cache too early is handled again once
that cache has synced.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.runtime import labels as labelsel
from setpoint.runtime.client import Client
from setpoint.runtime.informer import Informer
from setpoint.runtime.notifier import Notifier
from setpoint.runtime.resource import Kind, Resource
from setpoint.runtime.store import IndexFunc

log = logging.getLogger(__name__)



class NotCached(LookupError):
    """No informer caches what was asked for."""


class NotSynced(NotCached):
    """The informer that caches what was asked for runs but has not listed yet: wait for :attr:`informer`.

    A controller's mapping functions and reconcilers never see it: an event or a request that meets it
    waits for that informer to sync and is then handled again (controller-runtime's cache reads block
    until the cache has synced).
    """

    def __init__(self, message: str, informer: Informer) -> None:
        super().__init__(message)
        self.informer = informer


@dataclass(frozen=True, slots=True)
class InformerKey:
    kind: Kind
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    #: False: a :class:`~setpoint.runtime.notifier.Notifier` (events only, no store).
    store: bool = True


class Cache:
    """Shared informers, started and stopped by use; see the module docstring."""

    def __init__(self, client: Client, *, resync: float | None = None) -> None:
        self.client = client
        self.resync = resync
        self._informers: dict[InformerKey, Informer] = {}
        #: The synced informer that answers reads of (kind, namespace), found once (a synced informer
        #: stays synced); forgotten whenever an informer is added or dropped.
        self._readers: dict[tuple[Kind, str | None], Informer] = {}
        self._refs: dict[InformerKey, int] = {}
        self._running = False

    # -- informers --------------------------------------------------------------------------------

    def informer(self, kind: Kind | Resource, *, namespace: str | None = None,
                 label_selector: str | None = None, field_selector: str | None = None,
                 indexers: Mapping[str, IndexFunc] | None = None, store: bool = True) -> Informer:
        """The shared informer for this key, created if needed (not started, not counted);
        ``store=False``: a :class:`~setpoint.runtime.notifier.Notifier`, shared by those who ask
        for one, which keeps nothing and answers no read."""
        k = kind if isinstance(kind, Kind) else kind.kind_key
        key = InformerKey(k, namespace or None, label_selector or None, field_selector or None, store)
        inf = self._informers.get(key)
        if inf is None:
            cls = Informer if store else Notifier
            inf = cls(self.client, kind, namespace=key.namespace, label_selector=key.label_selector,
                      field_selector=key.field_selector, resync=self.resync if store else None)
            self._informers[key] = inf
            self._refs[key] = 0
            self._readers.clear()
        for name, fn in (indexers or {}).items():
            if name not in inf.store.indexers:
                inf.store.add_indexer(name, fn)
        return inf

    def acquire(self, kind: Kind | Resource, **options: Any) -> Informer:
        """Take a reference on the shared informer; it runs while referenced and the cache runs."""
        inf = self.informer(kind, **options)
        key = self._key_of(inf)
        self._refs[key] += 1
        if self._running:
            inf.start()
        return inf

    async def release(self, informer: Informer) -> None:
        """Drop a reference; the last one stops the informer and forgets its store."""
        key = self._key_of(informer)
        if key not in self._refs:
            return
        self._refs[key] -= 1
        if self._refs[key] <= 0:
            del self._refs[key]
            del self._informers[key]
            self._readers.clear()
            await informer.stop()

    async def get_informer(self, kind: Kind | Resource, **options: Any) -> Informer:
        """Acquire an informer and wait until it has synced (the cache must be running)."""
        inf = self.acquire(kind, **options)
        await inf.wait_synced()
        return inf

    def _key_of(self, informer: Informer) -> InformerKey:
        return InformerKey(informer.kind, informer.namespace, informer.label_selector, informer.field_selector,
                           informer.keeps_objects)

    @property
    def informers(self) -> list[Informer]:
        return list(self._informers.values())

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every referenced informer; later acquisitions start at once."""
        self._running = True
        for key, inf in self._informers.items():
            if self._refs.get(key):
                inf.start()

    async def stop(self) -> None:
        self._running = False
        await asyncio.gather(*(inf.stop() for inf in self._informers.values()))

    @property
    def running(self) -> bool:
        return self._running

    @property
    def has_synced(self) -> bool:
        """Every referenced informer has completed its first list."""
        return all(inf.has_synced for key, inf in self._informers.items() if self._refs.get(key))

    async def wait_synced(self) -> None:
        await asyncio.gather(*(inf.wait_synced() for key, inf in list(self._informers.items())
                               if self._refs.get(key)))

    # -- reads ------------------------------------------------------------------------------------

    def _reader(self, kind: Kind, namespace: str | None) -> Informer:
        """The informer that can answer authoritatively for ``kind`` in ``namespace``."""
        found = self._readers.get((kind, namespace))
        if found is None:
            found = self._find_reader(kind, namespace)
            if len(self._readers) >= 4096:
                self._readers.clear()
            self._readers[(kind, namespace)] = found
        return found

    def _find_reader(self, kind: Kind, namespace: str | None) -> Informer:
        syncing: Informer | None = None
        for key in (InformerKey(kind), InformerKey(kind, namespace)) if namespace else (InformerKey(kind),):
            inf = self._informers.get(key)
            if inf is not None:
                if inf.has_synced:
                    return inf
                if syncing is None and inf.running:
                    syncing = inf
        if syncing is None:
            # No informer of every object: one of a selection answers alone, as controller-runtime's
            # cache restricted to a label or field selector does (reads see only what it selected).
            selected = [inf for key, inf in self._informers.items()
                        if key.kind == kind and key.store and (key.label_selector or key.field_selector)
                        and key.namespace in ((None, namespace) if namespace else (None,))]
            if len(selected) == 1:
                if selected[0].has_synced:
                    return selected[0]
                if selected[0].running:
                    syncing = selected[0]
        if syncing is not None:
            raise NotSynced(f"the cache of {kind} has not synced yet" + (f" ({syncing.last_error})"
                                                                         if syncing.last_error else ""), syncing)
        raise NotCached(f"no synced informer caches {kind}" + (f" in namespace {namespace}" if namespace else "")
                        + "; watch it from a controller or await cache.get_informer(kind) first")

    def get(self, kind: Kind, name: str, namespace: str | None = None) -> Obj | None:
        """The cached object, or None. Read-only: see :func:`setpoint.runtime.objects.mutable`."""
        return self._reader(kind, namespace).store.get_by_name(name, namespace)

    def list(self, kind: Kind, namespace: str | None = None,
             label_selector: str | labelsel.Selector | None = None) -> list[Obj]:
        """Cached objects of ``kind`` (in ``namespace``) matching ``label_selector``. Read-only."""
        return self._reader(kind, namespace).store.list(namespace, label_selector)

    def by_index(self, kind: Kind, index: str, value: str, namespace: str | None = None) -> builtins.list[Obj]:
        return self._reader(kind, namespace).store.by_index(index, value)
