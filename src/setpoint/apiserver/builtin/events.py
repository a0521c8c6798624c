"""events.k8s.io/v1 Event, and the conversion it shares with core/v1 Event.

The two groups' Events are one kind in two shapes stored once (as core/v1,
kube's ``pkg/apis/events/v1/conversion.go``); their strategy is kube's
``pkg/registry/core/event/strategy.go``. Both groups' tables are
``printEvent`` of ``pkg/printers/internalversion/printers.go``, which prints
the internal (core) Event that the events.k8s.io fields convert onto.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from setpoint.apimachinery.types import Obj
from setpoint.apiserver.builtin.declare import declare, description, field
from setpoint.apiserver.endpoints.table import NAME_DESCRIPTION, age_since, parse_time
from setpoint.apiserver.registry.resources import Column, Resource, Strategy

_CORE_EVENT = "io.k8s.api.core.v1.Event"


class EventStrategy(Strategy):
    allow_create_on_update = True
    has_generation = False
    # Four a pod, kept an hour: held as JSON, with the values core/v1's field selectors read.
    cache_json_fields = (*(f"involvedObject.{f}" for f in ("kind", "namespace", "name", "uid", "apiVersion",
                                                          "resourceVersion", "fieldPath")),
                         "reason", "reportingComponent", "source.component", "type")

    def spec_changed(self, obj: Obj, old: Obj) -> bool:
        return False


# --- conversion ---------------------------------------------------------------

_EVENTS_V1_TO_CORE = {
    "regarding": "involvedObject",
    "note": "message",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
    "reportingController": "reportingComponent",
}
_CORE_TO_EVENTS_V1 = {v: k for k, v in _EVENTS_V1_TO_CORE.items()}


def convert_event(obj: Obj, target: str) -> Obj:
    """Convert an Event between ``v1`` and ``events.k8s.io/v1``."""
    if obj.get("apiVersion") == target:
        return obj
    mapping = _EVENTS_V1_TO_CORE if target == "v1" else _CORE_TO_EVENTS_V1
    out: Obj = {}
    for key, value in obj.items():
        out[mapping.get(key, key)] = value
    out["apiVersion"] = target
    out["kind"] = "Event"
    return out


# --- columns (printEvent) ------------------------------------------------------


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


class _EventView:
    """The fields ``printEvent`` reads, from either group's Event."""

    __slots__ = (
        "count",
        "event_time",
        "first",
        "last",
        "message",
        "name",
        "reason",
        "regarding",
        "reporting_controller",
        "reporting_instance",
        "series",
        "source",
        "type",
    )

    def __init__(self, obj: Obj, events_group: bool) -> None:
        g = obj.get
        self.name = _str((g("metadata") or {}).get("name", ""))
        self.type = _str(g("type"))
        self.reason = _str(g("reason"))
        self.event_time = g("eventTime")
        self.series = g("series") if isinstance(g("series"), dict) else None
        self.reporting_controller = _str(g("reportingController" if events_group else "reportingComponent"))
        self.reporting_instance = _str(g("reportingInstance"))
        if events_group:
            self.first, self.last = g("deprecatedFirstTimestamp"), g("deprecatedLastTimestamp")
            self.count, self.message = g("deprecatedCount"), g("note")
            self.regarding, self.source = g("regarding"), g("deprecatedSource")
        else:
            self.first, self.last = g("firstTimestamp"), g("lastTimestamp")
            self.count, self.message = g("count"), g("message")
            self.regarding, self.source = g("involvedObject"), g("source")


def _event_times(e: _EventView) -> tuple[str, str]:
    """(first seen, last seen) as ``printEvent`` computes them."""
    first = age_since(e.first) if parse_time(e.first) is not None else age_since(e.event_time)
    last = age_since(e.last) if parse_time(e.last) is not None else first
    if e.series is not None:
        last = age_since(e.series.get("lastObservedTime"))
    return first, last


def _event_count(e: _EventView) -> int:
    if e.series is not None:
        count = e.series.get("count")
    else:
        count = e.count
        if not count:
            count = 1  # singleton events don't have a count set in the new API
    return int(count) if isinstance(count, int | float) else 0


def _event_target(e: _EventView) -> str:
    ref = e.regarding if isinstance(e.regarding, dict) else {}
    kind = _str(ref.get("kind")).lower()
    name = _str(ref.get("name"))
    return f"{kind}/{name}" if name else kind


def _event_source(e: _EventView) -> str:
    source = e.source if isinstance(e.source, dict) else {}
    component = _str(source.get("component")) or e.reporting_controller
    instance = _str(source.get("host")) or e.reporting_instance
    return component if not instance else f"{component}, {instance}"


def _subobject(e: _EventView) -> str:
    return _str(e.regarding.get("fieldPath")) if isinstance(e.regarding, dict) else ""


def event_columns(events_group: bool) -> tuple[Column, ...]:
    """``printEvent``'s columns, reading a core/v1 or (``events_group``) an events.k8s.io/v1 Event."""

    def view(f: Callable[[_EventView], Any]) -> Callable[[Obj], Any]:
        return lambda obj: f(_EventView(obj, events_group))

    def doc(name: str) -> str:
        return description(_CORE_EVENT, name)

    return (
        Column("Last Seen", "string", view(lambda e: _event_times(e)[1]), description=doc("lastTimestamp")),
        Column("Type", "string", view(lambda e: e.type), description=doc("type")),
        Column("Reason", "string", view(lambda e: e.reason), description=doc("reason")),
        Column("Object", "string", view(_event_target), description=doc("involvedObject")),
        Column("Subobject", "string", view(_subobject), priority=1,
               description=description("io.k8s.api.core.v1.ObjectReference", "fieldPath")),
        Column("Source", "string", view(_event_source), priority=1, description=doc("source")),
        Column("Message", "string", view(lambda e: _str(e.message).strip()), description=doc("message")),
        Column("First Seen", "string", view(lambda e: _event_times(e)[0]), priority=1,
               description=doc("firstTimestamp")),
        Column("Count", "string", view(_event_count), priority=1, description=doc("count")),
        Column("Name", "string", view(lambda e: e.name), format="name", priority=1, description=NAME_DESCRIPTION),
    )


# --- the kinds ------------------------------------------------------------------

_EVENTS_V1_FIELDS = {
    **{f"regarding.{f}": field("regarding", f)
       for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")},
    "reason": field("reason"),
    "reportingController": field("reportingController"),
    "type": field("type"),
    "deprecatedSource.component": field("deprecatedSource", "component"),
}


def resources(strategy: EventStrategy) -> list[Resource]:
    """events.k8s.io's kinds; ``strategy`` is the one core/v1 Event shares.

    kube gives the short name ``ev`` to core/v1 events only: clients that resolve
    ``ev``/``events`` through discovery (kopf) must find one resource, not two."""
    return [
        declare("events.k8s.io", "v1", "Event", "events", "event", True, strategy,
                field_getters=_EVENTS_V1_FIELDS, columns=event_columns(events_group=True),
                convert=convert_event, storage_version="v1", storage_resource="events"),
    ]
