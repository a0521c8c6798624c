"""The builder: a controller described the way you would say it.

::

    Builder(mgr).for_(CONFIG_WATCHER).owns(CONFIG_MAP).watches(POD, pods_to_watchers) \\
        .with_event_filter(predicate.resource_version_changed()).complete(reconciler)

``for_`` names the kind the controller reconciles (events on it enqueue it);
``owns`` names child kinds (events on a child enqueue its controlling owner);
``watches`` maps events of any kind to requests with your function. Predicates
passed to one of these filter that source; ``with_event_filter`` filters all.
Each takes ``namespace``, ``label_selector`` and ``field_selector`` to watch less; a
source with a selector has an informer of its own (``source.informer``), which
:meth:`Cache.get` reads only while it is the one informer of its kind.
``complete`` builds the controller and adds it to the manager -- also while the
manager runs, which starts it at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from setpoint.runtime import checks, ratelimit
from setpoint.runtime.controller import Controller, Source
from setpoint.runtime.handler import ForObject, ForOwner, MapFunc, Mapped
from setpoint.runtime.manager import Manager
from setpoint.runtime.pipeline import Pipeline, Retry, Stage
from setpoint.runtime.predicate import Predicate
from setpoint.runtime.reconcile import ReconcileFunc, Reconciler, Request, as_func
from setpoint.runtime.resource import Kind


class BuildError(ValueError):
    """The controller description is incomplete or contradictory."""


class Builder:
    """Records what to watch; :meth:`complete` wires it up. See the module docstring."""

    def __init__(self, manager: Manager) -> None:
        self._manager = manager
        self._name: str | None = None
        self._for: Source | None = None
        self._sources: list[Source] = []
        self._filters: list[Predicate] = []
        self._options: dict[str, Any] = {}

    def named(self, name: str) -> Builder:
        """The controller's name (metrics label, logs); defaults to the ``for_`` kind in lower case."""
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9_.]*[a-z0-9])?", name):
            raise BuildError(f"controller name {name!r}: use lower case letters, digits, '-', '_' and '.'")
        self._name = name
        return self

    def for_(self, kind: Kind, *predicates: Predicate, namespace: str | None = None,
             label_selector: str | None = None, field_selector: str | None = None) -> Builder:
        """Reconcile objects of ``kind``: their own events enqueue them."""
        if self._for is not None:
            raise BuildError(f"for_ already set to {self._for.kind}; a controller reconciles one kind "
                             "(watch more kinds with owns() or watches())")
        checks.check_predicates(predicates, f"for_({kind})")
        self._for = Source(kind, ForObject(), predicates, namespace, label_selector, field_selector)
        return self

    def owns(self, kind: Kind, *predicates: Predicate, only_controller: bool = True,
             namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> Builder:
        """Watch children of ``kind``: their events enqueue the owner (set by ``for_``)."""
        checks.check_predicates(predicates, f"owns({kind})")
        self._sources.append(Source(kind, _PendingOwner(only_controller), predicates, namespace, label_selector,
                                    field_selector))
        return self

    def watches(self, kind: Kind, map_fn: MapFunc, *predicates: Predicate, namespace: str | None = None,
                label_selector: str | None = None, field_selector: str | None = None,
                store: bool = True) -> Builder:
        """Watch any kind: ``map_fn(obj)`` says which requests its events enqueue. ``store=False``:
        its events only, cached nowhere (a :class:`~setpoint.runtime.notifier.Notifier`: updates come
        with ``old is new``, a re-list announces every object as updated, and the objects of the first
        list, which went by before the controller's sources had synced, are not announced)."""
        checks.check_predicates(predicates, f"watches({kind})")
        self._sources.append(Source(kind, Mapped(map_fn), predicates, namespace, label_selector, field_selector,
                                    store=store))
        return self

    def with_event_filter(self, *predicates: Predicate) -> Builder:
        """Predicates applied to every source."""
        checks.check_predicates(predicates, "with_event_filter()")
        self._filters.extend(predicates)
        return self

    def with_options(self, *, max_concurrent_reconciles: int | None = None,
                     rate_limiter: ratelimit.RateLimiter[Request] | None = None,
                     cache_sync_timeout: float | None = None, pipeline: Pipeline[Request] | None = None) -> Builder:
        options: Mapping[str, Any] = {"max_concurrent_reconciles": max_concurrent_reconciles,
                                      "rate_limiter": rate_limiter, "cache_sync_timeout": cache_sync_timeout,
                                      "pipeline": pipeline}
        self._options.update({k: v for k, v in options.items() if v is not None})
        return self

    def with_pipeline(self, *stages: Stage[Request], retry: Retry[Request] | None = None) -> Builder:
        """Put these stages (:mod:`setpoint.runtime.pipeline`) between the sources and the work queue,
        in order; ``retry`` sets the back-off of failed reconciles."""
        return self.with_options(pipeline=Pipeline(*stages, retry=retry))

    def build(self, reconciler: Reconciler | ReconcileFunc) -> Controller:
        """The controller, not yet added to the manager."""
        if self._for is None and not self._sources:
            raise BuildError("nothing to watch: call for_(kind) (or watches(kind, fn) with named(name))")
        name = self._name
        if name is None:
            if self._for is None:
                raise BuildError("a controller without for_() needs a name: call named(...)")
            name = self._for.kind.kind.lower()
        sources: list[Source] = []
        if self._for is not None:
            sources.append(self._for)
        for src in self._sources:
            if isinstance(src.handler, _PendingOwner):
                if self._for is None:
                    raise BuildError(f"owns({src.kind}) needs for_(owner kind): children map to their owner")
                src.handler = ForOwner(self._for.kind, only_controller=src.handler.only_controller)
            sources.append(src)
        for src in sources:
            src.predicates = (*src.predicates, *self._filters)
        options = {"max_concurrent_reconciles": self._manager.max_concurrent_reconciles, **self._options}
        return Controller(name, as_func(reconciler), sources=sources, **options)

    def complete(self, reconciler: Reconciler | ReconcileFunc) -> Controller:
        """Build the controller and add it to the manager (started at once if the manager runs)."""
        controller = self.build(reconciler)
        self._manager.add(controller)
        return controller


class _PendingOwner(ForObject):
    """Placeholder until the owner kind (``for_``) is known."""

    def __init__(self, only_controller: bool) -> None:
        self.only_controller = only_controller
