"""Server-side printing: ``meta.k8s.io/v1`` Table and PartialObjectMetadata.

kubectl asks for ``application/json;as=Table;v=v1;g=meta.k8s.io`` and prints
what the server sends: the column definitions (``priority`` > 0 only with
``-o wide``) and one row of cells per object. The server always renders the
wide cells, as kube-apiserver does. The built-in columns and cell formats
are those of kube's ``pkg/printers/internalversion/printers.go``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from setpoint.apimachinery import clock
from setpoint.apiserver.builtin import definitions
from setpoint.apiserver.registry.resources import Column, Resource

Obj = dict[str, Any]

TABLE_API_VERSION = "meta.k8s.io/v1"

# --- durations -----------------------------------------------------------------

_NS_PER_SECOND = 1_000_000_000
_NS_PER_MINUTE = 60 * _NS_PER_SECOND
_NS_PER_HOUR = 60 * _NS_PER_MINUTE


def _nanoseconds(d: timedelta | float) -> int:
    if isinstance(d, timedelta):
        return ((d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds) * 1000
    return int(d * _NS_PER_SECOND)


def human_duration(d: timedelta | float) -> str:
    """``k8s.io/apimachinery/pkg/util/duration.HumanDuration``: ~2-3 significant figures.

    ``d`` is a ``timedelta`` or a number of seconds.
    """
    ns = _nanoseconds(d)
    seconds = -(-ns // _NS_PER_SECOND) if ns < 0 else ns // _NS_PER_SECOND  # Go truncates toward zero
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = ns // _NS_PER_MINUTE
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // _NS_PER_HOUR
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 ``metav1.Time``/``MicroTime``; None when unset, zero or unparseable."""
    if not isinstance(value, str):
        return None
    t = clock.parse_time(value)
    return None if t is None or clock.is_zero(t) else t


def age_since(timestamp: object, now: datetime | None = None) -> str:
    """kube's ``translateTimestampSince``: ``<unknown>`` for a zero time, else :func:`human_duration`."""
    t = parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return human_duration((now or datetime.now(UTC)) - t)


# --- PartialObjectMetadata -------------------------------------------------------


def partial_object_metadata(obj: Obj, api_version: str = TABLE_API_VERSION) -> Obj:
    """``meta.k8s.io/v1 PartialObjectMetadata`` of ``obj``: its whole ``metadata``."""
    return {"kind": "PartialObjectMetadata", "apiVersion": api_version, "metadata": obj.get("metadata") or {}}


def partial_object_metadata_list(objects: list[Obj], list_meta: Obj | None = None) -> Obj:
    """``PartialObjectMetadataList`` (``as=PartialObjectMetadataList;g=meta.k8s.io;v=v1``)."""
    return {
        "kind": "PartialObjectMetadataList",
        "apiVersion": TABLE_API_VERSION,
        "metadata": list_meta or {},
        "items": [partial_object_metadata(o) for o in objects],
    }


# --- Table ---------------------------------------------------------------------


def _description(definition: str, field: str) -> str:
    prop = definitions.DEFINITIONS[definition]["properties"][field]
    return str(prop.get("description", ""))


_META = definitions.OBJECT_META
#: ObjectMeta's ``name`` and ``creationTimestamp`` docs, as Go's ``SwaggerDoc()`` has them.
NAME_DESCRIPTION = _description(_META, "name")
CREATION_TIMESTAMP_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)

NAME_COLUMN_DEFINITION: Obj = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": NAME_DESCRIPTION,
    "priority": 0,
}
AGE_COLUMN_DEFINITION: Obj = {
    "name": "Age",
    "type": "string",
    "format": "",
    "description": CREATION_TIMESTAMP_DESCRIPTION,
    "priority": 0,
}


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _creation_age(obj: Obj) -> str:
    return age_since((obj.get("metadata") or {}).get("creationTimestamp"))


def _layout(resource: Resource) -> tuple[bool, bool]:
    """(prepend Name, append Age) for ``resource``'s table.

    ``resource.columns`` holding a ``format: name`` column are the whole
    table (core Event: its Name is a wide column at the end; the CRD's
    default table). Otherwise Name comes first and Age last, unless
    ``columns_replace_age`` (custom resources' printer columns carry their own).
    """
    for column in resource.columns:
        if column.format == "name":
            return False, False
    return True, not resource.columns_replace_age


def column_definitions(resource: Resource) -> list[Obj]:
    """The Table ``columnDefinitions`` of ``resource``."""
    name_first, age_last = _layout(resource)
    out = [dict(NAME_COLUMN_DEFINITION)] if name_first else []
    out.extend(c.definition() for c in resource.columns)
    if age_last:
        out.append(dict(AGE_COLUMN_DEFINITION))
    return out


def _cells(columns: tuple[Column, ...], name_first: bool, age_last: bool, obj: Obj) -> list[Any]:
    cells: list[Any] = [_name(obj)] if name_first else []
    for column in columns:
        cells.append(column.value(obj))
    if age_last:
        cells.append(_creation_age(obj))
    return cells


def render_table(
    resource: Resource,
    objects: list[Obj],
    *,
    include_object: str = "Metadata",
    list_meta: Obj | None = None,
) -> Obj:
    """``meta.k8s.io/v1 Table`` of ``objects`` (served-version objects of ``resource``).

    ``include_object`` is the ``includeObject`` query parameter: ``Metadata``
    (kubectl's default: each row's ``object`` is a PartialObjectMetadata),
    ``Object`` (the whole object) or ``None`` (``object: null``, as kube's
    empty RawExtension encodes). ``list_meta`` is the list's metadata; without
    it a single object's resourceVersion is the table's.
    """
    name_first, age_last = _layout(resource)
    columns = resource.columns
    rows: list[Obj] = []
    for obj in objects:
        if include_object == "Object":
            row_object: Obj | None = obj
        elif include_object == "None":
            row_object = None
        else:
            row_object = partial_object_metadata(obj)
        rows.append({"cells": _cells(columns, name_first, age_last, obj), "object": row_object})
    if list_meta is not None:
        meta = list_meta
    elif len(objects) == 1:
        rv = (objects[0].get("metadata") or {}).get("resourceVersion")
        meta = {"resourceVersion": rv} if rv else {}
    else:
        meta = {}
    return {
        "kind": "Table",
        "apiVersion": TABLE_API_VERSION,
        "metadata": meta,
        "columnDefinitions": column_definitions(resource),
        "rows": rows,
    }


# --- the built-in kinds' columns ------------------------------------------------

_CORE = "io.k8s.api.core.v1."


def _get(obj: Obj, *path: str) -> Any:
    cur: Any = obj
    for part in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, dict | list) else 0


def _namespace_status(obj: Obj) -> str:
    return _str(_get(obj, "status", "phase"))


def _config_map_data(obj: Obj) -> int:
    return _length(obj.get("data")) + _length(obj.get("binaryData"))


def _secret_type(obj: Obj) -> str:
    return _str(obj.get("type"))


def _secret_data(obj: Obj) -> int:
    # The internal Secret has stringData merged into data already.
    data = obj.get("data")
    keys = set(data) if isinstance(data, dict) else set()
    string_data = obj.get("stringData")
    if isinstance(string_data, dict):
        keys.update(string_data)
    return len(keys)


def _service_account_secrets(obj: Obj) -> int:
    return _length(obj.get("secrets"))


def _lease_holder(obj: Obj) -> str:
    return _str(_get(obj, "spec", "holderIdentity"))


def _created_at(obj: Obj) -> str:
    t = parse_time(_get(obj, "metadata", "creationTimestamp"))
    return clock.ZERO_TIME if t is None else clock.format_time(t)


# Events: kube prints both groups' Events from the internal (core) Event; the
# events.k8s.io fields map onto it as its conversion does.
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
        self.name = _name(obj)
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


def _event_columns(events_group: bool) -> tuple[Column, ...]:
    def view(f: Callable[[_EventView], Any]) -> Callable[[Obj], Any]:
        return lambda obj: f(_EventView(obj, events_group))

    def subobject(e: _EventView) -> str:
        return _str(e.regarding.get("fieldPath")) if isinstance(e.regarding, dict) else ""

    event = _CORE + "Event"
    return (
        Column(
            "Last Seen",
            "string",
            view(lambda e: _event_times(e)[1]),
            description=_description(event, "lastTimestamp"),
        ),
        Column("Type", "string", view(lambda e: e.type), description=_description(event, "type")),
        Column("Reason", "string", view(lambda e: e.reason), description=_description(event, "reason")),
        Column("Object", "string", view(_event_target), description=_description(event, "involvedObject")),
        Column(
            "Subobject",
            "string",
            view(subobject),
            priority=1,
            description=_description(_CORE + "ObjectReference", "fieldPath"),
        ),
        Column(
            "Source", "string", view(_event_source), priority=1, description=_description(event, "source")
        ),
        Column(
            "Message",
            "string",
            view(lambda e: _str(e.message).strip()),
            description=_description(event, "message"),
        ),
        Column(
            "First Seen",
            "string",
            view(lambda e: _event_times(e)[0]),
            priority=1,
            description=_description(event, "firstTimestamp"),
        ),
        Column("Count", "string", view(_event_count), priority=1, description=_description(event, "count")),
        Column(
            "Name", "string", view(lambda e: e.name), format="name", priority=1, description=NAME_DESCRIPTION
        ),
    )


def _pod_ready(obj: Obj) -> str:
    containers = _get(obj, "spec", "containers")
    statuses = _get(obj, "status", "containerStatuses")
    ready = sum(1 for c in statuses if isinstance(c, dict) and c.get("ready")) if isinstance(statuses, list) else 0
    return f"{ready}/{_length(containers)}"


def _pod_status(obj: Obj) -> str:
    if _get(obj, "metadata", "deletionTimestamp"):
        return "Terminating"
    reason = _get(obj, "status", "reason")
    return _str(reason or _get(obj, "status", "phase") or "Pending")


def _pod_restarts(obj: Obj) -> int:
    statuses = _get(obj, "status", "containerStatuses")
    if not isinstance(statuses, list):
        return 0
    return sum(int(c.get("restartCount") or 0) for c in statuses if isinstance(c, dict))


def _pod_ip(obj: Obj) -> str:
    return _str(_get(obj, "status", "podIP")) or "<none>"


def _pod_node(obj: Obj) -> str:
    return _str(_get(obj, "spec", "nodeName")) or "<none>"


#: Columns (after Name, before Age unless they hold a ``name`` column) of the built-in kinds,
#: by kind (``events.k8s.io/Event`` for the events.k8s.io one).
BUILTIN_COLUMNS: dict[str, tuple[Column, ...]] = {
    "Namespace": (Column("Status", "string", _namespace_status, description="The status of the namespace"),),
    "ConfigMap": (
        Column("Data", "string", _config_map_data, description=_description(_CORE + "ConfigMap", "data")),
    ),
    "Secret": (
        Column("Type", "string", _secret_type, description=_description(_CORE + "Secret", "type")),
        Column("Data", "string", _secret_data, description=_description(_CORE + "Secret", "data")),
    ),
    "ServiceAccount": (
        Column(
            "Secrets",
            "string",
            _service_account_secrets,
            description=_description(_CORE + "ServiceAccount", "secrets"),
        ),
    ),
    # printers.go printPod: Name, Ready, Status, Restarts, Age; wide: IP, Node.
    "Pod": (
        Column("Name", "string", _name, format="name", description=NAME_DESCRIPTION),
        Column("Ready", "string", _pod_ready, description="The aggregate readiness state of this pod for accepting traffic."),
        Column("Status", "string", _pod_status, description="The aggregate status of the containers in this pod."),
        Column("Restarts", "string", _pod_restarts, description="The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
        Column("Age", "string", _creation_age, description=CREATION_TIMESTAMP_DESCRIPTION),
        Column("IP", "string", _pod_ip, priority=1, description="IP address allocated to the pod."),
        Column("Node", "string", _pod_node, priority=1, description="The node the pod is scheduled to."),
    ),
    "Event": _event_columns(events_group=False),
    "events.k8s.io/Event": _event_columns(events_group=True),
    "Lease": (
        Column(
            "Holder",
            "string",
            _lease_holder,
            description=_description("io.k8s.api.coordination.v1.LeaseSpec", "holderIdentity"),
        ),
    ),
    # rest.NewDefaultTableConvertor: Name and "Created At" (RFC 3339, UTC), no Age.
    "CustomResourceDefinition": (
        Column("Name", "string", _name, format="name", description=NAME_DESCRIPTION),
        Column("Created At", "date", _created_at, description=CREATION_TIMESTAMP_DESCRIPTION),
    ),
}
